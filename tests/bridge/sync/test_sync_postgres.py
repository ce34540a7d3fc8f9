"""The same daemon against the reference cloud on PostgreSQL (skipped when it is not installed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bridge.sync.conftest import SKUS
from tests.cloud.harness import CloudProcess, assert_consistent, product, sale, wait_for
from tests.cloud.postgres import postgres_missing, running_postgres

pytestmark = pytest.mark.slow


def test_sales_and_catalog_through_a_postgresql_cloud(tmp_path: Path, till_factory) -> None:  # type: ignore[no-untyped-def]
    reason = postgres_missing()
    if reason:
        pytest.skip(reason)
    with running_postgres() as dsn:
        cloud = CloudProcess(tmp_path, db=dsn, faults=None)
        try:
            cloud.load_catalog([product(sku) for sku in SKUS])
            cloud.set_stock("A1", "50")
            cloud.set_stock("B2", "50")
            till = till_factory(cloud)
            till.start()
            wait_for(lambda: all(till.has_product(s) for s in SKUS), 15, "the catalog")
            cloud.faults(drop_after_commit_rate=0.3, error_rate=0.1, seed=2)
            for i in range(30):
                till.record(sale(SKUS[i % 2]))
            wait_for(lambda: till.pending() == 0, 30, "drain")
            cloud.faults()
            assert_consistent(till, cloud, SKUS)
            till.stop()
        finally:
            cloud.stop()
