"""The push loop: the outbox drains to the cloud in seq order, exactly once in effect.

An event is marked delivered only when the cloud's `acked_through` covers it, so a crash or a
lost answer at any moment at worst sends a batch again, which the cloud answers with `duplicate`.
"""

from __future__ import annotations

import asyncio
import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from bridge.config.models import CloudConfig
from bridge.store import Store
from bridge.sync.client import (
    CloudClient,
    CredentialsRejected,
    RetryAfter,
    SeqConflict,
    SeqGap,
    SyncError,
    sleep_or_wake,
)
from bridge.sync.protocol import MAX_BATCH_BYTES
from bridge.sync.state import Alert, SyncStatus, now_iso

log = structlog.get_logger(__name__)

IDLE_POLL_S = 0.25  # how often an idle loop looks for new outbox events
PRUNE_EVERY_S = 3600.0
_ENVELOPE_OVERHEAD = 64


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
        self.stopped = False  # seq_conflict: no more pushing on this stream
        self.drained = asyncio.Event()

    async def run(self, wake: asyncio.Event) -> None:
        attempt = 0
        handshake_done = False
        credentials_logged = False
        while True:
            if self.stopped:
                self._status.update(push_state="stopped")
                await asyncio.Event().wait()  # until the daemon stops; nothing is dropped
            try:
                if not handshake_done:
                    await self.reconcile(await self._client.stream_state())
                    handshake_done = True
                sent = await self.push_batch()
                attempt = 0
                credentials_logged = False
                if self._status.alert and self._status.alert.code == "sync.credentials":
                    self._status.update(alert=None)
                if sent == 0:
                    self.drained.set()
                    self._status.update(push_state="idle", next_retry_s=None)
                    await self._maybe_prune()
                    await sleep_or_wake(IDLE_POLL_S, wake)
                    wake.clear()
                else:
                    self.drained.clear()
            except SeqGap as exc:
                log.warning("sync.seq_gap", expected=exc.expected)
                await self.reconcile(exc.expected - 1)
            except SeqConflict as exc:
                self.stopped = True
                log.error("sync.seq_conflict", seq=exc.seq, error=str(exc))
                self._status.update(
                    last_push_error=str(exc), alert=Alert("sync.seq_conflict", str(exc))
                )
            except CredentialsRejected as exc:
                if not credentials_logged:
                    log.error("sync.credentials_rejected", error=str(exc))
                    credentials_logged = True
                self._status.update(
                    push_state="retrying",
                    last_push_error=str(exc),
                    alert=Alert("sync.credentials", str(exc)),
                    next_retry_s=self._config.credentials_retry_s,
                )
                await sleep_or_wake(self._config.credentials_retry_s, wake)
                wake.clear()
            except RetryAfter as exc:
                self._status.update(
                    push_state="retrying", last_push_error=str(exc), next_retry_s=exc.seconds
                )
                log.info("sync.push_retry_after", seconds=exc.seconds)
                await asyncio.sleep(exc.seconds)
            except SyncError as exc:
                delay = full_jitter(
                    attempt, self._config.backoff_base_s, self._config.backoff_cap_s, self._rng
                )
                attempt += 1
                if attempt == 1:
                    log.warning("sync.push_failed", error=str(exc), retry_in_s=round(delay, 2))
                self._status.update(
                    push_state="retrying", last_push_error=str(exc), next_retry_s=round(delay, 3)
                )
                await asyncio.sleep(delay)

    async def reconcile(self, acked_through: int) -> None:
        """Make the local marks say exactly: delivered up to ``acked_through``, nothing after."""
        now = now_iso()
        async with self._store.transaction() as tx:
            await tx.execute(
                "UPDATE outbox SET acked_at = ? WHERE seq <= ? AND acked_at IS NULL",
                (now, acked_through),
            )
            await tx.execute(
                "UPDATE outbox SET acked_at = NULL WHERE seq > ? AND acked_at IS NOT NULL",
                (acked_through,),
            )
            async with tx.execute(
                "SELECT MIN(seq) FROM outbox WHERE seq > ?", (acked_through,)
            ) as c:
                row = await c.fetchone()
        first_local = row[0] if row else None
        if first_local is not None and first_local > acked_through + 1:
            message = (
                f"the cloud has events only up to seq {acked_through}, and seqs "
                f"{acked_through + 1}..{first_local - 1} were already pruned here: restore them "
                "from a till backup or accept the loss in the backoffice"
            )
            log.error("sync.events_missing", error=message)
            self._status.update(alert=Alert("sync.events_missing", message))
            self.stopped = True

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
            if size + encoded > MAX_BATCH_BYTES:
                if not events:
                    raise RuntimeError(f"event seq {seq} alone is larger than a batch may be")
                break
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
        self._status.update(push_state="pushing")
        result = await self._client.push(events, body)
        acked = result.acked_through
        first = events[0]["seq"]
        quarantined = [
            (r.seq, r.reason or "no reason given")
            for r in result.results
            if r.status == "quarantined" and first <= r.seq <= acked
        ]
        by_seq = {e["seq"]: e for e in events}
        now = now_iso()
        async with self._store.transaction() as tx:
            await tx.execute(
                "UPDATE outbox SET acked_at = ? WHERE seq <= ? AND acked_at IS NULL", (now, acked)
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
            raise SyncError(f"cloud acknowledged nothing of seq {first}..{events[-1]['seq']}")
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
