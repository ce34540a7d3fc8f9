"""The simulated printer: what it keeps, the conditions it can be put in, its drawer port."""

from __future__ import annotations

from typing import Any

import pytest
from peers import EventLog

from drivers.base import DeviceLost, DeviceNotReady, DriverEvent, StatusChanged
from drivers.printer.errors import PrintInterrupted
from drivers.printer.status import PrinterStatus, drawer_open
from drivers.simulated.printer import SimulatedPrinter

ESC_P = b"\x1bp\x00\x19\xfa"  # ESC p pin 2, 50 ms on, 500 ms off
DLE_DC4_PULSE = b"\x10\x14\x01\x00\x05"


async def make(events: list[DriverEvent], **options: Any) -> SimulatedPrinter:
    printer = SimulatedPrinter("sim", SimulatedPrinter.Options(**options), events.append)
    await printer.open()
    return printer


async def test_keeps_the_last_jobs_only() -> None:
    printer = await make([], keep_jobs=3)
    for i in range(5):
        await printer.write(f"job {i}\n".encode())
    assert printer.jobs == [b"job 2\n", b"job 3\n", b"job 4\n"]
    assert printer.status()["jobs_printed"] == 5
    await printer.close()


async def test_printed_text_decodes_the_job() -> None:
    printer = await make([])
    await printer.write(b"\x1b@Total 12.50\n\x1dV\x00")
    text = printer.printed_text()
    assert "Total 12.50" in text and "CUT" in text
    await printer.close()


@pytest.mark.parametrize(
    ("condition", "code"),
    [("paper_out", "printer.paper_out"), ("cover_open", "printer.cover_open"),
     ("offline", "printer.offline")],
)  # fmt: skip
async def test_a_condition_shows_in_status_and_holds_jobs(condition: str, code: str) -> None:
    events: list[DriverEvent] = []
    printer = await make(events)
    printer.set_condition(**{condition: True})
    assert isinstance(events[-1], StatusChanged)
    status = await printer.query_status()
    error = PrinterStatus.from_dict(status).not_ready_error("sim")
    assert error is not None and error.code == code
    with pytest.raises(DeviceNotReady) as caught:
        await printer.write(b"receipt")
    assert caught.value.code == code
    assert printer.jobs == []
    printer.recover()
    await printer.write(b"receipt")
    assert printer.jobs == [b"receipt"]
    await printer.close()


async def test_setting_the_same_condition_twice_emits_once() -> None:
    events: list[DriverEvent] = []
    printer = await make(events)
    printer.set_condition(paper_near_end=True)
    printer.set_condition(paper_near_end=True)
    assert sum(isinstance(e, StatusChanged) for e in events) == 2  # open, then the change
    assert (await printer.query_status())["paper_near_end"] is True
    await printer.close()


async def test_a_kick_opens_its_drawer_and_the_sensor_shows_it() -> None:
    events: list[DriverEvent] = []
    printer = await make(events, drawer_auto_close_s=None, drawer_open_level_high=False)
    await printer.write(b"receipt\n" + ESC_P)
    status = PrinterStatus.from_dict(await printer.query_status())
    assert drawer_open(status, open_when_high=False) is True
    assert events[-1].status["drawer_open"] is True
    printer.close_drawer()
    status = PrinterStatus.from_dict(await printer.query_status())
    assert drawer_open(status, open_when_high=False) is False
    await printer.close()


async def test_the_drawer_closes_by_itself() -> None:
    events = EventLog()
    printer = await make(events, drawer_auto_close_s=0.01)
    await printer.write(ESC_P)
    assert printer.status()["drawer_open"] is True
    await events.wait_for(
        lambda e: (
            isinstance(e, StatusChanged)
            and e.status["drawer_open"] is False
            and e.status["jobs_printed"]
        )
    )
    assert printer.status()["drawer_open"] is False
    await printer.close()


async def test_a_realtime_kick_works_while_offline_but_nothing_prints() -> None:
    printer = await make([], drawer_auto_close_s=None)
    printer.set_condition(offline=True)
    await printer.write(DLE_DC4_PULSE)
    assert printer.status()["drawer_open"] is True
    printer.close_drawer()
    with pytest.raises(DeviceNotReady):
        await printer.write(b"text" + ESC_P)  # ESC p waits in the buffer of an offline printer
    assert printer.status()["drawer_open"] is False
    assert printer.jobs == []
    await printer.close()


async def test_interrupted_job_keeps_its_start_and_is_uncertain() -> None:
    events: list[DriverEvent] = []
    printer = await make(events)
    printer.interrupt_next_job(after_bytes=4)
    with pytest.raises(PrintInterrupted) as caught:
        await printer.write(b"receipt")
    assert caught.value.bytes_sent == 4
    assert printer.jobs == [b"rece"]
    assert isinstance(events[-1], DeviceLost)
    with pytest.raises(DeviceNotReady):
        await printer.write(b"more")
    await printer.close()
    await printer.open()  # the manager re-opens it
    await printer.write(b"more")
    assert printer.jobs[-1] == b"more"
    await printer.close()


async def test_closed_printer_is_not_ready() -> None:
    printer = SimulatedPrinter("sim", SimulatedPrinter.Options(), lambda e: None)
    with pytest.raises(DeviceNotReady):
        await printer.write(b"x")
    with pytest.raises(DeviceNotReady):
        await printer.query_status()
