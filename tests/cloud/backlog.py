"""Seed a till's outbox directly in SQLite: a week offline, without a week of API calls."""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path


def seed_outbox(db: Path, count: int, skus: list[str]) -> None:
    payload_of = [
        json.dumps(
            {
                "lines": [{"sku": sku, "quantity": "1"}],
                "movements": [{"sku": sku, "warehouse": "main", "quantity": "-1"}],
            },
            separators=(",", ":"),
        )
        for sku in skus
    ]
    with sqlite3.connect(db) as conn:
        conn.executemany(
            "INSERT INTO outbox (id, type, occurred_at, payload) VALUES (?, 'sale', ?, ?)",
            (
                (str(uuid.uuid4()), "2026-01-01T10:00:00.000Z", payload_of[i % len(skus)])
                for i in range(count)
            ),
        )


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")
