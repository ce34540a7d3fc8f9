"""Sync keeps going, or stops loudly, where it used to stop silently or lose sales (processes)."""

from __future__ import annotations

import json
import sqlite3
import uuid
from decimal import Decimal

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


def alert_code(till: TillProcess) -> str | None:
    alert = till.sync_status()["alert"]
    return alert["code"] if alert else None


def write_db(till: TillProcess) -> sqlite3.Connection:
    """The till's own database, opened beside the daemon to put a fault in it."""
    return sqlite3.connect(till.state / "tillbridge.sqlite3", timeout=10, isolation_level=None)


def test_restored_database_sale_made_before_the_handshake_is_not_lost(
    stocked: CloudProcess, till: TillProcess
) -> None:
    till.record(sale("A1"))
    wait_for(lambda: till.pending() == 0, 15, "drain")
    taken = till.cli("backup")
    assert taken.returncode == 0, taken.stderr
    till.record(sale("A1"))  # reaches the cloud after the backup was taken
    wait_for(lambda: till.pending() == 0, 15, "drain")
    till.stop()
    done = till.cli("restore", taken.stdout.strip(), "--yes")
    assert done.returncode == 0, done.stderr
    assert "sync.seq_conflict" in done.stdout
    stocked.faults(error_rate=1.0)  # the start-up handshake cannot happen yet
    till.start()
    doc = sale("B2")
    till.record(doc)  # takes the seq the cloud already holds with another sale
    stocked.faults()
    status = wait_for(
        lambda: (
            (s := till.sync_status())["alert"] and s["alert"]["code"] == "sync.seq_conflict" and s
        ),
        20,
        "the seq_conflict alert",
    )
    assert "restore a newer one" in status["alert"]["message"]
    assert status["pending"] == 1 and doc["id"] in till.outbox_ids()  # kept, not "delivered"
    assert doc["id"] not in stocked.summary()["documents"]


def test_bad_snapshot_item_and_database_errors_do_not_end_sync(
    stocked: CloudProcess, till: TillProcess
) -> None:
    stocked.load_catalog([product("BAD", currency="not-a-currency")])
    wait_for(lambda: till.sync_status()["skipped"], 15, "the bad product skipped")
    stocked.admin("POST", "/admin/expire-cursors")
    stocked.load_catalog([product("AFTER")])  # 410 -> a snapshot that holds BAD
    wait_for(lambda: till.has_product("AFTER"), 20, "the snapshot without BAD")
    skipped = till.sync_status()["skipped"]
    assert {s["key"] for s in skipped} == {"BAD"} and len(skipped) >= 2
    assert not till.has_product("BAD")

    # The database refuses to store the feed cursor (as a failing disk would): the pull loop
    # fails, says so, and is restarted; a signed config in that page is not applied meanwhile.
    with write_db(till) as conn:
        conn.execute(
            "CREATE TRIGGER refuse_cursor BEFORE UPDATE ON sync_state WHEN NEW.key = 'cursor' "
            "BEGIN SELECT RAISE(ABORT, 'injected disk error'); END"
        )
    stocked.publish_config({"devices": {"kitchen": {"driver": "simulated-printer"}}}, version=3)
    wait_for(lambda: alert_code(till) == "sync.pull_failed", 15, "the pull failure alert")
    assert "injected disk error" in till.sync_status()["last_pull_error"]
    till.record(sale("A1"))  # pushing goes on
    wait_for(lambda: till.pending() == 0, 15, "a sale pushed while pulling fails")

    def device_ids() -> set[str]:
        return {d["id"] for d in till.api("GET", "/api/v1/devices")[1]["devices"]}

    assert "kitchen" not in device_ids() and till.sync_status()["config_version"] == 0
    with write_db(till) as conn:
        conn.execute("DROP TRIGGER refuse_cursor")
    wait_for(lambda: "kitchen" in device_ids(), 15, "the config once its page committed")
    wait_for(lambda: alert_code(till) is None, 15, "the alert to clear")
    outcomes = wait_for(lambda: stocked.summary()["config_applied"], 15, "config_applied")
    assert [o["status"] for o in outcomes] == ["ok"] and till.sync_status()["config_version"] == 3
    assert_consistent(till, stocked, SKUS)


def test_event_over_the_batch_limit_alerts_and_sync_goes_on(
    stocked: CloudProcess, till: TillProcess
) -> None:
    payload = json.dumps({"note": "x" * (1024 * 1024 + 10)})
    with write_db(till) as conn:  # as an old version or a huge inventory count could record it
        conn.execute(
            "INSERT INTO outbox (id, type, occurred_at, payload) VALUES (?, ?, ?, ?)",
            (str(uuid.uuid4()), "inventory_count", "2026-05-01T10:00:00Z", payload),
        )
        seq = conn.execute("SELECT max(seq) FROM outbox").fetchone()[0]
    till.record(sale("A1"))
    status = wait_for(
        lambda: (
            (s := till.sync_status())["alert"]
            and s["alert"]["code"] == "sync.event_too_large"
            and s
        ),
        20,
        "the event-too-large alert",
    )
    assert f"event seq {seq} (inventory_count" in status["alert"]["message"]
    assert status["pending"] == 2  # nothing dropped, the sale waits behind it
    stocked.set_stock("B2", "77")  # the pull side is alive
    wait_for(lambda: till.stock("B2") == Decimal("77"), 15, "a cloud change")


def test_sync_now_cuts_a_retry_after_wait_short(stocked: CloudProcess, till_factory) -> None:  # type: ignore[no-untyped-def]
    till: TillProcess = till_factory(stocked, retry_after_cap_s=3600.0, long_poll_s=1)
    till.start()
    wait_for(lambda: all(till.has_product(s) for s in SKUS), 15, "the catalog")
    stocked.faults(retry_after_rate=1.0, retry_after=["3000"])
    till.record(sale("A1"))
    wait_for(
        lambda: (
            (s := till.sync_status())["push_state"] == "retrying" and s["pull_state"] == "retrying"
        ),
        15,
        "both loops told to wait 3000 s",
    )
    stocked.faults()
    stocked.set_stock("B2", "55")
    status, body = till.api("POST", "/api/v1/sync/run?wait=15")
    assert status == 200 and body["done"] is True, body
    assert till.pending() == 0
    wait_for(lambda: till.stock("B2") == Decimal("55"), 10, "the pull to resume too")
