"""Online backups through SQLite's backup API (consistent while the daemon writes), keeping the
last N, and restore of one of them into a stopped daemon's state directory."""

from __future__ import annotations

import os
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite
import structlog

from bridge.store.database import Store, StoreError

log = structlog.get_logger(__name__)

BACKUP_DIR = "backups"
DEFAULT_KEEP = 10
_NAME = re.compile(r"^tillbridge-(\d{8}T\d{12}Z)-([a-z0-9_-]+)\.sqlite3$")


@dataclass(frozen=True)
class BackupFile:
    path: Path
    taken_at: str
    reason: str
    size: int


class Backups:
    """Backups of one store, in `<state_dir>/backups`."""

    def __init__(self, store: Store, directory: Path, keep: int = DEFAULT_KEEP) -> None:
        self._store = store
        self.directory = directory
        self.keep = max(1, keep)

    async def create(self, reason: str) -> BackupFile:
        """Copy the live database page by page (readers and the writer carry on), then prune."""
        reason = re.sub(r"[^a-z0-9_-]", "-", reason.lower())[:32] or "manual"
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        target = self.directory / f"tillbridge-{stamp}-{reason}.sqlite3"
        partial = target.with_suffix(".partial")
        source = await aiosqlite.connect(self._store.path)
        try:
            dest = await aiosqlite.connect(partial)
            try:
                await source.backup(dest)
                await dest.execute("PRAGMA journal_mode = DELETE")
            finally:
                await dest.close()
        finally:
            await source.close()
        os.chmod(partial, 0o600)
        os.replace(partial, target)
        log.info("store.backup_taken", path=str(target), reason=reason)
        self.prune()
        return _describe(target)

    def list(self) -> list[BackupFile]:
        if not self.directory.is_dir():
            return []
        found = [_describe(p) for p in self.directory.iterdir() if _NAME.match(p.name)]
        return sorted(found, key=lambda b: b.path.name)

    def prune(self) -> list[Path]:
        removed = []
        for old in self.list()[: -self.keep]:
            old.path.unlink(missing_ok=True)
            removed.append(old.path)
        return removed


def _describe(path: Path) -> BackupFile:
    match = _NAME.match(path.name)
    taken, reason = (match[1], match[2]) if match else ("", "")
    return BackupFile(path, taken, reason, path.stat().st_size)


def check_backup_blocking(path: Path, max_schema: int) -> str:
    """Open a backup read-only and check it is a whole tillbridge database; return its instance id."""
    if not path.is_file():
        raise StoreError(f"{path} does not exist")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            rows = [r[0] for r in conn.execute("PRAGMA quick_check").fetchall()]
            if rows != ["ok"]:
                raise StoreError(f"{path} is damaged: {'; '.join(rows[:3])}")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            row = conn.execute("SELECT value FROM meta WHERE key = 'instance_id'").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path} is not a tillbridge database ({exc})") from None
    if row is None or not 1 <= version <= max_schema:
        raise StoreError(
            f"{path} is not a tillbridge database this version can use (schema {version})"
        )
    return str(row[0])


def restore_blocking(backup: Path, database: Path) -> None:
    """Copy a backup over the database with the backup API (WAL and all handled by SQLite).

    The caller makes sure no daemon is running and has backed up the current database.
    """
    source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True, timeout=5)
    try:
        dest = sqlite3.connect(database, timeout=5)
        try:
            source.backup(dest)
            dest.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            dest.close()
    finally:
        source.close()
