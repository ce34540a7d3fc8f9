"""Linux key codes to characters, for a scanner that types as if on a given keyboard layout.

A keyboard-wedge scanner does not send characters: it presses keys on a virtual keyboard laid out
the way its firmware was configured (US by default, Czech or Hungarian in shops there). We grab the
device, so the host's layout never applies; these tables play its part. Key codes are the kernel's
``input-event-codes.h`` values (a stable ABI), spelled out here so this module needs no evdev.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

LayoutName = Literal["us", "cz", "hu"]

# Kernel key codes used by the decoder (linux/input-event-codes.h).
KEY_ESC = 1
KEY_TAB = 15
KEY_ENTER = 28
KEY_LEFTCTRL = 29
KEY_LEFTSHIFT = 42
KEY_RIGHTSHIFT = 54
KEY_LEFTALT = 56
KEY_SPACE = 57
KEY_CAPSLOCK = 58
KEY_NUMLOCK = 69
KEY_KPENTER = 96
KEY_RIGHTCTRL = 97
KEY_RIGHTALT = 100

SHIFT_KEYS = frozenset({KEY_LEFTSHIFT, KEY_RIGHTSHIFT})
CTRL_KEYS = frozenset({KEY_LEFTCTRL, KEY_RIGHTCTRL})

#: Keypad digit keys -> digit value, for ALT+numpad code entry.
KEYPAD_DIGITS = MappingProxyType(
    {82: 0, 79: 1, 80: 2, 81: 3, 75: 4, 76: 5, 77: 6, 71: 7, 72: 8, 73: 9}
)

# The printable key positions, in the order the layout strings below list them:
# `1234567890-=  qwertyuiop[]  asdfghjkl;'\  <102nd>zxcvbnm,./  space
_POSITIONS: tuple[int, ...] = (
    *(41, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13),
    *(16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27),
    *(30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 43),
    *(86, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53),
    KEY_SPACE,
)

_NONE = "\x00"  # a dead key or an empty slot: produces nothing on its own

_US_BASE = "`1234567890-=qwertyuiop[]asdfghjkl;'\\\\zxcvbnm,./ "
_US_SHIFT = '~!@#$%^&*()_+QWERTYUIOP{}ASDFGHJKL:"||ZXCVBNM<>? '

# Czech QWERTZ (Windows "Czech"): accented letters on the digit row, digits on Shift.
_CZ_BASE = ";+ěščřžýáíé=" + _NONE + "qwertzuiopú)asdfghjklů§" + _NONE + "\\yxcvbnm,.- "
_CZ_SHIFT = "°1234567890%" + _NONE + 'QWERTZUIOP/(ASDFGHJKL"!' + "'" + "|YXCVBNM?:_ "
_CZ_ALTGR = {16: "\\", 17: "|", 18: "€", 33: "[", 34: "]", 45: "#", 46: "&", 47: "@"}
_CZ_ALTGR |= {48: "{", 49: "}", 51: "<", 52: ">", 53: "*", 39: "$", 40: "ß"}

# Hungarian QWERTZ (Windows "Hungarian"): 0 left of 1, then ö ü ó after 9.
_HU_BASE = "0123456789öüóqwertzuiopőúasdfghjkléáűíyxcvbnm,.- "
_HU_SHIFT = "§'\"+!%/=()ÖÜÓQWERTZUIOPŐÚASDFGHJKLÉÁŰÍYXCVBNM?:_ "
_HU_ALTGR = {16: "\\", 17: "|", 18: "Ä", 22: "€", 23: "Í", 26: "÷", 27: "×", 30: "ä"}
_HU_ALTGR |= {31: "đ", 32: "Đ", 33: "[", 34: "]", 36: "í", 37: "ł", 38: "Ł", 39: "$"}
_HU_ALTGR |= {40: "ß", 43: "¤", 86: "<", 44: ">", 45: "#", 46: "&", 47: "@", 48: "{"}
_HU_ALTGR |= {49: "}", 51: ";", 53: "*"}

# Keypad keys do not follow the layout, except the decimal key.
_KEYPAD = {55: "*", 74: "-", 78: "+", 98: "/"} | {k: str(v) for k, v in KEYPAD_DIGITS.items()}

# Ctrl+key gives a C0 control character from the US character of the key position (as
# Windows does through virtual-key codes): Ctrl+] is GS, Ctrl+Shift+6 (^) is RS, Ctrl+2 is NUL.
_CTRL_EXTRA = {"@": 0x00, "2": 0x00, "[": 0x1B, "\\": 0x1C, "]": 0x1D, "^": 0x1E, "6": 0x1E}
_CTRL_EXTRA |= {"_": 0x1F, "-": 0x1F}


@dataclass(frozen=True, slots=True)
class KeyMap:
    """One layout's characters for each key position at base, Shift and AltGr level."""

    name: LayoutName
    base: MappingProxyType[int, str]
    shift: MappingProxyType[int, str]
    altgr: MappingProxyType[int, str]
    keypad_decimal: str

    def char(
        self,
        code: int,
        *,
        shift: bool = False,
        caps_lock: bool = False,
        ctrl: bool = False,
        altgr: bool = False,
    ) -> str | None:
        """The character the key produces in this modifier state, or None for no character."""
        if code in _KEYPAD:
            return _KEYPAD[code]
        if code == 83:  # KEY_KPDOT
            return self.keypad_decimal
        if code == KEY_TAB:
            return "\t"
        if ctrl and not altgr:
            return self._ctrl_char(code, shift=shift)
        if altgr:
            return self.altgr.get(code)
        base = self.base.get(code)
        if base is None:
            return None
        shifted = self.shift[code]
        if caps_lock and base.isalpha() and base.upper() != base:
            # Caps Lock acts on letters only; Shift+letter under Caps Lock gives lower case.
            if not shift:
                return base.upper()
            return base if shifted == base.upper() else _or_none(shifted)
        return _or_none(shifted if shift else base)

    def _ctrl_char(self, code: int, *, shift: bool) -> str | None:
        letter = self.base.get(code, "")
        if "a" <= letter <= "z":
            return chr(ord(letter) - ord("a") + 1)
        us = (_US_SHIFT_MAP if shift else _US_BASE_MAP).get(code)
        if us is not None and us in _CTRL_EXTRA:
            return chr(_CTRL_EXTRA[us])
        return None


