"""The upstream outbox: every event for the cloud gets its seq in the transaction that records it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import aiosqlite


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def append_event(
    tx: aiosqlite.Connection,
    event_type: str,
    event_id: str,
    payload: dict[str, Any],
    occurred_at: str | None = None,
) -> int:
    """Add one event inside the caller's transaction and return its seq (sync-protocol.md)."""
    cursor = await tx.execute(
        "INSERT INTO outbox (id, type, occurred_at, payload) VALUES (?, ?, ?, ?)",
        (
            event_id,
            event_type,
            occurred_at or _now(),
            json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
        ),
    )
    assert cursor.lastrowid is not None
    return int(cursor.lastrowid)
