"""`tillbridge discrepancies`: counted against system stock per SKU, as CSV or JSON."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import msgspec

from bridge.cli.common import load_or_exit
from bridge.stock import discrepancies as report_module
from bridge.store import Store, StoreError
from bridge.store.database import DATABASE_NAME
from bridge.wire import encode_json


def add_parser(sub: argparse._SubParsersAction, with_config) -> None:  # type: ignore[type-arg,no-untyped-def]
    p = with_config(sub.add_parser("discrepancies", help="counted vs system stock per SKU"))
    p.add_argument("--csv", action="store_true", help="CSV instead of JSON")
    p.add_argument("--warehouse", help="only this warehouse")
    p.add_argument("--document", help="only this count or import document")
    p.add_argument("--all", action="store_true", help="include SKUs that matched")


def discrepancies(args: argparse.Namespace) -> int:
    _, state_dir = load_or_exit(args)
    try:
        result = asyncio.run(_report(state_dir / DATABASE_NAME, args))
    except StoreError as exc:
        print(f"tillbridge: {exc}", file=sys.stderr)
        return 74
    if args.csv:
        sys.stdout.write(report_module.to_csv(result))
    else:
        print(msgspec.json.format(encode_json(result), indent=2).decode())
    return 0


async def _report(db: Path, args: argparse.Namespace) -> report_module.DiscrepancyReport:
    store = Store(db)
    await store.open()
    try:
        return await report_module.report(
            store, warehouse=args.warehouse, document_id=args.document, only_different=not args.all
        )
    finally:
        await store.close()
