"""One small storage interface, two implementations: SQLite (aiosqlite) and PostgreSQL (asyncpg).

The cloud's logic is written once in SQL both understand, with `?` placeholders; the PostgreSQL
backend numbers them. Every write transaction is serialised, so the change feed's sequence numbers
become visible in order (a long poll never skips a row committed late).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Protocol

import aiosqlite

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tills (
    till_id     TEXT PRIMARY KEY,
    token_hash  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS streams (
    till_id        TEXT NOT NULL,
    instance_id    TEXT NOT NULL,
    acked_through  BIGINT NOT NULL,
    PRIMARY KEY (till_id, instance_id)
);
CREATE TABLE IF NOT EXISTS events (
    till_id      TEXT NOT NULL,
    instance_id  TEXT NOT NULL,
    seq          BIGINT NOT NULL,
    id           TEXT NOT NULL,
    type         TEXT NOT NULL,
    occurred_at  TEXT NOT NULL,
    payload      TEXT NOT NULL,
    status       TEXT NOT NULL,
    reason       TEXT,
    received_at  TEXT NOT NULL,
    PRIMARY KEY (till_id, instance_id, seq)
);
CREATE TABLE IF NOT EXISTS documents (
    id           TEXT PRIMARY KEY,
    till_id      TEXT NOT NULL,
    instance_id  TEXT NOT NULL,
    seq          BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS stock (
    sku        TEXT NOT NULL,
    warehouse  TEXT NOT NULL,
    physical   TEXT NOT NULL,
    reserved   TEXT NOT NULL,
    includes   TEXT NOT NULL,
    PRIMARY KEY (sku, warehouse)
);
CREATE TABLE IF NOT EXISTS changes (
    seq    {serial},
    scope  TEXT NOT NULL,
    kind   TEXT NOT NULL,
    key    TEXT NOT NULL,
    op     TEXT NOT NULL,
    data   TEXT,
    UNIQUE (scope, kind, key)
);
CREATE TABLE IF NOT EXISTS meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
"""


class Tx(Protocol):
    async def fetch(self, sql: str, *args: Any) -> list[Sequence[Any]]: ...
    async def execute(self, sql: str, *args: Any) -> None: ...
    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...


class Backend(Protocol):
    name: str

    async def open(self) -> None: ...
    async def close(self) -> None: ...
    def transaction(self) -> Any: ...  # async context manager yielding a Tx


class _SqliteTx:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def fetch(self, sql: str, *args: Any) -> list[Sequence[Any]]:
        async with self._conn.execute(sql, args) as cursor:
            return list(await cursor.fetchall())

    async def execute(self, sql: str, *args: Any) -> None:
        await self._conn.execute(sql, args)

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        await self._conn.executemany(sql, rows)


class SqliteBackend:
    """A file on disk, WAL, fsync on commit: durable before any answer is sent."""

    name = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = await aiosqlite.connect(self.path, isolation_level=None)
        await self._conn.execute("PRAGMA journal_mode = WAL")
        await self._conn.execute("PRAGMA synchronous = FULL")
        await self._conn.execute("PRAGMA busy_timeout = 10000")
        await self._conn.executescript(_SCHEMA.format(serial="INTEGER PRIMARY KEY AUTOINCREMENT"))

    async def close(self) -> None:
        async with self._lock:
            if self._conn is not None:
                await self._conn.close()
                self._conn = None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[_SqliteTx]:
        async with self._lock:
            assert self._conn is not None, "backend not open"
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield _SqliteTx(self._conn)
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")


_PLACEHOLDER = re.compile(r"\?")


def _numbered(sql: str) -> str:
    counter = iter(range(1, 10**6))
    return _PLACEHOLDER.sub(lambda _m: f"${next(counter)}", sql)


class _PgTx:
    def __init__(self, conn: Any) -> None:
        self._conn = conn

    async def fetch(self, sql: str, *args: Any) -> list[Sequence[Any]]:
        return [tuple(row) for row in await self._conn.fetch(_numbered(sql), *args)]

    async def execute(self, sql: str, *args: Any) -> None:
        await self._conn.execute(_numbered(sql), *args)

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            await self._conn.executemany(_numbered(sql), rows)


class PostgresBackend:
    """asyncpg pool; writers serialise on one transaction-scoped advisory lock."""

    name = "postgresql"
    LOCK_ID = 7_000_007

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._pool: Any = None

    async def open(self) -> None:
        import asyncpg  # only the PostgreSQL backend needs it

        self._pool = await asyncpg.create_pool(self.dsn, min_size=1, max_size=8)
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", self.LOCK_ID)
            await conn.execute(_SCHEMA.format(serial="BIGSERIAL PRIMARY KEY"))

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[_PgTx]:
        assert self._pool is not None, "backend not open"
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", self.LOCK_ID)
            yield _PgTx(conn)


def backend_for(url: str) -> Backend:
    """`sqlite:///path/to/file` or a `postgresql://` DSN."""
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresBackend(url)
    if url.startswith("sqlite://"):
        return SqliteBackend(Path(url.removeprefix("sqlite://")))
    raise ValueError(f"database URL {url!r}: expected sqlite:///PATH or postgresql://...")
