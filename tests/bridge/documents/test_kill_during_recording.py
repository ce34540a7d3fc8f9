"""kill -9 while documents are being recorded: every acknowledged document is whole after
restart (document, movements, outbox event), and no document is there in part."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import urllib.request
from pathlib import Path

import aiohttp

from tests.bridge.catalog_helpers import product, sale
from tests.bridge.test_daemon_process import Daemon

CLIENTS = 10
KILL_AFTER = 120


def put_product(daemon: Daemon, token: str, sku: str) -> None:
    body = json.dumps(product(sku, f"Product {sku}")).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{daemon.port}/api/v1/products/{sku}", data=body, method="PUT"
    )
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=5) as resp:
        assert resp.status == 201


async def hammer(daemon: Daemon, token: str) -> tuple[set[str], set[str]]:
    """Post sales from many clients; kill the daemon mid-stream. (acknowledged, sent) ids."""
    acked: set[str] = set()
    sent: set[str] = set()
    url = f"http://127.0.0.1:{daemon.port}/api/v1/documents"
    headers = {"Authorization": f"Bearer {token}"}

    async def client(session: aiohttp.ClientSession) -> None:
        while True:
            doc = sale([("A", "1", "10.00"), ("B", "2", "10.00")])
            sent.add(doc["id"])
            try:
                async with session.post(url, json=doc, headers=headers) as resp:
                    if resp.status == 201:
                        acked.add(doc["id"])
                        if len(acked) == KILL_AFTER:
                            os.kill(daemon.proc.pid, signal.SIGKILL)
                    else:
                        raise AssertionError(await resp.text())
            except (aiohttp.ClientError, ConnectionError):
                return

    async with aiohttp.ClientSession() as session:
        await asyncio.wait_for(
            asyncio.gather(*(client(session) for _ in range(CLIENTS))), timeout=60
        )
    return acked, sent


def test_sigkill_leaves_whole_documents_or_none(tmp_path: Path) -> None:
    daemon = Daemon(tmp_path)
    try:
        daemon.messages("READY=1")
        assert daemon.proc.stdout is not None
        daemon.proc.stdout.readline()
        token = daemon.proc.stdout.readline().strip().split("#token=")[1]
        put_product(daemon, token, "A")
        put_product(daemon, token, "B")
        acked, sent = asyncio.run(hammer(daemon, token))
        assert daemon.proc.wait(10) == -signal.SIGKILL
    finally:
        daemon.stop()
    assert len(acked) >= KILL_AFTER

    db = sqlite3.connect(tmp_path / "state" / "tillbridge.sqlite3")
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        documents = dict(db.execute("SELECT id, seq FROM documents").fetchall())
        events = dict(db.execute("SELECT id, seq FROM outbox").fetchall())
        moves: dict[str, int] = dict(
            db.execute("SELECT document_id, COUNT(*) FROM stock_movements GROUP BY document_id")
        )
        seqs = sorted(events.values())
    finally:
        db.close()
    assert acked <= set(documents), "an acknowledged document is missing after kill -9"
    assert set(documents) <= sent
    assert documents == events  # each document has its event, with the same seq, and no other
    assert all(moves.get(doc_id) == 2 for doc_id in documents)
    assert set(moves) == set(documents)
    assert seqs == list(range(1, len(seqs) + 1))  # contiguous: nothing half-written
