"""The simulated drawer: opens on a kick, closes by itself or on command, reports each change."""

from __future__ import annotations

import asyncio

import pytest

from drivers.base import DeviceNotReady, DriverEvent, StatusChanged
from drivers.simulated.drawer import SimulatedDrawer


async def test_opens_on_kick_and_closes_on_command() -> None:
    events: list[DriverEvent] = []
    drawer = SimulatedDrawer("drawer", SimulatedDrawer.Options(auto_close_s=None), events.append)
    await drawer.open()
    assert await drawer.is_open() is False
    await drawer.kick()
    assert await drawer.is_open() is True
    drawer.close_drawer()
    assert await drawer.is_open() is False
    assert [e.status["open"] for e in events if isinstance(e, StatusChanged)] == [True, False]
    await drawer.close()


async def test_closes_by_itself_and_close_leaves_no_timer() -> None:
    closed = asyncio.Event()

    def emit(event: DriverEvent) -> None:
        if isinstance(event, StatusChanged) and not event.status["open"]:
            closed.set()

    drawer = SimulatedDrawer("drawer", SimulatedDrawer.Options(auto_close_s=0.01), emit)
    await drawer.open()
    await drawer.kick()
    async with asyncio.timeout(5):
        await closed.wait()
    assert await drawer.is_open() is False
    await drawer.kick()
    await drawer.close()  # the pending auto-close is cancelled and awaited
    me = asyncio.current_task()
    assert not [t for t in asyncio.all_tasks() if t is not me and not t.done()]
    assert drawer.status()["kicks"] == 2


async def test_kicking_a_closed_device_is_refused() -> None:
    drawer = SimulatedDrawer("drawer", SimulatedDrawer.Options(), lambda e: None)
    with pytest.raises(DeviceNotReady):
        await drawer.kick()
