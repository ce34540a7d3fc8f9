"""Scans from any scanner become ``scan`` events, in order, with the product looked up."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import structlog

from bridge.events.bus import EventBus
from drivers.base import ScanRead

log = structlog.get_logger(__name__)

ProductLookup = Callable[[str], Awaitable[dict[str, Any] | None]]


class ScanService:
    """Decouples the scanner's read loop from lookups: the driver callback only enqueues."""

    #: Far beyond any human scanning (minutes of scans at 50/s): only a flooding device fills it.
    MAX_PENDING = 10_000

    def __init__(
        self, bus: EventBus, lookup: ProductLookup | None = None, max_pending: int = MAX_PENDING
    ) -> None:
        self._bus = bus
        self._lookup = lookup
        self._queue: asyncio.Queue[tuple[str, ScanRead]] = asyncio.Queue(max_pending)
        self._task: asyncio.Task[None] | None = None
        self.dropped = 0

    def set_lookup(self, lookup: ProductLookup | None) -> None:
        self._lookup = lookup

    def on_scan(self, device_id: str, scan: ScanRead) -> None:
        try:
            self._queue.put_nowait((device_id, scan))
        except asyncio.QueueFull:
            # A device flooding faster than lookups drain: drop and say so, never grow unbounded.
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                log.warning(
                    "scan.dropped", device=device_id, dropped=self.dropped, reason="queue full"
                )
            self._bus.publish(
                "device",
                {
                    "device": device_id,
                    "event": "scan_discarded",
                    "reason": "queue_full",
                    "detail": {},
                },
            )

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="scan-service")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        while not self._queue.empty():  # deliver what was already read
            self._publish(*self._queue.get_nowait(), None)

    async def _run(self) -> None:
        while True:
            device_id, scan = await self._queue.get()
            product = None
            if self._lookup is not None:
                try:
                    product = await self._lookup(scan.code)
                except Exception:
                    log.exception("scan.lookup_failed", device=device_id)
            self._publish(device_id, scan, product)

    def _publish(self, device_id: str, scan: ScanRead, product: dict[str, Any] | None) -> None:
        self._bus.publish(
            "scan",
            {
                "device": device_id,
                "code": scan.code,
                "symbology": scan.symbology,
                "product": product,
            },
        )
