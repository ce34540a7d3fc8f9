"""The queue's short cuts for an idle printer keep its promises.

A job submitted to an idle lane has its status asked while it is stored, is handed to the worker
as inserted, and a short text receipt renders on the event loop instead of the render thread.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.bridge.printing.helpers import printed_text, receipt, submit, wait_state
from tests.conftest import Api
from tests.drivers.printer.peers import TcpPrinter


@pytest.fixture
async def printer() -> AsyncIterator[TcpPrinter]:
    async with TcpPrinter() as peer:
        yield peer


@pytest.fixture
def config_text(printer: TcpPrinter) -> str:
    return f"""
[server]
port = 0

[printing]
waiting_recheck_s = 0.1

[devices.receipt]
driver = "escpos-network"
host = "127.0.0.1"
port = {printer.port}
status_timeout_s = 1
status_poll_s = 0
"""


async def test_a_text_receipt_prints_the_same_whichever_thread_rendered_it(
    api: Api, printer: TcpPrinter
) -> None:
    body = receipt("Žluťoučký kůň úpěl", "Съешь же ещё этих булок", "árvíztűrő tükörfúrógép")
    for n in range(3):  # the first renders on the worker, which builds the loop's renderer
        status, sent = await submit(api, "receipt", body, f"same-{n}")
        assert status == 202, sent
        await wait_state(api, sent["job"]["id"], "done")
    data = printer.printed
    third = len(data) // 3
    assert data == data[:third] * 3
    assert printed_text(data).count("árvíztűrő tükörfúrógép") == 3


async def test_paper_running_out_after_a_job_holds_the_next_one(
    api: Api, printer: TcpPrinter
) -> None:
    _, first = await submit(api, "receipt", receipt("first sale"), "po-1")
    await wait_state(api, first["job"]["id"], "done")
    printer.set_condition(paper_out=True)  # the last reply the driver had said all was well
    _, second = await submit(api, "receipt", receipt("second sale"), "po-2")
    waiting = await wait_state(api, second["job"]["id"], "waiting")
    assert waiting["reason"] == "paper_out"
    assert b"second sale" not in printer.printed
    printer.recover()
    await wait_state(api, second["job"]["id"], "done", limit_s=15)
    assert printed_text(printer.printed).count("second sale") == 1


async def test_a_job_cancelled_while_its_status_is_asked_never_prints(
    api: Api, printer: TcpPrinter
) -> None:
    printer.answer(delay=0.15)  # four slow replies: the status query outlives the cancel
    _, doomed = await submit(api, "receipt", receipt("cancelled in time"), "cx-1")
    job_id = doomed["job"]["id"]
    status, cancelled, _ = await api.call(
        "POST", f"/api/v1/jobs/{job_id}/cancel", token=api.cashier
    )
    assert status == 200 and cancelled["job"]["state"] == "cancelled"
    printer.answer()
    _, later = await submit(api, "receipt", receipt("printed after it"), "cx-2")
    await wait_state(api, later["job"]["id"], "done")
    assert b"cancelled in time" not in printer.printed
    assert (await wait_state(api, job_id, "cancelled"))["attempts"] == 0
