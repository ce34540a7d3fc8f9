"""A config from the cloud takes effect without a restart: printers, profiles, drawer rules."""

from __future__ import annotations

import base64

import pytest

from bridge import keys
from bridge.daemon import RunningDaemon
from bridge.sync.routes import SYNC
from drivers.simulated.printer import SimulatedPrinter
from tests.bridge.printing.helpers import receipt, submit, wait_state
from tests.conftest import Api, load

BASE = """
[server]
port = 0

[drawers]
rate_window_s = 600
{drawers}

[devices.receipt]
driver = "simulated-printer"
{receipt}
[devices.drawer]
driver = "printer-drawer"
printer = "receipt"
{kitchen}
"""
KITCHEN = """
[devices.kitchen]
driver = "simulated-printer"
"""


def config(
    drawers: str = "max_per_token = 2", receipt_extra: str = "", kitchen: bool = False
) -> str:
    return BASE.format(drawers=drawers, receipt=receipt_extra, kitchen=KITCHEN if kitchen else "")


@pytest.fixture
def config_text() -> str:
    return config()


async def apply(daemon: RunningDaemon, text: str) -> None:
    """What the sync service does with a verified signed config (devices, then its listeners)."""
    await daemon.app[SYNC]._apply_hot(load(text))


def simulated(api: Api, printer_id: str) -> SimulatedPrinter:
    device = api.daemon.app[keys.DEVICES].get(printer_id).device  # type: ignore[union-attr]
    assert isinstance(device, SimulatedPrinter)
    return device


async def test_a_printer_added_prints_and_a_removed_ones_jobs_wait_for_its_return(
    api: Api,
) -> None:
    status, body = await submit(api, "kitchen", receipt("soup"))
    assert status == 404 and body["error"]["code"] == "printer.not_found"

    await apply(api.daemon, config(kitchen=True))
    status, body = await submit(api, "kitchen", receipt("soup"), "k-1")
    assert status == 202, body
    await wait_state(api, body["job"]["id"], "done")
    assert "soup" in simulated(api, "kitchen").printed_text()

    simulated(api, "kitchen").set_condition(offline=True)
    _, later = await submit(api, "kitchen", receipt("dessert"), "k-2")
    await wait_state(api, later["job"]["id"], "waiting")
    await apply(api.daemon, config())  # the kitchen printer leaves the config
    status, body = await submit(api, "kitchen", receipt("tea"))
    assert status == 404
    assert (await wait_state(api, later["job"]["id"], "waiting"))["attempts"] == 0

    await apply(api.daemon, config(kitchen=True))  # and comes back
    await wait_state(api, later["job"]["id"], "done")
    assert "dessert" in simulated(api, "kitchen").printed_text()
    _, receipt_job = await submit(api, "receipt", receipt("the other lane still prints"))
    await wait_state(api, receipt_job["job"]["id"], "done")


async def test_a_changed_printer_profile_renders_the_next_receipt(api: Api) -> None:
    rule = {"receipt": {"blocks": [{"rule": "="}]}}
    _, first = await submit(api, "receipt", rule)
    await wait_state(api, first["job"]["id"], "done")
    assert b"=" * 42 in simulated(api, "receipt").jobs[-1]

    await apply(api.daemon, config(receipt_extra="overrides = {columns_a = 32}"))
    _, second = await submit(api, "receipt", rule)
    await wait_state(api, second["job"]["id"], "done")
    printed = simulated(api, "receipt").jobs[-1]
    assert b"=" * 32 in printed and b"=" * 33 not in printed


async def test_drawer_rules_change_in_place_and_opens_already_counted_stay_counted(
    api: Api,
) -> None:
    async def open_float() -> int:
        status, _, _ = await api.call(
            "POST",
            "/api/v1/drawers/drawer/open",
            json_body={"reason": "float"},
            token=api.cashier,
        )
        return status

    assert [await open_float(), await open_float(), await open_float()] == [200, 200, 429]
    await apply(api.daemon, config(drawers="max_per_token = 3"))
    # one more within the window, not three: a new config is no fresh budget
    assert [await open_float(), await open_float()] == [200, 429]

    # cashiers lose the drawer: a raw job of theirs loses its kick from now on
    await apply(api.daemon, config(drawers='max_per_token = 9\nroles = ["technician"]'))
    assert await open_float() == 403
    kick = b"\x1bp\x00\x19\xfa"
    raw = {
        "raw": base64.b64encode(b"\x1b@RAW " + kick + b"END\n").decode(),
        "open_drawer": True,
        "drawer_reason": "float",
    }
    status, body = await submit(api, "receipt", raw)
    assert status == 202, body
    await wait_state(api, body["job"]["id"], "done")
    printed = simulated(api, "receipt").jobs[-1]
    assert b"RAW " in printed and kick not in printed
