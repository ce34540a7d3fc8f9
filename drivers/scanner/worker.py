"""The one thread a scanner may use for blocking calls (open, grab, close), with timeouts."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from drivers.base import DeviceNotReady

T = TypeVar("T")


class BlockingWorker:
    """A single-thread executor owned by one device; every call has a time limit."""

    def __init__(self, device_id: str) -> None:
        self._device_id = device_id
        self._executor: ThreadPoolExecutor | None = None
        self._last: asyncio.Future[object] | None = None

    async def call(self, fn: Callable[[], T], *, limit: float, what: str) -> T:
        """Run ``fn`` on the device's thread; DeviceNotReady if it takes longer than ``limit`` seconds."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=1, thread_name_prefix=f"scanner-{self._device_id}"
            )
        future = asyncio.get_running_loop().run_in_executor(self._executor, fn)
        self._last = future  # type: ignore[assignment]
        try:
            return await asyncio.wait_for(future, limit)
        except TimeoutError:
            raise DeviceNotReady(
                f"scanner {self._device_id}: {what} did not finish within {limit:g} s",
                code="scanner.timeout",
            ) from None

    def shutdown(self) -> None:
        """End the thread; joins it only when idle, so a stuck call never blocks the loop."""
        if self._executor is not None:
            idle = self._last is None or self._last.done()
            self._executor.shutdown(wait=idle, cancel_futures=True)
            self._executor = None
            self._last = None
