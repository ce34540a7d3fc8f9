"""`tillbridge import-stock` and `discrepancies` as a technician runs them."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from bridge.catalog.models import Product
from bridge.catalog.repository import upsert_products
from bridge.store import Store
from bridge.store.database import DATABASE_NAME
from tests.bridge.stock.import_files import csv_bytes, xlsx_bytes


def cli(*args: str, state: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bridge", *args],
        capture_output=True,
        text=True,
        timeout=60,
        input=stdin,
        env={**os.environ, "STATE_DIRECTORY": str(state)},
    )


async def seed(state: Path) -> None:
    store = Store(state / DATABASE_NAME)
    await store.open()
    try:
        async with store.transaction() as tx:
            await upsert_products(
                tx,
                [
                    Product(
                        sku="A1", name="Jablko", price=Decimal(1), currency="CZK", barcodes=["111"]
                    ),
                    Product(sku="B2", name="Hruška", price=Decimal(1), currency="CZK"),
                ],
            )
    finally:
        await store.close()


def physical(state: Path, sku: str) -> Decimal:
    db = sqlite3.connect(state / DATABASE_NAME)
    try:
        row = db.execute(
            "SELECT COALESCE(SUM(quantity_milli), 0) FROM stock_movements WHERE sku = ?", (sku,)
        ).fetchone()
    finally:
        db.close()
    return Decimal(row[0]) / 1000


def test_import_dry_run_then_apply_then_discrepancies(tmp_path: Path) -> None:
    state = tmp_path / "state"
    asyncio.run(seed(state))
    rows = [
        ("Kód", "Název", "Množství"),
        ("111", "Jablko", "5"),
        ("B2", "Hruška", "2,5"),
        ("X", "?", "1"),
    ]
    file = tmp_path / "sklad.csv"
    file.write_bytes(csv_bytes(rows, encoding="cp1250"))

    dry = cli("import-stock", str(file), "--dry-run", state=state)
    assert dry.returncode == 0, dry.stderr
    assert "dry run: nothing was changed" in dry.stdout and "checking:" in dry.stderr
    assert "line 4: 'X' is not a SKU or barcode" in dry.stdout
    assert physical(state, "A1") == 0

    applied = cli("import-stock", str(file), state=state)
    assert applied.returncode == 0, applied.stderr
    assert "applied 2 rows" in applied.stdout and "Backup taken first" in applied.stdout
    assert physical(state, "A1") == 5 and physical(state, "B2") == Decimal("2.5")

    report = cli("discrepancies", "--csv", state=state)
    assert report.returncode == 0
    lines = report.stdout.splitlines()
    assert lines[0] == "sku,name,warehouse,counted,system,difference,counted_at"
    assert lines[1].startswith("A1,Jablko,main,5,0.000,5.000,")

    as_json = cli("discrepancies", state=state)
    assert as_json.returncode == 0, as_json.stderr
    first = json.loads(as_json.stdout)["rows"][0]
    assert (first["sku"], first["counted"], first["difference"]) == ("A1", "5", "5.000")


def test_import_refuses_a_broken_file_and_maps_columns(tmp_path: Path) -> None:
    state = tmp_path / "state"
    asyncio.run(seed(state))
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(xlsx_bytes([("code", "qty"), ("A1", 1)])[:200])
    result = cli("import-stock", str(broken), state=state)
    assert result.returncode == 1 and "Nothing was imported" in result.stderr
    plain = tmp_path / "plain.csv"
    plain.write_bytes(csv_bytes([("foo", "A1", "3")], delimiter=","))
    result = cli("import-stock", str(plain), state=state)
    assert result.returncode == 1 and "--code-column" in result.stderr
    result = cli(
        "import-stock", str(plain), "--code-column", "2", "--quantity-column", "3", state=state
    )
    assert result.returncode == 0, result.stderr
    assert physical(state, "A1") == 3
