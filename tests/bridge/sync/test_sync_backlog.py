"""A week offline: 100,000 queued events drain to the cloud in bounded memory."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.bridge.sync.conftest import SKUS
from tests.cloud.backlog import peak_rss_mb, seed_outbox
from tests.cloud.harness import CloudProcess, assert_consistent, wait_for

pytestmark = pytest.mark.slow
EVENTS = 100_000


def test_hundred_thousand_events_drain_in_bounded_memory(
    stocked: CloudProcess, till_factory
) -> None:  # type: ignore[no-untyped-def]
    till = till_factory(stocked)
    done = till.cli("token", "create", "--role", "technician", "--name", "tests")
    till.token = done.stdout.strip()
    seed_outbox(till.state / "tillbridge.sqlite3", EVENTS, SKUS)
    till.start()
    assert till.proc is not None
    wait_for(lambda: till.pending() == 0, 120, "the backlog to drain")
    rss = peak_rss_mb(till.proc.pid)
    assert rss < 150, f"daemon peak RSS {rss:.0f} MB while draining"
    summary = stocked.summary()
    assert summary["events"]["accepted"] == EVENTS
    assert len(summary["documents"]) == EVENTS
    assert stocked.stock("A1") == Decimal(100 - EVENTS // 2)
    assert_consistent(till, stocked, SKUS)
