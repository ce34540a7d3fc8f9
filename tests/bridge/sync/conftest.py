"""Fixtures: a reference cloud process and a till daemon process on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cloud.harness import CloudProcess, TillProcess, product, wait_for

SKUS = ["A1", "B2"]


@pytest.fixture
def cloud(tmp_path: Path) -> Iterator[CloudProcess]:
    proc = CloudProcess(tmp_path)
    yield proc
    proc.stop()


@pytest.fixture
def till_factory(tmp_path: Path) -> Iterator:
    made: list[TillProcess] = []

    def make(cloud: CloudProcess | None, **kw: object) -> TillProcess:
        till = TillProcess(tmp_path, cloud, **kw)  # type: ignore[arg-type]
        made.append(till)
        return till

    yield make
    for till in made:
        till.stop()


@pytest.fixture
def stocked(cloud: CloudProcess) -> CloudProcess:
    """A cloud with two products and 100 of each."""
    cloud.load_catalog([product(sku) for sku in SKUS])
    for sku in SKUS:
        cloud.set_stock(sku, "100")
    return cloud


@pytest.fixture
def till(stocked: CloudProcess, till_factory) -> TillProcess:  # type: ignore[no-untyped-def]
    till = till_factory(stocked)
    till.start()
    wait_for(lambda: all(till.has_product(s) for s in SKUS), 15, "the catalog to arrive")
    return till
