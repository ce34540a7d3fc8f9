"""Wire models of sync-protocol.md v1, shared by the till (bridge.sync) and the reference cloud.

Bodies a side *receives from the other* are validated strictly (no coercion: a seq sent as "5" is an
error); models the till reads from any cloud ignore unknown keys so a newer cloud can add fields
without breaking older tills. Everything goes through bridge.wire's decode_json/convert.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

import msgspec

from bridge.wire import Lenient, Meta, Wire, WireError, decode_json, field

MAX_BATCH_EVENTS = 500
MAX_BATCH_BYTES = 1024 * 1024
MAX_WAIT_S = 25
DEFAULT_LIMIT = 500
MAX_LIMIT = 1000

EventStatus = Literal["accepted", "duplicate", "quarantined"]
ChangeKind = str  # "product" | "stock" | "config", and later kinds


NonEmpty = Annotated[str, Meta(min_length=1)]


class Event(Wire):
    """What the till sends: the cloud refuses keys it does not know."""

    seq: Annotated[int, Meta(ge=1)]
    id: Annotated[str, Meta(min_length=1, max_length=100)]
    type: Annotated[str, Meta(min_length=1, max_length=64)]
    occurred_at: Annotated[str, Meta(min_length=1, max_length=64)]
    payload: dict[str, Any]


class EventBatch(Wire):
    events: Annotated[list[Event], Meta(min_length=1, max_length=MAX_BATCH_EVENTS)]


class StreamState(Lenient):
    acked_through: Annotated[int, Meta(ge=0)]


class EventResult(Lenient):
    seq: int
    status: EventStatus
    reason: str | None = None


class PushResult(Lenient):
    acked_through: Annotated[int, Meta(ge=0)]
    results: list[EventResult] = field(default_factory=list)


class ErrorBody(Lenient):
    """The cloud's error answer; keys beyond these are ignored (nothing here reads them)."""

    error: str
    message: str | None = None
    expected_seq: int | None = None
    seq: int | None = None


class Change(Lenient):
    kind: NonEmpty
    key: NonEmpty
    op: Literal["upsert", "delete"]
    version: Annotated[int, Meta(ge=0)]
    data: dict[str, Any] | None = None


class MalformedChange(Lenient):
    """An item of a page that is not a change this till can read: named as well as it can be."""

    index: int
    problem: str
    kind: str = "?"
    key: str = "?"
    version: int = 0


def read_changes(raws: list[msgspec.Raw]) -> tuple[list[Change], list[MalformedChange]]:
    """Each item of a page on its own: one malformed change is skipped and reported, it does not
    fail the page, whose cursor would then never move (a feed stuck for good)."""
    changes: list[Change] = []
    malformed: list[MalformedChange] = []
    for index, raw in enumerate(raws):
        try:
            changes.append(decode_json(raw, Change))
        except WireError as exc:
            try:
                named = decode_json(raw, _NamedItem)
            except WireError:
                named = _NamedItem()
            malformed.append(
                MalformedChange(
                    index=index,
                    problem=str(exc),
                    kind=str(named.kind)[:64],
                    key=str(named.key)[:200],
                    version=named.version if isinstance(named.version, int) else 0,
                )
            )
    return changes, malformed


class _NamedItem(Lenient):
    kind: Any = "?"
    key: Any = "?"
    version: Any = 0


class ChangesPage(Lenient):
    #: Read one by one with :func:`read_changes`.
    changes: list[msgspec.Raw]
    next_cursor: str
    has_more: bool


class SnapshotPage(Lenient):
    #: Read one by one with :func:`read_changes`.
    items: list[msgspec.Raw]
    next_page_token: str | None
    cursor: str


class ConfigEnvelope(Lenient):
    till_id: NonEmpty
    version: Annotated[int, Meta(ge=1)]
    issued_at: str
    expires_at: str
    config: dict[str, Any]
    signature: NonEmpty


def canonical_json(value: Any) -> bytes:
    """Keys sorted, `,` and `:` separators, no whitespace, UTF-8 with non-ASCII kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def idempotency_key(instance_id: str, first_seq: int, last_seq: int) -> str:
    return f"{instance_id}:{first_seq}-{last_seq}"


def stream_path(till_id: str, instance_id: str) -> str:
    return f"/v1/tills/{till_id}/streams/{instance_id}"
