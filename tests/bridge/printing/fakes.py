"""Test drivers for faults a simulated printer does not make on its own, and a daemon using them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from bridge.config.loader import LoadedConfig, parse_config
from bridge.daemon import RunningDaemon, start_daemon
from drivers.base import DeviceNotReady, StatusChanged
from drivers.printer.errors import PrinterOffline
from drivers.registry import DRIVER_PATHS, DriverRegistry
from drivers.simulated.drawer import SimulatedDrawer
from drivers.simulated.printer import SimulatedPrinter
from tests.conftest import FAST_BACKOFF, assert_no_lingering_tasks

REGISTRY = {
    **DRIVER_PATHS,
    "flaky-printer": "tests.bridge.printing.fakes:FlakyPrinter",
    "gated-drawer": "tests.bridge.printing.fakes:GatedDrawer",
}


def load(text: str) -> LoadedConfig:
    return parse_config(text, "<test>", DriverRegistry(REGISTRY))


async def running(text: str, state_dir: Path) -> AsyncIterator[RunningDaemon]:
    daemon = await start_daemon(
        load(text), state_dir, registry=DriverRegistry(REGISTRY), backoff=FAST_BACKOFF
    )
    try:
        yield daemon
    finally:
        await daemon.stop()
        await assert_no_lingering_tasks()


class FlakyPrinter(SimulatedPrinter):
    """Answers its status as ready, but can refuse writes unsent or fail a status query."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.refuse_writes = False
        self.write_attempts = 0
        #: Status queries that raise an error no driver contract names (a driver bug).
        self.broken_queries = 0

    async def query_status(self) -> dict[str, Any]:
        if self.broken_queries:
            self.broken_queries -= 1
            raise RuntimeError("status parser bug")
        return await super().query_status()

    async def write(self, data: bytes) -> None:
        self.write_attempts += 1
        if self.refuse_writes:
            raise PrinterOffline(f"printer {self.device_id} refused the job (buffer full)")
        await super().write(data)

    def announce(self) -> None:
        """A status change, as the driver's poll would report one."""
        self._emit(StatusChanged(self.status()))


class GatedDrawer(SimulatedDrawer):
    """A drawer whose kick waits until the test lets it through."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.gate = asyncio.Event()
        self.kicking = asyncio.Event()

    async def kick(self) -> None:
        self.kicking.set()
        await self.gate.wait()
        if not self._open:
            raise DeviceNotReady(f"drawer {self.device_id} is not open")
        await super().kick()
