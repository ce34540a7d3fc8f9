"""stock_pending (migrations 0006, 0007) always equals the sum it replaces: every movement past
the cloud's included seq, per SKU and warehouse, through batches of movements, new and changed
cloud figures, deleted figures, and an upgrade of a database that already holds movements."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

from bridge.stock.ledger import add_movements_blocking
from bridge.store import Store
from bridge.store.database import _migrations

SUM_SQL = """
SELECT m.sku, m.warehouse, SUM(m.quantity_milli)
FROM stock_movements m LEFT JOIN stock_levels l ON l.sku = m.sku AND l.warehouse = m.warehouse
WHERE m.seq > COALESCE(l.included_seq, 0)
GROUP BY m.sku, m.warehouse
"""


def summed(db: sqlite3.Connection) -> dict[tuple[str, str], int]:
    return {(s, w): q for s, w, q in db.execute(SUM_SQL)}


def kept(db: sqlite3.Connection) -> dict[tuple[str, str], int]:
    rows = db.execute("SELECT sku, warehouse, quantity_milli FROM stock_pending")
    return {(s, w): q for s, w, q in rows if q != 0}


def add_movement(db: sqlite3.Connection, seq: int, sku: str, wh: str, qty: int) -> None:
    """As version 5 wrote a movement (no stock_pending yet)."""
    db.execute(
        "INSERT INTO stock_movements (seq, document_id, sku, warehouse, quantity_milli) "
        "VALUES (?, ?, ?, ?, ?)",
        (seq, f"doc{seq}", sku, wh, qty),
    )


def set_figure(db: sqlite3.Connection, sku: str, wh: str, included: int) -> None:
    db.execute(
        "INSERT INTO stock_levels (sku, warehouse, physical, reserved, included_seq, updated_at) "
        "VALUES (?, ?, '10', '0', ?, 'now') ON CONFLICT (sku, warehouse) DO UPDATE SET "
        "physical = excluded.physical, included_seq = excluded.included_seq",
        (sku, wh, included),
    )


async def test_pending_follows_every_kind_of_write(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite3")
    await store.open()
    await store.close()
    db = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None)
    rnd = random.Random(6)
    seq = 0
    keys = [(sku, wh) for sku in ("A", "B", "C") for wh in ("main", "back")]
    for _ in range(1000):
        sku, wh = rnd.choice(keys)
        roll = rnd.random()
        if roll < 0.7:  # a document: a few movements under one seq, some on the same key
            seq += 1
            rows = [
                (seq, f"doc{seq}", *rnd.choice(keys), rnd.randint(-5000, 5000))
                for _ in range(rnd.randint(1, 4))
            ]
            db.execute("BEGIN")
            add_movements_blocking(db, rows)
            db.execute("COMMIT")
        elif roll < 0.9:  # the cloud's figure now includes this till up to some seq
            set_figure(db, sku, wh, rnd.randint(0, seq))
        else:
            db.execute("DELETE FROM stock_levels WHERE sku = ? AND warehouse = ?", (sku, wh))
        assert kept(db) == {k: v for k, v in summed(db).items() if v != 0}
    db.close()


async def test_upgrade_sums_the_movements_already_recorded(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    for number, _, sql in _migrations()[:5]:  # a database as version 5 left it
        db.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {number};\nCOMMIT;")
    for seq in range(1, 101):
        add_movement(db, seq, "A" if seq % 3 else "B", "main", -1000)
    set_figure(db, "A", "main", 40)  # the cloud already counts A's movements up to seq 40
    expected = summed(db)
    db.close()

    store = Store(path)
    await store.open()
    await store.close()
    db = sqlite3.connect(path)
    assert kept(db) == expected and expected[("A", "main")] == -40_000
    db.close()
