"""Catalog lookups on a 100,000-product catalog: barcode p50/p99 (goal p99 < 1 ms) and name search.

Measured at the service the API handlers call (CatalogRepository on the store's reader), so the
figure is the lookup itself, without HTTP. Run: ``.venv/bin/python bench/bench_lookup.py``
"""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.catalog_fixture import ean13, fill
from bridge.catalog.repository import CatalogRepository
from bridge.store import Store

COUNT = 100_000
LOOKUPS = 20_000
QUERIES = ["zlutoucky kun", "молоко", "牛奶", "arvizturo", "chleb", "kave", "SKU004242", "čokol"]


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.sqlite3")
        await store.open()
        began = time.perf_counter()
        await fill(store, COUNT)
        print(f"catalog: {COUNT} products written in {time.perf_counter() - began:.1f} s")
        repo = CatalogRepository(store)
        rng = random.Random(1)
        for _ in range(500):  # warm the page cache
            await repo.by_barcode(ean13(rng.randrange(COUNT)))
        samples = []
        for _ in range(LOOKUPS):
            code = ean13(rng.randrange(COUNT))
            t0 = time.perf_counter()
            found = await repo.by_barcode(code)
            samples.append(time.perf_counter() - t0)
            assert found is not None
        print(
            f"barcode lookup: {LOOKUPS} lookups, p50 {pct(samples, 0.5):.3f} ms, "
            f"p99 {pct(samples, 0.99):.3f} ms, max {max(samples) * 1000:.3f} ms "
            f"(goal p99 < 1 ms)"
        )
        misses = []
        for i in range(2000):
            t0 = time.perf_counter()
            await repo.by_barcode(f"999{i:010d}")
            misses.append(time.perf_counter() - t0)
        print(f"barcode miss:   p50 {pct(misses, 0.5):.3f} ms, p99 {pct(misses, 0.99):.3f} ms")
        for query in QUERIES:
            times = []
            hits = 0
            for _ in range(200):
                t0 = time.perf_counter()
                hits = len(await repo.search(query, 20))
                times.append(time.perf_counter() - t0)
            print(
                f"name search {query!r:>18}: {hits:2d} hits, p50 {statistics.median(times) * 1000:.3f} ms, "
                f"p99 {pct(times, 0.99):.3f} ms"
            )
        await store.close()


if __name__ == "__main__":
    asyncio.run(main())
