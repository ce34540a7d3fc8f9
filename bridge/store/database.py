"""The store: one writer connection for every write, a separate reader, migrations at open."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite
import structlog

log = structlog.get_logger(__name__)

DATABASE_NAME = "tillbridge.sqlite3"

T = TypeVar("T")


class StoreError(Exception):
    """The database cannot be used; the message says what the technician should do."""


async def call_blocking(conn: aiosqlite.Connection, fn: Callable[[sqlite3.Connection], T]) -> T:
    """Run ``fn(raw connection)`` on ``conn``'s own thread, in order with its other calls.

    One thread hop for any number of statements, where each ``await conn.execute`` is a hop of its
    own. aiosqlite has no public call for this; ``_execute`` and ``_conn`` are the ones its own
    methods use (aiosqlite 0.22; tests/bridge/test_store_blocking.py fails if that changes).
    """
    return await conn._execute(lambda: fn(conn._conn))


def _in_transaction_blocking(fn: Callable[[sqlite3.Connection], T], conn: sqlite3.Connection) -> T:
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = fn(conn)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:  # SQLite may already have rolled back (disk full, I/O error)
            conn.execute("ROLLBACK")
        raise
    return result


def _migrations() -> list[tuple[int, str, str]]:
    found = []
    for entry in resources.files("bridge.store.migrations").iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), name, entry.read_text("utf-8")))
    found.sort()
    numbers = [number for number, _, _ in found]
    if numbers != list(range(1, len(numbers) + 1)):
        raise RuntimeError(f"migrations are not numbered 1..n: {numbers}")
    return found


class Store:
    """Owns the database file. Writes go through :meth:`transaction`, one at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        self.instance_id: str = ""
        self.schema_version = 0

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        existed = self.path.exists() and self.path.stat().st_size > 0
        try:
            self._writer = await aiosqlite.connect(self.path, isolation_level=None)
            writer = self._writer
            await writer.execute("PRAGMA busy_timeout = 5000")
            if existed:
                await self._check_integrity(writer)
            await writer.execute("PRAGMA journal_mode = WAL")
            await writer.execute("PRAGMA synchronous = FULL")
            await writer.execute("PRAGMA foreign_keys = ON")
            await self._migrate(writer)
            self.instance_id = await self._ensure_instance_id(writer)
            self._reader = await aiosqlite.connect(self.path, isolation_level=None)
            await self._reader.execute("PRAGMA query_only = ON")
            await self._reader.execute("PRAGMA busy_timeout = 5000")
        except sqlite3.DatabaseError as exc:
            await self.close()
            raise self._damaged(str(exc)) from exc
        except BaseException:
            await self.close()
            raise
        log.debug(
            "store.opened", path=str(self.path), schema=self.schema_version, created=not existed
        )

    async def close(self) -> None:
        """Wait for the write in progress, then close both connections."""
        async with self._write_lock:
            for conn in (self._reader, self._writer):
                if conn is not None:
                    try:
                        await conn.close()
                    except Exception:  # closing a broken connection must not mask the cause
                        log.debug("store.close_failed", exc_info=True)
            self._reader = self._writer = None

    def _damaged(self, detail: str) -> StoreError:
        return StoreError(
            f"database {self.path} is damaged ({detail}). Stop the daemon and restore the last backup "
            f"(`tillbridge restore`), or move the file away to start with an empty database "
            f"(sales in it that were not yet synced would then be lost)."
        )

    async def _check_integrity(self, conn: aiosqlite.Connection) -> None:
        async with conn.execute("PRAGMA quick_check") as cursor:
            rows = [row[0] for row in await cursor.fetchall()]
        if rows != ["ok"]:
            raise self._damaged("; ".join(rows[:5]))

    async def _migrate(self, conn: aiosqlite.Connection) -> None:
        async with conn.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        current = row[0] if row else 0
        migrations = _migrations()
        if current > len(migrations):
            raise StoreError(
                f"database {self.path} has schema {current}, newer than this tillbridge knows "
                f"({len(migrations)}): install the newer tillbridge again, or restore a backup."
            )
        for number, name, sql in migrations[current:]:
            log.info("store.migrating", migration=name)
            await conn.executescript(
                f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {number};\nCOMMIT;"
            )
        self.schema_version = len(migrations)

    async def _ensure_instance_id(self, conn: aiosqlite.Connection) -> str:
        await conn.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('instance_id', ?)",
            (str(uuid.uuid4()),),
        )
        async with conn.execute("SELECT value FROM meta WHERE key = 'instance_id'") as cursor:
            row = await cursor.fetchone()
        assert row is not None
        return str(row[0])

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction; committed (durably) on exit, rolled back on error."""
        async with self._write_lock:
            conn = self._require(self._writer)
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                await conn.execute("COMMIT")
            except BaseException:
                # Also when COMMIT itself fails (disk full, I/O error): a transaction left open
                # would wedge the single writer, and every later BEGIN IMMEDIATE would fail.
                if conn.in_transaction:
                    await conn.execute("ROLLBACK")
                raise

    async def write_blocking(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run blocking ``fn(conn)`` as one write transaction on the writer's own thread.

        The same single writer, write lock and durability as :meth:`transaction` (committed,
        fsync'd, before this returns; rolled back if ``fn`` raises), in one thread hop instead
        of one per statement. ``fn`` must not commit, roll back or keep the connection.
        """
        async with self._write_lock:
            conn = self._require(self._writer)
            return await call_blocking(conn, partial(_in_transaction_blocking, fn))

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        conn = self._require(self._reader)
        conn.row_factory = sqlite3.Row
        async with conn.execute(sql, tuple(params)) as cursor:
            return list(await cursor.fetchall())

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def ping(self) -> None:
        """A cheap read proving the store answers (used by the watchdog)."""
        await self.fetchone("SELECT 1")

    @staticmethod
    def _require(conn: aiosqlite.Connection | None) -> aiosqlite.Connection:
        if conn is None:
            raise StoreError("the store is closed")
        return conn
