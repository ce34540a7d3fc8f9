"""A printer behind a device file: a plain file (spooling) and a character device that answers."""

from __future__ import annotations

from pathlib import Path

import pytest
from peers import PtyPrinter

from drivers.base import DeviceLost, DeviceNotReady, DriverEvent
from drivers.printer.errors import PrintInterrupted
from drivers.printer.file_printer import FilePrinter


def make(path: str, events: list[DriverEvent] | None = None) -> FilePrinter:
    opts = FilePrinter.Options(path=path, status_timeout_s=0.1, status_poll_s=0)
    sink = events.append if events is not None else (lambda e: None)
    return FilePrinter("receipt", opts, sink)


async def test_a_plain_file_gets_exactly_the_jobs(tmp_path: Path) -> None:
    target = tmp_path / "lp0"
    target.write_bytes(b"")
    printer = make(str(target))
    await printer.open()
    try:
        await printer.write(b"first\n")
        await printer.write(b"second\n")
        status = await printer.query_status()
    finally:
        await printer.close()
    assert target.read_bytes() == b"first\nsecond\n"  # no status queries written into it
    assert status["responding"] is None and status["connected"] is True


async def test_a_device_that_answers_gives_status_and_prints() -> None:
    async with PtyPrinter() as peer:
        printer = make(peer.path)
        await printer.open()
        try:
            peer.set_condition(paper_near_end=True)
            status = await printer.query_status()
            assert status["paper_near_end"] is True and status["online"] is True
            job = b"\x1b@receipt\n"
            await printer.write(job)
            assert await peer.wait_printed(len(job)) == job
        finally:
            await printer.close()


async def test_device_unplugged_mid_job() -> None:
    events: list[DriverEvent] = []
    async with PtyPrinter() as peer:
        printer = make(peer.path, events)
        await printer.open()
        try:
            peer.vanish_after(100)
            with pytest.raises(PrintInterrupted):
                await printer.write(b"y" * 100_000)
            assert any(isinstance(e, DeviceLost) for e in events)
        finally:
            await printer.close()


async def test_missing_device_file_is_not_ready(tmp_path: Path) -> None:
    printer = make(str(tmp_path / "lp9"))
    with pytest.raises(DeviceNotReady) as caught:
        await printer.open()
    assert "off or unplugged" in str(caught.value)
    await printer.close()
