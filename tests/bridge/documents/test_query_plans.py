"""The hot reads of recording a document are answered from indexes (migrations 0005, 0006)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bridge.documents.repeats import EARLIER_OPEN_SQL
from bridge.stock.ledger import _ADD_PENDING_SQL, PHYSICAL_MANY_SQL
from bridge.store import Store


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = Store(tmp_path / "db.sqlite3")
    await opened.open()
    yield opened
    await opened.close()


async def plan(store: Store, sql: str, params: tuple[object, ...]) -> list[str]:
    return [row[3] for row in await store.fetchall("EXPLAIN QUERY PLAN " + sql, params)]


async def test_a_sales_stock_figure_reads_one_row_per_sku_not_its_movements(store: Store) -> None:
    steps = await plan(store, PHYSICAL_MANY_SQL, ("main", json.dumps(["A", "B"])))
    assert not any("stock_movements" in s for s in steps), steps
    pending = [s for s in steps if "stock_pending" in s or s.startswith("SEARCH p ")]
    assert pending and all("PRIMARY KEY" in s for s in pending), steps


async def test_a_repeats_drawer_lookup_does_not_scan_the_audit_log(store: Store) -> None:
    steps = await plan(store, EARLIER_OPEN_SQL, ("b7b7e7a8-0000-4000-8000-000000000000",))
    assert any("audit_log_drawer_document" in s for s in steps), steps
    assert not any(s.startswith("SCAN audit_log") for s in steps), steps


async def test_adding_a_batch_to_stock_pending_reads_only_the_new_movements(store: Store) -> None:
    select = _ADD_PENDING_SQL.split("ON CONFLICT")[0].split("quantity_milli)", 1)[1]
    steps = await plan(store, select, (5,))
    movements = [s for s in steps if s.startswith(("SEARCH m ", "SCAN m "))]
    assert movements == ["SEARCH m USING INTEGER PRIMARY KEY (rowid>?)"], steps
