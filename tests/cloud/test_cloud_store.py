"""The cloud's rules on both storage backends: one code, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bridge.cloud.admin import CloudAdmin
from bridge.cloud.backends import backend_for
from bridge.cloud.service import CloudService, CursorExpired, SeqConflict, SeqGap
from bridge.cloud.signing import Signer
from bridge.sync.protocol import Event
from tests.cloud.postgres import postgres_missing, running_postgres


@pytest.fixture(scope="module")
def pg_dsn() -> Iterator[str]:
    reason = postgres_missing()
    if reason:
        pytest.skip(reason)
    with running_postgres() as dsn:
        yield dsn


@pytest.fixture(params=["sqlite", "postgresql"])
async def admin(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[CloudAdmin]:
    if request.param == "sqlite":
        url = f"sqlite://{tmp_path / 'cloud.sqlite3'}"
    else:
        url = request.getfixturevalue("pg_dsn")
    backend = backend_for(url)
    await backend.open()
    if request.param == "postgresql":  # one server for the module: start each test empty
        async with backend.transaction() as tx:
            for table in ("tills", "streams", "events", "documents", "stock", "changes", "meta"):
                await tx.execute(f"DELETE FROM {table}")
    yield CloudAdmin(CloudService(backend), Signer.load_or_create(tmp_path / "keys"))
    await backend.close()


def ev(seq: int, doc: str, qty: str = "-1", payload: dict | None = None) -> Event:
    body = (
        payload
        if payload is not None
        else {"movements": [{"sku": "A", "warehouse": "main", "quantity": qty}]}
    )
    return Event(seq=seq, id=doc, type="sale", occurred_at="2026-01-01T00:00:00Z", payload=body)


async def test_push_is_idempotent_and_applies_stock_once(admin: CloudAdmin) -> None:
    svc = admin.service
    await admin.set_stock([{"sku": "A", "warehouse": "main", "physical": "10"}])
    first = await svc.push("t", "i1", [ev(1, "d1"), ev(2, "d2")])
    assert first.acked_through == 2
    again = await svc.push("t", "i1", [ev(1, "d1"), ev(2, "d2"), ev(3, "d3")])
    assert [r["status"] for r in again.results] == ["duplicate", "duplicate", "accepted"]
    stock = await admin.stock()
    assert stock["A@main"]["physical"] == "7" and stock["A@main"]["includes"] == {"i1": 3}


async def test_gap_conflict_cross_stream_duplicate_and_quarantine(admin: CloudAdmin) -> None:
    svc = admin.service
    await svc.push("t", "i1", [ev(1, "d1")])
    with pytest.raises(SeqGap) as gap:
        await svc.push("t", "i1", [ev(3, "d3")])
    assert gap.value.expected == 2
    with pytest.raises(SeqConflict):
        await svc.push("t", "i1", [ev(1, "other")])
    moved = await svc.push("t", "i2", [ev(1, "d1"), ev(2, "bad", payload={"movements": "x"})])
    assert [r["status"] for r in moved.results] == ["duplicate", "quarantined"]
    summary = await admin.summary("t")
    assert summary["documents"] == ["bad", "d1"]
    assert summary["quarantined"][0]["id"] == "bad"


async def test_feed_snapshot_and_expiry(admin: CloudAdmin) -> None:
    svc = admin.service
    await admin.load_catalog([{"sku": f"S{i}", "name": "x"} for i in range(7)])
    await admin.publish_config("t", {"printing": {}})
    changes, cursor, more = await svc.changes("t", None, 5)
    assert len(changes) == 5 and more
    rest, cursor, more = await svc.changes("t", cursor, 5)
    assert [c.kind for c in rest] == ["product", "product", "config"] and not more
    other, _, _ = await svc.changes("other-till", None, 100)
    assert all(c.kind != "config" for c in other)
    items, token, snap_cursor = await svc.snapshot("t", None, page_size=4)
    while token:
        page, token, _ = await svc.snapshot("t", token, page_size=4)
        items += page
    assert len(items) == 8
    await admin.expire_cursors()
    with pytest.raises(CursorExpired):
        await svc.changes("t", cursor, 5)
    _, _, fresh = await svc.snapshot("t", None)
    assert (await svc.changes("t", fresh, 5))[0] == []


async def test_signed_envelope_verifies_with_the_published_key(admin: CloudAdmin) -> None:
    from bridge.sync.signed_config import check_signature

    envelope = await admin.publish_config("t", {"drawers": {"max_per_token": 3}})
    check_signature(envelope, [admin.signer.public_key_b64()])
