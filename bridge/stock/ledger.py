"""The stock rule of sync-protocol.md, in one place.

free = physical − reserved + Σ(this till's movements with seq > includes[instance_id]).
The cloud's figure is kept as it came; local movements are never folded into it, so a sale is
counted once before the cloud has seen it and once (by the cloud) after.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Annotated, Any

import aiosqlite

from bridge.decimals import WireDecimal, from_milli
from bridge.store import Store
from bridge.timestamps import now_ms as _now
from bridge.wire import Meta, Wire

DEFAULT_WAREHOUSE = "main"

_FIGURES_SQL = """
WITH keys AS (
    SELECT warehouse FROM stock_levels WHERE sku = ?1
    UNION SELECT warehouse FROM stock_pending WHERE sku = ?1
)
SELECT k.warehouse, l.physical, l.reserved, COALESCE(l.included_seq, 0),
       COALESCE(p.quantity_milli, 0)
FROM keys k
LEFT JOIN stock_levels l ON l.sku = ?1 AND l.warehouse = k.warehouse
LEFT JOIN stock_pending p ON p.sku = ?1 AND p.warehouse = k.warehouse
ORDER BY k.warehouse
"""


class StockFigure(Wire):
    warehouse: str
    physical: Annotated[
        WireDecimal, Meta(description="Cloud figure plus local movements not in it.")
    ]
    reserved: WireDecimal
    free: Annotated[WireDecimal, Meta(description="physical − reserved; may be negative.")]
    pending: Annotated[
        WireDecimal, Meta(description="Local movements the cloud has not counted yet.")
    ]
    negative: Annotated[
        bool, Meta(description="Free stock is below zero: sold more than was known.")
    ]


class StockView(Wire):
    sku: str
    warehouses: list[StockFigure]


def _figure(warehouse: str, physical: Any, reserved: Any, pending_milli: int) -> StockFigure:
    pending = from_milli(pending_milli)
    base = Decimal(physical) if physical is not None else Decimal(0)
    held = Decimal(reserved) if reserved is not None else Decimal(0)
    local = base + pending
    free = local - held
    return StockFigure(
        warehouse=warehouse,
        physical=local,
        reserved=held,
        free=free,
        pending=pending,
        negative=free < 0,
    )


class StockLedger:
    """Reads stock figures on the store's reader."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def physical_many(self, skus: Sequence[str], warehouse: str) -> dict[str, Decimal]:
        rows = await self._store.fetchall(PHYSICAL_MANY_SQL, (warehouse, json.dumps(list(skus))))
        return physical_rows(rows)

    async def view(self, sku: str) -> StockView:
        rows = await self._store.fetchall(_FIGURES_SQL, (sku,))
        return StockView(sku=sku, warehouses=[_figure(r[0], r[1], r[2], r[4]) for r in rows])


async def figures_in(conn: aiosqlite.Connection, sku: str) -> list[StockFigure]:
    async with conn.execute(_FIGURES_SQL, (sku,)) as cursor:
        rows = await cursor.fetchall()
    return [_figure(r[0], r[1], r[2], r[4]) for r in rows]


PHYSICAL_MANY_SQL = """
SELECT s.value, l.physical, COALESCE(p.quantity_milli, 0)
FROM json_each(?2) s
LEFT JOIN stock_levels l ON l.sku = s.value AND l.warehouse = ?1
LEFT JOIN stock_pending p ON p.sku = s.value AND p.warehouse = ?1
"""


def physical_rows(rows: Iterable[Any]) -> dict[str, Decimal]:
    # Decimal(m).scaleb(-3) is from_milli(m), digit for digit, without a division and a quantize
    # (an import reads 100,000 of these).
    return {
        r[0]: (Decimal(r[1]) if r[1] is not None else _ZERO) + Decimal(r[2]).scaleb(-3)
        for r in rows
    }


_ZERO = Decimal(0)


async def physical_many_in(
    conn: aiosqlite.Connection, skus: Sequence[str], warehouse: str
) -> dict[str, Decimal]:
    """Local physical figures of many SKUs in one warehouse, in one query."""
    async with conn.execute(PHYSICAL_MANY_SQL, (warehouse, json.dumps(list(skus)))) as cursor:
        return physical_rows(await cursor.fetchall())


