"""Every kind of bad document is refused with a code and the field at fault, and changes nothing."""

from __future__ import annotations

import copy
import io
import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from bridge import keys
from tests.bridge.catalog_helpers import post, product, put_products, sale
from tests.conftest import Api

Doc = dict[str, Any]


def good() -> Doc:
    return sale([("A", "2", "10.00"), ("B", "1", "5.50")])


def edit(fn: Callable[[Doc], None]) -> Callable[[], Doc]:
    def make() -> Doc:
        doc = good()
        fn(doc)
        return doc

    return make


def _set(path: str, value: Any) -> Callable[[Doc], None]:
    def apply(doc: Doc) -> None:
        *parents, last = path.split(".")
        node: Any = doc
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if value is ...:
            del node[last]
        else:
            node[int(last) if last.isdigit() else last] = value

    return apply


CASES: list[tuple[str, Callable[[], Doc], int, str, str | None]] = [
    ("float quantity", edit(_set("lines.0.quantity", 2.0)), 422, "body.invalid", "lines.0.quantity"),
    ("float money", edit(_set("total", 25.5)), 422, "body.invalid", "total"),
    ("not a decimal", edit(_set("lines.0.unit_price", "ten")), 422, "body.invalid", "lines.0.unit_price"),
    ("exponent", edit(_set("total", "2.55E1")), 422, "body.invalid", "total"),
    ("zero quantity", edit(_set("lines.0.quantity", "0")), 422, "document.bad_quantity", "lines.0.quantity"),
    ("negative quantity", edit(_set("lines.1.quantity", "-1")), 422, "document.bad_quantity", "lines.1.quantity"),
    ("4 decimal quantity", edit(_set("lines.0.quantity", "1.0001")), 422, "document.bad_quantity", "lines.0.quantity"),
    ("3 decimal money", edit(_set("lines.0.unit_price", "10.001")), 422, "document.bad_amount", "lines.0.unit_price"),
    ("line total off", edit(_set("lines.0.total", "20.01")), 422, "document.total_mismatch", "lines.0.total"),
    ("total off", edit(_set("total", "26.00")), 422, "document.total_mismatch", "total"),
    ("payments short", edit(_set("payments.0.amount", "20.00")), 422, "document.payments_mismatch", "payments"),
    ("zero payment", edit(_set("payments", [{"method": "cash", "amount": "0"}])), 422, "document.bad_amount", "payments.0.amount"),
    ("discount above line", edit(_set("lines.1.discount", "6.00")), 422, "document.bad_discount", "lines.1.discount"),
    ("unknown sku", edit(_set("lines.1.sku", "ZZZ")), 422, "document.unknown_sku", "lines.1.sku"),
    ("no lines", edit(_set("lines", [])), 422, "body.invalid", "lines"),
    ("no payments", edit(_set("payments", [])), 422, "body.invalid", "payments"),
    ("bad currency", edit(_set("currency", "czk")), 422, "body.invalid", "currency"),
    ("other currency", edit(_set("currency", "EUR")), 422, "document.currency_mismatch", "lines.0.sku"),
    ("unknown field", edit(_set("tip", "5")), 422, "body.invalid", "tip"),
    ("bad id", edit(_set("id", "not-a-uuid")), 422, "body.invalid", "id"),
    ("unknown type", edit(_set("type", "gift")), 422, "body.invalid", "type"),
    ("missing total", edit(_set("total", ...)), 422, "body.invalid", "total"),
    ("naive time", edit(_set("occurred_at", "2026-01-01T10:00:00")), 422, "body.invalid", "occurred_at"),
    ("bad method", edit(_set("payments.0.method", "iou")), 422, "body.invalid", "payments.0.method"),
    ("refund of unknown sale", lambda: {"id": str(uuid.uuid4()), "type": "refund", "sale_id": str(uuid.uuid4()), "currency": "CZK", "lines": [{"sku": "A", "quantity": "1", "unit_price": "10.00", "total": "10.00"}], "total": "10.00", "payments": [{"method": "cash", "amount": "10.00"}]}, 422, "refund.sale_not_found", "sale_id"),
    ("cash out of nothing", lambda: {"id": str(uuid.uuid4()), "type": "cash_out", "currency": "CZK", "amount": "0"}, 422, "document.bad_amount", "amount"),
    ("close without shift", lambda: {"id": str(uuid.uuid4()), "type": "shift_close"}, 409, "shift.not_open", None),
    ("count counted twice", lambda: {"id": str(uuid.uuid4()), "type": "inventory_count", "lines": [{"sku": "A", "counted": "1"}, {"sku": "A", "counted": "2"}]}, 422, "document.duplicate_line", "lines.1.sku"),
    ("writeoff of nothing", lambda: {"id": str(uuid.uuid4()), "type": "stock_writeoff", "lines": [{"sku": "A", "quantity": "0"}]}, 422, "document.bad_quantity", "lines.0.quantity"),
    ("warehouse with @", edit(_set("warehouse", "a@b")), 422, "body.invalid", "warehouse"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "make", "status", "code", "field"), CASES, ids=[c[0] for c in CASES]
)
async def test_bad_document_is_refused_and_changes_nothing(
    api: Api, name: str, make: Callable[[], Doc], status: int, code: str, field: str | None
) -> None:
    await put_products(api, product("A", "Apple"), product("B", "Banana", "5.50"))
    doc = make()
    got, body = await post(api, copy.deepcopy(doc))
    assert got == status, body
    error = body["error"]
    assert error["code"] == code
    if field is not None:
        if code == "body.invalid":
            assert any(p["field"] == field for p in error["details"]["problems"]), error
        else:
            assert error["details"]["field"] == field and error["message"].startswith(field)
    store = api.daemon.app[keys.STORE]
    assert await store.fetchall("SELECT seq FROM outbox") == []
    assert await store.fetchall("SELECT id FROM stock_movements") == []


