"""The recorder's queue is bounded: while the disk is behind, callers wait for room and every
document is still recorded (backpressure, never a dropped document)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from bridge.catalog.models import Product
from bridge.catalog.repository import upsert_products
from bridge.documents.models import Document
from bridge.documents.recorder import DocumentRecorder
from bridge.store import Store, StoreError
from bridge.wire import convert
from tests.bridge.catalog_helpers import sale

QUEUED = 4
SENT = 30


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = Store(tmp_path / "db.sqlite3")
    await opened.open()
    async with opened.transaction() as tx:
        await upsert_products(tx, [Product(sku="A", name="A", price=Decimal(10), currency="CZK")])
    yield opened
    await opened.close()


def doc() -> object:
    return convert(sale([("A", "1", "10.00")]), Document)


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_a_stalled_writer_holds_callers_back_and_loses_no_document(store: Store) -> None:
    recorder = DocumentRecorder(store, max_batch=2, max_queued=QUEUED)
    await recorder.start()
    try:
        async with store.transaction():  # the writer is busy: no batch can commit
            tasks = [asyncio.create_task(recorder.record(doc())) for _ in range(SENT)]  # type: ignore[arg-type]
            await settle()
            # Memory holds the bound (plus the batch being written), not every request.
            assert recorder._queue.qsize() <= QUEUED
            assert not any(t.done() for t in tasks)
        outcomes = await asyncio.wait_for(asyncio.gather(*tasks), 10)
    finally:
        await recorder.stop()
    assert all(o.created for o in outcomes)
    rows = await store.fetchall("SELECT id FROM documents")
    assert len(rows) == SENT


async def test_stop_records_callers_still_waiting_for_room(store: Store) -> None:
    recorder = DocumentRecorder(store, max_batch=2, max_queued=QUEUED)
    await recorder.start()
    async with store.transaction():
        tasks = [asyncio.create_task(recorder.record(doc())) for _ in range(SENT)]  # type: ignore[arg-type]
        await settle()
        stopping = asyncio.create_task(recorder.stop())
        await settle()
        with pytest.raises(StoreError):  # a newcomer is told to come back
            await recorder.record(doc())  # type: ignore[arg-type]
    await asyncio.wait_for(stopping, 10)
    outcomes = await asyncio.wait_for(asyncio.gather(*tasks), 10)
    assert len(outcomes) == SENT
    assert len(await store.fetchall("SELECT id FROM documents")) == SENT
