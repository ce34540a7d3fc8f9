"""A sale that asks for its receipt and the drawer: recorded first, never refused for hardware."""

from __future__ import annotations

import pytest

from bridge import keys
from bridge.documents.models import Document
from bridge.wire import convert
from drivers.simulated.printer import SimulatedPrinter
from tests.bridge.catalog_helpers import post, product, put_products, sale
from tests.bridge.printing.helpers import wait_state
from tests.conftest import Api


@pytest.fixture
def config_text() -> str:
    return """
[server]
port = 0

[devices.receipt]
driver = "simulated-printer"

[devices.drawer]
driver = "simulated-drawer"
auto_close_s = 3600
"""


async def test_sale_prints_its_receipt_and_opens_the_drawer(api: Api) -> None:
    await put_products(api, product("KUN", "Žluťoučký kůň", "99.50"))
    doc = sale(
        [("KUN", "2", "99.50")], print={"printer": "receipt"}, open_drawer={"drawer": "drawer"}
    )
    status, body = await post(api, doc)
    assert status == 201, body
    assert body["print"]["status"] == "submitted"
    assert body["drawer"]["status"] == "opened"
    await wait_state(api, body["print"]["job"]["id"], "done")
    device = api.daemon.app[keys.DEVICES].get("receipt").device  # type: ignore[union-attr]
    assert isinstance(device, SimulatedPrinter)
    printed = device.printed_text()
    assert "Žluťoučký kůň" in printed and "199.00 CZK" in printed
    # A repeat is answered from the record: the receipt job is the first one (printed once), the
    # drawer is not opened again and the answer says what the first request did.
    status, again = await post(api, doc)
    assert status == 200, again
    assert again["print"]["status"] == "already_submitted"
    assert again["print"]["job"]["id"] == body["print"]["job"]["id"]
    assert again["drawer"]["status"] == "not_repeated"
    assert again["drawer"]["earlier"]["status"] == "opened"
    assert again["drawer"]["earlier"]["drawer"] == "drawer"
    assert device.status()["jobs_printed"] == 1
    assert drawer_kicks(api) == 1


async def test_a_sale_whose_receipt_was_never_queued_prints_it_on_the_retry(api: Api) -> None:
    """The daemon died (or the answer was lost) after the commit, before the print submit."""
    await put_products(api, product("KUN", "Žluťoučký kůň", "99.50"))
    doc = sale(
        [("KUN", "1", "99.50")], print={"printer": "receipt"}, open_drawer={"drawer": "drawer"}
    )
    await api.daemon.app[keys.DOCUMENTS].record(convert(doc, Document))
    status, body = await post(api, doc)  # the POS retries
    assert status == 200 and body["status"] == "already_recorded", body
    assert body["print"]["status"] == "submitted"
    await wait_state(api, body["print"]["job"]["id"], "done")
    device = api.daemon.app[keys.DEVICES].get("receipt").device  # type: ignore[union-attr]
    assert isinstance(device, SimulatedPrinter)
    assert "Žluťoučký kůň" in device.printed_text()
    # No open was ever tried for it, and a retry never tries one.
    assert body["drawer"] == {"status": "not_repeated"}
    status, again = await post(api, doc)  # and retries again
    assert status == 200
    assert again["print"]["status"] == "already_submitted"
    assert again["print"]["job"]["id"] == body["print"]["job"]["id"]
    assert device.status()["jobs_printed"] == 1
    assert drawer_kicks(api) == 0


def drawer_kicks(api: Api) -> int:
    device = api.daemon.app[keys.DEVICES].get("drawer").device  # type: ignore[union-attr]
    assert device is not None
    return int(device.status()["kicks"])


async def test_sale_is_recorded_even_when_printer_and_drawer_fail(api: Api) -> None:
    await put_products(api, product("A", "Apple"))
    doc = sale([("A", "1", "10.00")], print={"printer": "nope"}, open_drawer={"drawer": "nope"})
    status, body = await post(api, doc)
    assert status == 201, body
    assert body["print"]["status"] == "failed"
    assert body["drawer"]["status"] in ("refused", "failed")
    status, found, _ = await api.call("GET", f"/api/v1/documents/{doc['id']}", token=api.cashier)
    assert status == 200 and found["document"]["id"] == doc["id"]
