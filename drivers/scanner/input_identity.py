"""Telling a barcode scanner from a keyboard among input devices, from what the kernel reports.

A keyboard-wedge scanner is a USB keyboard to the kernel, so no test is certain. Config decides
first (the technician names the device); this guess only decides what is *offered* as a scanner
and what is refused without an explicit confirmation. Anything unsure is called a keyboard, since
grabbing the cashier's keyboard stops them typing. Pure functions, shared with device discovery.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

InputKind = Literal["scanner", "keyboard", "other"]

#: USB vendor ids that make (almost) nothing but scanners.
SCANNER_VENDORS: MappingProxyType[int, str] = MappingProxyType(
    {
        0x0C2E: "Honeywell (Metrologic)",
        0x0536: "Hand Held Products (Honeywell)",
        0x05E0: "Zebra (Symbol)",
        0x05F9: "Datalogic (PSC)",
        0x080C: "Datalogic",
        0x1EAB: "Newland",
        0x065A: "Opticon",
    }
)

# Lower-case fragments of device names that scanners report and keyboards do not.
_SCANNER_WORDS = (
    "barcode",
    "bar code",
    "scanner",
    "imager",
    "kbw",
    "honeywell",
    "metrologic",
    "hand held products",
    "symbol",
    "zebra",
    "datalogic",
    "newland",
    "zebex",
    "netum",
    "opticon",
    "code reader",
)

# A device that can type a scan has letter and digit keys (KEY_1..KEY_0, KEY_Q.., KEY_A..).
_TYPING_KEYS = frozenset({2, 3, 11, 16, 30, 44, 28})


@dataclass(frozen=True, slots=True)
class InputDeviceInfo:
    """What the kernel says about one input device (EVIOCGNAME, EVIOCGID, EVIOCGUNIQ, EVIOCGBIT)."""

    name: str
    vendor_id: int | None = None
    product_id: int | None = None
    serial: str = ""
    phys: str = ""
    key_codes: frozenset[int] | None = None  # None: capabilities not known


@dataclass(frozen=True, slots=True)
class Classification:
    """The guess and the reason, worded for the technician page."""

    kind: InputKind
    reason: str


def can_type(key_codes: Collection[int] | None) -> bool:
    """Whether the device has the keys a scanner types with (unknown counts as yes)."""
    return key_codes is None or _TYPING_KEYS <= set(key_codes)


def classify_input(
    name: str,
    vendor_id: int | None = None,
    product_id: int | None = None,
    key_codes: Collection[int] | None = None,
) -> Classification:
    """Scanner, keyboard, or another input device (mouse, power button, consumer keys)."""
    del product_id  # no product-level list yet; kept in the signature for callers and later use
    if not can_type(key_codes):
        return Classification("other", "has no letter and digit keys")
    lowered = name.lower()
    word = next((w for w in _SCANNER_WORDS if w in lowered), None)
    if word is not None:
        return Classification("scanner", f"device name contains {word!r}")
    if vendor_id is not None and vendor_id in SCANNER_VENDORS:
        return Classification(
            "scanner", f"USB vendor {vendor_id:04x} is {SCANNER_VENDORS[vendor_id]}"
        )
    return Classification("keyboard", "types like a keyboard and nothing marks it as a scanner")


def classify(info: InputDeviceInfo) -> Classification:
    """:func:`classify_input` for a collected :class:`InputDeviceInfo`."""
    return classify_input(info.name, info.vendor_id, info.product_id, info.key_codes)


def matches(
    info: InputDeviceInfo,
    *,
    vendor_id: int | None = None,
    product_id: int | None = None,
    serial: str | None = None,
    name: str | None = None,
) -> bool:
    """Whether the device has every identity attribute the config gives (None: not given)."""
    return (
        (vendor_id is None or info.vendor_id == vendor_id)
        and (product_id is None or info.product_id == product_id)
        and (serial is None or info.serial == serial)
        and (name is None or info.name == name)
    )


def parse_usb_id(value: object) -> int | None:
    """A USB vendor or product id from config: an integer, or hex text such as ``"0c2e"``."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"a USB id is 0..0xffff, got {value}")
        return value
    if isinstance(value, str):
        text = value.strip().lower().removeprefix("0x")
        if len(text) == 4 and all(c in "0123456789abcdef" for c in text):
            return int(text, 16)
    raise ValueError(f"expected a USB id as 4 hex digits such as '0c2e', got {value!r}")
