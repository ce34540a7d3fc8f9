"""`tillbridge backup`: an online backup of the database, daemon running or not."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bridge.cli.common import load_or_exit
from bridge.store import Store, StoreError
from bridge.store.backup import BACKUP_DIR, DEFAULT_KEEP, BackupFile, Backups
from bridge.store.database import DATABASE_NAME


def add_parser(sub: argparse._SubParsersAction, with_config) -> None:  # type: ignore[type-arg,no-untyped-def]
    p = with_config(sub.add_parser("backup", help="back up the database (keeps the last N)"))
    p.add_argument("--keep", type=int, default=DEFAULT_KEEP, help="backups to keep (default 10)")
    p.add_argument("--list", action="store_true", help="list the backups instead")


def backup(args: argparse.Namespace) -> int:
    _, state_dir = load_or_exit(args)
    db = state_dir / DATABASE_NAME
    backups = Backups(Store(db), state_dir / BACKUP_DIR, keep=args.keep)
    if args.list:
        for b in backups.list():
            print(f"{b.path}\t{b.reason}\t{b.size} bytes")
        return 0
    if not db.exists():
        print(f"tillbridge: no database at {db}", file=sys.stderr)
        return 74
    try:
        taken = asyncio.run(_take(db, state_dir / BACKUP_DIR, args.keep))
    except StoreError as exc:
        print(f"tillbridge: {exc}", file=sys.stderr)
        return 74
    print(taken.path)
    return 0


async def _take(db: Path, directory: Path, keep: int) -> BackupFile:
    store = Store(db)
    await store.open()  # checks the database and brings its schema up to date first
    try:
        return await Backups(store, directory, keep=keep).create("manual")
    finally:
        await store.close()
