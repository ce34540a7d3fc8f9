"""Backoffice actions of the reference cloud: catalog, stock figures, signed configs, test levers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from bridge.cloud.service import ALL_TILLS, CloudService, now_iso
from bridge.cloud.signing import Signer


class CloudAdmin:
    def __init__(self, service: CloudService, signer: Signer) -> None:
        self.service = service
        self.signer = signer

    async def load_catalog(self, products: list[dict[str, Any]]) -> int:
        """Upsert products (sync-protocol.md product shape), one change each."""
        async with self.service.backend.transaction() as tx:
            for product in products:
                sku = product["sku"]
                await self.service._emit(tx, ALL_TILLS, "product", sku, "upsert", product)
        await self.service.notify()
        return len(products)

    async def delete_product(self, sku: str) -> None:
        async with self.service.backend.transaction() as tx:
            await self.service._emit(tx, ALL_TILLS, "product", sku, "delete", None)
        await self.service.notify()

    async def set_stock(self, figures: list[dict[str, Any]]) -> int:
        """Set absolute figures `{sku, warehouse, physical, reserved}` (a count in the backoffice)."""
        absolute = {
            (f["sku"], f.get("warehouse", "main")): (
                Decimal(str(f["physical"])),
                Decimal(str(f.get("reserved", "0"))),
            )
            for f in figures
        }
        async with self.service.backend.transaction() as tx:
            await self.service._apply_stock(tx, {}, {}, absolute)
        await self.service.notify()
        return len(absolute)

    async def stock(self) -> dict[str, dict[str, Any]]:
        async with self.service.backend.transaction() as tx:
            rows = await tx.fetch("SELECT sku, warehouse, physical, reserved, includes FROM stock")
        return {
            f"{sku}@{wh}": {"physical": p, "reserved": r, "includes": json.loads(inc)}
            for sku, wh, p, r, inc in rows
        }

    async def publish_config(
        self,
        till_id: str,
        config: dict[str, Any],
        *,
        version: int | None = None,
        expires_in_s: float = 30 * 86400,
        envelope_till_id: str | None = None,
        bad_signature: bool = False,
    ) -> dict[str, Any]:
        """Sign and publish a config for one till; the last three levers exist for tests."""
        async with self.service.backend.transaction() as tx:
            current = await self.service._meta_int(tx, f"config_version:{till_id}")
            version = version if version is not None else current + 1
            issued = datetime.now(UTC)
            envelope = self.signer.sign(
                {
                    "till_id": envelope_till_id or till_id,
                    "version": version,
                    "issued_at": issued.isoformat(timespec="seconds"),
                    "expires_at": (issued + timedelta(seconds=expires_in_s)).isoformat(
                        timespec="seconds"
                    ),
                    "config": config,
                }
            )
            if bad_signature:
                envelope["config"] = {**config, "tampered": True}
            await self.service._set_meta(
                tx, f"config_version:{till_id}", str(max(current, version))
            )
            await self.service._emit(tx, till_id, "config", "till", "upsert", envelope)
        await self.service.notify()
        return envelope

    async def expire_cursors(self) -> int:
        """Forget the feed's history: every cursor given out so far now gets 410."""
        async with self.service.backend.transaction() as tx:
            await tx.execute("DELETE FROM changes WHERE op = 'delete'")
            # A marker of a kind tills skip: the snapshot's cursor is never older than the floor.
            marker = {"note": "cursors before this change were expired"}
            await self.service._emit(tx, ALL_TILLS, "feed", "floor", "upsert", marker)
            rows = await tx.fetch("SELECT COALESCE(MAX(seq), 0) FROM changes")
            floor = int(rows[0][0])
            await self.service._set_meta(tx, "feed_floor", str(floor))
        await self.service.notify()
        return floor

    async def truncate_stream(self, till_id: str, instance_id: str, keep_through: int) -> int:
        """Act as if restored from an old backup: forget this stream's events after a seq,
        taking back their stock effects, so the till must rewind (seq_gap)."""
        async with self.service.backend.transaction() as tx:
            rows = await tx.fetch(
                "SELECT id, status, payload FROM events WHERE till_id = ? AND instance_id = ? "
                "AND seq > ?",
                till_id,
                instance_id,
                keep_through,
            )
            deltas: dict[tuple[str, str], Decimal] = {}
            for _doc_id, status, payload in rows:
                if status != "accepted":
                    continue
                for move in json.loads(payload).get("movements", []):
                    key = (move["sku"], move["warehouse"])
                    deltas[key] = deltas.get(key, Decimal(0)) - Decimal(move["quantity"])
            await tx.execute(
                "DELETE FROM documents WHERE till_id = ? AND instance_id = ? AND seq > ?",
                till_id,
                instance_id,
                keep_through,
            )
            await tx.execute(
                "DELETE FROM events WHERE till_id = ? AND instance_id = ? AND seq > ?",
                till_id,
                instance_id,
                keep_through,
            )
            await tx.execute(
                "UPDATE streams SET acked_through = ? WHERE till_id = ? AND instance_id = ?",
                keep_through,
                till_id,
                instance_id,
            )
            stock = await tx.fetch("SELECT sku, warehouse, includes FROM stock")
            for sku, wh, inc in stock:
                if json.loads(inc).get(instance_id, 0) > keep_through:
                    deltas.setdefault((sku, wh), Decimal(0))
            await self.service._apply_stock(tx, deltas, {instance_id: keep_through})
        await self.service.notify()
        return len(rows)

    async def summary(self, till_id: str) -> dict[str, Any]:
        """What a test checks on the cloud side: documents, duplicates, quarantine, streams."""
        async with self.service.backend.transaction() as tx:
            docs = await tx.fetch("SELECT id FROM documents WHERE till_id = ?", till_id)
            events = await tx.fetch(
                "SELECT status, COUNT(*) FROM events WHERE till_id = ? GROUP BY status", till_id
            )
            quarantined = await tx.fetch(
                "SELECT instance_id, seq, id, type, reason FROM events WHERE till_id = ? "
                "AND status = 'quarantined' ORDER BY seq",
                till_id,
            )
            streams = await tx.fetch(
                "SELECT instance_id, acked_through FROM streams WHERE till_id = ?", till_id
            )
            configs = await tx.fetch(
                "SELECT payload FROM events WHERE till_id = ? AND type = 'config_applied' "
                "ORDER BY received_at, seq",
                till_id,
            )
        return {
            "documents": sorted(str(r[0]) for r in docs),
            "events": {str(s): int(n) for s, n in events},
            "quarantined": [
                {"instance_id": i, "seq": int(s), "id": d, "type": t, "reason": r}
                for i, s, d, t, r in quarantined
            ],
            "streams": {str(i): int(a) for i, a in streams},
            "config_applied": [json.loads(p) for (p,) in configs],
            "at": now_iso(),
        }
