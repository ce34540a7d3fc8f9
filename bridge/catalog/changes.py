"""Applying the cloud's `product` and `stock` changes (sync-protocol.md), for the sync loop to call.

Both functions run inside the caller's transaction, so the sync loop can store its cursor in the
same commit. A change not newer than the stored version of its (kind, key) is skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from decimal import Decimal
from typing import Annotated, Any, Literal

import aiosqlite

from bridge.catalog.models import Product
from bridge.catalog.repository import delete_product, upsert_products
from bridge.decimals import WireDecimal
from bridge.stock.ledger import delete_cloud_figure, set_cloud_figures, split_key
from bridge.wire import Lenient, Meta, convert, field

KINDS = ("product", "stock")


class PulledChange(Lenient):
    """One change of the cloud's feed or snapshot; ``data`` is checked by the kind's own model."""

    kind: str
    key: Annotated[str, Meta(min_length=1)]
    op: Literal["upsert", "delete"]
    version: Annotated[int, Meta(ge=0)]
    data: dict[str, Any] | None = None


class CloudStock(Lenient):
    """The cloud's figures of one SKU in one warehouse, and which local movements they count."""

    sku: Annotated[str, Meta(min_length=1)]
    warehouse: Annotated[str, Meta(min_length=1)]
    physical: WireDecimal
    reserved: WireDecimal = Decimal(0)
    includes: dict[str, int] = field(default_factory=dict)


@dataclass
class SnapshotResult:
    products: int = 0
    stock: int = 0
    removed_products: int = 0
    removed_stock: int = 0
    ignored_kinds: dict[str, int] = dataclass_field(default_factory=dict)


async def stored_version(tx: aiosqlite.Connection, kind: str, key: str) -> int | None:
    async with tx.execute(
        "SELECT version FROM sync_versions WHERE kind = ? AND key = ?", (kind, key)
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else None


async def apply_change(tx: aiosqlite.Connection, change: PulledChange, instance_id: str) -> bool:
    """Apply one product or stock change; False when skipped as not newer. Raises ValueError
    (bridge.wire.WireError for data of the wrong shape) for a kind this module does not own
    (config is the sync issue's) or bad data."""
    if change.kind not in KINDS:
        raise ValueError(f"change kind {change.kind!r} is not a catalog or stock change")
    current = await stored_version(tx, change.kind, change.key)
    if current is not None and change.version <= current:
        return False
    if change.kind == "product":
        if change.op == "delete":
            await delete_product(tx, change.key)
        else:
            product = convert(change.data or {}, Product)
            if product.sku != change.key:
                raise ValueError(f"product change key {change.key!r} != sku {product.sku!r}")
            await upsert_products(tx, [product])
    else:
        sku, warehouse = split_key(change.key)
        if change.op == "delete":
            await delete_cloud_figure(tx, sku, warehouse)
        else:
            stock = convert(change.data or {}, CloudStock)
            if (stock.sku, stock.warehouse) != (sku, warehouse):
                raise ValueError(f"stock change key {change.key!r} does not match its data")
            await set_cloud_figures(
                tx, instance_id, [(sku, warehouse, stock.physical, stock.reserved, stock.includes)]
            )
    await tx.execute(
        "INSERT INTO sync_versions (kind, key, version) VALUES (?, ?, ?) "
        "ON CONFLICT (kind, key) DO UPDATE SET version = excluded.version",
        (change.kind, change.key, change.version),
    )
    return True


async def apply_snapshot(
    tx: aiosqlite.Connection, items: Sequence[PulledChange], instance_id: str
) -> SnapshotResult:
    """Replace the catalog and the cloud stock figures with a complete snapshot.

    What the snapshot lacks is removed. Local movements stay: the snapshot's `includes` decide
    which of them the new figures already count. Back the database up before calling this.
    """
    result = SnapshotResult()
    products: list[Product] = []
    stock: list[CloudStock] = []
    versions: list[tuple[str, str, int]] = []
    for item in items:
        if item.kind not in KINDS:
            result.ignored_kinds[item.kind] = result.ignored_kinds.get(item.kind, 0) + 1
            continue
        versions.append((item.kind, item.key, item.version))
        if item.kind == "product":
            products.append(convert(item.data or {}, Product))
        else:
            stock.append(convert(item.data or {}, CloudStock))

    keep_skus = {p.sku for p in products}
    async with tx.execute("SELECT sku FROM products") as cursor:
        gone = [(row[0],) for row in await cursor.fetchall() if row[0] not in keep_skus]
    await tx.executemany("DELETE FROM products WHERE sku = ?", gone)
    await upsert_products(tx, products)
    result.products, result.removed_products = len(products), len(gone)

    keep_stock = {(s.sku, s.warehouse) for s in stock}
    async with tx.execute("SELECT sku, warehouse FROM stock_levels") as cursor:
        stale = [tuple(row) for row in await cursor.fetchall() if tuple(row) not in keep_stock]
    await tx.executemany("DELETE FROM stock_levels WHERE sku = ? AND warehouse = ?", stale)
    await set_cloud_figures(
        tx, instance_id, [(s.sku, s.warehouse, s.physical, s.reserved, s.includes) for s in stock]
    )
    result.stock, result.removed_stock = len(stock), len(stale)

    await tx.execute("DELETE FROM sync_versions WHERE kind IN ('product', 'stock')")
    await tx.executemany(
        "INSERT INTO sync_versions (kind, key, version) VALUES (?, ?, ?) "
        "ON CONFLICT (kind, key) DO UPDATE SET version = MAX(version, excluded.version)",
        versions,
    )
    return result
