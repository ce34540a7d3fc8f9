"""AIM symbology identifiers (ISO/IEC 15424): the ``]Cm`` prefix a scanner can put before a code.

The POS wants to know whether ``4607001234567`` came from an EAN-13 or from a GS1 DataMatrix
mark, and must not see the prefix in the code. With ``aim_ids = "auto"`` only identifiers this
table knows are taken, so a code that merely starts with ``]`` is left alone; ``"on"`` takes any
well-formed identifier (the scanner is set to always send one); ``"off"`` never looks.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Literal

from drivers.base import ScanRead

AimMode = Literal["auto", "on", "off"]

# symbology character -> (default name, {modifier: name} where the modifier changes the meaning)
_SYMBOLOGIES: MappingProxyType[str, tuple[str, dict[str, str]]] = MappingProxyType(
    {
        "A": ("CODE39", {}),
        "B": ("TELEPEN", {}),
        "C": ("CODE128", {"1": "GS1_128"}),
        "D": ("CODE_ONE", {}),
        "E": (
            "EAN13",
            {"1": "EAN_ADDON2", "2": "EAN_ADDON5", "3": "EAN13_ADDON", "4": "EAN8"},
        ),
        "F": ("CODABAR", {}),
        "G": ("CODE93", {}),
        "H": ("CODE11", {}),
        "I": ("ITF", {}),
        "K": ("CODE16K", {}),
        "L": ("PDF417", {}),
        "M": ("MSI", {}),
        "N": ("ANKER", {}),
        "O": ("CODABLOCK", {}),
        "P": ("PLESSEY", {}),
        "Q": ("QR", {"3": "GS1_QR", "4": "GS1_QR"}),
        "R": ("STRAIGHT_2OF5", {}),
        "S": ("STRAIGHT_2OF5", {}),
        "T": ("CODE49", {}),
        "U": ("MAXICODE", {}),
        "X": ("OTHER", {}),
        "d": ("DATAMATRIX", {"2": "GS1_DATAMATRIX", "5": "GS1_DATAMATRIX"}),
        "e": ("GS1_DATABAR", {}),
        "h": ("HANXIN", {}),
        "o": ("OCR", {}),
        "z": ("AZTEC", {}),
    }
)

_MODIFIERS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def split_aim(text: str, mode: AimMode = "auto") -> tuple[str, str | None]:
    """``(code, symbology)``: the code without its AIM prefix and the symbology it names."""
    if mode == "off" or len(text) < 3 or text[0] != "]" or text[2] not in _MODIFIERS:
        return text, None
    char, modifier = text[1], text[2]
    known = _SYMBOLOGIES.get(char)
    if known is not None:
        name, by_modifier = known
        return text[3:], by_modifier.get(modifier, name)
    if mode == "on" and char.isascii() and char.isalnum():
        return text[3:], f"AIM_{char}{modifier}"
    return text, None


def scan_read(text: str, mode: AimMode = "auto") -> ScanRead:
    """The event for one complete scan as received from the scanner."""
    code, symbology = split_aim(text, mode)
    return ScanRead(code=code, symbology=symbology)
