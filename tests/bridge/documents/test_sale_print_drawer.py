"""A sale that asks for its receipt and the drawer: recorded first, never refused for hardware."""

from __future__ import annotations

import pytest

from bridge import keys
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
    # A repeat is answered from the record: no second receipt, no second drawer open.
    status, again = await post(api, doc)
    assert status == 200 and again["print"] is None and again["drawer"] is None


async def test_sale_is_recorded_even_when_printer_and_drawer_fail(api: Api) -> None:
    await put_products(api, product("A", "Apple"))
    doc = sale([("A", "1", "10.00")], print={"printer": "nope"}, open_drawer={"drawer": "nope"})
    status, body = await post(api, doc)
    assert status == 201, body
    assert body["print"]["status"] == "failed"
    assert body["drawer"]["status"] in ("refused", "failed")
    status, found, _ = await api.call("GET", f"/api/v1/documents/{doc['id']}", token=api.cashier)
    assert status == 200 and found["document"]["id"] == doc["id"]
