"""Cloud sync on loopback, daemon and reference cloud as their own processes.

1. Drain of a 100,000-event offline backlog (seeded straight into the outbox): events/s from the
   daemon's start to an empty outbox, and the daemon's peak RSS. Goal > 5,000/s, RSS < 100 MB.
2. Cloud-change-to-till latency over 200 stock changes (admin API call to the figure visible in the
   till's API), p50 and p99. Goal p99 < 2 s.
Run: ``.venv/bin/python bench/bench_sync.py [events]``
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.cloud.backlog import peak_rss_mb, seed_outbox
from tests.cloud.harness import CloudProcess, TillProcess, product, wait_for

SKUS = ["A1", "B2"]


def main(events: int) -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        cloud = CloudProcess(tmp)
        till = TillProcess(tmp, cloud, long_poll_s=25)
        try:
            cloud.load_catalog([product(s) for s in SKUS])
            for sku in SKUS:
                cloud.set_stock(sku, "1000000")
            done = till.cli("token", "create", "--role", "technician", "--name", "bench")
            till.token = done.stdout.strip()
            seed_outbox(till.state / "tillbridge.sqlite3", events, SKUS)
            began = time.monotonic()
            till.start()
            ready = time.monotonic()
            wait_for(lambda: till.pending() == 0, 600, "the backlog to drain")
            took = time.monotonic() - began
            assert till.proc is not None
            rss = peak_rss_mb(till.proc.pid)
            drained = took - (ready - began)
            print(
                f"drain: {events} events in {took:.1f} s from process start = "
                f"{events / took:,.0f} events/s; {events / drained:,.0f} events/s once the API "
                f"answered ({ready - began:.1f} s start); daemon peak RSS {rss:.1f} MB"
            )

            latencies = []
            for i in range(200):
                figure = str(5000 + i)
                t0 = time.monotonic()
                cloud.set_stock("A1", figure)
                wait_for(lambda f=figure: till.stock("A1") == Decimal(f), 10, "the change")
                latencies.append(time.monotonic() - t0)
            latencies.sort()
            p50 = statistics.median(latencies)
            p99 = latencies[int(len(latencies) * 0.99) - 1]
            print(
                f"cloud change -> till: p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
                f"max {latencies[-1] * 1000:.0f} ms over {len(latencies)} changes"
            )
        finally:
            till.stop()
            cloud.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
