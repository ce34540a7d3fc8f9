"""The discrepancy report: what counts and imports found against what the system held then."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Annotated

from bridge.decimals import WireDecimal
from bridge.store import Store
from bridge.wire import Meta, Wire

_SQL = """
SELECT c.sku, p.name, c.warehouse, c.counted, c.expected, c.counted_at, c.document_id
FROM stock_counts c
JOIN (SELECT MAX(id) AS id FROM stock_counts
      WHERE (?1 IS NULL OR warehouse = ?1) AND (?2 IS NULL OR document_id = ?2)
      GROUP BY sku, warehouse) last ON last.id = c.id
LEFT JOIN products p ON p.sku = c.sku
ORDER BY c.warehouse, c.sku
"""


class DiscrepancyRow(Wire):
    sku: str
    name: str | None
    warehouse: str
    counted: WireDecimal
    system: Annotated[WireDecimal, Meta(description="What the system held when it was counted.")]
    difference: Annotated[WireDecimal, Meta(description="counted − system.")]
    counted_at: str
    document_id: str


class DiscrepancyReport(Wire):
    rows: list[DiscrepancyRow]
    skus_counted: int
    skus_different: int


async def report(
    store: Store,
    *,
    warehouse: str | None = None,
    document_id: str | None = None,
    only_different: bool = True,
) -> DiscrepancyReport:
    """The latest count of each SKU and warehouse (or of one count document)."""
    counted = 0
    rows: list[DiscrepancyRow] = []
    for sku, name, wh, counted_s, expected_s, at, doc in await store.fetchall(
        _SQL, (warehouse, document_id)
    ):
        counted += 1
        difference = Decimal(counted_s) - Decimal(expected_s)
        if only_different and difference == 0:
            continue
        rows.append(
            DiscrepancyRow(
                sku=sku,
                name=name,
                warehouse=wh,
                counted=Decimal(counted_s),
                system=Decimal(expected_s),
                difference=difference,
                counted_at=at,
                document_id=doc,
            )
        )
    different = sum(1 for r in rows if r.difference != 0)
    return DiscrepancyReport(rows=rows, skus_counted=counted, skus_different=different)


def to_csv(result: DiscrepancyReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["sku", "name", "warehouse", "counted", "system", "difference", "counted_at"])
    for row in result.rows:
        writer.writerow(
            [row.sku, row.name or "", row.warehouse, row.counted, row.system, row.difference,
             row.counted_at]
        )  # fmt: skip
    return out.getvalue()
