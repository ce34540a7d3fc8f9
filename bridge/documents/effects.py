"""What a document does to the store, worked out against it before anything is written:
the checks that need the catalog, the sale being refunded or the open shift, then the stock
movements and the computed fields of the recorded body.

Blocking on purpose: the recorder runs a whole batch of documents on the store's writer thread
in one hop (Store.write_blocking), so these read through the raw connection they are given."""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from bridge.documents import zreport
from bridge.documents.errors import conflict, invalid
from bridge.documents.models import (
    CashMovement,
    Document,
    InventoryCount,
    Refund,
    Sale,
    ShiftClose,
    ShiftOpen,
    StockReceipt,
    StockWriteoff,
)
from bridge.stock.ledger import PHYSICAL_MANY_SQL, physical_rows
from bridge.wire import to_builtins

MovementRow = tuple[str, str, Decimal]  # sku, warehouse, signed quantity
#: Types whose effects read nothing but the catalog and the open shift, so they may be prepared
#: while earlier documents of the same batch are not yet written out.
CATALOG_ONLY = frozenset({"sale", "cash_in", "cash_out", "shift_open"})


def wire_body(doc: Document) -> dict[str, Any]:
    """The document as recorded and hashed: its wire form without the print and drawer wishes.

    Key for key and string for string what the models before msgspec wrote (decimals as parsed,
    UUIDs in lower case, times in RFC 3339 with "Z" for UTC and six-digit fractions), so request
    hashes recorded by older versions still match (tests/bridge/documents/test_request_hash.py).
    """
    body: dict[str, Any] = to_builtins(doc)
    body.pop("print", None)
    body.pop("open_drawer", None)
    return body


@dataclass
class OpenShift:
    id: str
    currency: str
    opening_float: Decimal


@dataclass
class Effects:
    body: dict[str, Any]
    movements: list[MovementRow] = field(default_factory=list)
    counts: list[tuple[str, str, Decimal, Decimal]] = field(default_factory=list)
    opens_shift: OpenShift | None = None
    closes_shift: str | None = None


def load_open_shift(conn: sqlite3.Connection) -> OpenShift | None:
    row = conn.execute(
        "SELECT id, currency, opening_float FROM shifts WHERE closed_at IS NULL"
    ).fetchone()
    return OpenShift(row[0], row[1], Decimal(row[2])) if row else None


