"""Wire models of documents (POST /api/v1/documents). Shapes only; the arithmetic is in checks.py."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, RootModel

from bridge.decimals import WireDecimal
from bridge.stock.ledger import DEFAULT_WAREHOUSE

Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217, e.g. CZK.")]
Sku = Annotated[str, Field(min_length=1, max_length=64)]
Warehouse = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^@]+$")]
Text = Annotated[str, Field(max_length=500)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PrintRequest(Strict):
    printer: str = Field(min_length=1, max_length=64, description="Printer id from the config.")


class DrawerRequest(Strict):
    drawer: str = Field(min_length=1, max_length=64, description="Drawer id from the config.")


class SaleLine(Strict):
    sku: Sku
    name: str | None = Field(default=None, max_length=300, description="Defaults to the catalog's.")
    quantity: WireDecimal = Field(description="> 0, at most 3 decimal places.")
    unit_price: WireDecimal
    discount: WireDecimal = Field(default=Decimal(0), description="Money off this line.")
    total: WireDecimal = Field(
        description="quantity × unit_price − discount, rounded to the currency."
    )


class Payment(Strict):
    method: Literal["cash", "card", "voucher", "other"]
    amount: WireDecimal


class DocumentBase(Strict):
    id: UUID = Field(description="Chosen by the POS; the idempotency key of the document.")
    occurred_at: AwareDatetime | None = Field(default=None, description="Defaults to now.")
    note: Text | None = None


class Sale(DocumentBase):
    type: Literal["sale"]
    currency: Currency
    warehouse: Warehouse = DEFAULT_WAREHOUSE
    lines: list[SaleLine] = Field(min_length=1, max_length=1000)
    total: WireDecimal
    payments: list[Payment] = Field(min_length=1, max_length=20)
    print: PrintRequest | None = Field(
        default=None, description="Print the receipt after recording."
    )
    open_drawer: DrawerRequest | None = Field(
        default=None, description="Open the cash drawer after recording (cash sales)."
    )


class RefundLine(Strict):
    sku: Sku
    quantity: WireDecimal
    unit_price: WireDecimal
    total: WireDecimal
    restock: bool = Field(default=True, description="The goods go back on the shelf.")


class Refund(DocumentBase):
    type: Literal["refund"]
    sale_id: UUID = Field(description="The sale being refunded.")
    currency: Currency
    warehouse: Warehouse | None = Field(default=None, description="Defaults to the sale's.")
    lines: list[RefundLine] = Field(min_length=1, max_length=1000)
    total: WireDecimal
    payments: list[Payment] = Field(min_length=1, max_length=20)
    reason: Text | None = None
    print: PrintRequest | None = None
    open_drawer: DrawerRequest | None = None


class CashMovement(DocumentBase):
    type: Literal["cash_in", "cash_out"]
    currency: Currency
    amount: WireDecimal
    reason: Text | None = None
    print: PrintRequest | None = None
    open_drawer: DrawerRequest | None = None


class ShiftOpen(DocumentBase):
    type: Literal["shift_open"]
    currency: Currency
    opening_float: WireDecimal = Field(default=Decimal(0), description="Cash in the drawer.")
    cashier: Text | None = None
    print: PrintRequest | None = None
    open_drawer: DrawerRequest | None = None


class ShiftClose(DocumentBase):
    type: Literal["shift_close"]
    counted_cash: WireDecimal | None = Field(
        default=None, description="Cash counted in the drawer; the Z-report shows the difference."
    )
    print: PrintRequest | None = Field(default=None, description="Print the Z-report.")
    open_drawer: DrawerRequest | None = None


class StockLine(Strict):
    sku: Sku
    quantity: WireDecimal = Field(description="> 0, at most 3 decimal places.")
    reason: Text | None = None


class StockReceipt(DocumentBase):
    type: Literal["stock_receipt"]
    warehouse: Warehouse = DEFAULT_WAREHOUSE
    supplier: Text | None = None
    reference: Text | None = None
    lines: list[StockLine] = Field(min_length=1, max_length=5000)


class StockWriteoff(DocumentBase):
    type: Literal["stock_writeoff"]
    warehouse: Warehouse = DEFAULT_WAREHOUSE
    reason: Text | None = None
    lines: list[StockLine] = Field(min_length=1, max_length=5000)


class CountLine(Strict):
    sku: Sku
    counted: WireDecimal = Field(description="What is on the shelf; ≥ 0.")


class InventoryCount(DocumentBase):
    type: Literal["inventory_count"]
    warehouse: Warehouse = DEFAULT_WAREHOUSE
    source: Text | None = Field(default=None, description="e.g. the imported file's name.")
    lines: list[CountLine] = Field(min_length=1, max_length=5000)


Document = Annotated[
    Sale
    | Refund
    | CashMovement
    | ShiftOpen
    | ShiftClose
    | StockReceipt
    | StockWriteoff
    | InventoryCount,
    Field(discriminator="type"),
]
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


class DocumentRequest(RootModel[Document]):
    pass


class Movement(BaseModel):
    sku: str
    warehouse: str
    quantity: WireDecimal = Field(description="Signed: sales are negative.")


class RecordedDocument(BaseModel):
    """What the daemon recorded: the request as validated, plus what it computed."""

    document: dict[str, Any] = Field(description="The document as recorded (with computed fields).")
    seq: int = Field(description="Its place in the upstream event stream.")
    recorded_at: datetime
    movements: list[Movement]


class DocumentResponse(RecordedDocument):
    status: Literal["recorded", "already_recorded"]
    print: dict[str, Any] | None = Field(
        default=None, description="The receipt job, or why there is none."
    )
    drawer: dict[str, Any] | None = Field(default=None, description="The drawer open result.")
    stock_warnings: list[dict[str, Any]] = Field(
        default_factory=list, description="SKUs whose free stock went below zero."
    )
