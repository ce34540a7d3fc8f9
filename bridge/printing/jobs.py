"""Print jobs in SQLite: what was asked, what will print, and where each job stands.

A job holds the bytes that will go to the printer, rendered and filtered when it was submitted,
not the request: what prints after a restart is exactly what was accepted (a later profile change
cannot alter a queued receipt), the drawer-kick decision made with the submitter's role stays
made, and a receipt that cannot be rendered is refused with 422 instead of failing later.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bridge.store import Store
from bridge.timestamps import now_ms as now

#: States a job can still leave by printing.
OPEN_STATES = ("queued", "waiting")
FINAL_STATES = ("done", "failed", "cancelled")
_COLUMNS = (
    "id, printer, idempotency_key, request_hash, kind, payload, state, reason, message, "
    "attempts, token_id, reprint_of, created_at, updated_at"
)


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    printer: str
    idempotency_key: str | None
    request_hash: bytes
    kind: str  # receipt | raw | test
    payload: bytes
    state: str
    reason: str | None
    message: str | None
    attempts: int
    token_id: str | None
    reprint_of: str | None
    created_at: str
    updated_at: str

    @classmethod
    def new(
        cls,
        printer: str,
        kind: str,
        payload: bytes,
        request_hash: bytes,
        *,
        idempotency_key: str | None,
        token_id: str | None,
        reprint_of: str | None = None,
        job_id: str | None = None,
    ) -> Job:
        stamp = now()
        return cls(
            job_id or str(uuid.uuid4()),
            printer,
            idempotency_key,
            request_hash,
            kind,
            payload,
            "queued",
            None,
            None,
            0,
            token_id,
            reprint_of,
            stamp,
            stamp,
        )

    @classmethod
    def from_row(cls, row: Any) -> Job:
        values = list(row)
        values[3], values[5] = bytes(values[3]), bytes(values[5])
        return cls(*values)

    def to_wire(self) -> dict[str, Any]:
        """The job as the API and ``job`` events show it (never its bytes)."""
        return {
            "id": self.id,
            "printer": self.printer,
            "state": self.state,
            "kind": self.kind,
            "reason": self.reason,
            "message": self.message,
            "attempts": self.attempts,
            "bytes": len(self.payload),
            "reprint_of": self.reprint_of,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


class JobRepository:
    """SQL for jobs; writes go through the store's single writer, reads through its reader."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def insert(self, tx: aiosqlite.Connection, job: Job) -> Job | None:
        """Insert ``job``; the job already stored under its idempotency key instead, if any.

        One statement, one trip to the writer thread: a fresh key (the usual case) costs no
        separate look-up inside the transaction.
        """
        rows = await tx.execute_fetchall(
            f"INSERT INTO print_jobs ({_COLUMNS}) VALUES ({', '.join('?' * 14)}) "
            "ON CONFLICT (printer, idempotency_key) WHERE idempotency_key IS NOT NULL "
            "DO NOTHING RETURNING id",
            (
                job.id,
                job.printer,
                job.idempotency_key,
                job.request_hash,
                job.kind,
                job.payload,
                job.state,
                job.reason,
                job.message,
                job.attempts,
                job.token_id,
                job.reprint_of,
                job.created_at,
                job.updated_at,
            ),
        )
        if rows:
            return None
        assert job.idempotency_key is not None  # only that index can conflict
        return await self.by_key(tx, job.printer, job.idempotency_key)

    async def by_key(self, tx: aiosqlite.Connection, printer: str, key: str) -> Job | None:
        rows = await tx.execute_fetchall(
            f"SELECT {_COLUMNS} FROM print_jobs WHERE printer = ? AND idempotency_key = ?",
            (printer, key),
        )
        return next((Job.from_row(row) for row in rows), None)

    async def find(self, printer: str, key: str) -> Job | None:
        """The job stored under an idempotency key, read outside any transaction."""
        row = await self._store.fetchone(
            f"SELECT {_COLUMNS} FROM print_jobs WHERE printer = ? AND idempotency_key = ?",
            (printer, key),
        )
        return Job.from_row(row) if row else None

    async def get(self, job_id: str) -> Job | None:
        row = await self._store.fetchone(
            f"SELECT {_COLUMNS} FROM print_jobs WHERE id = ?", (job_id,)
        )
        return Job.from_row(row) if row else None

    async def recent(self, printer: str, limit: int) -> list[Job]:
        rows = await self._store.fetchall(
            f"SELECT {_COLUMNS} FROM print_jobs WHERE printer = ? ORDER BY rowid DESC LIMIT ?",
            (printer, limit),
        )
        return [Job.from_row(row) for row in rows]

    async def unfinished(self, printer: str | None = None) -> list[Job]:
        """Queued and waiting jobs of every printer (or of one), oldest first."""
        rows = await self._store.fetchall(
            f"SELECT {_COLUMNS} FROM print_jobs WHERE state IN ('queued', 'waiting') "
            "AND (? IS NULL OR printer = ?) ORDER BY rowid",
            (printer, printer),
        )
        return [Job.from_row(row) for row in rows]

    async def fail_interrupted(self, message: str) -> list[Job]:
        """Jobs found ``printing`` at start-up: the daemon died mid-write, so they are uncertain."""
        async with self._store.transaction() as tx:
            async with tx.execute(
                f"UPDATE print_jobs SET state = 'failed', reason = 'uncertain', message = ?, "
                f"updated_at = ? WHERE state = 'printing' RETURNING {_COLUMNS}",
                (message, now()),
            ) as cursor:
                rows = await cursor.fetchall()
        return [Job.from_row(row) for row in rows]

    async def transition(
        self,
        job_id: str,
        state: str,
        *,
        only_from: tuple[str, ...],
        reason: str | None = None,
        message: str | None = None,
        attempt: bool = False,
    ) -> Job | None:
        """Move a job to ``state`` if it is in one of ``only_from``; the updated job, or None."""
        marks = ", ".join("?" * len(only_from))
        async with self._store.transaction() as tx:
            rows = await tx.execute_fetchall(
                f"UPDATE print_jobs SET state = ?, reason = ?, message = ?, updated_at = ?, "
                f"attempts = attempts + ? WHERE id = ? AND state IN ({marks}) "
                f"RETURNING {_COLUMNS}",
                (state, reason, message, now(), int(attempt), job_id, *only_from),
            )
        return next((Job.from_row(row) for row in rows), None)
