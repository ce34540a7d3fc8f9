"""Recording documents: the document, its stock movements and its upstream event in one
transaction, durable before the caller hears back.

Group commit: requests that arrive while a commit is running are recorded together in the
next transaction and all answered after its single fsync. A document refused by a check is
refused before it writes anything, so it never spoils the others in its batch; a batch that fails
while writing is retried one document per transaction.

A batch runs as one blocking function on the store's writer thread (Store.write_blocking): its
reads, its checks against the store, its writes and the commit cost one thread hop together, not
one per statement each waiting for a busy event loop. Outbox seqs are worked out in the batch and
written in one statement that SQLite's own numbering must agree with.

The queue in front of the batching task is bounded: when the disk falls behind, ``record`` waits
for room (its caller's HTTP request simply takes longer) instead of memory growing without end.
No document is ever dropped for lack of room.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import aiosqlite
import structlog

from bridge.decimals import from_milli, to_milli
from bridge.documents import checks, effects
from bridge.documents.errors import DocumentRejected, conflict, invalid
from bridge.documents.models import Document, Movement, RecordedDocument, Sale
from bridge.stock.ledger import PHYSICAL_MANY_SQL, add_movements_blocking, physical_rows
from bridge.store import Store, StoreError
from bridge.store.database import call_blocking
from bridge.store.outbox import append_event_blocking, append_events_blocking, next_seq_blocking
from bridge.sync.protocol import MAX_BATCH_BYTES
from bridge.timestamps import now_ms as _now
from bridge.wire import encode_json, json_text, sorted_json

log = structlog.get_logger(__name__)

MAX_BATCH = 256
#: Documents waiting for a batch at most; four batches' worth keeps the writer fed.
MAX_QUEUED = 4 * MAX_BATCH


def request_hash(doc: Document) -> str:
    """What makes two requests the same document (print and drawer wishes aside)."""
    return _digest(effects.wire_body(doc))


def _digest(body: dict[str, Any]) -> str:
    return hashlib.sha256(sorted_json(body)).hexdigest()


@dataclass
class Outcome:
    recorded: RecordedDocument
    created: bool
    negative_stock: list[dict[str, str]]


@dataclass
class _Pending:
    doc: Document
    doc_id: str
    digest: str
    future: asyncio.Future[Outcome] | None
    #: The wire body the digest was made from, handed once to effects.prepare (which adds the
    #: computed fields to it); a retry builds a fresh one.
    body: dict[str, Any] | None = field(default=None, repr=False)

    @classmethod
    def of(cls, doc: Document, future: asyncio.Future[Outcome] | None) -> _Pending:
        body = effects.wire_body(doc)
        return cls(doc, body["id"], _digest(body), future, body)

    def take_body(self) -> dict[str, Any]:
        body, self.body = self.body, None
        return body if body is not None else effects.wire_body(self.doc)


class DocumentRecorder:
    """Owns the batching task; the app factory starts and stops it after the store."""

    def __init__(
        self, store: Store, max_batch: int = MAX_BATCH, max_queued: int = MAX_QUEUED
    ) -> None:
        self._store = store
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Pending | None] = asyncio.Queue(maxsize=max_queued)
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        #: Callers waiting for room in the queue; stop() lets them in before its sentinel, so
        #: none is left behind it with a future nobody settles.
        self._entering = 0
        self._all_entered = asyncio.Event()
        self._all_entered.set()

    async def start(self) -> None:
        self._closing = False
        self._task = asyncio.create_task(self._run(), name="document-recorder")

    async def stop(self) -> None:
        """Record everything already queued, then stop."""
        self._closing = True
        if self._task is not None:
            await self._all_entered.wait()
            await self._queue.put(None)
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def record(self, doc: Document) -> Outcome:
        """Validate, queue, and return once the document is committed (or raise why not)."""
        checks.check(doc)
        if self._closing or self._task is None:
            raise StoreError("the daemon is stopping; send the document again in a moment")
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._entering += 1
        self._all_entered.clear()
        try:
            await self._queue.put(_Pending.of(doc, future))  # waits while the queue is full
        finally:
            self._entering -= 1
            if self._entering == 0:
                self._all_entered.set()
        return await asyncio.shield(future)

    async def record_in(self, tx: aiosqlite.Connection, doc: Document) -> dict[str, Any]:
        """Record inside the caller's transaction (imports: many documents, all or none).

        Returns the document as recorded (computed fields added), not an Outcome: an import's
        thousands of movements would be built into models nobody reads.
        """
        checks.check(doc)
        pending = _Pending.of(doc, None)

        def record_blocking(conn: sqlite3.Connection) -> dict[str, Any]:
            ctx = _BatchContext.load(conn, [pending])
            repeat = _repeat(conn, pending, ctx)
            if repeat is not None:
                return repeat.recorded.document
            body = _write_one(conn, pending, ctx)[0]
            if ctx.events:  # one event: a plain INSERT, not a JSON array for json_each to parse
                ((kind, doc_id, occurred, payload),) = ctx.events
                seq = append_event_blocking(conn, kind, doc_id, occurred, payload)
                if seq != ctx.next_seq - 1:  # rolls the caller's whole transaction back
                    raise StoreError(
                        f"outbox numbered the event {seq}, expected {ctx.next_seq - 1}"
                    )
                ctx.events = []
            ctx.flush(conn)
            return body

        return await call_blocking(tx, record_blocking)

    async def get(self, document_id: str) -> RecordedDocument | None:
        row = await self._store.fetchone(
            "SELECT body, seq, recorded_at, id FROM documents WHERE id = ?", (document_id,)
        )
        if row is None:
            return None
        moves = await self._store.fetchall(
            "SELECT sku, warehouse, quantity_milli FROM stock_movements WHERE document_id = ? "
            "ORDER BY id",
            (document_id,),
        )
        return _recorded(json.loads(row[0]), row[1], row[2], [tuple(m) for m in moves])

    async def _run(self) -> None:
        stopping = False
        while not stopping:
            item = await self._queue.get()
            batch: list[_Pending] = []
            while item is not None:
                batch.append(item)
                if len(batch) >= self._max_batch or self._queue.empty():
                    break
                item = self._queue.get_nowait()
            stopping = item is None
            if batch:
                await self._commit_batch(batch)

    async def _commit_batch(self, batch: list[_Pending]) -> None:
        try:
            results = await self._store.write_blocking(lambda conn: _batch_blocking(conn, batch))
        except Exception as exc:
            if len(batch) == 1:
                log.exception("documents.record_failed", id=str(batch[0].doc.id))
                _settle(batch[0].future, exc)
                return
            log.warning("documents.batch_failed_retrying_singly", size=len(batch), error=str(exc))
            for pending in batch:
                await self._commit_batch([pending])
            return
        for pending, result in zip(batch, results, strict=True):
            _settle(pending.future, result)


def _batch_blocking(conn: sqlite3.Connection, batch: list[_Pending]) -> list[Outcome | Exception]:
    """One transaction's work, on the writer thread (the caller begins and commits)."""
    results: list[Outcome | Exception] = []
    ctx = _BatchContext.load(conn, batch)
    for pending in batch:
        try:
            results.append(_record_one(conn, pending, ctx))
        except DocumentRejected as exc:
            results.append(exc)
    ctx.flush(conn)
    ctx.flag_negative_stock(conn)
    return results


