"""The USB printer through the real pyusb code paths, on a fake backend at the libusb layer."""

from __future__ import annotations

from typing import Any

import pytest
from fake_usb import FakeUsbBackend, FakeUsbPrinter

from drivers.base import DeviceConfigError, DeviceLost, DeviceNotReady, DriverEvent
from drivers.printer.errors import PrintInterrupted
from drivers.printer.usb_printer import UsbPrinter


def make(
    backend: FakeUsbBackend, events: list[DriverEvent] | None = None, **options: Any
) -> UsbPrinter:
    opts = UsbPrinter.Options(
        vendor_id="0x04b8", product_id="0202", status_timeout_s=0.05, status_poll_s=0, **options
    )
    sink = events.append if events is not None else (lambda e: None)
    return UsbPrinter("receipt", opts, sink, usb_backend=backend)


async def test_prints_through_endpoints_found_in_the_descriptors() -> None:
    hw = FakeUsbPrinter(vendor_interface=True, out_ep=0x03, in_ep=0x84)
    backend = FakeUsbBackend(hw)
    printer = make(backend)
    await printer.open()
    try:
        job = bytes(range(256)) * 100  # several bulk transfers
        await printer.write(job)
        assert hw.printed == job
        status = await printer.query_status()
        assert status["online"] is True and status["usb_id"] == "04b8:0202"
        hw.brain.set_condition(paper_out=True)
        assert (await printer.query_status())["paper_out"] is True
    finally:
        await printer.close()


async def test_kernel_driver_is_detached_and_given_back_on_close() -> None:
    hw = FakeUsbPrinter()
    backend = FakeUsbBackend(hw)
    printer = make(backend)
    await printer.open()
    assert hw.kernel_driver is False
    await printer.close()
    assert hw.kernel_driver is True
    assert hw.events == ["detach 0", "claim 0", "release 0", "attach 0"]
    assert backend.open_handles == 0


async def test_busy_printer_tells_the_technician_what_to_do() -> None:
    hw = FakeUsbPrinter(held_elsewhere=True)
    backend = FakeUsbBackend(hw)
    printer = make(backend)
    with pytest.raises(DeviceNotReady) as caught:
        await printer.open()
    assert caught.value.code == "printer.busy"
    assert "CUPS" in str(caught.value)
    assert hw.kernel_driver is True  # what we detached was given back
    assert backend.open_handles == 0
    await printer.close()


async def test_unplugged_mid_job_is_uncertain_and_lost() -> None:
    hw = FakeUsbPrinter()
    events: list[DriverEvent] = []
    printer = make(FakeUsbBackend(hw), events)
    await printer.open()
    try:
        hw.brain.vanish_after(5000)
        with pytest.raises(PrintInterrupted) as caught:
            await printer.write(b"z" * 20_000)
        assert caught.value.bytes_sent == 4096  # the first bulk transfer went through
        assert any(isinstance(e, DeviceLost) for e in events)
    finally:
        await printer.close()


async def test_unplugged_before_the_job_sends_nothing() -> None:
    hw = FakeUsbPrinter()
    events: list[DriverEvent] = []
    printer = make(FakeUsbBackend(hw), events)
    await printer.open()
    try:
        hw.plugged = False
        with pytest.raises(DeviceNotReady) as caught:
            await printer.write(b"receipt")
        assert not isinstance(caught.value, PrintInterrupted)
        assert hw.printed == b""
        assert sum(isinstance(e, DeviceLost) for e in events) == 1
    finally:
        await printer.close()


async def test_a_printer_that_takes_no_data_times_out() -> None:
    hw = FakeUsbPrinter(stalled=True)
    printer = make(FakeUsbBackend(hw), write_timeout_s=0.05)
    await printer.open()
    try:
        # libusb may have moved part of a timed-out transfer: never assume nothing printed.
        with pytest.raises(PrintInterrupted):
            await printer.write(b"receipt")
    finally:
        await printer.close()


async def test_not_plugged_in_is_not_ready() -> None:
    printer = make(FakeUsbBackend())
    with pytest.raises(DeviceNotReady) as caught:
        await printer.open()
    assert "04b8:0202" in str(caught.value) and "lsusb" in str(caught.value)
    await printer.close()


async def test_two_identical_printers_are_told_apart_by_serial_or_port() -> None:
    a = FakeUsbPrinter(serial="A1", address=5, port_numbers=(1,))
    b = FakeUsbPrinter(serial="B2", address=6, port_numbers=(2,))
    backend = FakeUsbBackend(a, b)
    with pytest.raises(DeviceConfigError):
        await make(backend).open()
    for options, chosen in (({"serial_number": "B2"}, b), ({"bus_port": "1-1"}, a)):
        printer = make(backend, **options)
        await printer.open()
        await printer.write(b"which one?")
        await printer.close()
        assert chosen.printed == b"which one?"


async def test_a_printer_without_a_reply_endpoint_prints_without_status() -> None:
    hw = FakeUsbPrinter(in_ep=None)
    printer = make(FakeUsbBackend(hw))
    await printer.open()
    try:
        await printer.write(b"one way only")
        assert hw.printed == b"one way only"
        status = await printer.query_status()
        assert status["responding"] is None  # unknown, and no DLE EOT sent into the paper
        assert hw.brain.queries == []
    finally:
        await printer.close()
