"""The upstream outbox: every event for the cloud gets its seq in the transaction that records it."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import aiosqlite

from bridge.timestamps import now_ms as _now
from bridge.wire import json_text


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
            json_text(payload),
        ),
    )
    assert cursor.lastrowid is not None
    return int(cursor.lastrowid)


def append_event_blocking(
    conn: sqlite3.Connection, event_type: str, event_id: str, occurred_at: str, payload: Any
) -> int:
    """One event, as :func:`append_event` writes it, on the writer's open transaction; its seq."""
    cursor = conn.execute(
        "INSERT INTO outbox (id, type, occurred_at, payload) VALUES (?, ?, ?, ?)",
        (event_id, event_type, occurred_at, json_text(payload)),
    )
    assert cursor.lastrowid is not None
    return int(cursor.lastrowid)


def append_events_blocking(
    conn: sqlite3.Connection, events: Sequence[tuple[str, str, str, dict[str, Any]]]
) -> int:
    """Add (type, id, occurred_at, payload) events in one statement; return the first one's seq.

    The caller's transaction must be open on the writer. The events get contiguous seqs in the
    order given (AUTOINCREMENT numbers one INSERT … SELECT's rows in turn), so event i has
    ``first + i``.
    """
    rows = [[event_id, event_type, at, payload] for event_type, event_id, at, payload in events]
    cursor = conn.execute(  # value -> 3 is the payload as compact JSON text, as append_event writes
        "INSERT INTO outbox (id, type, occurred_at, payload) "
        "SELECT value ->> 0, value ->> 1, value ->> 2, value -> 3 FROM json_each(?) ORDER BY key",
        (json_text(rows),),
    )
    if cursor.rowcount != len(rows) or cursor.lastrowid is None:
        raise RuntimeError(f"outbox insert wrote {cursor.rowcount} of {len(rows)} events")
    return int(cursor.lastrowid) - len(rows) + 1


def next_seq_blocking(conn: sqlite3.Connection) -> int:
    """The seq the next event will get, by AUTOINCREMENT's own rule (largest ever used + 1).

    Only meaningful inside the writer's open transaction, where nothing else can insert first.
    """
    row = conn.execute(
        "SELECT max(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0), "
        "COALESCE((SELECT max(seq) FROM outbox), 0)) + 1"
    ).fetchone()
    return int(row[0])