def _record_one(conn: sqlite3.Connection, pending: _Pending, ctx: _BatchContext) -> Outcome:
    doc, doc_id = pending.doc, pending.doc_id
    repeat = _repeat(conn, pending, ctx)
    if repeat is not None:
        return repeat
    body, seq, recorded_at, moves = _write_one(conn, pending, ctx)
    outcome = Outcome(_recorded(body, seq, recorded_at, moves), True, [])
    ctx.recorded[doc_id] = (pending.digest, outcome)
    if isinstance(doc, Sale):
        ctx.sales.append((outcome, doc.warehouse, [line.sku for line in doc.lines]))
    return outcome


def _repeat(conn: sqlite3.Connection, pending: _Pending, ctx: _BatchContext) -> Outcome | None:
    """The outcome of a document recorded before under this id, or None when it is new."""
    doc_id = pending.doc_id
    earlier = ctx.recorded.get(doc_id)
    if earlier is None and doc_id not in ctx.existing:
        return None
    digest, outcome = earlier or ctx.load_existing(conn, doc_id)
    if digest != pending.digest:
        raise conflict(
            "document.id_conflict",
            "id",
            f"{doc_id} is already recorded with a different body; use a new id",
        )
    return Outcome(outcome.recorded, False, [])


def _write_one(
    conn: sqlite3.Connection, pending: _Pending, ctx: _BatchContext
) -> tuple[dict[str, Any], int, str, list[tuple[str, str, int]]]:
    """Check a new document and queue its writes; (body, seq, recorded_at, movement rows)."""
    doc, doc_id = pending.doc, pending.doc_id
    if doc.type not in effects.CATALOG_ONLY:
        ctx.flush(conn)  # its checks read documents and movements written before it
    occurred = doc.occurred_at.isoformat() if doc.occurred_at else ctx.now
    fx = effects.prepare(conn, doc, ctx.shift, occurred, ctx.catalog, pending.take_body())
    # Nothing was written above; from here on a failure aborts the whole transaction.
    payload = dict(fx.body)
    payload["movements"] = [
        {"sku": s, "warehouse": w, "quantity": str(q)} for s, w, q in fx.movements if q != 0
    ]
    _check_event_size(payload)
    seq = ctx.add_event((doc.type, doc_id, occurred, payload))
    recorded_at = ctx.now
    ctx.documents.append(
        (
            doc_id,
            doc.type,
            seq,
            occurred,
            recorded_at,
            fx.body.get("shift_id"),
            fx.body.get("sale_id"),
            pending.digest,
            json_text(fx.body),
        )
    )
    moves = [(s, w, to_milli(q)) for s, w, q in fx.movements if q != 0]
    ctx.movements.extend((seq, doc_id, s, w, m) for s, w, m in moves)
    ctx.counts.extend((doc_id, s, w, str(c), str(e), occurred) for s, w, c, e in fx.counts)
    if fx.opens_shift is not None:
        conn.execute(
            "INSERT INTO shifts (id, currency, opening_float, opened_at) VALUES (?, ?, ?, ?)",
            (
                fx.opens_shift.id,
                fx.opens_shift.currency,
                str(fx.opens_shift.opening_float),
                occurred,
            ),
        )
        ctx.shift = fx.opens_shift
    if fx.closes_shift is not None:
        conn.execute(
            "UPDATE shifts SET closed_at = ?, closed_by = ? WHERE id = ?",
            (occurred, doc_id, fx.closes_shift),
        )
        ctx.shift = None
    return fx.body, seq, recorded_at, moves


