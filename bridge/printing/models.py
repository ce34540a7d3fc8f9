"""Wire models of the printing routes; the receipt blocks are the driver layer's own models."""

from __future__ import annotations

import base64
import binascii
from typing import Any, Literal

from pydantic import Field, model_validator

from bridge.api.models import Wire
from drivers.printer.receipt import Receipt

JobState = Literal["queued", "printing", "waiting", "done", "failed", "cancelled"]


class PrintRequest(Wire):
    """A receipt to render, or raw ESC/POS bytes: exactly one of the two."""

    receipt: Receipt | None = Field(default=None, description="Receipt blocks (local-api.md).")
    raw: str | None = Field(
        default=None,
        description="Base64 ESC/POS bytes, printed as they are except for drawer kicks.",
        json_schema_extra={"contentEncoding": "base64"},
    )
    open_drawer: bool = Field(
        default=False,
        description="Raw jobs only: keep the drawer kicks in the data. Honoured only for roles "
        "allowed to open drawers ([drawers] roles), otherwise kicks are removed; checked, "
        "rate-limited and audited like POST /api/v1/drawers/{id}/open (429 past the limit).",
    )
    drawer_reason: str | None = Field(
        default=None,
        min_length=1,
        max_length=32,
        description="With open_drawer: why the drawer opens (a [drawers] reason, e.g. sale).",
    )
    document_id: str | None = Field(
        default=None,
        max_length=64,
        description="With open_drawer: the document the drawer opens for, where the reason "
        "needs one.",
    )

    @model_validator(mode="after")
    def _one_kind(self) -> PrintRequest:
        if (self.receipt is None) == (self.raw is None):
            raise ValueError('send exactly one of "receipt" or "raw"')
        if self.raw is not None:
            try:
                data = base64.b64decode(self.raw, validate=True)
            except (binascii.Error, ValueError):
                raise ValueError("raw is not valid base64") from None
            if not data:
                raise ValueError("raw is empty")
        elif self.open_drawer:
            raise ValueError("open_drawer applies to raw jobs; open the drawer with its own route")
        if not self.open_drawer and (self.drawer_reason or self.document_id):
            raise ValueError("drawer_reason and document_id go with open_drawer")
        return self

    def raw_bytes(self) -> bytes:
        assert self.raw is not None
        return base64.b64decode(self.raw)


class JobView(Wire):
    id: str
    printer: str
    state: JobState
    kind: Literal["receipt", "raw", "test"]
    reason: str | None = Field(
        description="Why it waits (paper_out, cover_open, offline, fault) or failed "
        "(uncertain: it may have printed in part; reprint it after checking the paper)."
    )
    message: str | None = Field(description="Human text for the cashier or technician.")
    attempts: int = Field(description="Times it was sent to the printer.")
    bytes: int = Field(description="Size of the ESC/POS data.")
    reprint_of: str | None = Field(description="The job this one reprints.")
    created_at: str
    updated_at: str


class JobResponse(Wire):
    job: JobView


class JobList(Wire):
    jobs: list[JobView]


class TestPrintResponse(Wire):
    job: JobView
    preview: str = Field(description="The test receipt decoded back from its ESC/POS bytes.")


class ConditionRequest(Wire):
    paper_out: bool | None = Field(default=None, description="Out of paper.")
    cover_open: bool | None = Field(default=None, description="Cover open.")
    offline: bool | None = Field(default=None, description="Offline.")
    paper_near_end: bool | None = Field(default=None, description="Paper nearly out.")


class ConditionResponse(Wire):
    printer: str
    status: dict[str, Any]
