"""Products in SQLite: lookups on the store's reader, writes inside the caller's transaction."""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import aiosqlite
from msgspec import structs

from bridge.catalog.models import Product, ProductDetail, Variant
from bridge.catalog.search import fold, match_query, search_text
from bridge.store import Store
from bridge.timestamps import now_ms as _now
from bridge.wire import to_builtins

SEARCH_CANDIDATES = 200
_COLUMNS = (
    "p.sku, p.name, p.price, p.currency, p.unit, p.tax_rate, p.group_key, p.attributes, "
    "(SELECT json_group_array(code) FROM barcodes b WHERE b.sku = p.sku) AS codes"
)


def _row_to_product(row: Any) -> Product:
    return Product(
        sku=row[0],
        name=row[1],
        price=Decimal(row[2]),
        currency=row[3],
        unit=row[4],
        tax_rate=Decimal(row[5]) if row[5] is not None else None,
        group=row[6],
        attributes=json.loads(row[7]),
        barcodes=sorted(json.loads(row[8])),
    )


def barcode_candidates(code: str) -> list[str]:
    """The code as scanned, then its UPC-A / EAN-13 twin (a leading zero added or dropped)."""
    code = code.strip()
    found = [code]
    if code.isdigit() and len(code) == 12:
        found.append("0" + code)
    elif code.isdigit() and len(code) == 13 and code.startswith("0"):
        found.append(code[1:])
    return found


class CatalogRepository:
    """Reads answer from the reader connection: a barcode lookup is one indexed query."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def by_sku(self, sku: str) -> Product | None:
        row = await self._store.fetchone(
            f"SELECT {_COLUMNS} FROM products p WHERE p.sku = ?", (sku,)
        )
        return _row_to_product(row) if row else None

    async def by_barcode(self, code: str) -> Product | None:
        for candidate in barcode_candidates(code):
            row = await self._store.fetchone(
                f"SELECT {_COLUMNS} FROM barcodes b0 JOIN products p ON p.sku = b0.sku "
                "WHERE b0.code = ?",
                (candidate,),
            )
            if row:
                return _row_to_product(row)
        return None

    async def detail(self, sku: str) -> ProductDetail | None:
        product = await self.by_sku(sku)
        if product is None:
            return None
        variants: list[Variant] = []
        if product.group:
            rows = await self._store.fetchall(
                "SELECT sku, name, attributes FROM products WHERE group_key = ? AND sku != ? "
                "ORDER BY sku LIMIT 200",
                (product.group, sku),
            )
            variants = [Variant(sku=r[0], name=r[1], attributes=json.loads(r[2])) for r in rows]
        return ProductDetail(**structs.asdict(product), variants=variants)

    async def search(self, query: str, limit: int = 20) -> list[Product]:
        """Exact SKU or barcode first, then name words as prefixes, folded."""
        found: list[Product] = []
        exact = await self.by_sku(query.strip()) or await self.by_barcode(query)
        if exact:
            found.append(exact)
        expression = match_query(query)
        if expression is None:
            return found
        # Unranked FTS matches are cheap; bm25 over every match of a common word is not. Take
        # a bounded candidate set and put names that start with the first word, then shorter
        # names, first.
        rows = await self._store.fetchall(
            f"SELECT {_COLUMNS}, p.search_text FROM products p WHERE p.rowid IN "
            "(SELECT rowid FROM product_search WHERE product_search MATCH ? LIMIT ?)",
            (expression, max(SEARCH_CANDIDATES, limit * 4)),
        )
        first = fold(query).split()[0]
        rows.sort(key=lambda r: (not r[9].startswith(first), len(r[1]), r[0]))
        for row in rows:
            if len(found) >= limit:
                break
            if not found or row[0] != found[0].sku:
                found.append(_row_to_product(row))
        return found

    async def lookup_for_scan(self, code: str) -> dict[str, Any] | None:
        """The ScanService lookup: the product as JSON for the `scan` event, or None."""
        product = await self.by_barcode(code)
        return to_builtins(product) if product else None


async def upsert_product(tx: aiosqlite.Connection, product: Product) -> bool:
    """Insert or replace one product and its barcodes; True when it is new."""
    async with tx.execute("SELECT 1 FROM products WHERE sku = ?", (product.sku,)) as cursor:
        existed = await cursor.fetchone() is not None
    await upsert_products(tx, [product])
    return not existed


async def upsert_products(tx: aiosqlite.Connection, products: Sequence[Product]) -> None:
    """Insert or replace many products in three statements (snapshots carry 10⁵ of them)."""
    await tx.executemany(
        "INSERT INTO products (sku, name, price, currency, unit, tax_rate, group_key, attributes, "
        "search_text, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (sku) DO UPDATE SET name = excluded.name, price = excluded.price, "
        "currency = excluded.currency, unit = excluded.unit, tax_rate = excluded.tax_rate, "
        "group_key = excluded.group_key, attributes = excluded.attributes, "
        "search_text = excluded.search_text, updated_at = excluded.updated_at",
        [product_row(p) for p in products],
    )
    await tx.executemany("DELETE FROM barcodes WHERE sku = ?", [(p.sku,) for p in products])
    # A barcode moves to the product that now claims it.
    await tx.executemany(
        "INSERT INTO barcodes (code, sku) VALUES (?, ?) "
        "ON CONFLICT (code) DO UPDATE SET sku = excluded.sku",
        [(code, p.sku) for p in products for code in p.barcodes],
    )


def product_row(product: Product) -> tuple[Any, ...]:
    return (
        product.sku,
        product.name,
        str(product.price),
        product.currency,
        product.unit,
        str(product.tax_rate) if product.tax_rate is not None else None,
        product.group,
        json.dumps(product.attributes, ensure_ascii=False, sort_keys=True),
        search_text(product.name, product.sku, product.group, product.attributes),
        _now(),
    )


async def delete_product(tx: aiosqlite.Connection, sku: str) -> bool:
    cursor = await tx.execute("DELETE FROM products WHERE sku = ?", (sku,))
    return cursor.rowcount > 0