#: A document's upstream event must fit in one push batch with room for its envelope: one that
#: does not could never be sent, and would stop the till's sync (sync-protocol.md, 1 MiB).
MAX_EVENT_BYTES = MAX_BATCH_BYTES - 4096


def _check_event_size(payload: dict[str, Any]) -> None:
    size = len(encode_json(payload))
    if size > MAX_EVENT_BYTES:
        raise invalid(
            "document.too_large",
            "lines",
            f"recorded with its stock movements this document is {size} bytes, more than the "
            f"{MAX_EVENT_BYTES} one sync event may carry; split it into several documents",
            size=size,
            max_bytes=MAX_EVENT_BYTES,
        )


class _BatchContext:
    """What one transaction's documents share: reads done once, writes sent out together."""

    def __init__(self, next_seq: int) -> None:
        #: One time for the whole transaction: its documents are recorded together.
        self.now = _now()
        self.shift: effects.OpenShift | None = None
        self.existing: set[str] = set()
        self.catalog: dict[str, tuple[str, str]] = {}
        self.recorded: dict[str, tuple[str, Outcome]] = {}
        self.next_seq = next_seq
        self.events: list[tuple[str, str, str, dict[str, Any]]] = []
        self.documents: list[tuple[Any, ...]] = []
        self.movements: list[tuple[Any, ...]] = []
        self.counts: list[tuple[Any, ...]] = []
        self.sales: list[tuple[Outcome, str, list[str]]] = []

    @classmethod
    def load(cls, conn: sqlite3.Connection, batch: list[_Pending]) -> _BatchContext:
        ctx = cls(next_seq_blocking(conn))
        ctx.shift = effects.load_open_shift(conn)
        ids = json.dumps([p.doc_id for p in batch])
        ctx.existing = {
            row[0]
            for row in conn.execute(
                "SELECT d.id FROM json_each(?) j JOIN documents d ON d.id = j.value", (ids,)
            )
        }
        skus = {line.sku for p in batch if isinstance(p.doc, Sale) for line in p.doc.lines}
        if skus:
            ctx.catalog = effects.products_in(conn, sorted(skus))
        return ctx

    def add_event(self, event: tuple[str, str, str, dict[str, Any]]) -> int:
        """Queue a document's outbox event and give it its seq (written out by :meth:`flush`)."""
        self.events.append(event)
        seq = self.next_seq
        self.next_seq += 1
        return seq

    def load_existing(self, conn: sqlite3.Connection, doc_id: str) -> tuple[str, Outcome]:
        row = conn.execute(
            "SELECT request_hash, body, seq, recorded_at FROM documents WHERE id = ?", (doc_id,)
        ).fetchone()
        assert row is not None
        moves = [
            tuple(m)
            for m in conn.execute(
                "SELECT sku, warehouse, quantity_milli FROM stock_movements "
                "WHERE document_id = ? ORDER BY id",
                (doc_id,),
            )
        ]
        return row[0], Outcome(_recorded(json.loads(row[1]), row[2], row[3], moves), False, [])

    def flush(self, conn: sqlite3.Connection) -> None:
        if self.events:
            expected = self.next_seq - len(self.events)
            first = append_events_blocking(conn, self.events)
            if first != expected:  # rolls the whole transaction back; nothing half-numbered
                raise StoreError(f"outbox numbered events from {first}, expected {expected}")
        if self.documents:
            conn.executemany(
                "INSERT INTO documents (id, type, seq, occurred_at, recorded_at, shift_id, "
                "sale_id, request_hash, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                self.documents,
            )
        if self.movements:
            add_movements_blocking(conn, self.movements)
        if self.counts:
            conn.executemany(
                "INSERT INTO stock_counts (document_id, sku, warehouse, counted, expected, "
                "counted_at) VALUES (?, ?, ?, ?, ?, ?)",
                self.counts,
            )
        self.events, self.documents, self.movements, self.counts = [], [], [], []

    def flag_negative_stock(self, conn: sqlite3.Connection) -> None:
        """Negative free stock is allowed; the sales that meet it say so (one query a warehouse)."""
        by_warehouse: dict[str, set[str]] = {}
        for _, warehouse, skus in self.sales:
            by_warehouse.setdefault(warehouse, set()).update(skus)
        free = {
            (wh, sku): value
            for wh, skus in by_warehouse.items()
            for sku, value in _free_blocking(conn, sorted(skus), wh).items()
        }
        for outcome, warehouse, skus in self.sales:
            outcome.negative_stock = [
                {"sku": sku, "warehouse": warehouse, "free": str(free[(warehouse, sku)])}
                for sku in dict.fromkeys(skus)
                if free[(warehouse, sku)] < 0
            ]


