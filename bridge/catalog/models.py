"""Wire models of the catalog (local-api.md, and the `product` change of sync-protocol.md)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bridge.decimals import WireDecimal


class Product(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    sku: str = Field(min_length=1, max_length=64, description="Stock keeping unit; unique.")
    name: str = Field(min_length=1, max_length=300)
    barcodes: list[str] = Field(default_factory=list, max_length=50)
    price: WireDecimal = Field(description="Unit price as a decimal string.")
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. CZK.")
    unit: str = Field(default="pcs", min_length=1, max_length=16, description="pcs, kg, l…")
    tax_rate: WireDecimal | None = Field(default=None, description='Percent, e.g. "21".')
    group: str | None = Field(
        default=None, max_length=64, description="Variants (sizes, colours) share a group."
    )
    attributes: dict[str, str] = Field(
        default_factory=dict, description='What makes this variant, e.g. {"size": "M"}.'
    )

    @field_validator("barcodes")
    @classmethod
    def _barcodes(cls, value: list[str]) -> list[str]:
        for code in value:
            if not code or len(code) > 64 or not code.isprintable():
                raise ValueError(f"barcode {code!r} must be 1-64 printable characters")
        if len(set(value)) != len(value):
            raise ValueError("a barcode is listed twice")
        return value

    @field_validator("price")
    @classmethod
    def _price(cls, value: Decimal) -> Decimal:
        if value < 0:
            raise ValueError("must not be negative")
        return value


class Variant(BaseModel):
    sku: str
    name: str
    attributes: dict[str, str]


class ProductDetail(Product):
    variants: list[Variant] = Field(
        default_factory=list, description="Other SKUs of the same group."
    )


class ProductList(BaseModel):
    products: list[Product]


class ProductUpserted(BaseModel):
    product: Product
    created: bool