def products_in(conn: sqlite3.Connection, skus: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Name and currency of each known SKU, in one query."""
    rows = conn.execute(
        "SELECT p.sku, p.name, p.currency FROM json_each(?) s JOIN products p ON p.sku = s.value",
        (json.dumps(sorted(set(skus))),),
    )
    return {row[0]: (row[1], row[2]) for row in rows}


def _known_skus(
    conn: sqlite3.Connection,
    skus: Sequence[str],
    currency: str | None,
    catalog: dict[str, tuple[str, str]] | None = None,
) -> dict[str, tuple[str, str]]:
    if catalog is not None and all(sku in catalog for sku in skus):
        products = catalog
    else:
        products = products_in(conn, skus)
    for i, sku in enumerate(skus):
        if sku not in products:
            raise invalid(
                "document.unknown_sku", f"lines.{i}.sku", f"{sku!r} is not in the catalog", sku=sku
            )
        if currency is not None and products[sku][1] != currency:
            raise invalid(
                "document.currency_mismatch",
                f"lines.{i}.sku",
                f"{sku} is priced in {products[sku][1]}, the document is in {currency}",
            )
    return products


def _first_unknown(conn: sqlite3.Connection, skus: Sequence[str]) -> None:
    """Refuse the first SKU not in the catalog, asking the store for that one alone (a count's
    thousands of lines need no names, only to exist)."""
    row = conn.execute(
        "SELECT s.key, s.value FROM json_each(?) s "
        "WHERE NOT EXISTS (SELECT 1 FROM products p WHERE p.sku = s.value) ORDER BY s.key LIMIT 1",
        (json.dumps(list(skus)),),
    ).fetchone()
    if row is not None:
        i, sku = row
        raise invalid(
            "document.unknown_sku", f"lines.{i}.sku", f"{sku!r} is not in the catalog", sku=sku
        )


def _shift_currency(doc: Sale | Refund | CashMovement, shift: OpenShift | None) -> None:
    if shift is not None and doc.currency != shift.currency:
        raise invalid(
            "document.currency_mismatch",
            "currency",
            f"the open shift counts {shift.currency}, this document is in {doc.currency}",
        )


def _refund_effects(
    conn: sqlite3.Connection, doc: Refund, body: dict[str, Any]
) -> list[MovementRow]:
    sale_id = str(doc.sale_id)
    row = conn.execute(
        "SELECT body FROM documents WHERE id = ? AND type = 'sale'", (sale_id,)
    ).fetchone()
    if row is None:
        raise invalid("refund.sale_not_found", "sale_id", f"no sale {sale_id} is recorded here")
    sale = json.loads(row[0])
    if sale["currency"] != doc.currency:
        raise invalid(
            "document.currency_mismatch",
            "currency",
            f"the sale was in {sale['currency']}, the refund is in {doc.currency}",
        )
    remaining: dict[str, Decimal] = defaultdict(Decimal)
    for line in sale["lines"]:
        remaining[line["sku"]] += Decimal(line["quantity"])
    money_left = Decimal(sale["total"])
    for (raw,) in conn.execute(
        "SELECT body FROM documents WHERE sale_id = ? AND type = 'refund'", (sale_id,)
    ):
        earlier = json.loads(raw)
        money_left -= Decimal(earlier["total"])
        for line in earlier["lines"]:
            remaining[line["sku"]] -= Decimal(line["quantity"])
    for i, line in enumerate(doc.lines):
        if line.sku not in remaining:
            raise invalid(
                "refund.not_in_sale", f"lines.{i}.sku", f"{line.sku} was not sold in {sale_id}"
            )
        if line.quantity > remaining[line.sku]:
            raise invalid(
                "refund.exceeds_sale",
                f"lines.{i}.quantity",
                f"only {remaining[line.sku]} of {line.sku} is left to refund, found {line.quantity}",
                refundable=str(remaining[line.sku]),
            )
        remaining[line.sku] -= line.quantity
    if doc.total > money_left:
        raise invalid(
            "refund.exceeds_sale",
            "total",
            f"only {money_left} of the sale is left to refund, found {doc.total}",
            refundable=str(money_left),
        )
    warehouse = doc.warehouse or sale["warehouse"]
    body["warehouse"] = warehouse
    return [(line.sku, warehouse, line.quantity) for line in doc.lines if line.restock]


def _count_effects(conn: sqlite3.Connection, doc: InventoryCount, body: dict[str, Any]) -> Effects:
    skus = [line.sku for line in doc.lines]
    _first_unknown(conn, skus)
    current = physical_rows(conn.execute(PHYSICAL_MANY_SQL, (doc.warehouse, json.dumps(skus))))
    effects = Effects(body)
    for line, wire in zip(doc.lines, body["lines"], strict=True):
        expected = current.get(line.sku, Decimal(0))
        wire["expected"] = str(expected)
        wire["difference"] = str(line.counted - expected)
        effects.movements.append((line.sku, doc.warehouse, line.counted - expected))
        effects.counts.append((line.sku, doc.warehouse, line.counted, expected))
    return effects


def prepare(
    conn: sqlite3.Connection,
    doc: Document,
    shift: OpenShift | None,
    occurred_at: str,
    catalog: dict[str, tuple[str, str]] | None = None,
    body: dict[str, Any] | None = None,
) -> Effects:
    """Check the document against the store and work out its effects; writes nothing.

    ``body`` is the document's wire form (print and drawer wishes left out) when the caller
    already has it; it becomes the recorded body, computed fields added.
    """
    if body is None:
        body = wire_body(doc)
    body["occurred_at"] = occurred_at
    body["shift_id"] = shift.id if shift else None
    if isinstance(doc, Sale):
        _shift_currency(doc, shift)
        products = _known_skus(conn, [line.sku for line in doc.lines], doc.currency, catalog)
        for wire in body["lines"]:
            wire["name"] = wire["name"] or products[wire["sku"]][0]
        return Effects(body, [(ln.sku, doc.warehouse, -ln.quantity) for ln in doc.lines])
    if isinstance(doc, Refund):
        _shift_currency(doc, shift)
        return Effects(body, _refund_effects(conn, doc, body))
    if isinstance(doc, CashMovement):
        _shift_currency(doc, shift)
        return Effects(body)
    if isinstance(doc, ShiftOpen):
        if shift is not None:
            raise conflict("shift.already_open", None, f"shift {shift.id} is open; close it first")
        body["shift_id"] = str(doc.id)
        return Effects(body, opens_shift=OpenShift(str(doc.id), doc.currency, doc.opening_float))
    if isinstance(doc, ShiftClose):
        if shift is None:
            raise conflict("shift.not_open", None, "no shift is open")
        body["z_report"] = zreport.compute(
            conn, shift.id, shift.currency, shift.opening_float, doc.counted_cash
        )
        return Effects(body, closes_shift=shift.id)
    if isinstance(doc, StockReceipt | StockWriteoff):
        _known_skus(conn, [line.sku for line in doc.lines], None)
        sign = 1 if isinstance(doc, StockReceipt) else -1
        return Effects(body, [(ln.sku, doc.warehouse, sign * ln.quantity) for ln in doc.lines])
    assert isinstance(doc, InventoryCount)
    return _count_effects(conn, doc, body)
