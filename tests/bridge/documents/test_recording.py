"""Recording documents through the API: effects, idempotency, shifts and the Z-report."""

from __future__ import annotations

import json
import uuid

from bridge import keys
from tests.bridge.catalog_helpers import post, product, put_products, refund, sale, stock
from tests.conftest import Api


async def test_sale_records_movements_and_one_outbox_event(api: Api) -> None:
    await put_products(api, product("MILK", "Mléko polotučné", "21.90"), product("BREAD", "Chléb"))
    doc = sale([("MILK", "2", "21.90"), ("BREAD", "1.5", "10.00")])
    status, body = await post(api, doc)
    assert status == 201, body
    assert body["status"] == "recorded"
    assert body["document"]["lines"][0]["name"] == "Mléko polotučné"
    assert {(m["sku"], m["quantity"]) for m in body["movements"]} == {
        ("MILK", "-2.000"),
        ("BREAD", "-1.500"),
    }
    store = api.daemon.app[keys.STORE]
    events = await store.fetchall("SELECT seq, id, type, payload FROM outbox")
    assert [(e["id"], e["type"]) for e in events] == [(doc["id"], "sale")]
    assert events[0]["seq"] == body["seq"]
    assert json.loads(events[0]["payload"])["total"] == "58.80"
    assert (await stock(api, "MILK"))["free"] == "-2.000"
    assert (await stock(api, "MILK"))["negative"] is True


async def test_same_id_again_returns_the_recorded_document_and_changes_nothing(api: Api) -> None:
    await put_products(api, product("A", "Apple"))
    doc = sale([("A", "1", "10.00")])
    first_status, first = await post(api, doc)
    again_status, again = await post(api, doc)
    assert (first_status, again_status) == (201, 200)
    assert again["status"] == "already_recorded"
    assert again["document"] == first["document"] and again["seq"] == first["seq"]
    assert (await stock(api, "A"))["physical"] == "-1.000"
    store = api.daemon.app[keys.STORE]
    assert len(await store.fetchall("SELECT seq FROM outbox")) == 1
    changed = {**doc, "lines": [{**doc["lines"][0], "quantity": "2", "total": "20.00"}]}
    changed["total"] = changed["payments"][0]["amount"] = "20.00"
    status, body = await post(api, changed)
    assert status == 409 and body["error"]["code"] == "document.id_conflict"


async def test_refund_puts_stock_back_and_cannot_exceed_the_sale(api: Api) -> None:
    await put_products(api, product("A", "Apple"), product("B", "Banana", "5.00"))
    s = sale([("A", "3", "10.00"), ("B", "1", "5.00")])
    assert (await post(api, s))[0] == 201
    status, body = await post(api, refund(s, [("A", "2")]))
    assert status == 201, body
    assert (await stock(api, "A"))["physical"] == "-1.000"
    status, body = await post(api, refund(s, [("A", "2")]))
    assert status == 422 and body["error"]["code"] == "refund.exceeds_sale"
    assert body["error"]["details"]["field"] == "lines.0.quantity"
    assert body["error"]["details"]["refundable"] == "1"
    status, body = await post(api, refund(s, [("B", "1"), ("A", "1")]))
    assert status == 201, body
    assert (await stock(api, "A"))["physical"] == "0.000"


async def test_shift_close_computes_the_z_report(api: Api) -> None:
    await put_products(api, product("A", "Apple"))
    shift_id = str(uuid.uuid4())
    assert (
        await post(
            api,
            {"id": shift_id, "type": "shift_open", "currency": "CZK", "opening_float": "500.00"},
        )
    )[0] == 201
    s1 = sale([("A", "2", "10.00")])
    s2 = sale([("A", "1", "10.00")], method="card")
    for d in (s1, s2, refund(s1, [("A", "1")])):
        assert (await post(api, d))[0] == 201
    cash = {"id": str(uuid.uuid4()), "currency": "CZK", "amount": "100.00"}
    assert (await post(api, {**cash, "type": "cash_out"}))[0] == 201
    status, body = await post(
        api, {"id": str(uuid.uuid4()), "type": "shift_open", "currency": "CZK"}
    )
    assert status == 409 and body["error"]["code"] == "shift.already_open"
    close = {"id": str(uuid.uuid4()), "type": "shift_close", "counted_cash": "405.00"}
    status, body = await post(api, close)
    assert status == 201, body
    z = body["document"]["z_report"]
    assert z["shift_id"] == shift_id
    assert z["sales_total"] == "30.00" and z["refunds_total"] == "10.00"
    assert z["by_payment_method"] == {"card": "10.00", "cash": "10.00"}
    assert z["expected_cash"] == "410.00" and z["cash_difference"] == "-5.00"
    assert z["documents"] == {"cash_out": 1, "refund": 1, "sale": 2, "shift_open": 1}
    status, body = await post(api, {**close, "id": str(uuid.uuid4())})
    assert status == 409 and body["error"]["code"] == "shift.not_open"


async def test_stock_documents_move_stock(api: Api) -> None:
    await put_products(api, product("A", "Apple"))
    base = {"type": "stock_receipt", "lines": [{"sku": "A", "quantity": "10"}]}
    assert (await post(api, {"id": str(uuid.uuid4()), **base}))[0] == 201
    off = {"type": "stock_writeoff", "lines": [{"sku": "A", "quantity": "1.25"}]}
    assert (await post(api, {"id": str(uuid.uuid4()), **off}))[0] == 201
    assert (await stock(api, "A"))["physical"] == "8.750"
    count = {"type": "inventory_count", "lines": [{"sku": "A", "counted": "7"}]}
    status, body = await post(api, {"id": str(uuid.uuid4()), **count})
    assert status == 201
    assert body["document"]["lines"][0]["expected"] == "8.750"
    assert body["movements"] == [{"sku": "A", "warehouse": "main", "quantity": "-1.750"}]
    assert (await stock(api, "A"))["free"] == "7.000"
    status, report, _ = await api.call("GET", "/api/v1/stock/discrepancies", token=api.cashier)
    assert status == 200
    assert report["rows"][0]["difference"] == "-1.750" and report["skus_different"] == 1
