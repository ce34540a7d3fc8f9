"""A serial printer on a real pseudo-terminal, with a fake printer on the master side."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
from peers import EventLog, PtyPrinter

from drivers.base import DeviceLost, DeviceNotReady, DriverEvent, StatusChanged
from drivers.printer.errors import PrintInterrupted
from drivers.printer.serial_printer import SerialPrinter
from drivers.printer.status import PrinterStatus

FAST = {"status_timeout_s": 0.1, "status_poll_s": 0}


@pytest.fixture
async def peer() -> AsyncIterator[PtyPrinter]:
    async with PtyPrinter() as peer:
        yield peer


def make(peer: PtyPrinter, events: list[DriverEvent], **options: Any) -> SerialPrinter:
    opts = SerialPrinter.Options(port=peer.path, baudrate=115200, **{**FAST, **options})
    return SerialPrinter("receipt", opts, events.append)


async def test_prints_bytes_and_confirms_with_a_status_query(peer: PtyPrinter) -> None:
    events: list[DriverEvent] = []
    printer = make(peer, events)
    await printer.open()
    try:
        job = ("Привет\n".encode("cp866") + bytes(range(256))) * 100  # binary-clean line
        await printer.write(job)
        assert peer.printed == job
        assert peer.queries[-1] == 1  # the job ended with a delivery check
    finally:
        await printer.close()


async def test_status_follows_the_printer_and_changes_are_emitted(peer: PtyPrinter) -> None:
    events: list[DriverEvent] = []
    printer = make(peer, events)
    await printer.open()
    try:
        status = await printer.query_status()
        assert status["online"] is True and status["paper_out"] is False
        assert peer.queries == [1, 2, 3, 4]

        peer.set_condition(paper_out=True)
        status = await printer.query_status()
        assert status["paper_out"] is True
        assert (
            PrinterStatus.from_dict(status).not_ready_error("receipt").code == "printer.paper_out"
        )
        changes = [e.status for e in events if isinstance(e, StatusChanged)]
        assert changes[-1]["paper_out"] is True

        count = len(events)
        await printer.query_status()
        assert len(events) == count  # nothing changed, nothing emitted

        peer.set_condition(paper_out=False, cover_open=True)
        assert (await printer.query_status())["cover_open"] is True
    finally:
        await printer.close()


async def test_garbage_replies_are_rejected_not_trusted(peer: PtyPrinter) -> None:
    printer = make(peer, [])
    await printer.open()
    try:
        peer.answer(garbage=0xFF)  # would read as "all fine" to a careless parser
        status = await printer.query_status()
        assert status["online"] is None and status["paper_out"] is None
        assert status["rejected_replies"] >= 1
        peer.answer()
        assert (await printer.query_status())["online"] is True
    finally:
        await printer.close()


async def test_a_silent_printer_is_reported_not_responding(peer: PtyPrinter) -> None:
    printer = make(peer, [])
    await printer.open()
    try:
        peer.answer(silent=True)
        status = await printer.query_status()
        assert status["responding"] is False
        assert peer.queries == [1]  # no point asking 2..4 of a printer that does not answer
        assert PrinterStatus.from_dict(status).not_ready_error("r").code == "printer.offline"
    finally:
        await printer.close()


async def test_a_late_reply_is_flushed_and_not_read_as_the_next_answer(peer: PtyPrinter) -> None:
    printer = make(peer, [])
    await printer.open()
    try:
        peer.set_condition(paper_out=True)
        peer.answer(delay=0.3)  # longer than the 0.1 s status timeout
        assert (await printer.query_status())["responding"] is False
        await asyncio.sleep(0.3)  # the stale "paper out" reply has arrived by now
        peer.recover()
        peer.answer()
        status = await printer.query_status()
        assert status["paper_out"] is False
    finally:
        await printer.close()


async def test_vanishing_mid_job_is_uncertain_and_reported_lost(peer: PtyPrinter) -> None:
    events: list[DriverEvent] = []
    printer = make(peer, events)
    await printer.open()
    try:
        peer.vanish_after(1000)
        with pytest.raises(PrintInterrupted) as caught:
            await printer.write(b"x" * 200_000)
        assert caught.value.code == "printer.uncertain"
        assert caught.value.bytes_sent > 0
        assert len(peer.printed) == 1000
        assert [e for e in events if isinstance(e, DeviceLost)]
        with pytest.raises(DeviceNotReady):
            await printer.write(b"more")
    finally:
        await printer.close()


async def test_vanishing_between_jobs_sends_nothing_and_is_not_uncertain(
    peer: PtyPrinter,
) -> None:
    events: list[DriverEvent] = []
    printer = make(peer, events)
    await printer.open()
    try:
        peer.vanish()
        with pytest.raises(DeviceNotReady) as caught:
            await printer.write(b"receipt")
        assert not isinstance(caught.value, PrintInterrupted)
        assert caught.value.code == "printer.offline"
        assert sum(isinstance(e, DeviceLost) for e in events) == 1
    finally:
        await printer.close()


async def test_idle_poll_notices_a_change_and_stops_on_close(peer: PtyPrinter) -> None:
    events = EventLog()
    printer = make(peer, events, status_poll_s=0.02)
    await printer.open()
    try:
        await events.wait_for(lambda e: isinstance(e, StatusChanged) and e.status["online"])
        peer.set_condition(cover_open=True)
        await events.wait_for(lambda e: isinstance(e, StatusChanged) and e.status["cover_open"])
    finally:
        await printer.close()
    me = asyncio.current_task()
    assert not [t for t in asyncio.all_tasks() if t is not me and not t.done()]


async def test_missing_port_is_not_ready_with_a_hint(tmp_path: Any) -> None:
    printer = SerialPrinter(
        "receipt", SerialPrinter.Options(port=str(tmp_path / "ttyUSB9")), lambda e: None
    )
    with pytest.raises(DeviceNotReady) as caught:
        await printer.open()
    assert "by-id" in str(caught.value)
    await printer.close()


async def test_a_port_held_by_another_program_is_busy(peer: PtyPrinter) -> None:
    import fcntl

    fd = os.open(peer.path, os.O_RDWR | os.O_NOCTTY)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # what pyserial's exclusive=True takes
    try:
        printer = make(peer, [])
        with pytest.raises(DeviceNotReady) as caught:
            await printer.open()
        assert caught.value.code == "printer.busy"
        assert "fuser" in str(caught.value)
        await printer.close()
    finally:
        os.close(fd)


async def test_closing_twice_and_writing_after_close_are_safe(peer: PtyPrinter) -> None:
    printer = make(peer, [])
    await printer.open()
    await printer.close()
    await printer.close()
    with pytest.raises(DeviceNotReady):
        await printer.write(b"x")
