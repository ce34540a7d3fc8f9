"""Wire models of the printing routes; the receipt blocks are the driver layer's own models."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any, Literal

from bridge.wire import Meta, Wire
from drivers.printer.receipt import Receipt

JobState = Literal["queued", "printing", "waiting", "done", "failed", "cancelled"]


class PrintRequest(Wire):
    """A receipt to render, or raw ESC/POS bytes: exactly one of the two."""

    receipt: Annotated[Receipt | None, Meta(description="Receipt blocks (local-api.md).")] = None
    raw: Annotated[
        str | None,
        Meta(
            description="Base64 ESC/POS bytes, printed as they are except for drawer kicks.",
            extra_json_schema={"contentEncoding": "base64"},
        ),
    ] = None
    open_drawer: Annotated[
        bool,
        Meta(
            description="Raw jobs only: keep the drawer kicks in the data. Honoured only for "
            "roles allowed to open drawers ([drawers] roles), otherwise kicks are removed; "
            "checked, rate-limited and audited like POST /api/v1/drawers/{id}/open (429 past "
            "the limit)."
        ),
    ] = False
    drawer_reason: (
        Annotated[
            str,
            Meta(
                min_length=1,
                max_length=32,
                description="With open_drawer: why the drawer opens (a [drawers] reason, e.g. "
                "sale).",
            ),
        ]
        | None
    ) = None
    document_id: (
        Annotated[
            str,
            Meta(
                max_length=64,
                description="With open_drawer: the document the drawer opens for, where the "
                "reason needs one.",
            ),
        ]
        | None
    ) = None

    def __post_init__(self) -> None:
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

    def raw_bytes(self) -> bytes:
        assert self.raw is not None
        return base64.b64decode(self.raw)


class JobView(Wire):
    id: str
    printer: str
    state: JobState
    kind: Literal["receipt", "raw", "test"]
    reason: Annotated[
        str | None,
        Meta(
            description="Why it waits (paper_out, cover_open, offline, fault) or failed "
            "(uncertain: it may have printed in part; reprint it after checking the paper)."
        ),
    ]
    message: Annotated[str | None, Meta(description="Human text for the cashier or technician.")]
    attempts: Annotated[int, Meta(description="Times it was sent to the printer.")]
    bytes: Annotated[int, Meta(description="Size of the ESC/POS data.")]
    reprint_of: Annotated[str | None, Meta(description="The job this one reprints.")]
    created_at: str
    updated_at: str


class JobResponse(Wire):
    job: JobView


class JobList(Wire):
    jobs: list[JobView]


class TestPrintResponse(Wire):
    job: JobView
    preview: Annotated[
        str, Meta(description="The test receipt decoded back from its ESC/POS bytes.")
    ]


class ConditionRequest(Wire):
    paper_out: Annotated[bool | None, Meta(description="Out of paper.")] = None
    cover_open: Annotated[bool | None, Meta(description="Cover open.")] = None
    offline: Annotated[bool | None, Meta(description="Offline.")] = None
    paper_near_end: Annotated[bool | None, Meta(description="Paper nearly out.")] = None


class ConditionResponse(Wire):
    printer: str
    status: dict[str, Any]
