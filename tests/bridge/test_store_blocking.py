"""Store.write_blocking and the batch outbox: one thread hop a transaction, same guarantees as
Store.transaction (single writer, in order, durable on return, all or nothing)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from bridge.store import Store
from bridge.store.database import call_blocking
from bridge.store.outbox import append_event, append_events_blocking, next_seq_blocking


@pytest.fixture
async def store(tmp_path: Path):
    opened = Store(tmp_path / "db.sqlite3")
    await opened.open()
    yield opened
    await opened.close()


def meta(path: Path, key: str) -> str | None:
    with sqlite3.connect(path) as conn:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


async def test_write_blocking_is_committed_when_it_returns(store: Store) -> None:
    def write(conn: sqlite3.Connection) -> int:
        conn.execute("INSERT INTO meta (key, value) VALUES ('k', 'v')")
        return 7

    assert await store.write_blocking(write) == 7
    assert meta(store.path, "k") == "v"  # another connection sees it: committed


async def test_write_blocking_rolls_back_everything_when_fn_raises(store: Store) -> None:
    def half(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO meta (key, value) VALUES ('a', '1')")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await store.write_blocking(half)
    assert meta(store.path, "a") is None
    await store.write_blocking(
        lambda c: c.execute("INSERT INTO meta (key, value) VALUES ('b', '2')")
    )
    assert meta(store.path, "b") == "2"


async def test_writes_run_in_the_order_they_were_asked_for(store: Store) -> None:
    """A transaction() asked for while a write_blocking runs waits for it; nothing interleaves."""
    gate = threading.Event()
    order: list[str] = []

    def first(conn: sqlite3.Connection) -> None:
        assert gate.wait(10)
        order.append("first")
        conn.execute("INSERT INTO meta (key, value) VALUES ('order', 'first')")

    async def second() -> None:
        async with store.transaction() as tx:
            order.append("second")
            await tx.execute("UPDATE meta SET value = 'second' WHERE key = 'order'")

    def third(conn: sqlite3.Connection) -> None:
        order.append("third")
        conn.execute("UPDATE meta SET value = value || '+third' WHERE key = 'order'")

    one = asyncio.create_task(store.write_blocking(first))
    await asyncio.sleep(0)
    two = asyncio.create_task(second())
    three = asyncio.create_task(store.write_blocking(third))
    for _ in range(5):
        await asyncio.sleep(0)
    gate.set()
    await asyncio.gather(one, two, three)
    assert order == ["first", "second", "third"]
    assert meta(store.path, "order") == "second+third"


async def test_call_blocking_runs_on_the_connections_own_thread(store: Store) -> None:
    seen: list[int] = []
    async with store.transaction() as tx:
        await call_blocking(tx, lambda conn: seen.append(threading.get_ident()))
        await tx.create_function("where_am_i", 0, lambda: seen.append(threading.get_ident()))
        await tx.execute("SELECT where_am_i()")
        # inside the caller's open transaction, so it sees (and is part of) its writes
        await tx.execute("INSERT INTO meta (key, value) VALUES ('t', '1')")
        value = await call_blocking(
            tx, lambda conn: conn.execute("SELECT value FROM meta WHERE key = 't'").fetchone()[0]
        )
    assert value == "1"
    assert len(seen) == 2 and seen[0] == seen[1] != threading.get_ident()


async def test_batch_events_get_contiguous_seqs_after_the_last_ever_used(store: Store) -> None:
    async with store.transaction() as tx:
        for n in range(3):
            await append_event(tx, "t", f"e{n}", {"n": n})
        await tx.execute("DELETE FROM outbox WHERE seq >= 2")  # pruned: numbers are not reused

    def batch(conn: sqlite3.Connection) -> tuple[int, int]:
        expected = next_seq_blocking(conn)
        events = [
            ("sale", f"b{n}", "2024-05-01T10:00:00Z", {"n": n, "name": "žluť"}) for n in range(4)
        ]
        return expected, append_events_blocking(conn, events)

    expected, first = await store.write_blocking(batch)
    assert expected == first == 4
    rows = await store.fetchall("SELECT seq, id, payload FROM outbox ORDER BY seq")
    assert [(r[0], r[1]) for r in rows] == [(1, "e0"), (4, "b0"), (5, "b1"), (6, "b2"), (7, "b3")]
    assert rows[1][2] == '{"n":0,"name":"žluť"}'  # the same compact text append_event writes