def _free_blocking(conn: sqlite3.Connection, skus: list[str], warehouse: str) -> dict[str, Decimal]:
    """Free stock (local physical − reserved) by the ledger's rule, for the sales just written."""
    wanted = json.dumps(skus)
    physical = physical_rows(conn.execute(PHYSICAL_MANY_SQL, (warehouse, wanted)))
    reserved = dict(
        conn.execute(
            "SELECT l.sku, l.reserved FROM json_each(?2) s "
            "JOIN stock_levels l ON l.sku = s.value AND l.warehouse = ?1",
            (warehouse, wanted),
        ).fetchall()
    )
    return {
        sku: value - (Decimal(reserved[sku]) if reserved.get(sku) is not None else Decimal(0))
        for sku, value in physical.items()
    }


def _recorded(
    body: dict[str, Any], seq: int, recorded_at: str, moves: list[tuple[Any, ...]]
) -> RecordedDocument:
    return RecordedDocument(
        document=body,
        seq=seq,
        recorded_at=datetime.fromisoformat(recorded_at.replace("Z", "+00:00")),
        movements=[Movement(sku=s, warehouse=w, quantity=from_milli(int(m))) for s, w, m in moves],
    )


def _settle(future: asyncio.Future[Outcome], result: Outcome | BaseException) -> None:
    if future.done():
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)
