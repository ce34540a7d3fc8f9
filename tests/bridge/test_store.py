"""The store: WAL, durable settings, numbered migrations, instance id, integrity check at start."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bridge.store import Store, StoreError
from bridge.store.database import _migrations


async def open_store(path: Path) -> Store:
    store = Store(path)
    await store.open()
    return store


async def test_new_database_has_wal_migrations_and_instance_id(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "db.sqlite3")
    try:
        assert len(store.instance_id) == 36
        row = await store.fetchone("PRAGMA journal_mode")
        assert row is not None and row[0] == "wal"
        assert store.schema_version == len(_migrations())
    finally:
        await store.close()
    raw = sqlite3.connect(tmp_path / "db.sqlite3")
    assert raw.execute("PRAGMA user_version").fetchone()[0] == len(_migrations())


async def test_instance_id_is_kept_across_restarts_and_new_per_database(tmp_path: Path) -> None:
    first = await open_store(tmp_path / "a.sqlite3")
    instance = first.instance_id
    await first.close()
    again = await open_store(tmp_path / "a.sqlite3")
    other = await open_store(tmp_path / "b.sqlite3")
    try:
        assert again.instance_id == instance
        assert other.instance_id != instance
    finally:
        await again.close()
        await other.close()


async def test_transaction_rolls_back_on_error(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "db.sqlite3")
    try:
        with pytest.raises(RuntimeError):
            async with store.transaction() as tx:
                await tx.execute("INSERT INTO meta (key, value) VALUES ('x', '1')")
                raise RuntimeError("boom")
        assert await store.fetchone("SELECT value FROM meta WHERE key = 'x'") is None
        async with store.transaction() as tx:
            await tx.execute("INSERT INTO meta (key, value) VALUES ('x', '2')")
        row = await store.fetchone("SELECT value FROM meta WHERE key = 'x'")
        assert row is not None and row[0] == "2"
    finally:
        await store.close()


async def test_file_that_is_not_a_database_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    path.write_bytes(b"this is not sqlite at all" * 200)
    with pytest.raises(StoreError) as info:
        await open_store(path)
    message = str(info.value)
    assert str(path) in message and "damaged" in message and "tillbridge restore" in message
    assert path.read_bytes().startswith(b"this is not sqlite")  # nothing overwritten


async def test_corrupted_pages_are_detected_at_start(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    store = await open_store(path)
    async with store.transaction() as tx:
        await tx.executemany(
            "INSERT INTO audit_log (at, action, result, details) VALUES ('t', 'a', 'ok', ?)",
            [("x" * 500,) for _ in range(400)],
        )
    await store.close()
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(page * 3, min(len(data), page * 30), page):  # scribble over b-tree pages
        data[offset : offset + 64] = b"\xde\xad\xbe\xef" * 16
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="damaged"):
        await open_store(path)


async def test_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    await (await open_store(path)).close()
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA user_version = 999")
    raw.commit()
    raw.close()
    with pytest.raises(StoreError, match="newer than this tillbridge knows"):
        await open_store(path)


def test_migrations_are_numbered_from_one() -> None:
    numbers = [n for n, _, _ in _migrations()]
    assert numbers == list(range(1, len(numbers) + 1))


async def test_a_failed_commit_leaves_the_writer_usable(tmp_path: Path) -> None:
    """A COMMIT that fails (here: a deferred foreign key broken) must not wedge the single writer."""
    store = await open_store(tmp_path / "db.sqlite3")
    try:
        async with store.transaction() as tx:
            await tx.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
            await tx.execute(
                "CREATE TABLE child (pid INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)"
            )
        with pytest.raises(sqlite3.IntegrityError):
            async with store.transaction() as tx:
                await tx.execute("INSERT INTO child (pid) VALUES (42)")  # fails only at COMMIT
        async with store.transaction() as tx:  # the writer still works
            await tx.execute("INSERT INTO meta (key, value) VALUES ('after', 'ok')")
        row = await store.fetchone("SELECT value FROM meta WHERE key = 'after'")
        assert row is not None and row[0] == "ok"
        assert await store.fetchone("SELECT * FROM child") is None
    finally:
        await store.close()
