"""A cash drawer with no hardware: it springs open on a kick and closes by itself or on command."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated, Any, ClassVar

from msgspec import Meta

from drivers.base import DeviceNotReady, Drawer, DriverOptions, StatusChanged


class DrawerMechanism:
    """The drawer itself, shared by the simulated drawer and the simulated printer's drawer port.

    ``auto_close_s`` stands for the cashier pushing it shut; None leaves it open until
    :meth:`push_closed`. ``on_change`` runs on the event loop after every open or close.
    """

    def __init__(self, auto_close_s: float | None, on_change: Callable[[], None]) -> None:
        self.auto_close_s = auto_close_s
        self.is_open = False
        self.kicks = 0
        self._on_change = on_change
        self._timer: asyncio.Task[None] | None = None

    def kick(self) -> None:
        self.kicks += 1
        self._cancel_timer()
        if not self.is_open:
            self.is_open = True
            self._on_change()
        if self.auto_close_s is not None:
            self._timer = asyncio.get_running_loop().create_task(
                self._close_later(self.auto_close_s), name="simulated-drawer-close"
            )

    def push_closed(self) -> None:
        self._cancel_timer()
        if self.is_open:
            self.is_open = False
            self._on_change()

    async def stop(self) -> None:
        """Cancel and await the pending auto-close."""
        timer, self._timer = self._timer, None
        if timer is not None and not timer.done():
            timer.cancel()
            try:
                await timer
            except asyncio.CancelledError:
                current = asyncio.current_task()
                if current is not None and current.cancelling():
                    raise

    def _cancel_timer(self) -> None:
        timer, self._timer = self._timer, None
        if timer is not None and timer is not asyncio.current_task():
            timer.cancel()

    async def _close_later(self, delay: float) -> None:
        await asyncio.sleep(delay)
        self._timer = None
        self.push_closed()


class SimulatedDrawerOptions(DriverOptions):
    auto_close_s: (
        Annotated[
            float,
            Meta(
                ge=0,
                description="Seconds until the simulated drawer shuts by itself; null keeps it open "
                "until closed from the technician page.",
            ),
        ]
        | None
    ) = 3.0


class SimulatedDrawer(Drawer):
    """A drawer on no port at all: the embedded default and a twin for tests."""

    Options: ClassVar[type[DriverOptions]] = SimulatedDrawerOptions
    options: SimulatedDrawerOptions

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._open = False
        self._drawer = DrawerMechanism(self.options.auto_close_s, self._changed)

    async def open(self) -> None:
        self._open = True

    async def close(self) -> None:
        self._open = False
        await self._drawer.stop()

    def status(self) -> dict[str, Any]:
        return {"simulated": True, "open": self._drawer.is_open, "kicks": self._drawer.kicks}

    async def kick(self) -> None:
        if not self._open:
            raise DeviceNotReady(f"drawer {self.device_id} is not open")
        self._drawer.kick()

    async def is_open(self) -> bool | None:
        return self._drawer.is_open

    def close_drawer(self) -> None:
        """Shut the drawer, as a cashier would."""
        self._drawer.push_closed()

    def _changed(self) -> None:
        self._emit(StatusChanged(self.status()))
