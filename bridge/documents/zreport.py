"""The Z-report: a shift's totals, computed by the daemon from the documents it recorded."""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from decimal import Decimal
from typing import Any


def compute(
    conn: sqlite3.Connection,
    shift_id: str,
    currency: str,
    opening_float: Decimal,
    counted_cash: Decimal | None,
) -> dict[str, Any]:
    """Totals of every document recorded in the shift, as decimal strings."""
    counts: dict[str, int] = defaultdict(int)
    sales = refunds = cash_in = cash_out = Decimal(0)
    by_method: dict[str, Decimal] = defaultdict(Decimal)
    for doc_type, raw in conn.execute(
        "SELECT type, body FROM documents WHERE shift_id = ? ORDER BY seq", (shift_id,)
    ):
        counts[doc_type] += 1
        body = json.loads(raw)
        if doc_type == "sale":
            sales += Decimal(body["total"])
            for payment in body["payments"]:
                by_method[payment["method"]] += Decimal(payment["amount"])
        elif doc_type == "refund":
            refunds += Decimal(body["total"])
            for payment in body["payments"]:
                by_method[payment["method"]] -= Decimal(payment["amount"])
        elif doc_type == "cash_in":
            cash_in += Decimal(body["amount"])
        elif doc_type == "cash_out":
            cash_out += Decimal(body["amount"])
    expected_cash = opening_float + by_method.get("cash", Decimal(0)) + cash_in - cash_out
    report: dict[str, Any] = {
        "shift_id": shift_id,
        "currency": currency,
        "documents": dict(sorted(counts.items())),
        "sales_total": str(sales),
        "refunds_total": str(refunds),
        "net_total": str(sales - refunds),
        "by_payment_method": {k: str(v) for k, v in sorted(by_method.items())},
        "opening_float": str(opening_float),
        "cash_in": str(cash_in),
        "cash_out": str(cash_out),
        "expected_cash": str(expected_cash),
        "counted_cash": str(counted_cash) if counted_cash is not None else None,
        "cash_difference": str(counted_cash - expected_cash) if counted_cash is not None else None,
    }
    return report
