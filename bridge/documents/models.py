"""Wire models of documents (POST /api/v1/documents). Shapes only; the arithmetic is in checks.py.

A document is a tagged Struct: its ``type`` key picks the class, so a body is decoded straight
into a Sale, a Refund… in one pass, and errors name the field as the body has it ("lines.0.sku").
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from bridge.decimals import WireDecimal
from bridge.stock.ledger import DEFAULT_WAREHOUSE
from bridge.wire import Meta, Wire, field

Currency = Annotated[str, Meta(pattern=r"^[A-Z]{3}$", description="ISO 4217, e.g. CZK.")]
Sku = Annotated[str, Meta(min_length=1, max_length=64)]
Warehouse = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[^@]+$")]
Text = Annotated[str, Meta(max_length=500)]


class DocumentPrint(Wire):
    """A document's wish to print its receipt (named apart from the print job's PrintRequest)."""

    printer: Annotated[
        str, Meta(min_length=1, max_length=64, description="Printer id from the config.")
    ]


class DocumentDrawer(Wire):
    """A document's wish to open a cash drawer."""

    drawer: Annotated[
        str, Meta(min_length=1, max_length=64, description="Drawer id from the config.")
    ]


class SaleLine(Wire, kw_only=True):
    sku: Sku
    name: Annotated[
        Annotated[str, Meta(max_length=300)] | None, Meta(description="Defaults to the catalog's.")
    ] = None
    quantity: Annotated[WireDecimal, Meta(description="> 0, at most 3 decimal places.")]
    unit_price: WireDecimal
    discount: Annotated[WireDecimal, Meta(description="Money off this line.")] = Decimal(0)
    total: Annotated[
        WireDecimal, Meta(description="quantity × unit_price − discount, rounded to the currency.")
    ]


class Payment(Wire):
    method: Literal["cash", "card", "voucher", "other"]
    amount: WireDecimal


class DocumentBase(Wire, tag_field="type"):
    """What every document has; the ``type`` key names the subclass (its tag)."""

    id: Annotated[UUID, Meta(description="Chosen by the POS; the idempotency key of the document.")]
    occurred_at: Annotated[
        Annotated[datetime, Meta(tz=True)] | None, Meta(description="Defaults to now.")
    ] = None
    note: Text | None = None

    @property
    def type(self) -> str:
        """The document type as sent ("sale", "cash_in"…): the class's tag."""
        return self.__struct_config__.tag  # type: ignore[return-value]


SaleLines = Annotated[list[SaleLine], Meta(min_length=1, max_length=1000)]
Payments = Annotated[list[Payment], Meta(min_length=1, max_length=20)]


class Sale(DocumentBase, tag="sale", kw_only=True):
    currency: Currency
    warehouse: Warehouse = DEFAULT_WAREHOUSE
    lines: SaleLines
    total: WireDecimal
    payments: Payments
    print: Annotated[
        DocumentPrint | None, Meta(description="Print the receipt after recording.")
    ] = None
    open_drawer: Annotated[
        DocumentDrawer | None,
        Meta(description="Open the cash drawer after recording (cash sales)."),
    ] = None


class RefundLine(Wire, kw_only=True):
    sku: Sku
    quantity: WireDecimal
    unit_price: WireDecimal
    total: WireDecimal
    restock: Annotated[bool, Meta(description="The goods go back on the shelf.")] = True


class Refund(DocumentBase, tag="refund", kw_only=True):
    sale_id: Annotated[UUID, Meta(description="The sale being refunded.")]
    currency: Currency
    warehouse: Annotated[Warehouse | None, Meta(description="Defaults to the sale's.")] = None
    lines: Annotated[list[RefundLine], Meta(min_length=1, max_length=1000)]
    total: WireDecimal
    payments: Payments
    reason: Text | None = None
    print: DocumentPrint | None = None
    open_drawer: DocumentDrawer | None = None


class CashMovement(DocumentBase, kw_only=True):
    """Cash put into (CashIn) or taken out of (CashOut) the drawer outside a sale."""

    currency: Currency
    amount: WireDecimal
    reason: Text | None = None
    print: DocumentPrint | None = None
    open_drawer: DocumentDrawer | None = None


class CashIn(CashMovement, tag="cash_in", kw_only=True):
    pass


class CashOut(CashMovement, tag="cash_out", kw_only=True):
    pass


class ShiftOpen(DocumentBase, tag="shift_open", kw_only=True):
    currency: Currency
    opening_float: Annotated[WireDecimal, Meta(description="Cash in the drawer.")] = Decimal(0)
    cashier: Text | None = None
    print: DocumentPrint | None = None
    open_drawer: DocumentDrawer | None = None


class ShiftClose(DocumentBase, tag="shift_close", kw_only=True):
    counted_cash: Annotated[
        WireDecimal | None,
        Meta(description="Cash counted in the drawer; the Z-report shows the difference."),
    ] = None
    print: Annotated[DocumentPrint | None, Meta(description="Print the Z-report.")] = None
    open_drawer: DocumentDrawer | None = None


class StockLine(Wire, kw_only=True):
    sku: Sku
    quantity: Annotated[WireDecimal, Meta(description="> 0, at most 3 decimal places.")]
    reason: Text | None = None


StockLines = Annotated[list[StockLine], Meta(min_length=1, max_length=5000)]


class StockReceipt(DocumentBase, tag="stock_receipt", kw_only=True):
    warehouse: Warehouse = DEFAULT_WAREHOUSE
    supplier: Text | None = None
    reference: Text | None = None
    lines: StockLines


class StockWriteoff(DocumentBase, tag="stock_writeoff", kw_only=True):
    warehouse: Warehouse = DEFAULT_WAREHOUSE
    reason: Text | None = None
    lines: StockLines


class CountLine(Wire):
    sku: Sku
    counted: Annotated[WireDecimal, Meta(description="What is on the shelf; ≥ 0.")]


class InventoryCount(DocumentBase, tag="inventory_count", kw_only=True):
    warehouse: Warehouse = DEFAULT_WAREHOUSE
    source: Annotated[Text | None, Meta(description="e.g. the imported file's name.")] = None
    lines: Annotated[list[CountLine], Meta(min_length=1, max_length=5000)]


Document = (
    Sale
    | Refund
    | CashIn
    | CashOut
    | ShiftOpen
    | ShiftClose
    | StockReceipt
    | StockWriteoff
    | InventoryCount
)
DOCUMENT_TYPES = (
    "sale",
    "refund",
    "cash_in",
    "cash_out",
    "shift_open",
    "shift_close",
    "stock_receipt",
    "stock_writeoff",
    "inventory_count",
)


class Movement(Wire):
    sku: str
    warehouse: str
    quantity: Annotated[WireDecimal, Meta(description="Signed: sales are negative.")]


class RecordedDocument(Wire):
    """What the daemon recorded: the request as validated, plus what it computed."""

    document: Annotated[
        dict[str, Any], Meta(description="The document as recorded (with computed fields).")
    ]
    seq: Annotated[int, Meta(description="Its place in the upstream event stream.")]
    recorded_at: datetime
    movements: list[Movement]


class DocumentResponse(RecordedDocument, kw_only=True):
    status: Literal["recorded", "already_recorded"]
    print: Annotated[
        dict[str, Any] | None, Meta(description="The receipt job, or why there is none.")
    ] = None
    drawer: Annotated[dict[str, Any] | None, Meta(description="The drawer open result.")] = None
    stock_warnings: Annotated[
        list[dict[str, Any]], Meta(description="SKUs whose free stock went below zero.")
    ] = field(default_factory=list)
