"""The technician's test print and simulated paper-out, through the API on the simulated printer."""

from __future__ import annotations

import pytest

from bridge import keys
from bridge.printing.script_sample import SCRIPT_LINES
from drivers.simulated.printer import SimulatedPrinter
from tests.bridge.printing.helpers import receipt, submit, wait_state
from tests.conftest import Api


@pytest.fixture
def config_text() -> str:
    return """
[server]
port = 0

[devices.receipt]
driver = "simulated-printer"
profile = "POS-5890-chinese"

[devices.kitchen]
driver = "simulated-printer"
profile = "TM-T88V"
"""


async def test_test_print_covers_every_script_and_previews_it(api: Api) -> None:
    status, body, _ = await api.call("POST", "/api/v1/printers/receipt/test")
    assert status == 202, body
    for line in SCRIPT_LINES.values():
        assert line in body["preview"]
    await wait_state(api, body["job"]["id"], "done")
    device = api.daemon.app[keys.DEVICES].get("receipt").device  # type: ignore[union-attr]
    assert isinstance(device, SimulatedPrinter)
    printed = device.printed_text()
    assert all(line in printed for line in SCRIPT_LINES.values())

    status, kitchen, _ = await api.call("POST", "/api/v1/printers/kitchen/test")
    assert status == 202
    assert SCRIPT_LINES["Cyrillic"] in kitchen["preview"]  # CP866 on the Epson profile
    status, _, _ = await api.call("POST", "/api/v1/printers/receipt/test", token=api.cashier)
    assert status == 403


async def test_condition_toggles_put_a_job_in_waiting_and_back(api: Api) -> None:
    status, body, _ = await api.call(
        "POST", "/api/v1/printers/receipt/condition", json_body={"paper_out": True}
    )
    assert status == 200 and body["status"]["paper_out"] is True
    _, job = await submit(api, "receipt", receipt("wait for paper"), "w-1")
    waiting = await wait_state(api, job["job"]["id"], "waiting")
    assert waiting["reason"] == "paper_out"
    status, _, _ = await api.call(
        "POST",
        "/api/v1/printers/receipt/condition",
        json_body={"paper_out": False},
        token=api.cashier,
    )
    assert status == 403
    await api.call("POST", "/api/v1/printers/receipt/condition", json_body={"paper_out": False})
    await wait_state(api, job["job"]["id"], "done")
