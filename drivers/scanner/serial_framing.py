"""Bytes from a serial scanner, cut into whole scans.

A pure state machine like the keystroke decoder: fed bytes as they arrive (several codes in one
read, or one code over several reads), it returns finished scans (``str``) and thrown-away frames
(:class:`ScanDiscarded`): a frame without its configured prefix or suffix, bytes that do not
decode, control noise, an over-long frame, a frame that stalls without its terminator.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from drivers.base import ScanDiscarded

Output = str | ScanDiscarded

#: Named terminators from config; anything else is taken literally.
NAMED_TERMINATORS: dict[str, tuple[bytes, ...]] = {
    "CR": (b"\r",),
    "LF": (b"\n",),
    "CRLF": (b"\r\n",),
    "CR_OR_LF": (b"\r\n", b"\r", b"\n"),
    "NONE": (),
}

# Control characters that belong in codes: GS/RS/FS/EOT (GS1, ISO 15434) and tab.
_ALLOWED_CONTROLS = frozenset("\x1d\x1e\x1c\x04\t")
_NOISE = frozenset({"garbage", "bad_encoding"})


@dataclass(frozen=True, slots=True)
class FramingSettings:
    """How frames end and what a good frame looks like; times in seconds."""

    terminators: tuple[bytes, ...] = (b"\r",)
    prefix: bytes = b""
    suffix: bytes = b""
    encoding: str = "utf-8"
    end_gap: float = 0.05
    stale_after: float = 1.0
    max_length: int = 8192

    def __post_init__(self) -> None:
        codecs.lookup(self.encoding)  # LookupError for a misspelt encoding, at config time
        if any(not t for t in self.terminators):
            raise ValueError("a terminator cannot be empty")


class SerialFramer:
    """Bytes to scans; see the module docstring."""

    def __init__(self, settings: FramingSettings) -> None:
        self.settings = settings
        self._buf = bytearray()
        self._overflowed = 0  # bytes thrown away from a frame that grew too long
        self._last_data_at: float | None = None

    def feed(self, data: bytes, now: float) -> list[Output]:
        """Process bytes that arrived at ``now``."""
        out = self.poll(now)
        if not data:
            return out
        self._last_data_at = now
        self._buf += data
        while True:
            end = self._find_terminator()
            if end is None:
                break
            start, length = end
            frame = bytes(self._buf[:start])
            del self._buf[: start + length]
            if self._overflowed:
                out.append(self._too_long(len(frame)))
            else:
                self._frame(frame, out)
        limit = self.settings.max_length + len(self.settings.prefix) + len(self.settings.suffix)
        if len(self._buf) > limit:
            # keep a possible split terminator; throw the rest away until the frame ends
            keep = max((len(t) for t in self.settings.terminators), default=1) - 1
            self._overflowed += len(self._buf) - keep
            del self._buf[: len(self._buf) - keep]
        return out

    def poll(self, now: float) -> list[Output]:
        """End a frame whose time is up: deliver it (no terminator) or discard it (stale)."""
        deadline = self.deadline()
        if deadline is None or now < deadline:
            return []
        out: list[Output] = []
        frame = bytes(self._buf)
        self._buf.clear()
        if self._overflowed:
            out.append(self._too_long(len(frame)))
        elif not self.settings.terminators:
            self._frame(frame, out)
        elif frame:
            # say "garbage" rather than "timeout" when the stalled bytes were noise anyway
            checked: list[Output] = []
            self._frame(frame, checked)
            noise = [o for o in checked if isinstance(o, ScanDiscarded) and o.reason in _NOISE]
            detail = {"length": len(frame), "bytes": frame[:32].hex(" ")}
            out.append(noise[0] if noise else ScanDiscarded("timeout", detail))
        return out

    def deadline(self) -> float | None:
        """When :meth:`poll` next has something to do, on the caller's clock."""
        if self._last_data_at is None or not (self._buf or self._overflowed):
            return None
        if not self.settings.terminators:
            return self._last_data_at + self.settings.end_gap
        return self._last_data_at + self.settings.stale_after

    def abandon(self, reason: str) -> ScanDiscarded | None:
        """Throw away a frame in progress (port lost or closed); the report, if any."""
        pending = len(self._buf) + self._overflowed
        self._buf.clear()
        self._overflowed = 0
        if not pending:
            return None
        return ScanDiscarded(reason, {"length": pending})

    # -- internals -------------------------------------------------------------------------

    def _find_terminator(self) -> tuple[int, int] | None:
        best: tuple[int, int] | None = None
        for term in self.settings.terminators:  # listed longest first where one contains another
            i = self._buf.find(term)
            if i >= 0 and (best is None or i < best[0]):
                best = (i, len(term))
        return best

    def _too_long(self, tail: int) -> ScanDiscarded:
        length = self._overflowed + tail
        self._overflowed = 0
        return ScanDiscarded("too_long", {"length": length, "max_length": self.settings.max_length})

    def _frame(self, frame: bytes, out: list[Output]) -> None:
        s = self.settings
        if not frame:
            return  # a bare terminator (CR LF pairs, a blank line): nothing was scanned
        detail = {"length": len(frame), "bytes": frame[:32].hex(" ")}
        if not frame.startswith(s.prefix):
            out.append(ScanDiscarded("missing_prefix", detail))
            return
        if not frame.endswith(s.suffix) or len(frame) < len(s.prefix) + len(s.suffix):
            out.append(ScanDiscarded("missing_suffix", detail))
            return
        body = frame[len(s.prefix) : len(frame) - len(s.suffix)]
        try:
            text = body.decode(s.encoding)
        except UnicodeDecodeError as exc:
            out.append(
                ScanDiscarded(
                    "bad_encoding", detail | {"encoding": s.encoding, "error": exc.reason}
                )
            )
            return
        if any((c < " " and c not in _ALLOWED_CONTROLS) or c == "\x7f" for c in text):
            out.append(ScanDiscarded("garbage", detail))
            return
        if len(text) > s.max_length:
            out.append(
                ScanDiscarded("too_long", {"length": len(frame), "max_length": s.max_length})
            )
            return
        if text:
            out.append(text)