_ADD_MOVEMENTS_SQL = (
    "INSERT INTO stock_movements (seq, document_id, sku, warehouse, quantity_milli) "
    "VALUES (?, ?, ?, ?, ?)"
)
#: The movements written since row ?1, added to stock_pending unless the cloud's figure already
#: includes their seq (migration 0006's rule, kept here since 0007: one statement per batch costs
#: far less than a trigger per row). NOT INDEXED keeps SQLite on the rowid range of the new rows;
#: left to itself it walks the whole movements index to save the GROUP BY a sort.
_ADD_PENDING_SQL = """
INSERT INTO stock_pending (sku, warehouse, quantity_milli)
SELECT m.sku, m.warehouse, SUM(m.quantity_milli) FROM stock_movements m NOT INDEXED
LEFT JOIN stock_levels l ON l.sku = m.sku AND l.warehouse = m.warehouse
WHERE m.id > ?1 AND m.seq > COALESCE(l.included_seq, 0)
GROUP BY m.sku, m.warehouse
ON CONFLICT (sku, warehouse) DO UPDATE SET quantity_milli = quantity_milli + excluded.quantity_milli
"""


def add_movements_blocking(conn: sqlite3.Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """Write (seq, document_id, sku, warehouse, quantity in thousandths) rows, many documents at
    once, and add them to stock_pending. Every movement goes through here; call it inside the
    writer's open transaction."""
    (before,) = conn.execute("SELECT COALESCE(max(id), 0) FROM stock_movements").fetchone()
    conn.executemany(_ADD_MOVEMENTS_SQL, rows)
    conn.execute(_ADD_PENDING_SQL, (before,))


CloudFigure = tuple[
    str, str, Decimal, Decimal, dict[str, int]
]  # sku, wh, physical, reserved, includes


async def set_cloud_figures(
    tx: aiosqlite.Connection, instance_id: str, figures: Iterable[CloudFigure]
) -> None:
    """Store the cloud's figures; includes[instance_id] says which local seqs each already counts."""
    now = _now()
    await tx.executemany(
        "INSERT INTO stock_levels (sku, warehouse, physical, reserved, includes, included_seq, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sku, warehouse) DO UPDATE SET "
        "physical = excluded.physical, reserved = excluded.reserved, "
        "includes = excluded.includes, included_seq = excluded.included_seq, "
        "updated_at = excluded.updated_at",
        [
            (
                sku,
                warehouse,
                str(physical),
                str(reserved),
                json.dumps(includes, sort_keys=True),
                int(includes.get(instance_id, 0)),
                now,
            )
            for sku, warehouse, physical, reserved, includes in figures
        ],
    )


async def delete_cloud_figure(tx: aiosqlite.Connection, sku: str, warehouse: str) -> None:
    await tx.execute("DELETE FROM stock_levels WHERE sku = ? AND warehouse = ?", (sku, warehouse))


def split_key(key: str) -> Sequence[str]:
    """`<sku>@<warehouse>`; the SKU may itself contain '@', the warehouse may not."""
    sku, sep, warehouse = key.rpartition("@")
    if not sep or not sku or not warehouse:
        raise ValueError(f"stock key {key!r} is not <sku>@<warehouse>")
    return sku, warehouse


async def free_in(
    conn: aiosqlite.Connection, skus: Sequence[str], warehouse: str
) -> dict[str, Decimal]:
    """Free stock of several SKUs in one warehouse, in one query (used after a sale)."""
    async with conn.execute(
        "SELECT s.value, l.physical, l.reserved, COALESCE(p.quantity_milli, 0) "
        "FROM json_each(?2) s LEFT JOIN stock_levels l ON l.sku = s.value AND l.warehouse = ?1 "
        "LEFT JOIN stock_pending p ON p.sku = s.value AND p.warehouse = ?1",
        (warehouse, json.dumps(list(skus))),
    ) as cursor:
        rows = await cursor.fetchall()
    return {r[0]: _figure(warehouse, r[1], r[2], r[3]).free for r in rows}
