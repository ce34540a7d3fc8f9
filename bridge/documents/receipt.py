"""Receipts for recorded documents: the sale slip and the Z-report, as printer blocks."""

from __future__ import annotations

from typing import Any

from bridge.wire import convert
from drivers.printer.receipt import Receipt

_TITLES = {
    "sale": "SALE",
    "refund": "REFUND",
    "cash_in": "CASH IN",
    "cash_out": "CASH OUT",
    "shift_open": "SHIFT OPEN",
    "shift_close": "Z-REPORT",
}


def _money_lines(body: dict[str, Any]) -> list[dict[str, Any]]:
    currency = body.get("currency", "")
    blocks: list[dict[str, Any]] = []
    for line in body.get("lines", []):
        name = line.get("name") or line["sku"]
        blocks.append({"text": name})
        blocks.append(
            {"row": [f"  {line['quantity']} × {line['unit_price']}", f"{line['total']} {currency}"]}
        )
        if line.get("discount") not in (None, "0"):
            blocks.append({"row": ["  discount", f"−{line['discount']}"]})
    if "total" in body:
        blocks += [{"rule": "-"}, {"row": ["TOTAL", f"{body['total']} {currency}"]}]
    for payment in body.get("payments", []):
        blocks.append({"row": [payment["method"], payment["amount"]]})
    if "amount" in body:
        blocks.append({"row": ["Amount", f"{body['amount']} {currency}"]})
    return blocks


def _z_lines(z: dict[str, Any]) -> list[dict[str, Any]]:
    cur = z["currency"]
    rows = [
        ("Sales", z["sales_total"]),
        ("Refunds", z["refunds_total"]),
        ("Net", z["net_total"]),
        *((f"  {method}", amount) for method, amount in z["by_payment_method"].items()),
        ("Opening float", z["opening_float"]),
        ("Cash in", z["cash_in"]),
        ("Cash out", z["cash_out"]),
        ("Expected cash", z["expected_cash"]),
    ]
    if z["counted_cash"] is not None:
        rows += [("Counted cash", z["counted_cash"]), ("Difference", z["cash_difference"])]
    blocks: list[dict[str, Any]] = [{"row": [label, f"{value} {cur}"]} for label, value in rows]
    blocks += [{"row": [f"  {kind}", str(n)]} for kind, n in z["documents"].items()]
    return blocks


def build(body: dict[str, Any]) -> Receipt:
    """A receipt for a sale, refund, cash movement or shift document."""
    blocks: list[dict[str, Any]] = [
        {"text": _TITLES.get(body["type"], body["type"].upper()), "align": "center", "bold": True,
         "size": "double"},
        {"text": body["occurred_at"], "align": "center"},
        {"text": f"No. {body['id']}", "align": "center"},
        {"rule": "="},
    ]  # fmt: skip
    if body["type"] == "shift_close":
        blocks += _z_lines(body["z_report"])
    else:
        blocks += _money_lines(body)
    blocks += [{"feed": 3}, {"cut": "partial"}]
    return convert({"blocks": blocks}, Receipt)
