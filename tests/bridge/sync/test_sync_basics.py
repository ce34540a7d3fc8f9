"""Daemon and reference cloud as processes: sales go up once, catalog and stock come down."""

from __future__ import annotations

from decimal import Decimal

from tests.bridge.sync.conftest import SKUS
from tests.cloud.harness import (
    CloudProcess,
    TillProcess,
    assert_consistent,
    product,
    sale,
    wait_for,
)


def test_sales_reach_the_cloud_once_and_stock_agrees(
    till: TillProcess, stocked: CloudProcess
) -> None:
    for i in range(20):
        till.record(sale(SKUS[i % 2], "2"))
    assert_consistent(till, stocked, SKUS)
    assert stocked.stock("A1") == Decimal("80") == till.stock("A1")
    summary = stocked.summary()
    assert summary["events"].get("accepted") == 20
    status = till.sync_status()
    assert status["pending"] == 0 and status["last_push_ok"] and status["alert"] is None


def test_cloud_changes_reach_the_till(till: TillProcess, stocked: CloudProcess) -> None:
    stocked.load_catalog([product("C3", price="5.50")])
    wait_for(lambda: till.has_product("C3"), 10, "a new product")
    stocked.set_stock("A1", "7")
    wait_for(lambda: till.stock("A1") == Decimal("7"), 10, "a new stock figure")
    stocked.admin("POST", "/admin/catalog", {"products": [], "delete": ["C3"]})
    wait_for(lambda: not till.has_product("C3"), 10, "a deleted product")


def test_sync_now_from_the_api_and_the_cli(till: TillProcess, stocked: CloudProcess) -> None:
    till.record(sale("A1"))
    status, body = till.api("POST", "/api/v1/sync/run?wait=10")
    assert status == 200 and body["done"] is True, body
    done = till.cli("sync")
    assert done.returncode == 0, done.stdout + done.stderr
    assert '"via": "daemon"' in done.stdout
    assert_consistent(till, stocked, SKUS)


def test_one_shot_sync_when_no_daemon_runs(till: TillProcess, stocked: CloudProcess) -> None:
    till.stop()
    stocked.set_stock("B2", "42")
    done = till.cli("sync")
    assert done.returncode == 0, done.stdout + done.stderr
    assert '"via": "one-shot"' in done.stdout
    till.start()
    assert till.stock("B2") == Decimal("42")
