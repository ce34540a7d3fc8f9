"""What a conforming pair must survive (sync-protocol.md, last section), against real processes.

One cloud and one till serve the whole module; each test leaves both quiet and consistent.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from tests.bridge.sync.conftest import SKUS
from tests.cloud.harness import (
    CloudProcess,
    TillProcess,
    assert_consistent,
    product,
    sale,
    wait_for,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[CloudProcess, TillProcess]]:
    tmp: Path = tmp_path_factory.mktemp("pair")
    cloud = CloudProcess(tmp)
    cloud.load_catalog([product(sku) for sku in SKUS])
    for sku in SKUS:
        cloud.set_stock(sku, "1000")
    till = TillProcess(tmp, cloud)
    till.start()
    wait_for(lambda: all(till.has_product(s) for s in SKUS), 15, "the catalog")
    yield cloud, till
    till.stop()
    cloud.stop()


def test_errors_resets_slow_html_and_lost_answers(pair: tuple[CloudProcess, TillProcess]) -> None:
    cloud, till = pair
    cloud.faults(
        error_rate=0.15,
        html_rate=0.15,
        reset_rate=0.1,
        drop_after_commit_rate=0.2,
        delay_rate=0.2,
        delay_max_s=0.3,
        partial_rate=0.3,
        seed=7,
    )
    for i in range(40):
        till.record(sale(SKUS[i % 2]))
    wait_for(lambda: till.pending() == 0, 40, "the outbox to drain through faults")
    cloud.faults()
    assert_consistent(till, cloud, SKUS)
    assert cloud.summary()["events"].get("duplicate", 0) >= 0


@pytest.mark.parametrize("value", ["1", "date+1", "date-3600", "99999999999", "soon"])
def test_retry_after_in_every_form(pair: tuple[CloudProcess, TillProcess], value: str) -> None:
    cloud, till = pair
    cloud.faults(retry_after_rate=0.7, retry_after=[value], seed=3)
    for _ in range(3):
        till.record(sale("A1"))
    # The cap (2 s in these tests, 1 h by default) bounds even an absurd value.
    wait_for(lambda: till.pending() == 0, 30, f"drain with Retry-After {value}")
    cloud.faults()
    assert_consistent(till, cloud, SKUS)


def test_seq_gap_rewinds(pair: tuple[CloudProcess, TillProcess]) -> None:
    cloud, till = pair
    for _ in range(5):
        till.record(sale("B2"))
    wait_for(lambda: till.pending() == 0, 20, "drain")
    instance = till.instance_id()
    acked = cloud.summary()["streams"][instance]
    # The cloud is restored from an older backup: it forgets the last 3 events.
    cloud.admin(
        "POST", f"/admin/tills/till-1/streams/{instance}/truncate", {"keep_through": acked - 3}
    )
    till.record(sale("B2"))  # the next push meets seq_gap and rewinds
    wait_for(lambda: cloud.summary()["streams"][instance] == acked + 1, 20, "the rewind")
    assert_consistent(till, cloud, SKUS)


def test_expired_cursor_leads_to_a_snapshot(pair: tuple[CloudProcess, TillProcess]) -> None:
    cloud, till = pair
    backups = till.state / "backups"
    before = set(backups.glob("*.sqlite3")) if backups.exists() else set()
    cloud.load_catalog([product("GONE")])
    wait_for(lambda: till.has_product("GONE"), 10, "GONE to arrive")
    cloud.admin("POST", "/admin/catalog", {"products": [], "delete": ["GONE"]})
    cloud.admin("POST", "/admin/expire-cursors")  # the delete's tombstone is gone too
    cloud.load_catalog([product("NEW")])
    # The till's cursor is now too old: 410, a snapshot, and what the snapshot lacks is removed.
    wait_for(lambda: till.has_product("NEW") and not till.has_product("GONE"), 40, "snapshot")
    assert set(backups.glob("*.sqlite3")) - before, "no backup taken before the snapshot"
    assert_consistent(till, cloud, SKUS)


def test_sales_while_a_snapshot_is_applied(pair: tuple[CloudProcess, TillProcess]) -> None:
    cloud, till = pair
    cloud.load_catalog([product(f"BULK{i}") for i in range(1500)])
    wait_for(lambda: till.has_product("BULK1499"), 30, "the bulk catalog")
    cloud.admin("POST", "/admin/expire-cursors")
    seller_done = threading.Event()

    def sell() -> None:
        for _ in range(15):
            till.record(sale("A1"))
        seller_done.set()

    thread = threading.Thread(target=sell)
    thread.start()
    cloud.set_stock("B2", "500")  # wakes the long poll, which meets 410 -> snapshot
    thread.join(30)
    assert seller_done.is_set()
    wait_for(lambda: till.stock("B2") == Decimal("500"), 20, "the snapshot's figure")
    assert_consistent(till, cloud, SKUS)


def test_signed_config_checks_and_hot_apply(pair: tuple[CloudProcess, TillProcess]) -> None:
    cloud, till = pair
    devices = {"kitchen": {"driver": "simulated-printer"}}

    def device_ids() -> set[str]:
        return {d["id"] for d in till.api("GET", "/api/v1/devices")[1]["devices"]}

    def outcomes() -> list[dict]:
        return cloud.summary()["config_applied"]

    cloud.publish_config({"devices": devices}, version=5)
    wait_for(lambda: "kitchen" in device_ids(), 15, "the printer from the signed config")
    assert till.sync_status()["config_version"] == 5
    wait_for(lambda: outcomes() and outcomes()[-1]["status"] == "ok", 15, "config_applied ok")

    levers = [
        ({"bad_signature": True, "version": 6}, "bad_signature"),
        ({"version": 4}, "old_version"),
        ({"envelope_till_id": "till-2", "version": 7}, "other_till"),
        ({"expires_in_s": -60, "version": 8}, "expired"),
    ]
    other = {"devices": {"bar": {"driver": "simulated-printer"}}}
    for lever, code in levers:
        count = len(outcomes())
        cloud.publish_config(other, **lever)
        wait_for(lambda c=count: len(outcomes()) > c, 15, f"config_applied for {code}")
        last = outcomes()[-1]
        assert last["status"] == "error" and code in last["error"], last
        assert "bar" not in device_ids() and "kitchen" in device_ids()
        assert till.sync_status()["config_version"] == 5
    assert_consistent(till, cloud, SKUS)


def test_second_daemon_on_the_same_state_dir_does_not_push(
    pair: tuple[CloudProcess, TillProcess], tmp_path: Path
) -> None:
    cloud, till = pair
    second = TillProcess(tmp_path, cloud)
    second.state = till.state
    second.token = till.token
    second.start()
    try:
        status = second.sync_status()
        assert status["lock_held"] is False and status["alert"]["code"] == "sync.standby"
        assert till.sync_status()["lock_held"] is True
        till.record(sale("A1"))
        assert_consistent(till, cloud, SKUS)
    finally:
        second.stop()
