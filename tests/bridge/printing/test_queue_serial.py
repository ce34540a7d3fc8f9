"""The print queue through the HTTP API, against a serial printer on a pseudo-terminal."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.bridge.printing.helpers import printed_text, receipt, submit, wait_state
from tests.conftest import Api
from tests.drivers.printer.peers import PtyPrinter


@pytest.fixture
async def printer() -> AsyncIterator[PtyPrinter]:
    async with PtyPrinter() as peer:
        yield peer


@pytest.fixture
def config_text(printer: PtyPrinter) -> str:
    return f"""
[server]
port = 0

[devices.receipt]
driver = "escpos-serial"
port = "{printer.path}"
baudrate = 115200
status_timeout_s = 0.2
status_poll_s = 0.05
"""


async def test_serial_printer_prints_waits_without_paper_and_resumes(
    api: Api, printer: PtyPrinter
) -> None:
    _, first = await submit(api, "receipt", receipt("Привет, мир", "Árvíztűrő"), "s-1")
    await wait_state(api, first["job"]["id"], "done")
    text = printed_text(printer.printed)
    assert "Árvíztűrő" in text

    printer.set_condition(paper_out=True)
    _, second = await submit(api, "receipt", receipt("second receipt"), "s-2")
    assert (await wait_state(api, second["job"]["id"], "waiting"))["reason"] == "paper_out"
    printer.recover()
    await wait_state(api, second["job"]["id"], "done")
    assert printed_text(printer.printed).count("second receipt") == 1


async def test_serial_printer_unplugged_mid_job_is_uncertain(api: Api, printer: PtyPrinter) -> None:
    printer.vanish_after(200)
    _, job = await submit(api, "receipt", receipt(*(f"line {n}" for n in range(300))), "s-3")
    failed = await wait_state(api, job["job"]["id"], "failed")
    assert failed["reason"] == "uncertain"
