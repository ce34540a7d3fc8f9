"""Wire models of sync-protocol.md v1, shared by the till (bridge.sync) and the reference cloud.

Bodies a side *receives from the other* are validated strictly; models the till reads from any cloud
ignore unknown keys so a newer cloud can add fields without breaking older tills.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_BATCH_EVENTS = 500
MAX_BATCH_BYTES = 1024 * 1024
MAX_WAIT_S = 25
DEFAULT_LIMIT = 500
MAX_LIMIT = 1000

EventStatus = Literal["accepted", "duplicate", "quarantined"]
ChangeKind = str  # "product" | "stock" | "config", and later kinds


class Forbid(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)


class Event(Forbid):
    seq: int = Field(ge=1)
    id: str = Field(min_length=1, max_length=100)
    type: str = Field(min_length=1, max_length=64)
    occurred_at: str = Field(min_length=1, max_length=64)
    payload: dict[str, Any]


class EventBatch(Forbid):
    events: list[Event] = Field(min_length=1, max_length=MAX_BATCH_EVENTS)


class StreamState(Lenient):
    acked_through: int = Field(ge=0)


class EventResult(Lenient):
    seq: int
    status: EventStatus
    reason: str | None = None


class PushResult(Lenient):
    acked_through: int = Field(ge=0)
    results: list[EventResult] = Field(default_factory=list)


class ErrorBody(BaseModel):
    model_config = ConfigDict(extra="allow")

    error: str
    message: str | None = None
    expected_seq: int | None = None
    seq: int | None = None


class Change(Lenient):
    kind: str = Field(min_length=1)
    key: str = Field(min_length=1)
    op: Literal["upsert", "delete"]
    version: int = Field(ge=0)
    data: dict[str, Any] | None = None


class ChangesPage(Lenient):
    changes: list[Change]
    next_cursor: str
    has_more: bool


class SnapshotPage(Lenient):
    items: list[Change]
    next_page_token: str | None
    cursor: str


class ConfigEnvelope(Lenient):
    till_id: str = Field(min_length=1)
    version: int = Field(ge=1)
    issued_at: str
    expires_at: str
    config: dict[str, Any]
    signature: str = Field(min_length=1)

    def signed_part(self) -> dict[str, Any]:
        return self.model_dump(exclude={"signature"})


def canonical_json(value: Any) -> bytes:
    """Keys sorted, `,` and `:` separators, no whitespace, UTF-8 with non-ASCII kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def idempotency_key(instance_id: str, first_seq: int, last_seq: int) -> str:
    return f"{instance_id}:{first_seq}-{last_seq}"


def stream_path(till_id: str, instance_id: str) -> str:
    return f"/v1/tills/{till_id}/streams/{instance_id}"