def _or_none(ch: str) -> str | None:
    return None if ch == _NONE else ch


def _table(chars: str) -> MappingProxyType[int, str]:
    if len(chars) != len(_POSITIONS):
        raise ValueError(f"layout row has {len(chars)} keys, expected {len(_POSITIONS)}")
    return MappingProxyType(dict(zip(_POSITIONS, chars, strict=True)))


_US_BASE_MAP = _table(_US_BASE)
_US_SHIFT_MAP = _table(_US_SHIFT)

LAYOUTS: MappingProxyType[str, KeyMap] = MappingProxyType(
    {
        "us": KeyMap("us", _US_BASE_MAP, _US_SHIFT_MAP, MappingProxyType({}), "."),
        "cz": KeyMap("cz", _table(_CZ_BASE), _table(_CZ_SHIFT), MappingProxyType(_CZ_ALTGR), ","),
        "hu": KeyMap("hu", _table(_HU_BASE), _table(_HU_SHIFT), MappingProxyType(_HU_ALTGR), ","),
    }
)


def keymap(name: LayoutName) -> KeyMap:
    """The key map for a layout name from config."""
    return LAYOUTS[name]


def alt_numpad_char(digits: str) -> str | None:
    """The character for an ALT+numpad code as Windows types it (leading 0: cp1252, else cp437)."""
    if not digits:
        return None
    value = int(digits) % 256
    if value < 0x20 or value == 0x7F:
        return chr(value)
    codec = "cp1252" if digits.startswith("0") else "cp437"
    try:
        return bytes([value]).decode(codec)
    except UnicodeDecodeError:
        return None
