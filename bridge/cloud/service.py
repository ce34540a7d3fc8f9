"""The cloud's rules, written once over the storage interface (backends.py).

Versions of changes are the feed's own sequence numbers: every upsert or delete of a (scope, kind,
key) replaces that key's row with a new, higher seq, so the feed holds the latest state of each key
and doubles as the snapshot.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from bridge.cloud.backends import Backend, Tx
from bridge.sync.protocol import Change, Event
from bridge.timestamps import now_ms as now_iso

ALL_TILLS = ""


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SeqGap(Exception):
    def __init__(self, expected: int) -> None:
        super().__init__(f"expected seq {expected}")
        self.expected = expected


class SeqConflict(Exception):
    def __init__(self, seq: int) -> None:
        super().__init__(f"seq {seq} is held with another id")
        self.seq = seq


class CursorExpired(Exception):
    pass


@dataclass
class Pushed:
    acked_through: int
    results: list[dict[str, Any]] = field(default_factory=list)


def _movements(payload: dict[str, Any]) -> list[tuple[str, str, Decimal]]:
    """The event's stock movements; ValueError when they fail the cloud's checks."""
    raw = payload.get("movements", [])
    if not isinstance(raw, list):
        raise ValueError("movements is not a list")
    out = []
    for item in raw:
        if not isinstance(item, dict):
            raise ValueError("a movement is not an object")
        sku, warehouse, quantity = item.get("sku"), item.get("warehouse"), item.get("quantity")
        if not isinstance(sku, str) or not isinstance(warehouse, str) or not sku or not warehouse:
            raise ValueError("a movement lacks sku or warehouse")
        try:
            qty = Decimal(str(quantity))
        except InvalidOperation:
            raise ValueError(f"movement quantity {quantity!r} is not a decimal") from None
        if not qty.is_finite():
            raise ValueError(f"movement quantity {quantity!r} is not finite")
        out.append((sku, warehouse, qty))
    return out


class CloudService:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self._changed = asyncio.Condition()
        self._auth_cache: dict[str, str] = {}

    # -- tills and auth ---------------------------------------------------------------
    async def add_till(self, till_id: str, token: str | None = None) -> str:
        token = token or secrets.token_urlsafe(24)
        async with self.backend.transaction() as tx:
            await tx.execute(
                "INSERT INTO tills (till_id, token_hash, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT (till_id) DO UPDATE SET token_hash = excluded.token_hash",
                till_id,
                token_hash(token),
                now_iso(),
            )
        self._auth_cache.pop(till_id, None)
        return token

    async def authenticate(self, till_id: str, token: str) -> bool:
        expected = self._auth_cache.get(till_id)
        if expected is None:
            async with self.backend.transaction() as tx:
                rows = await tx.fetch("SELECT token_hash FROM tills WHERE till_id = ?", till_id)
            if not rows:
                return False
            expected = self._auth_cache[till_id] = str(rows[0][0])
        return hmac.compare_digest(expected, token_hash(token))

    # -- upstream ---------------------------------------------------------------------
    async def stream_state(self, till_id: str, instance_id: str) -> int:
        async with self.backend.transaction() as tx:
            return await self._acked(tx, till_id, instance_id)

    @staticmethod
    async def _acked(tx: Tx, till_id: str, instance_id: str) -> int:
        rows = await tx.fetch(
            "SELECT acked_through FROM streams WHERE till_id = ? AND instance_id = ?",
            till_id,
            instance_id,
        )
        return int(rows[0][0]) if rows else 0

    async def push(self, till_id: str, instance_id: str, events: list[Event]) -> Pushed:
        """Store a contiguous batch; raises SeqGap or SeqConflict (nothing written then)."""
        changed = False
        async with self.backend.transaction() as tx:
            acked = await self._acked(tx, till_id, instance_id)
            if events[0].seq > acked + 1:
                raise SeqGap(acked + 1)
            old = [e for e in events if e.seq <= acked]
            new = [e for e in events if e.seq > acked]
            results: list[dict[str, Any]] = []
            if old:
                rows = await tx.fetch(
                    "SELECT seq, id FROM events WHERE till_id = ? AND instance_id = ? "
                    "AND seq >= ? AND seq <= ?",
                    till_id,
                    instance_id,
                    old[0].seq,
                    old[-1].seq,
                )
                held = {int(seq): str(doc_id) for seq, doc_id in rows}
                for event in old:
                    if held.get(event.seq) != event.id:
                        raise SeqConflict(event.seq)
                    results.append({"seq": event.seq, "status": "duplicate"})
            if new:
                results.extend(await self._store_new(tx, till_id, instance_id, new))
                changed = True
                acked = new[-1].seq
        if changed:
            await self.notify()
        return Pushed(acked, results)

    async def _store_new(
        self, tx: Tx, till_id: str, instance_id: str, events: list[Event]
    ) -> list[dict[str, Any]]:
        ids = list({e.id for e in events})
        known: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = await tx.fetch(
                f"SELECT id FROM documents WHERE id IN ({','.join('?' * len(chunk))})", *chunk
            )
            known.update(str(r[0]) for r in rows)
        received = now_iso()
        results, event_rows, doc_rows = [], [], []
        deltas: dict[tuple[str, str], Decimal] = {}
        for event in events:
            status, reason = "accepted", None
            if event.id in known:
                status = "duplicate"
            else:
                known.add(event.id)
                try:
                    moves = _movements(event.payload)
                except ValueError as exc:
                    status, reason = "quarantined", str(exc)
                else:
                    for sku, warehouse, qty in moves:
                        deltas[(sku, warehouse)] = deltas.get((sku, warehouse), Decimal(0)) + qty
                doc_rows.append((event.id, till_id, instance_id, event.seq))
            event_rows.append(
                (
                    till_id,
                    instance_id,
                    event.seq,
                    event.id,
                    event.type,
                    event.occurred_at,
                    _dumps(event.payload),
                    status,
                    reason,
                    received,
                )
            )
            result: dict[str, Any] = {"seq": event.seq, "status": status}
            if reason:
                result["reason"] = reason
            results.append(result)
        await tx.executemany(
            "INSERT INTO events (till_id, instance_id, seq, id, type, occurred_at, payload, "
            "status, reason, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            event_rows,
        )
        await tx.executemany(
            "INSERT INTO documents (id, till_id, instance_id, seq) VALUES (?, ?, ?, ?)", doc_rows
        )
        last = events[-1].seq
        await self._apply_stock(tx, deltas, {instance_id: last})
        await tx.execute(
            "INSERT INTO streams (till_id, instance_id, acked_through) VALUES (?, ?, ?) "
            "ON CONFLICT (till_id, instance_id) DO UPDATE SET acked_through = excluded.acked_through",
            till_id,
            instance_id,
            last,
        )
        return results

    async def _apply_stock(
        self,
        tx: Tx,
        deltas: dict[tuple[str, str], Decimal],
        includes: dict[str, int],
        absolute: dict[tuple[str, str], tuple[Decimal, Decimal]] | None = None,
    ) -> None:
        """Add deltas (or set absolute figures), record what they include, emit stock changes."""
        absolute = absolute or {}
        for sku, warehouse in sorted(set(deltas) | set(absolute)):
            rows = await tx.fetch(
                "SELECT physical, reserved, includes FROM stock WHERE sku = ? AND warehouse = ?",
                sku,
                warehouse,
            )
            physical, reserved, inc = (
                (Decimal(rows[0][0]), Decimal(rows[0][1]), json.loads(rows[0][2]))
                if rows
                else (Decimal(0), Decimal(0), {})
            )
            if (sku, warehouse) in absolute:
                physical, reserved = absolute[(sku, warehouse)]
            physical += deltas.get((sku, warehouse), Decimal(0))
            inc.update(includes)
            await tx.execute(
                "INSERT INTO stock (sku, warehouse, physical, reserved, includes) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (sku, warehouse) DO UPDATE SET "
                "physical = excluded.physical, reserved = excluded.reserved, "
                "includes = excluded.includes",
                sku,
                warehouse,
                str(physical),
                str(reserved),
                _dumps(inc),
            )
            data = {
                "sku": sku,
                "warehouse": warehouse,
                "physical": str(physical),
                "reserved": str(reserved),
                "includes": inc,
            }
            await self._emit(tx, ALL_TILLS, "stock", f"{sku}@{warehouse}", "upsert", data)

    @staticmethod
    async def _emit(
        tx: Tx, scope: str, kind: str, key: str, op: str, data: dict[str, Any] | None
    ) -> None:
        await tx.execute(
            "DELETE FROM changes WHERE scope = ? AND kind = ? AND key = ?", scope, kind, key
        )
        await tx.execute(
            "INSERT INTO changes (scope, kind, key, op, data) VALUES (?, ?, ?, ?, ?)",
            scope,
            kind,
            key,
            op,
            None if data is None else _dumps(data),
        )

    # -- downstream -------------------------------------------------------------------
    async def notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for_change(self, seconds: float) -> None:
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait(), seconds)
            except TimeoutError:
                pass

    @staticmethod
    def _parse_cursor(cursor: str | None) -> int:
        if not cursor:
            return 0
        if not cursor.startswith("c") or not cursor[1:].isdigit():
            raise CursorExpired
        return int(cursor[1:])

    async def changes(
        self, till_id: str, since: str | None, limit: int
    ) -> tuple[list[Change], str, bool]:
        after = self._parse_cursor(since)
        async with self.backend.transaction() as tx:
            floor = await self._meta_int(tx, "feed_floor")
            if after < floor:
                raise CursorExpired
            rows = await tx.fetch(
                "SELECT seq, kind, key, op, data FROM changes WHERE seq > ? AND scope IN (?, ?) "
                "ORDER BY seq LIMIT ?",
                after,
                ALL_TILLS,
                till_id,
                limit + 1,
            )
        more = len(rows) > limit
        rows = rows[:limit]
        changes = [self._change(row) for row in rows]
        last = int(rows[-1][0]) if rows else after
        return changes, f"c{last}", more

    @staticmethod
    def _change(row: Sequence[Any]) -> Change:
        seq, kind, key, op, data = row
        return Change(
            kind=kind,
            key=key,
            op=op,
            version=int(seq),
            data=None if data is None else json.loads(data),
        )

    async def snapshot(
        self, till_id: str, page_token: str | None, page_size: int = 500
    ) -> tuple[list[Change], str | None, str]:
        async with self.backend.transaction() as tx:
            if page_token:
                try:
                    top_s, after_s = page_token.removeprefix("s").split(".")
                    top, after = int(top_s), int(after_s)
                except ValueError:
                    raise CursorExpired from None
            else:
                rows = await tx.fetch("SELECT COALESCE(MAX(seq), 0) FROM changes")
                top, after = int(rows[0][0]), 0
            rows = await tx.fetch(
                "SELECT seq, kind, key, op, data FROM changes WHERE seq > ? AND seq <= ? "
                "AND op = 'upsert' AND scope IN (?, ?) ORDER BY seq LIMIT ?",
                after,
                top,
                ALL_TILLS,
                till_id,
                page_size + 1,
            )
        more = len(rows) > page_size
        rows = rows[:page_size]
        token = f"s{top}.{rows[-1][0]}" if more else None
        return [self._change(r) for r in rows], token, f"c{top}"

    @staticmethod
    async def _meta_int(tx: Tx, key: str) -> int:
        rows = await tx.fetch("SELECT value FROM meta WHERE key = ?", key)
        return int(rows[0][0]) if rows else 0

    @staticmethod
    async def _set_meta(tx: Tx, key: str, value: str) -> None:
        await tx.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            key,
            value,
        )
