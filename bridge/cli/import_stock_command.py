"""`tillbridge import-stock FILE`: a stock count from CSV, .xlsx or .xls, with a report."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from bridge.cli.common import load_or_exit
from bridge.documents.recorder import DocumentRecorder
from bridge.stock.importer import ImportFailed, ImportOptions, ImportReport, StockImporter
from bridge.stock.ledger import StockLedger
from bridge.store import Store, StoreError
from bridge.store.backup import BACKUP_DIR, Backups
from bridge.store.database import DATABASE_NAME

EXIT_REFUSED = 1
EXIT_STORE = 74


def add_parser(sub: argparse._SubParsersAction, with_config) -> None:  # type: ignore[type-arg,no-untyped-def]
    p = with_config(sub.add_parser("import-stock", help="import a stock count (CSV, .xlsx, .xls)"))
    p.add_argument("file", help="the file to import")
    p.add_argument("--dry-run", action="store_true", help="show the report, change nothing")
    p.add_argument("--warehouse", default="main", help="warehouse for rows without one")
    p.add_argument("--strict", action="store_true", help="change nothing if any row is refused")
    p.add_argument("--encoding", help="CSV encoding (default: detected)")
    p.add_argument("--delimiter", help="CSV delimiter (default: detected; 'tab' for tabs)")
    p.add_argument("--sheet", help="Excel sheet name (default: the first)")
    for role in ("code", "name", "quantity", "warehouse"):
        p.add_argument(
            f"--{role}-column",
            metavar="HEADER|N",
            help=f"the {role} column, by header text or 1-based number",
        )
    p.add_argument("--json", action="store_true", help="print the report as JSON")


def import_stock(args: argparse.Namespace) -> int:
    _, state_dir = load_or_exit(args)
    path = Path(args.file)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        print(f"tillbridge: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return EXIT_REFUSED
    options = ImportOptions(
        warehouse=args.warehouse,
        dry_run=args.dry_run,
        strict=args.strict,
        encoding=args.encoding,
        delimiter=args.delimiter,
        sheet=args.sheet,
        columns={
            role: getattr(args, f"{role}_column")
            for role in ("code", "name", "quantity", "warehouse")
            if getattr(args, f"{role}_column")
        },
        source=path.name,
    )
    try:
        report = asyncio.run(_run(state_dir, raw, options))
    except ImportFailed as exc:
        print(f"\nNothing was imported: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except StoreError as exc:
        print(f"tillbridge: {exc}", file=sys.stderr)
        return EXIT_STORE
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        print_report(report)
    return 0 if report.committed or report.dry_run else EXIT_REFUSED


async def _run(state_dir: Path, raw: bytes, options: ImportOptions) -> ImportReport:
    store = Store(state_dir / DATABASE_NAME)
    await store.open()
    try:
        importer = StockImporter(
            store,
            DocumentRecorder(store),
            StockLedger(store),
            Backups(store, state_dir / BACKUP_DIR),
        )
        return await importer.run(raw, options, _progress)
    finally:
        await store.close()


def _progress(stage: str, done: int, total: int) -> None:
    percent = 100 * done // total if total else 100
    end = "\n" if done >= total and stage == "applying" else ""
    print(f"\r{stage}: {done}/{total} rows ({percent}%)   ", end=end, file=sys.stderr, flush=True)


def print_report(report: ImportReport) -> None:
    print(file=sys.stderr)
    detected = report.format + (
        f", {report.encoding}, delimiter {report.delimiter!r}" if report.encoding else ""
    )
    print(f"File: {detected}")
    print(
        "Columns: " + ", ".join(f"{role} = {header!r}" for role, header in report.columns.items())
    )
    print(f"Rows: {report.rows_total}; usable {report.applied}; refused {len(report.refused)}")
    print(f"Figures that differ from the system: {report.changed}")
    for row in report.discrepancies[:20]:
        print(
            f"  {row.sku} @ {row.warehouse}: system {row.system}, counted {row.counted} ({row.difference})"
        )
    if len(report.discrepancies) > 20:
        print(f"  … and {len(report.discrepancies) - 20} more (tillbridge discrepancies --csv)")
    for refused in report.refused[:50]:
        print(f"  line {refused.line}: {refused.reason}")
    if len(report.refused) > 50:
        print(f"  … and {len(report.refused) - 50} more refused rows (--json lists all)")
    if report.backup:
        print(f"Backup taken first: {report.backup}")
    print(report.message)
