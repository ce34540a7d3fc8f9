"""Removes drawer kicks from raw print jobs (security.md item 10).

The job is walked command by command, so bytes inside pictures, barcodes and 2D codes are left
alone, and ``ESC p``, ``DLE DC4`` and ``BEL`` commands are dropped. Real-time commands are
different: printers act on ``DLE DC4`` wherever the two bytes meet, even inside another
command's parameters or picture data, so any such pair left in the stream is broken by changing
its ``DC4`` byte (at worst one dot of a picture changes). A command cut off at the end of the job
is dropped too, so it cannot join with the start of the next job.
"""

from __future__ import annotations

from dataclasses import dataclass

from drivers.printer.escpos_commands import tokenize

_KICKS = {"ESC p": "ESC p", "DLE DC4": "DLE DC4", "BEL": "BEL"}
_REALTIME_KICK = b"\x10\x14"
_MAX_PASSES = 8


@dataclass(frozen=True, slots=True)
class Removed:
    """One thing taken out of a job: its kind, where it was and the bytes it had."""

    kind: str  # "ESC p" | "DLE DC4" | "BEL" | "DLE DC4 in data" | "truncated" | "unfilterable"
    offset: int
    data: bytes


@dataclass(frozen=True, slots=True)
class FilterResult:
    data: bytes
    removed: tuple[Removed, ...]

    @property
    def changed(self) -> bool:
        return bool(self.removed)


def remove_drawer_kicks(data: bytes) -> FilterResult:
    """``data`` without anything that could open a cash drawer, and a list of what went."""
    removed: list[Removed] = []
    for _ in range(_MAX_PASSES):
        data, found = _one_pass(data)
        removed += found
        if not found:
            break
    else:  # pathological input that keeps producing kicks: refuse to print any of it
        removed.append(Removed("unfilterable", 0, data))
        data = b""
    return FilterResult(data, tuple(removed))


def _one_pass(data: bytes) -> tuple[bytes, list[Removed]]:
    out = bytearray()
    found: list[Removed] = []
    for token in tokenize(data):
        chunk = token.bytes_of(data)
        if token.kind == "truncated":
            found.append(Removed("truncated", token.start, chunk))
        elif token.name in _KICKS:
            found.append(Removed(_KICKS[token.name], token.start, chunk))
        else:
            out += chunk
    at = out.find(_REALTIME_KICK)
    while at >= 0:
        found.append(Removed("DLE DC4 in data", at, bytes(out[at : at + 5])))
        out[at + 1] = 0x15
        at = out.find(_REALTIME_KICK, at + 1)
    return bytes(out), found
