"""The push loop: the outbox drains to the cloud in seq order, exactly once in effect.

An event is marked delivered only by the answer to a push that carried it, and only up to that
answer's `acked_through` (sync-protocol.md). The stream position the cloud reports at start-up or
with `seq_gap` never marks anything: it may count events another copy of this database sent (a
restored or cloned database keeps its instance_id). So a crash or a lost answer at worst sends a
batch again, which the cloud answers with `duplicate`, or with `seq_conflict` for a copy's own
events.
"""

from __future__ import annotations

import asyncio
import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import aiosqlite
import structlog

from bridge.config.models import CloudConfig
from bridge.store import Store
from bridge.sync.client import (
    CloudClient,
    CredentialsRejected,
    EventsMissing,
    PayloadTooLarge,
    RetryAfter,
    SeqConflict,
    SeqGap,
    StreamAhead,
    SyncError,
    Transient,
    sleep_or_wake,
)
from bridge.sync.protocol import MAX_BATCH_BYTES
from bridge.sync.state import STOPPING_ALERTS, Alert, SyncStatus, now_iso

log = structlog.get_logger(__name__)

IDLE_POLL_S = 0.25  # how often an idle loop looks for new outbox events
PRUNE_EVERY_S = 3600.0
_ENVELOPE_OVERHEAD = 64


class EventTooLarge(SyncError):
    """One event alone is over the batch limit and the cloud refused it."""


