"""`tillbridge backup` and `restore`: online backups, and a restore that waits for the daemon to stop."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from bridge.catalog.models import Product
from bridge.catalog.repository import upsert_products
from bridge.documents.recorder import DocumentRecorder
from bridge.stock.importer import ImportOptions, StockImporter
from bridge.stock.ledger import StockLedger
from bridge.store import Store
from bridge.store.backup import BACKUP_DIR, Backups
from bridge.store.database import DATABASE_NAME
from tests.bridge.stock.import_files import csv_bytes
from tests.bridge.test_daemon_process import Daemon


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


async def count(state: Path, quantity: str) -> None:
    """An import done in-process (the CLI's own path is tested in test_cli_import.py)."""
    store = Store(state / DATABASE_NAME)
    await store.open()
    try:
        importer = StockImporter(
            store, DocumentRecorder(store), StockLedger(store), Backups(store, state / BACKUP_DIR)
        )
        await importer.run(csv_bytes([("sku", "qty"), ("A1", quantity)]), ImportOptions())
    finally:
        await store.close()


@pytest.mark.slow
def test_backup_and_restore_refused_while_the_daemon_runs(tmp_path: Path) -> None:
    state = tmp_path / "state"
    asyncio.run(seed(state))
    asyncio.run(count(state, "4"))
    taken = cli("backup", state=state)
    assert taken.returncode == 0, taken.stderr
    backup = taken.stdout.strip()
    assert Path(backup).is_file() and "manual" in backup
    asyncio.run(count(state, "9"))
    assert physical(state, "A1") == 9

    daemon = Daemon(tmp_path)  # same state directory
    try:
        daemon.messages("READY=1")
        busy = cli("restore", backup, "--yes", state=state)
        assert busy.returncode == 75 and "daemon is running" in busy.stderr
        daemon.proc.send_signal(signal.SIGTERM)
        assert daemon.proc.wait(10) == 0
    finally:
        daemon.stop()

    unconfirmed = cli("restore", backup, state=state, stdin="")
    assert unconfirmed.returncode == 1 and physical(state, "A1") == 9
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"not a database" * 100)
    assert cli("restore", str(garbage), "--yes", state=state).returncode == 1

    restored = cli("restore", backup, "--yes", state=state)
    assert restored.returncode == 0, restored.stderr
    assert physical(state, "A1") == 4
    listed = cli("backup", "--list", state=state)
    assert "pre-restore" in listed.stdout and "import" in listed.stdout
