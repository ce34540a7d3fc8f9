"""kill -9 at random moments with faults on; a cloned database; rejected credentials."""

from __future__ import annotations

import random
import threading
import time
import uuid

import pytest

from tests.bridge.sync.conftest import SKUS
from tests.cloud.harness import (
    CloudProcess,
    TillProcess,
    assert_consistent,
    http,
    sale,
    wait_for,
)

pytestmark = pytest.mark.slow


def test_sigkill_at_random_moments_during_sales_with_faults(
    stocked: CloudProcess, till: TillProcess
) -> None:
    stocked.faults(
        error_rate=0.1, drop_after_commit_rate=0.2, reset_rate=0.05, partial_rate=0.2, seed=11
    )
    rng = random.Random(5)
    recorded: list[str] = []
    for _round in range(4):
        stop = threading.Event()

        def sell(stop: threading.Event = stop) -> None:
            while not stop.is_set():
                doc = sale(rng.choice(SKUS))
                try:
                    status, _ = http("POST", till.base + "/api/v1/documents", doc, till.token, 5)
                except OSError:
                    return  # the daemon died mid-request: this sale may or may not be recorded
                if status in (200, 201):
                    recorded.append(doc["id"])

        seller = threading.Thread(target=sell)
        seller.start()
        time.sleep(rng.uniform(0.2, 1.0))
        till.kill()
        stop.set()
        seller.join(10)
        till.start()
    stocked.faults()
    assert_consistent(till, stocked, SKUS, timeout=40)
    cloud_docs = set(stocked.summary()["documents"])
    assert set(recorded) <= cloud_docs, "a sale acknowledged to the POS never reached the cloud"
    assert len(recorded) > 10


def test_cloned_database_stops_pushing_and_keeps_everything(
    stocked: CloudProcess, till: TillProcess, till_factory
) -> None:  # type: ignore[no-untyped-def]
    till.record(sale("A1"))
    wait_for(lambda: till.pending() == 0, 15, "drain")
    till.stop()
    clone: TillProcess = till_factory(stocked, name="clone")
    till.clone_state_to(clone)
    till.start()
    till.record(sale("A1"))
    wait_for(lambda: till.pending() == 0, 15, "the original's sale")
    clone.start()
    clone_sale = sale("B2")
    clone.record(clone_sale)  # same instance, same next seq, another document
    status = wait_for(
        lambda: (
            (s := clone.sync_status())["alert"] and s["alert"]["code"] == "sync.seq_conflict" and s
        ),
        20,
        "the seq_conflict alert",
    )
    assert status["pending"] == 1 and "cloned or restored" in status["alert"]["message"]
    assert clone_sale["id"] not in stocked.summary()["documents"]
    assert clone_sale["id"] in clone.outbox_ids()  # kept, not dropped
    clone.stop()
    assert_consistent(till, stocked, SKUS)


def test_rejected_credentials_alert_and_keep_events(stocked: CloudProcess, till_factory) -> None:  # type: ignore[no-untyped-def]
    bad: TillProcess = till_factory(stocked, name="bad", token="wrong-token")
    bad.start()
    doc = {"id": str(uuid.uuid4()), "type": "cash_in", "currency": "CZK", "amount": "50.00"}
    bad.record(doc)
    status = wait_for(
        lambda: (
            (s := bad.sync_status())["alert"] and s["alert"]["code"] == "sync.credentials" and s
        ),
        15,
        "the credentials alert",
    )
    assert "check cloud.token" in status["alert"]["message"]
    assert status["pending"] == 1 and doc["id"] in bad.outbox_ids()
    assert "credentials_rejected" in bad.log_tail(100_000)
    assert "wrong-token" not in bad.log_tail(100_000)
