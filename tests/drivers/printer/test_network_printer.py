"""A network printer against a real TCP listener that plays an ESC/POS printer."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from peers import TcpPrinter

from drivers.base import DeviceLost, DeviceNotReady, DriverEvent, StatusChanged
from drivers.printer.errors import PrintInterrupted
from drivers.printer.network_printer import NetworkPrinter


@pytest.fixture
async def peer() -> AsyncIterator[TcpPrinter]:
    async with TcpPrinter() as peer:
        yield peer


def make(peer: TcpPrinter, events: list[DriverEvent], **options: Any) -> NetworkPrinter:
    opts = NetworkPrinter.Options(
        host="127.0.0.1",
        port=peer.port,
        status_timeout_s=0.1,
        status_poll_s=0,
        connect_timeout_s=1,
        **options,
    )
    return NetworkPrinter("kitchen", opts, events.append)


async def test_prints_and_reads_status(peer: TcpPrinter) -> None:
    events: list[DriverEvent] = []
    printer = make(peer, events)
    await printer.open()
    try:
        job = bytes(range(256)) * 400
        await printer.write(job)
        assert peer.printed == job
        peer.set_condition(cover_open=True)
        status = await printer.query_status()
        assert status["cover_open"] is True and status["online"] is False
        assert status["address"] == f"127.0.0.1:{peer.port}"
        assert isinstance(events[-1], StatusChanged) and events[-1].status["cover_open"]
    finally:
        await printer.close()


async def test_printer_switched_off_mid_job_is_uncertain(peer: TcpPrinter) -> None:
    events: list[DriverEvent] = []
    printer = make(peer, events)
    await printer.open()
    try:
        peer.vanish_after(300)
        with pytest.raises(PrintInterrupted) as caught:
            await printer.write(b"line of a long receipt\n" * 100)
        assert caught.value.code == "printer.uncertain"
        assert len(peer.printed) == 300
        assert any(isinstance(e, DeviceLost) for e in events)
    finally:
        await printer.close()


async def test_a_small_job_to_a_printer_that_vanished_mid_job_is_still_caught(
    peer: TcpPrinter,
) -> None:
    """The whole job fits in socket buffers; only the delivery check can notice the loss."""
    printer = make(peer, [])
    await printer.open()
    try:
        peer.vanish_after(5)
        with pytest.raises(PrintInterrupted):
            await printer.write(b"0123456789")
    finally:
        await printer.close()


async def test_a_printer_gone_before_the_job_gets_nothing_and_is_not_uncertain(
    peer: TcpPrinter,
) -> None:
    events: list[DriverEvent] = []
    printer = make(peer, events)
    await printer.open()
    try:
        await peer.power_off()
        await asyncio.sleep(0.05)  # the reset reaches us
        with pytest.raises(DeviceNotReady) as caught:
            await printer.write(b"receipt")
        assert not isinstance(caught.value, PrintInterrupted)
        assert sum(isinstance(e, DeviceLost) for e in events) == 1
        assert peer.printed == b""
    finally:
        await printer.close()


async def test_reopens_when_the_printer_comes_back(peer: TcpPrinter) -> None:
    printer = make(peer, [])
    await printer.open()
    await peer.power_off()
    with pytest.raises(DeviceNotReady):
        await printer.query_status()
    await printer.close()
    with pytest.raises(DeviceNotReady) as caught:
        await printer.open()
    assert "refused" in str(caught.value)
    await peer.power_on()
    await printer.open()
    try:
        await printer.write(b"again")
        assert peer.printed == b"again"
        assert peer.connections == 2
    finally:
        await printer.close()


async def test_a_silent_printer_still_takes_jobs(peer: TcpPrinter) -> None:
    peer.answer(silent=True)
    printer = make(peer, [])
    await printer.open()
    try:
        await printer.write(b"no status, but printed")
        assert peer.printed == b"no status, but printed"
        assert (await printer.query_status())["responding"] is False
    finally:
        await printer.close()


async def test_unreachable_address_is_not_ready() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    printer = NetworkPrinter(
        "kitchen", NetworkPrinter.Options(host="127.0.0.1", port=port), lambda e: None
    )
    with pytest.raises(DeviceNotReady):
        await printer.open()
    await printer.close()
