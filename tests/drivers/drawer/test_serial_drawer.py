"""A drawer on its own serial port: a pty for byte kicks, pyserial's loop:// for modem lines.

Pseudo-terminals have no modem control lines, so line kicks and sensors run on pyserial's
loopback port, where DSR follows DTR and CD is always active.
"""

from __future__ import annotations

import asyncio
import os
import tty
from typing import Any

import pytest

from drivers.base import DeviceConfigError, DeviceLost, DeviceNotReady, DriverEvent
from drivers.drawer.serial_drawer import SerialDrawer


def make(port: str, events: list[DriverEvent] | None = None, **options: Any) -> SerialDrawer:
    opts = SerialDrawer.Options(port=port, sensor_poll_s=0, **options)
    return SerialDrawer("drawer", opts, events.append if events is not None else lambda e: None)


async def read_master(fd: int, n: int) -> bytes:
    got = b""
    async with asyncio.timeout(5):
        while len(got) < n:
            try:
                got += os.read(fd, 64)
            except BlockingIOError:
                await asyncio.sleep(0.01)
    return got


async def test_byte_kick_sends_the_configured_sequence() -> None:
    master, slave = os.openpty()
    tty.setraw(slave)
    os.set_blocking(master, False)
    drawer = make(os.ttyname(slave), kick_bytes="1b700132ff")
    try:
        await drawer.open()
        assert await drawer.is_open() is None  # no sensor wired
        await drawer.kick()
        assert await read_master(master, 5) == b"\x1bp\x012\xff"
        assert drawer.status()["kicks"] == 1
    finally:
        await drawer.close()
        os.close(master)
        os.close(slave)


async def test_a_vanished_port_is_reported_lost() -> None:
    master, slave = os.openpty()
    tty.setraw(slave)
    events: list[DriverEvent] = []
    drawer = make(os.ttyname(slave), events)
    try:
        await drawer.open()
        os.close(master)
        with pytest.raises(DeviceNotReady):
            await drawer.kick()
        assert any(isinstance(e, DeviceLost) for e in events)
    finally:
        await drawer.close()
        os.close(slave)


async def test_line_kick_never_leaves_dtr_raised() -> None:
    """A drawer solenoid left energised burns out: DTR is low at open and after the pulse."""
    drawer = make("loop://", kick="dtr", pulse_ms=10, sensor="dsr")
    await drawer.open()
    try:
        assert await drawer.is_open() is False  # DSR mirrors DTR on the loopback
        await drawer.kick()
        assert await drawer.is_open() is False
        assert drawer.status()["kicks"] == 1
    finally:
        await drawer.close()


@pytest.mark.parametrize(("open_high", "expected"), [(True, True), (False, False)])
async def test_sensor_polarity(open_high: bool, expected: bool) -> None:
    drawer = make("loop://", sensor="cd", sensor_open_high=open_high)  # CD is always active
    await drawer.open()
    try:
        assert await drawer.is_open() is expected
    finally:
        await drawer.close()


async def test_line_kick_on_a_port_without_modem_lines_is_a_config_error() -> None:
    master, slave = os.openpty()
    drawer = make(os.ttyname(slave), kick="rts")
    try:
        with pytest.raises(DeviceConfigError) as caught:
            await drawer.open()
            await drawer.kick()
        assert "modem control lines" in str(caught.value)
    finally:
        await drawer.close()
        os.close(master)
        os.close(slave)


async def test_missing_port_is_not_ready(tmp_path: Any) -> None:
    drawer = make(str(tmp_path / "ttyS9"))
    with pytest.raises(DeviceNotReady):
        await drawer.open()
    await drawer.close()


def test_kick_bytes_must_be_hex() -> None:
    with pytest.raises(ValueError, match="hex"):
        SerialDrawer.Options(port="/dev/ttyS0", kick_bytes="ESC p")
