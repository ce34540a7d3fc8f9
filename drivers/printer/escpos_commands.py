"""Splits an ESC/POS byte stream into text runs and whole commands, as a printer parses it.

Knowing each command's length (including image, barcode and 2D-code payloads) is what lets the
decoder show a job and the raw-job filter find drawer kicks without mistaking picture bytes for
commands. Unknown ``ESC``/``GS``/``FS`` commands are taken as two bytes, as printers skip them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

ESC, GS, FS, DLE = 0x1B, 0x1D, 0x1C, 0x10
_TEXT = re.compile(rb"[^\x00-\x1f]+")

# Commands with a fixed number of parameter bytes after the two-byte prefix.
_FIXED: dict[int, dict[int, int]] = {
    ESC: {
        0x07: 2,  # ESC BEL n1 n2 (Star drawer pulse setting)
        **{
            ord(c): n
            for c, n in (
                (" ", 1),
                ("!", 1),
                ("$", 2),
                ("%", 1),
                ("-", 1),
                ("2", 0),
                ("3", 1),
                ("=", 1),
                ("?", 1),
                ("@", 0),
                ("A", 1),
                ("B", 2),
                ("E", 1),
                ("G", 1),
                ("J", 1),
                ("K", 1),
                ("L", 0),
                ("M", 1),
                ("R", 1),
                ("S", 0),
                ("T", 1),
                ("U", 1),
                ("V", 1),
                ("W", 8),
                ("\\", 2),
                ("a", 1),
                ("c", 2),
                ("d", 1),
                ("e", 1),
                ("f", 2),
                ("i", 0),
                ("m", 0),
                ("p", 3),
                ("r", 1),
                ("t", 1),
                ("u", 1),
                ("v", 0),
                ("{", 1),
                ("+", 1),
            )
        },
    },
    GS: {
        ord(c): n
        for c, n in (
            ("!", 1),
            ("$", 2),
            ("/", 1),
            (":", 0),
            ("B", 1),
            ("H", 1),
            ("I", 1),
            ("L", 2),
            ("P", 2),
            ("T", 1),
            ("W", 2),
            ("\\", 2),
            ("^", 3),
            ("a", 1),
            ("b", 1),
            ("c", 0),
            ("f", 1),
            ("h", 1),
            ("j", 1),
            ("r", 1),
            ("w", 1),
        )
    },
    FS: {
        ord(c): n
        for c, n in (
            ("&", 0),
            (".", 0),
            ("!", 1),
            ("-", 1),
            ("C", 1),
            ("S", 2),
            ("W", 1),
            ("p", 2),
        )
    },
}


@dataclass(frozen=True, slots=True)
class Token:
    """``data[start:end]`` is one text run, one control byte, or one whole command."""

    kind: str  # "text" | "control" | "command" | "truncated"
    start: int
    end: int
    name: str = ""  # e.g. "ESC t", "GS ( k", "DLE DC4", "LF"

    def bytes_of(self, data: bytes) -> bytes:
        return data[self.start : self.end]


_PREFIX_NAMES = {ESC: "ESC", GS: "GS", FS: "FS", DLE: "DLE"}
_CONTROL_NAMES = {0x07: "BEL", 0x09: "HT", 0x0A: "LF", 0x0C: "FF", 0x0D: "CR", 0x18: "CAN"}
_DLE_NAMES = {0x04: "EOT", 0x05: "ENQ", 0x14: "DC4"}


def _u16(data: bytes, at: int) -> int | None:
    return data[at] | data[at + 1] << 8 if at + 1 < len(data) else None


def _raster(data: bytes, pos: int) -> int | None:
    """GS v 0 / GS Q 0: m xL xH yL yH, then x*y bytes."""
    x, y = _u16(data, pos + 4), _u16(data, pos + 6)
    return None if x is None or y is None else pos + 8 + x * y


def _length_prefixed(data: bytes, pos: int) -> int | None:
    """GS ( x / ESC ( x / FS ( x: pL pH, then that many bytes."""
    n = _u16(data, pos + 3)
    return None if n is None else pos + 5 + n


def _gs_k(data: bytes, pos: int) -> int | None:
    if pos + 2 >= len(data):
        return None
    m = data[pos + 2]
    if m <= 6:
        end = data.find(b"\x00", pos + 3)
        return None if end < 0 else end + 1
    if pos + 3 >= len(data):
        return None
    return pos + 4 + data[pos + 3]


def _gs_v(data: bytes, pos: int) -> int | None:
    if pos + 2 >= len(data):
        return None
    m = data[pos + 2]
    return pos + (4 if m in (65, 66, 97, 98, 103, 104) else 3)


def _gs_8(data: bytes, pos: int) -> int | None:
    if pos + 6 >= len(data):
        return None
    return pos + 7 + int.from_bytes(data[pos + 3 : pos + 7], "little")


def _gs_star(data: bytes, pos: int) -> int | None:
    if pos + 3 >= len(data):
        return None
    return pos + 4 + data[pos + 2] * data[pos + 3] * 8


def _esc_star(data: bytes, pos: int) -> int | None:
    n = _u16(data, pos + 3)
    if n is None:
        return None
    return pos + 5 + n * (3 if data[pos + 2] >= 32 else 1)


def _esc_d_tabs(data: bytes, pos: int) -> int | None:
    """ESC D: up to 32 tab positions ended by NUL."""
    end = data.find(b"\x00", pos + 2, pos + 35)
    if end >= 0:
        return end + 1
    return pos + 35 if len(data) >= pos + 35 else None


def _esc_amp(data: bytes, pos: int) -> int | None:
    """ESC & y c1 c2, then for each character x and y*x bytes."""
    if pos + 4 >= len(data):
        return None
    y, c1, c2 = data[pos + 2], data[pos + 3], data[pos + 4]
    at = pos + 5
    for _ in range(max(0, c2 - c1 + 1)):
        if at >= len(data):
            return None
        at += 1 + y * data[at]
    return at


def _fs_2(data: bytes, pos: int) -> int | None:
    return pos + 4 + 72


def _fs_q(data: bytes, pos: int) -> int | None:
    if pos + 2 >= len(data):
        return None
    at = pos + 3
    for _ in range(data[pos + 2]):
        x, y = _u16(data, at), _u16(data, at + 2)
        if x is None or y is None:
            return None
        at += 4 + x * y * 8
    return at


def _dle(data: bytes, pos: int) -> int | None:
    if pos + 2 >= len(data):
        return None
    kind, n = data[pos + 1], data[pos + 2]
    if kind == 0x04:
        return pos + (4 if n in (7, 8) else 3)
    if kind == 0x05:
        return pos + 3
    return pos + 3 + (7 if n == 8 else 2)  # DC4


_VARIABLE: dict[int, dict[int, Callable[[bytes, int], int | None]]] = {
    ESC: {
        ord("*"): _esc_star,
        ord("D"): _esc_d_tabs,
        ord("&"): _esc_amp,
        ord("("): _length_prefixed,
    },
    GS: {
        ord("("): _length_prefixed,
        ord("k"): _gs_k,
        ord("V"): _gs_v,
        ord("8"): _gs_8,
        ord("*"): _gs_star,
        ord("v"): _raster,
        ord("Q"): _raster,
    },
    FS: {ord("("): _length_prefixed, ord("2"): _fs_2, ord("q"): _fs_q},
    DLE: {0x04: _dle, 0x05: _dle, 0x14: _dle},
}


def tokenize(data: bytes) -> Iterator[Token]:
    """Every text run, control byte and command of ``data``, in order, covering all bytes."""
    pos, size = 0, len(data)
    while pos < size:
        byte = data[pos]
        if byte >= 0x20:
            match = _TEXT.match(data, pos)
            assert match is not None
            yield Token("text", pos, match.end())
            pos = match.end()
            continue
        if byte not in _PREFIX_NAMES:
            yield Token("control", pos, pos + 1, _CONTROL_NAMES.get(byte, f"0x{byte:02X}"))
            pos += 1
            continue
        if pos + 1 >= size:
            yield Token("truncated", pos, size, _PREFIX_NAMES[byte])
            return
        second = data[pos + 1]
        if byte == DLE and second not in _DLE_NAMES:
            yield Token("control", pos, pos + 1, "DLE")
            pos += 1
            continue
        name = f"{_PREFIX_NAMES[byte]} {_DLE_NAMES.get(second) or _char(second)}"
        fixed = _FIXED.get(byte, {}).get(second)
        if fixed is not None:
            end: int | None = pos + 2 + fixed
        elif (measure := _VARIABLE.get(byte, {}).get(second)) is not None:
            end = measure(data, pos)
            if end is not None and second == ord("(") and pos + 2 < size:
                name = f"{name} {_char(data[pos + 2])}"
        else:
            end = pos + 2
        if end is None or end > size:
            yield Token("truncated", pos, size, name)
            return
        yield Token("command", pos, end, name)
        pos = end


def _char(byte: int) -> str:
    return chr(byte) if 0x21 <= byte <= 0x7E else f"0x{byte:02X}"
