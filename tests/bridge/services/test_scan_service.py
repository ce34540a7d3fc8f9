"""Scans are delivered in order with their product; a flooding device is bounded and reported."""

from __future__ import annotations

import asyncio

from bridge.events.bus import EventBus
from bridge.services.scans import ScanService
from drivers.base import ScanRead


def bus() -> EventBus:
    return EventBus(replay_window_s=60, replay_max_events=1000, client_queue_size=100)


async def test_scans_keep_order_and_carry_the_product() -> None:
    events = bus()
    seen: list[dict] = []
    events.add_listener(lambda e: seen.append(e.data) if e.topic == "scan" else None)

    async def lookup(code: str) -> dict | None:
        await asyncio.sleep(0.001 if code == "1" else 0)  # a slow first lookup must not reorder
        return {"sku": f"SKU-{code}"} if code != "404" else None

    service = ScanService(events, lookup)
    await service.start()
    for code in ("1", "2", "404"):
        service.on_scan("scanner", ScanRead(code))
    for _ in range(100):
        if len(seen) == 3:
            break
        await asyncio.sleep(0.01)
    await service.stop()
    assert [(s["code"], s["product"]) for s in seen] == [
        ("1", {"sku": "SKU-1"}),
        ("2", {"sku": "SKU-2"}),
        ("404", None),
    ]


async def test_a_flooding_scanner_is_bounded_and_reported() -> None:
    events = bus()
    notices: list[dict] = []
    events.add_listener(lambda e: notices.append(e.data) if e.topic == "device" else None)
    gate = asyncio.Event()

    async def stuck_lookup(code: str) -> None:
        await gate.wait()

    service = ScanService(events, stuck_lookup, max_pending=50)
    await service.start()
    for i in range(60):
        service.on_scan("flood", ScanRead(str(i)))
    assert service.dropped >= 9  # one is in the worker, 50 queued, the rest dropped
    assert notices and notices[0] == {
        "device": "flood",
        "event": "scan_discarded",
        "reason": "queue_full",
        "detail": {},
    }
    gate.set()
    await service.stop()
