"""Stock import of a 100,000-row file, CSV and .xlsx, on a 100,000-product catalog (goal < 10 s).

Each run is a real import: backup first, then 100 inventory_count documents (1,000 lines each)
with their movements and outbox events in one transaction. The .xlsx import runs second, on a
database the CSV import has grown, so its backup and apply take longer; "reading alone" is the
file parsed once more outside the import, to tell parsing from applying.
Run: ``.venv/bin/python bench/bench_import.py``
"""

from __future__ import annotations

import asyncio
import io
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.catalog_fixture import ean13, fill
from bridge.documents.recorder import DocumentRecorder
from bridge.stock.importer import ImportOptions, StockImporter
from bridge.stock.ledger import StockLedger
from bridge.stock.tabular import read_table
from bridge.store import Store
from bridge.store.backup import Backups

ROWS = 100_000


def csv_file(rows: int, shift: int) -> bytes:
    lines = ["Kód;Název;Množství"]
    lines += [f"{ean13(i)};Zboží {i};{(i + shift) % 50},5" for i in range(rows)]
    return ("\r\n".join(lines) + "\r\n").encode("cp1250")


def xlsx_file(rows: int, shift: int) -> bytes:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Sklad")
    sheet.append(["Код", "Наименование", "Количество"])
    for i in range(rows):
        sheet.append([f"SKU{i:06d}", f"Товар {i}", (i + shift) % 40])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.sqlite3")
        await store.open()
        await fill(store, ROWS)
        importer = StockImporter(
            store, DocumentRecorder(store), StockLedger(store), Backups(store, Path(tmp) / "b", 2)
        )
        for name, make in (("csv (cp1250)", csv_file), ("xlsx", xlsx_file)):
            raw = make(ROWS, 3 if name == "xlsx" else 0)
            began = time.perf_counter()
            read_table(raw)
            parsed = time.perf_counter() - began
            began = time.perf_counter()
            report = await importer.run(raw, ImportOptions(source=name))
            elapsed = time.perf_counter() - began
            print(
                f"import {name}: {ROWS} rows ({len(raw) / 1e6:.1f} MB) in {elapsed:.1f} s; "
                f"applied {report.applied}, refused {len(report.refused)}, "
                f"{len(report.documents)} documents, {report.changed} figures changed (goal < 10 s); "
                f"reading alone {parsed:.1f} s"
            )
        await store.close()


if __name__ == "__main__":
    asyncio.run(main())
