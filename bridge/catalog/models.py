"""Wire models of the catalog (local-api.md, and the `product` change of sync-protocol.md)."""

from __future__ import annotations

from typing import Annotated

from bridge.decimals import WireDecimal
from bridge.wire import Meta, Wire, field

Barcode = Annotated[str, Meta(min_length=1, max_length=64)]


class Product(Wire, kw_only=True):
    """Types and bounds are checked when decoded (bridge.wire.convert, decode_json); the rules
    below on every construction too, which costs a lookup about a microsecond."""

    sku: Annotated[
        str, Meta(min_length=1, max_length=64, description="Stock keeping unit; unique.")
    ]
    name: Annotated[str, Meta(min_length=1, max_length=300)]
    barcodes: Annotated[list[Barcode], Meta(max_length=50)] = field(default_factory=list)
    price: Annotated[WireDecimal, Meta(description="Unit price as a decimal string.")]
    currency: Annotated[str, Meta(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. CZK.")]
    unit: Annotated[str, Meta(min_length=1, max_length=16, description="pcs, kg, l…")] = "pcs"
    tax_rate: Annotated[WireDecimal | None, Meta(description='Percent, e.g. "21".')] = None
    group: Annotated[
        Annotated[str, Meta(max_length=64)] | None,
        Meta(description="Variants (sizes, colours) share a group."),
    ] = None
    attributes: Annotated[
        dict[str, str], Meta(description='What makes this variant, e.g. {"size": "M"}.')
    ] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for code in self.barcodes:
            if not code or len(code) > 64 or not code.isprintable():
                raise ValueError(f"barcode {code!r} must be 1-64 printable characters")
        if len(set(self.barcodes)) != len(self.barcodes):
            raise ValueError("a barcode is listed twice")
        if self.price < 0:
            raise ValueError("price must not be negative")


class Variant(Wire):
    sku: str
    name: str
    attributes: dict[str, str]


class ProductDetail(Product, kw_only=True):
    variants: Annotated[list[Variant], Meta(description="Other SKUs of the same group.")] = field(
        default_factory=list
    )


class ProductList(Wire):
    products: list[Product]


class ProductUpserted(Wire):
    product: Product
    created: bool
