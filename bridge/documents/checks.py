"""Arithmetic rules a document must keep before anything is looked up: totals that add up,
quantities above zero, money in the currency's units. Each failure names the field."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from bridge.decimals import QUANTITY_PLACES, minor_units, places, round_money
from bridge.documents.errors import invalid
from bridge.documents.models import (
    CashMovement,
    Document,
    InventoryCount,
    Payment,
    Refund,
    Sale,
    ShiftClose,
    ShiftOpen,
    StockReceipt,
    StockWriteoff,
)


def _quantity(value: Decimal, field: str, *, allow_zero: bool = False) -> None:
    if value < 0 or (value == 0 and not allow_zero):
        raise invalid(
            "document.bad_quantity", field, f"must be {'≥' if allow_zero else '>'} 0, found {value}"
        )
    if places(value) > QUANTITY_PLACES:
        raise invalid(
            "document.bad_quantity",
            field,
            f"at most {QUANTITY_PLACES} decimal places, found {value}",
        )


def _money(value: Decimal, currency: str, field: str, *, positive: bool = False) -> None:
    if value < 0 or (positive and value == 0):
        raise invalid(
            "document.bad_amount", field, f"must be {'>' if positive else '≥'} 0, found {value}"
        )
    if places(value) > minor_units(currency):
        raise invalid(
            "document.bad_amount",
            field,
            f"{currency} has {minor_units(currency)} decimal places, found {value}",
        )


def _payments(payments: Sequence[Payment], total: Decimal, currency: str) -> None:
    for i, payment in enumerate(payments):
        _money(payment.amount, currency, f"payments.{i}.amount", positive=True)
    paid = sum((p.amount for p in payments), Decimal(0))
    if paid != total:
        raise invalid(
            "document.payments_mismatch",
            "payments",
            f"payments add up to {paid}, the total is {total}",
            expected=str(total),
            found=str(paid),
        )


def _line_total(
    quantity: Decimal, price: Decimal, discount: Decimal, currency: str, total: Decimal, at: str
) -> None:
    gross = quantity * price
    if discount > gross:
        raise invalid(
            "document.bad_discount", f"{at}.discount", f"{discount} is more than the line ({gross})"
        )
    expected = round_money(gross - discount, currency)
    if total != expected:
        raise invalid(
            "document.total_mismatch",
            f"{at}.total",
            f"{quantity} × {price}{f' − {discount}' if discount else ''} = {expected}, found {total}",
            expected=str(expected),
            found=str(total),
        )


def _document_total(line_totals: Sequence[Decimal], total: Decimal, currency: str) -> None:
    _money(total, currency, "total")
    expected = sum(line_totals, Decimal(0))
    if total != expected:
        raise invalid(
            "document.total_mismatch",
            "total",
            f"the lines add up to {expected}, found {total}",
            expected=str(expected),
            found=str(total),
        )


def check(doc: Document) -> None:
    """Raise DocumentRejected (422) for the first rule the document breaks."""
    if isinstance(doc, Sale):
        for i, line in enumerate(doc.lines):
            at = f"lines.{i}"
            _quantity(line.quantity, f"{at}.quantity")
            _money(line.unit_price, doc.currency, f"{at}.unit_price")
            _money(line.discount, doc.currency, f"{at}.discount")
            _money(line.total, doc.currency, f"{at}.total")
            _line_total(line.quantity, line.unit_price, line.discount, doc.currency, line.total, at)
        _document_total([line.total for line in doc.lines], doc.total, doc.currency)
        _payments(doc.payments, doc.total, doc.currency)
    elif isinstance(doc, Refund):
        for i, line in enumerate(doc.lines):
            at = f"lines.{i}"
            _quantity(line.quantity, f"{at}.quantity")
            _money(line.unit_price, doc.currency, f"{at}.unit_price")
            _money(line.total, doc.currency, f"{at}.total")
            _line_total(line.quantity, line.unit_price, Decimal(0), doc.currency, line.total, at)
        _document_total([line.total for line in doc.lines], doc.total, doc.currency)
        _payments(doc.payments, doc.total, doc.currency)
    elif isinstance(doc, CashMovement):
        _money(doc.amount, doc.currency, "amount", positive=True)
    elif isinstance(doc, ShiftOpen):
        _money(doc.opening_float, doc.currency, "opening_float")
    elif isinstance(doc, ShiftClose):
        if doc.counted_cash is not None and doc.counted_cash < 0:
            raise invalid("document.bad_amount", "counted_cash", "must be ≥ 0")
    elif isinstance(doc, StockReceipt | StockWriteoff):
        for i, line in enumerate(doc.lines):
            _quantity(line.quantity, f"lines.{i}.quantity")
    elif isinstance(doc, InventoryCount):
        seen: dict[str, int] = {}
        for i, line in enumerate(doc.lines):
            _quantity(line.counted, f"lines.{i}.counted", allow_zero=True)
            if line.sku in seen:
                raise invalid(
                    "document.duplicate_line",
                    f"lines.{i}.sku",
                    f"{line.sku} was already counted on line {seen[line.sku]}",
                )
            seen[line.sku] = i
