"""`tillbridge restore FILE`: bring a backup back, only while no daemon holds the database.

The restored database keeps its instance_id, so it continues the old event stream: if the till
sent events after the backup was taken, the cloud already holds those seqs, and the restored
database's next events would reuse them. The push side detects that (sync-protocol.md: a cloned
or restored database) and stops with the `sync.seq_conflict` alert rather than send or mark
anything; this command says so before it restores.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
from pathlib import Path

from bridge.cli.common import load_or_exit
from bridge.store import Store, StoreError
from bridge.store.backup import BACKUP_DIR, Backups, check_backup_blocking, restore_blocking
from bridge.store.database import DATABASE_NAME, _migrations
from bridge.store.lock import DaemonLock, LockBusy

EXIT_REFUSED = 1
EXIT_RUNNING = 75  # EX_TEMPFAIL: stop the daemon and try again


def add_parser(sub: argparse._SubParsersAction, with_config) -> None:  # type: ignore[type-arg,no-untyped-def]
    p = with_config(sub.add_parser("restore", help="restore a database backup (daemon stopped)"))
    p.add_argument("file", help="a backup file (see `tillbridge backup --list`)")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")


def restore(args: argparse.Namespace) -> int:
    _, state_dir = load_or_exit(args)
    lock = DaemonLock(state_dir, exclusive=True)
    try:
        lock.acquire()
    except LockBusy:
        print(
            "tillbridge: the daemon is running on this state directory. Stop it first "
            "(`systemctl stop tillbridge`), then run restore again.",
            file=sys.stderr,
        )
        return EXIT_RUNNING
    try:
        return _restore(Path(args.file), state_dir, args.yes)
    finally:
        lock.release()


def _restore(backup: Path, state_dir: Path, yes: bool) -> int:
    db = state_dir / DATABASE_NAME
    try:
        instance = check_backup_blocking(backup, len(_migrations()))
    except StoreError as exc:
        print(f"tillbridge: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    highest, acked = _stream_position_blocking(backup)
    print(f"Restore {backup} (database instance {instance}) over {db}?")
    print(
        "Documents recorded after that backup was taken will be gone from this till; those "
        "already sent to the cloud stay there. The current database is backed up first."
    )
    print(
        f"The backup numbered this till's events up to seq {highest} (acknowledged by the "
        f"cloud through seq {acked} then). If the till sent events after the backup was taken, "
        "the cloud holds those numbers already: sync then stops with the alert "
        "sync.seq_conflict instead of reusing them (nothing is lost). Choose the newest backup "
        "to avoid that."
    )
    if not yes:
        if not sys.stdin.isatty():
            print("tillbridge: not confirmed (use --yes in scripts)", file=sys.stderr)
            return EXIT_REFUSED
        if input("Type yes to restore: ").strip().lower() != "yes":
            print("Nothing was changed.")
            return EXIT_REFUSED
    if db.exists():
        try:
            saved = asyncio.run(_backup_current(db, state_dir / BACKUP_DIR))
        except StoreError as exc:
            print(
                f"tillbridge: the current database could not be backed up ({exc}); "
                "it is replaced anyway only if you move it away yourself.",
                file=sys.stderr,
            )
            return EXIT_REFUSED
        print(f"Current database saved as {saved}")
    restore_blocking(backup, db)
    print(f"Restored {backup}. Start the daemon again.")
    return 0


def _stream_position_blocking(backup: Path) -> tuple[int, int]:
    """(highest seq ever assigned, highest seq acknowledged) in a checked backup."""
    conn = sqlite3.connect(f"file:{backup}?mode=ro", uri=True, timeout=5)
    try:
        row = conn.execute(
            "SELECT max(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0), "
            "COALESCE((SELECT max(seq) FROM outbox), 0)), "
            "(SELECT min(seq) - 1 FROM outbox WHERE acked_at IS NULL)"
        ).fetchone()
    finally:
        conn.close()
    highest = int(row[0])
    return highest, highest if row[1] is None else int(row[1])


async def _backup_current(db: Path, directory: Path) -> Path:
    store = Store(db)
    taken = await Backups(store, directory).create("pre-restore")
    return taken.path
