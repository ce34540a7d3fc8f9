"""ESC/POS real-time status: ``DLE EOT n`` queries and the checked parse of their reply bytes.

Every reply byte of ``DLE EOT 1..4`` has bits 1 and 4 set and bits 0 and 7 clear. A byte that
breaks that pattern is not a status (a stale byte, line noise, an ASB frame) and is rejected
rather than trusted: a wrong "paper OK" would print into nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from drivers.base import DeviceNotReady
from drivers.printer.errors import CoverOpen, PaperOut, PrinterFault, PrinterOffline

DLE_EOT = b"\x10\x04"
#: The four status kinds, in the order they are asked.
QUERIES: tuple[int, ...] = (1, 2, 3, 4)

_FIXED_SET = 0b0001_0010
_FIXED_CLEAR = 0b1000_0001


def query(n: int) -> bytes:
    """The ``DLE EOT n`` command asking for status kind ``n`` (1..4)."""
    if n not in QUERIES:
        raise ValueError(f"DLE EOT {n}: n must be 1..4")
    return DLE_EOT + bytes([n])


def is_status_byte(value: int) -> bool:
    """Whether ``value`` has the fixed bit pattern every DLE EOT reply carries."""
    return 0 <= value <= 0xFF and value & _FIXED_SET == _FIXED_SET and not value & _FIXED_CLEAR


def _bit(value: int, n: int) -> bool:
    return bool(value >> n & 1)


@dataclass(frozen=True, slots=True)
class PrinterStatus:
    """What the printer said about itself; ``None`` means not known (no or rejected reply)."""

    responding: bool | None = None
    online: bool | None = None
    drawer_sensor: bool | None = None
    cover_open: bool | None = None
    feed_button: bool | None = None
    stopped_paper_end: bool | None = None
    error: bool | None = None
    recoverable_error: bool | None = None
    cutter_error: bool | None = None
    unrecoverable_error: bool | None = None
    auto_recoverable_error: bool | None = None
    paper_near_end: bool | None = None
    paper_out: bool | None = None

    @classmethod
    def from_replies(cls, replies: dict[int, int | None]) -> PrinterStatus:
        """Build from the reply byte of each ``DLE EOT n`` (None where none or garbage came)."""
        values: dict[str, bool | None] = {}
        first = replies.get(1)
        values["responding"] = any(v is not None for v in replies.values())
        if first is not None:
            values |= {"drawer_sensor": _bit(first, 2), "online": not _bit(first, 3)}
        second = replies.get(2)
        if second is not None:
            values |= {
                "cover_open": _bit(second, 2),
                "feed_button": _bit(second, 3),
                "stopped_paper_end": _bit(second, 5),
                "error": _bit(second, 6),
            }
        third = replies.get(3)
        if third is not None:
            values |= {
                "recoverable_error": _bit(third, 2),
                "cutter_error": _bit(third, 3),
                "unrecoverable_error": _bit(third, 5),
                "auto_recoverable_error": _bit(third, 6),
            }
        fourth = replies.get(4)
        if fourth is not None:
            # Two bits per sensor: a printer sets both or neither.
            values |= {
                "paper_near_end": fourth & 0x0C == 0x0C,
                "paper_out": fourth & 0x60 == 0x60,
            }
        return cls(**values)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PrinterStatus:
        """The status inside a :meth:`Device.status` dict (other keys are ignored)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def to_dict(self) -> dict[str, bool | None]:
        return asdict(self)

    def merged(self, **changes: bool | None) -> PrinterStatus:
        return replace(self, **changes)

    def not_ready_error(self, device_id: str) -> DeviceNotReady | None:
        """The typed error that should hold a job back, or None when the printer can print."""
        if self.responding is False:
            return PrinterOffline(
                f"printer {device_id} does not answer status queries: check that it is switched "
                "on and connected (if this model never answers, set status_queries = false)"
            )
        if self.paper_out or self.stopped_paper_end:
            return PaperOut(f"printer {device_id} is out of paper: load a new roll")
        if self.cover_open:
            return CoverOpen(f"printer {device_id} has its cover open: close it")
        if self.cutter_error or self.unrecoverable_error or self.recoverable_error:
            return PrinterFault(
                f"printer {device_id} reports an error (cutter jam or mechanism): open the cover, "
                "clear the paper path, and switch the printer off and on if it persists"
            )
        if self.online is False:
            return PrinterOffline(
                f"printer {device_id} is offline: check its display or lights for the reason"
            )
        return None


def drawer_open(status: PrinterStatus, *, open_when_high: bool) -> bool | None:
    """The drawer state from the raw pin-3 bit; which level means open depends on the drawer."""
    if status.drawer_sensor is None:
        return None
    return status.drawer_sensor == open_when_high


def encode_reply(n: int, **conditions: bool) -> int:
    """The reply byte a printer in ``conditions`` sends to ``DLE EOT n`` (simulators, peers)."""
    value = _FIXED_SET
    bits: dict[int, dict[str, int]] = {
        1: {"drawer_sensor": 0x04, "offline": 0x08},
        2: {"cover_open": 0x04, "feed_button": 0x08, "paper_out": 0x20, "error": 0x40},
        3: {
            "recoverable_error": 0x04,
            "cutter_error": 0x08,
            "unrecoverable_error": 0x20,
            "auto_recoverable_error": 0x40,
        },
        4: {"paper_near_end": 0x0C, "paper_out": 0x60},
    }
    for name, mask in bits[n].items():
        if conditions.get(name):
            value |= mask
    if n == 1 and (conditions.get("cover_open") or conditions.get("paper_out")):
        value |= 0x08  # a printer with its cover open or paper out is offline
    if n == 2 and any(conditions.get(k) for k in ("cutter_error", "unrecoverable_error")):
        value |= 0x40
    return value
