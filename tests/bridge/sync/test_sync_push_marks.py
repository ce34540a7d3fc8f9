"""What marks an event delivered, against a real database and a cloud stub that answers as told.

The stub stands for a cloud whose answers the reference cloud never gives (an `acked_through`
above the batch, a `seq_gap` pointing past what this till sent): the till must hold to the
protocol's rule either way.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from bridge.config.loader import load_config
from bridge.config.models import CloudConfig
from bridge.store import Store
from bridge.store.lock import DaemonLock
from bridge.store.outbox import append_event
from bridge.sync.client import CloudClient, EventsMissing, StreamAhead
from bridge.sync.protocol import PushResult
from bridge.sync.pull import PullLoop
from bridge.sync.push import PushLoop
from bridge.sync.service import SyncService
from bridge.sync.state import SyncStatus


class CloudStub:
    """Answers every push with the configured acked_through and records what was sent."""

    def __init__(self, acked_through: int) -> None:
        self.acked_through = acked_through
        self.sent: list[list[int]] = []

    async def push(self, events: Sequence[dict[str, Any]], body: bytes) -> PushResult:
        self.sent.append([e["seq"] for e in events])
        return PushResult(acked_through=self.acked_through, results=[])


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    store = Store(tmp_path / "till.sqlite3")
    await store.open()
    yield store
    await store.close()


async def record(store: Store, count: int) -> None:
    async with store.transaction() as tx:
        for _ in range(count):
            await append_event(tx, "cash_in", str(uuid.uuid4()), {"amount": "1.00"})


async def pending(store: Store) -> list[int]:
    rows = await store.fetchall("SELECT seq FROM outbox WHERE acked_at IS NULL ORDER BY seq")
    return [int(r[0]) for r in rows]


def push_loop(store: Store, cloud: Any, **config: Any) -> PushLoop:
    settings = CloudConfig(url="http://127.0.0.1:9", till_id="t", token="x", **config)
    return PushLoop(store, cloud, settings, SyncStatus())


async def test_an_answer_marks_only_the_events_its_batch_carried(store: Store) -> None:
    await record(store, 5)
    cloud = CloudStub(acked_through=5)  # the cloud's stream is past this batch
    loop = push_loop(store, cloud, batch_size=3)
    assert await loop.push_batch() == 3
    assert cloud.sent == [[1, 2, 3]]
    assert await pending(store) == [4, 5]  # never sent, so not delivered


async def test_the_stream_position_never_marks_unsent_events(store: Store) -> None:
    # Sales recorded before the start-up handshake, in a database whose stream the cloud
    # already holds up to seq 3 (from another copy, or from this one before a lost answer).
    await record(store, 3)
    loop = push_loop(store, CloudStub(acked_through=3))
    await loop.reconcile(3)  # the handshake, or a seq_gap with expected_seq 4
    assert await pending(store) == [1, 2, 3]  # sent again: the cloud says duplicate or conflict


async def test_a_stream_past_anything_this_database_numbered_is_a_copy(store: Store) -> None:
    await record(store, 2)
    loop = push_loop(store, CloudStub(acked_through=0))
    with pytest.raises(StreamAhead) as exc:
        await loop.reconcile(5)
    assert "cloned or restored" in str(exc.value) and "up to 5" in str(exc.value)
    assert await pending(store) == [1, 2]  # kept, not marked


async def test_events_the_cloud_lost_are_sent_again_or_reported_missing(store: Store) -> None:
    await record(store, 4)
    loop = push_loop(store, CloudStub(acked_through=4))
    assert await loop.push_batch() == 4
    await loop.reconcile(2)  # the cloud was restored from an older backup
    assert await pending(store) == [3, 4]
    async with store.transaction() as tx:
        await tx.execute("DELETE FROM outbox WHERE seq = 3")  # as if pruned
    with pytest.raises(EventsMissing, match=r"3\.\.3 were already pruned"):
        await loop.reconcile(2)


async def test_a_failed_daily_reconciliation_is_logged_and_shown(
    store: Store, tmp_path: Path
) -> None:
    config_file = tmp_path / "till.toml"
    config_file.write_text('[cloud]\nurl = "http://127.0.0.1:9"\ntill_id = "t"\ntoken = "x"\n')
    config = load_config(config_file)

    async def nothing(*_args: Any) -> None:
        return None

    service = SyncService(
        config,
        store,
        tmp_path,
        apply_devices=nothing,
        backup=nothing,
        publish=lambda _status: None,
    )
    cloud = config.settings.cloud
    service.client = CloudClient(cloud, store.instance_id)  # port 9: connection refused
    await service.client.open()
    try:
        service.push = PushLoop(store, service.client, cloud, service.status)
        service.pull = PullLoop(
            store, service.client, cloud, service.status, service._on_config, nothing
        )
        assert await service.daily_reconciliation() is False
    finally:
        await service.client.close()
    assert "daily reconciliation failed" in (service.status.last_pull_error or "")


def test_one_lock_kind_serves_the_daemon_and_sync(tmp_path: Path) -> None:
    daemon = DaemonLock(tmp_path)
    sync = DaemonLock(tmp_path, exclusive=True, name="sync.lock")
    other = DaemonLock(tmp_path, exclusive=True, name="sync.lock")
    daemon.acquire()
    try:
        assert sync.try_acquire() is True  # another file: not excluded by the daemon lock
        assert other.try_acquire() is False
        sync.release()
        assert other.try_acquire() is True
    finally:
        other.release()
        daemon.release()