async def test_a_good_document_still_records_after_bad_ones(api: Api) -> None:
    await put_products(api, product("A", "Apple"), product("B", "Banana", "5.50"))
    assert (await post(api, edit(_set("total", "1.00"))()))[0] == 422
    status, body = await post(api, good())
    assert status == 201 and body["seq"] == 1  # a refused document takes no seq


async def test_not_json_and_wrong_content_type(api: Api) -> None:
    status, body, _ = await api.call(
        "POST",
        "/api/v1/documents",
        data=b"{not json",
        headers={**api.auth(api.cashier), "Content-Type": "application/json"},
    )
    assert status == 400 and body["error"]["code"] == "body.malformed_json"
    status, body, _ = await api.call(
        "POST",
        "/api/v1/documents",
        data=b"id=1",
        headers={**api.auth(api.cashier), "Content-Type": "text/plain"},
    )
    assert status == 415


@pytest.mark.parametrize("depth", [40, 100_000])
async def test_too_deep_body_is_refused_like_on_every_route(api: Api, depth: int) -> None:
    """Decoding straight into the document types skips the depth check; a refused body still
    gets it, whether the nesting is the whole body or hides in a field."""
    nested = "[" * depth + "]" * depth
    for data in (nested, '{"id": "x", "type": "sale", "lines": ' + nested + "}"):
        status, body, _ = await api.call(
            "POST",
            "/api/v1/documents",
            data=data.encode(),
            headers={**api.auth(api.cashier), "Content-Type": "application/json"},
        )
        assert status == 400 and body["error"]["code"] == "body.too_deep", (depth, data[:40])


async def test_a_document_too_large_to_ever_sync_is_refused(api: Api) -> None:
    """A document whose upstream event could not fit in a push batch would stop the till's sync
    for good; it is refused before anything is written, and a smaller one still records."""
    await put_products(api, product("A", "Apple", "1.00"))
    huge = sale([("A", "1", "1.00")] * 1000)
    for line in huge["lines"]:
        line["name"] = "😀" * 300  # 1.2 kB a line in UTF-8: the event is over 1 MiB
    status, body = await post_bytes(api, huge)
    assert status == 422 and body["error"]["code"] == "document.too_large", body
    assert body["error"]["details"]["size"] > body["error"]["details"]["max_bytes"]
    store = api.daemon.app[keys.STORE]
    assert await store.fetchall("SELECT seq FROM outbox") == []
    for line in huge["lines"]:
        line["name"] = "😀" * 100
    huge["id"] = str(uuid.uuid4())
    status, body = await post_bytes(api, huge)
    assert status == 201, body


async def post_bytes(api: Api, doc: Doc) -> tuple[int, Any]:
    """Posted from a buffer: aiohttp's client warns about a body this large given as bytes."""
    status, body, _ = await api.call(
        "POST",
        "/api/v1/documents",
        data=io.BytesIO(json.dumps(doc).encode()),
        headers={**api.auth(api.cashier), "Content-Type": "application/json"},
    )
    return status, body
