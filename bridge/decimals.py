"""Exact decimals for quantities and money: strings on the wire, Decimal in memory, never floats."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

QUANTITY_PLACES = 3
MILLI = Decimal(1000)
DECIMAL_PATTERN = r"^-?\d{1,15}(\.\d{1,6})?$"
_DECIMAL_RE = re.compile(DECIMAL_PATTERN)

#: ISO 4217 minor units where they are not 2.
_MINOR_UNITS = {
    "BHD": 3, "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "IQD": 3, "ISK": 0, "JOD": 3, "JPY": 0,
    "KMF": 0, "KRW": 0, "KWD": 3, "LYD": 3, "OMR": 3, "PYG": 0, "RWF": 0, "TND": 3, "UGX": 0,
    "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
}  # fmt: skip


def parse_decimal(value: Any, factory: type[Decimal] = Decimal) -> Decimal:
    """A decimal from a JSON string (or an int); floats are refused because they are not exact."""
    if type(value) is str and _DECIMAL_RE.match(value) is not None:  # the usual case, first
        return factory(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("must be a finite decimal")
        return value if type(value) is factory else factory(value)
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError('send decimals as strings, e.g. "10.50", never as JSON numbers')
    if isinstance(value, int):
        return factory(value)
    if not isinstance(value, str) or not _DECIMAL_RE.match(value.strip()):
        raise ValueError(f'expected a decimal string such as "10.50", found {value!r}')
    return factory(value.strip())


class WireDecimal(Decimal):
    """A field type: a decimal sent as a JSON string ("10.50"), never as a JSON number.

    Only a marker for bridge.wire's decode hook, which hands back a plain Decimal made by
    :func:`parse_decimal`; JSON numbers are refused because a POS in JavaScript computes them in
    binary floating point.
    """


def places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def minor_units(currency: str) -> int:
    return _MINOR_UNITS.get(currency.upper(), 2)


def round_money(value: Decimal, currency: str) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_UP)


def to_milli(quantity: Decimal) -> int:
    """Thousandths as an exact integer; callers validate at most three places first."""
    scaled = quantity * MILLI
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{quantity} has more than {QUANTITY_PLACES} decimal places")
    return int(scaled)


def from_milli(milli: int) -> Decimal:
    return (Decimal(milli) / MILLI).quantize(Decimal("0.001"))


def fmt_quantity(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.001")))


def try_decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None