async def highest_seq(tx: aiosqlite.Connection) -> int:
    """The highest seq this database ever assigned (AUTOINCREMENT's memory outlives pruning)."""
    async with tx.execute(
        "SELECT max(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0), "
        "COALESCE((SELECT max(seq) FROM outbox), 0))"
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


def full_jitter(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """random(0, min(cap, base·2^attempt)) (sync-protocol.md)."""
    return rng.uniform(0, min(cap, base * 2 ** min(attempt, 30)))


class PushLoop:
    def __init__(
        self,
        store: Store,
        client: CloudClient,
        config: CloudConfig,
        status: SyncStatus,
        rng: random.Random | None = None,
    ) -> None:
        self._store = store
        self._client = client
        self._config = config
        self._status = status
        self._rng = rng or random.Random()
        self._last_prune = 0.0
        self._byte_budget = MAX_BATCH_BYTES  # lowered if a cloud refuses a batch as too large
        self.stopped: Alert | None = None  # why pushing this stream stopped (a person must act)
        self.drained = asyncio.Event()

    def halt(self, code: str, message: str) -> None:
        """Stop pushing this stream, keep every event, and say why."""
        self.stopped = Alert(code, message)
        self._status.update(push_state="stopped", last_push_error=message, next_retry_s=None)
        self._status.raise_alert(code, message)

    async def _pause(self, seconds: float, wake: asyncio.Event) -> bool:
        """Wait ``seconds``, or less if "sync now" (POST /api/v1/sync/run) wakes the loop."""
        woken = await sleep_or_wake(seconds, wake)
        wake.clear()
        return woken

    async def run(self, wake: asyncio.Event) -> None:
        attempt = 0
        gaps = 0
        handshake_done = False
        credentials_logged = False
        while True:
            if self.stopped is not None:
                self.halt(self.stopped.code, self.stopped.message)
                # Only a person's "sync now" tries again (after they fixed the cause); a cause
                # that remains stops the loop again at once.
                await wake.wait()
                wake.clear()
                log.info("sync.push_resumed_by_request", after=self.stopped.code)
                self.stopped = None
                handshake_done = False
                continue
            try:
                if not handshake_done:
                    await self.reconcile(await self._client.stream_state())
                    handshake_done = True
                sent = await self.push_batch()
                attempt = gaps = 0
                credentials_logged = False
                self._status.clear_alert(*STOPPING_ALERTS, "sync.credentials", "sync.push_failed")
                if sent == 0:
                    self.drained.set()
                    self._status.update(push_state="idle", next_retry_s=None)
                    await self._maybe_prune()
                    await self._pause(IDLE_POLL_S, wake)
                else:
                    self.drained.clear()
            except SeqGap as exc:
                log.warning("sync.seq_gap", expected=exc.expected)
                gaps += 1
                try:
                    await self.reconcile(exc.expected - 1)
                except (SeqConflict, EventsMissing) as stop:
                    self._stop_for(stop)
                    continue
                if gaps > 1:  # the cloud keeps disagreeing: back off as after any failure
                    await self._pause(self._backoff(gaps - 2), wake)
            except (SeqConflict, EventsMissing) as exc:
                self._stop_for(exc)
            except EventTooLarge as exc:
                log.error("sync.event_too_large", error=str(exc))
                self._status.update(
                    push_state="retrying",
                    last_push_error=str(exc),
                    next_retry_s=self._config.credentials_retry_s,
                )
                self._status.raise_alert("sync.event_too_large", str(exc))
                await self._pause(self._config.credentials_retry_s, wake)
            except CredentialsRejected as exc:
                if not credentials_logged:
                    log.error("sync.credentials_rejected", error=str(exc))
                    credentials_logged = True
                self._status.update(
                    push_state="retrying",
                    last_push_error=str(exc),
                    next_retry_s=self._config.credentials_retry_s,
                )
                self._status.raise_alert("sync.credentials", str(exc))
                await self._pause(self._config.credentials_retry_s, wake)
            except RetryAfter as exc:
                self._status.update(
                    push_state="retrying", last_push_error=str(exc), next_retry_s=exc.seconds
                )
                log.info("sync.push_retry_after", seconds=exc.seconds)
                # Automatic retries honour the cloud's wait; a person's "sync now" may cut it
                # short, once (one request, not a retry storm).
                if await self._pause(exc.seconds, wake):
                    log.info("sync.retry_after_cut_short", reason="sync now")
            except SyncError as exc:
                delay = self._backoff(attempt)
                attempt += 1
                if attempt == 1:
                    log.warning("sync.push_failed", error=str(exc), retry_in_s=round(delay, 2))
                self._status.update(
                    push_state="retrying", last_push_error=str(exc), next_retry_s=round(delay, 3)
                )
                await self._pause(delay, wake)

    def _backoff(self, attempt: int) -> float:
        return full_jitter(
            attempt, self._config.backoff_base_s, self._config.backoff_cap_s, self._rng
        )

    def _stop_for(self, exc: SyncError) -> None:
        code = "sync.events_missing" if isinstance(exc, EventsMissing) else "sync.seq_conflict"
        log.error(code, error=str(exc))
        self.halt(code, str(exc))

    async def reconcile(self, acked_through: int) -> None:
        """Check this database against the cloud's position of its stream (start-up, `seq_gap`).

        ``acked_through`` says what the cloud holds of this *instance*, which a restored or cloned
        copy of the database shares, so nothing is marked delivered here: unacknowledged events
        at or below it are sent again and the cloud answers `duplicate` (marked then) or
        `seq_conflict`. Marks above it are removed (the cloud lost those events; they go again).
        Raises StreamAhead when the cloud holds seqs this database never assigned (a copy whose
        next events would reuse them), EventsMissing when events the cloud lacks were pruned here.
        """
        async with self._store.transaction() as tx:
            highest = await highest_seq(tx)
            if acked_through > highest:
                raise StreamAhead(acked_through, highest)
            await tx.execute(
                "UPDATE outbox SET acked_at = NULL WHERE seq > ? AND acked_at IS NOT NULL",
                (acked_through,),
            )
            async with tx.execute(
                "SELECT MIN(seq) FROM outbox WHERE seq > ?", (acked_through,)
            ) as c:
                row = await c.fetchone()
        first_local = row[0] if row and row[0] is not None else highest + 1
        if highest > acked_through and first_local > acked_through + 1:
            raise EventsMissing(
                f"the cloud has events only up to seq {acked_through}, and seqs "
                f"{acked_through + 1}..{first_local - 1} were already pruned here: restore them "
                "from a till backup or accept the loss in the backoffice"
            )

    async def _read_batch(self) -> tuple[list[dict[str, Any]], bytes]:
        rows = await self._store.fetchall(
            "SELECT seq, id, type, occurred_at, payload FROM outbox WHERE acked_at IS NULL "
            "ORDER BY seq LIMIT ?",
            (self._config.batch_size,),
        )
        parts: list[str] = []
        events: list[dict[str, Any]] = []
        size = _ENVELOPE_OVERHEAD
        for row in rows:
            seq = int(row[0])
            if events and seq != events[-1]["seq"] + 1:
                break  # never send a hole; the next batch starts there
            part = (
                f'{{"seq":{seq},"id":{json.dumps(row[1])},"type":{json.dumps(row[2])},'
                f'"occurred_at":{json.dumps(row[3])},"payload":{row[4]}}}'
            )
            encoded = len(part.encode()) + 1
            if events and size + encoded > self._byte_budget:
                break
            # An event over the limit alone goes alone: the stream cannot skip it, and a cloud
            # may accept it; one that refuses it answers 413 (EventTooLarge, an alert).
            size += encoded
            parts.append(part)
            events.append({"seq": seq, "id": row[1], "type": row[2]})
        body = ('{"events":[' + ",".join(parts) + "]}").encode()
        return events, body

    async def push_batch(self) -> int:
        """Send one batch; the number of events the cloud newly acknowledged (0: nothing pending)."""
        events, body = await self._read_batch()
        if not events:
            return 0
        first, last = events[0]["seq"], events[-1]["seq"]
        self._status.update(push_state="pushing")
        try:
            result = await self._client.push(events, body)
        except PayloadTooLarge:
            if len(events) == 1:
                e = events[0]
                raise EventTooLarge(
                    f"event seq {first} ({e['type']} {e['id']}) is {len(body)} bytes, over the "
                    f"{MAX_BATCH_BYTES} a batch may carry, and the cloud refused it. Events after "
                    "it wait behind it (nothing is lost; changes from the cloud still arrive): "
                    "have the backoffice accept larger batches, or contact support."
                ) from None
            self._byte_budget = max(1, len(body) // 2)
            raise Transient(
                f"the cloud refused a batch of {len(body)} bytes; sending smaller ones"
            ) from None
        # Only what this batch carried: an acked_through above it may count events another copy
        # of this database sent, which say nothing about this database's own.
        acked = min(result.acked_through, last)
        quarantined = [
            (r.seq, r.reason or "no reason given")
            for r in result.results
            if r.status == "quarantined" and first <= r.seq <= acked
        ]
        by_seq = {e["seq"]: e for e in events}
        now = now_iso()
        async with self._store.transaction() as tx:
            await tx.execute(
                "UPDATE outbox SET acked_at = ? WHERE seq BETWEEN ? AND ? AND acked_at IS NULL",
                (now, first, acked),
            )
            await tx.executemany(
                "INSERT OR REPLACE INTO sync_quarantine (seq, id, type, reason, reported_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [(s, by_seq[s]["id"], by_seq[s]["type"], reason, now) for s, reason in quarantined],
            )
        for seq, reason in quarantined:
            log.warning(
                "sync.event_quarantined",
                seq=seq,
                id=by_seq[seq]["id"],
                reason=reason,
                action="the cloud kept it without effects: check it in the backoffice",
            )
        self._status.update(last_push_ok=now, last_push_error=None, next_retry_s=None)
        if acked < first:
            raise SyncError(f"cloud acknowledged nothing of seq {first}..{last}")
        return acked - first + 1

    async def _maybe_prune(self) -> None:
        loop_now = asyncio.get_running_loop().time()
        if self._last_prune and loop_now - self._last_prune < PRUNE_EVERY_S:
            return
        self._last_prune = loop_now
        await self.prune()

    async def prune(self) -> int:
        cutoff = (
            (datetime.now(UTC) - timedelta(days=self._config.retention_days))
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z")
        )
        async with self._store.transaction() as tx:
            cursor = await tx.execute(
                "DELETE FROM outbox WHERE acked_at IS NOT NULL AND acked_at < ?", (cutoff,)
            )
            removed = cursor.rowcount
        if removed:
            log.info("sync.pruned", events=removed, older_than_days=self._config.retention_days)
        return removed
