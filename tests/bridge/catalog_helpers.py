"""Shared by the catalog, stock and documents tests: products and documents as the POS sends them."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from tests.conftest import Api


def product(sku: str, name: str, price: str = "10.00", **extra: Any) -> dict[str, Any]:
    return {"sku": sku, "name": name, "price": price, "currency": "CZK", **extra}


async def put_products(api: Api, *products: dict[str, Any]) -> None:
    for p in products:
        status, body, _ = await api.call("PUT", f"/api/v1/products/{p['sku']}", json_body=p)
        assert status in (200, 201), body


def sale(
    lines: list[tuple[str, str, str]], *, method: str = "cash", **extra: Any
) -> dict[str, Any]:
    """lines: (sku, quantity, unit_price); totals computed as the POS would."""
    wire = []
    total = Decimal(0)
    for sku, qty, price in lines:
        line_total = (Decimal(qty) * Decimal(price)).quantize(Decimal("0.01"))
        total += line_total
        wire.append({"sku": sku, "quantity": qty, "unit_price": price, "total": str(line_total)})
    return {
        "id": str(uuid.uuid4()),
        "type": "sale",
        "currency": "CZK",
        "lines": wire,
        "total": str(total),
        "payments": [{"method": method, "amount": str(total)}],
        **extra,
    }


def refund(sale_doc: dict[str, Any], lines: list[tuple[str, str]], **extra: Any) -> dict[str, Any]:
    prices = {line["sku"]: line["unit_price"] for line in sale_doc["lines"]}
    wire = []
    total = Decimal(0)
    for sku, qty in lines:
        line_total = (Decimal(qty) * Decimal(prices[sku])).quantize(Decimal("0.01"))
        total += line_total
        wire.append(
            {"sku": sku, "quantity": qty, "unit_price": prices[sku], "total": str(line_total)}
        )
    return {
        "id": str(uuid.uuid4()),
        "type": "refund",
        "sale_id": sale_doc["id"],
        "currency": sale_doc["currency"],
        "lines": wire,
        "total": str(total),
        "payments": [{"method": "cash", "amount": str(total)}],
        **extra,
    }


async def post(api: Api, doc: dict[str, Any], token: str | None = None) -> tuple[int, Any]:
    status, body, _ = await api.call(
        "POST", "/api/v1/documents", json_body=doc, token=token or api.cashier
    )
    return status, body


async def stock(api: Api, sku: str, warehouse: str = "main") -> dict[str, str] | None:
    status, body, _ = await api.call("GET", f"/api/v1/stock/{sku}", token=api.cashier)
    assert status == 200, body
    return next((w for w in body["warehouses"] if w["warehouse"] == warehouse), None)
