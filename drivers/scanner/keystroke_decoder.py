"""Input events from a keyboard-wedge scanner, turned into whole scans.

A pure state machine: it is fed ``(type, code, value)`` triples with the time they arrived and
returns finished scans (``str``) and thrown-away partial scans (:class:`ScanDiscarded`). It never
delivers part of a scan: after the kernel drops events (``SYN_DROPPED``), after an over-long
scan, or when a scan stalls, everything up to the end of that scan is thrown away and reported
once. The caller owns the clock: it asks :meth:`KeystrokeDecoder.deadline` when to call
:meth:`KeystrokeDecoder.poll`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from drivers.base import ScanDiscarded
from drivers.scanner.keymaps import (
    CTRL_KEYS,
    KEY_CAPSLOCK,
    KEY_ENTER,
    KEY_KPENTER,
    KEY_LEFTALT,
    KEY_RIGHTALT,
    KEY_TAB,
    KEYPAD_DIGITS,
    SHIFT_KEYS,
    LayoutName,
    alt_numpad_char,
    keymap,
)

EV_SYN = 0
EV_KEY = 1
EV_LED = 17
SYN_REPORT = 0
SYN_DROPPED = 3
LED_CAPSL = 1
KEY_UP, KEY_DOWN, KEY_REPEAT = 0, 1, 2

Terminator = Literal["enter", "tab", "none"]
Output = str | ScanDiscarded

_TERMINATOR_KEYS: dict[str, frozenset[int]] = {
    "enter": frozenset({KEY_ENTER, KEY_KPENTER}),
    "tab": frozenset({KEY_TAB}),
    "none": frozenset({KEY_ENTER, KEY_KPENTER}),  # a pause ends the scan; Enter still may
}


@dataclass(frozen=True, slots=True)
class DecoderSettings:
    """How a scan ends and when a partial one is given up; times in seconds."""

    layout: LayoutName = "us"
    terminator: Terminator = "enter"
    end_gap: float = 0.05
    stale_after: float = 1.0
    max_length: int = 8192
    caps_lock_from_led: bool = False


class KeystrokeDecoder:
    """Keystrokes to scans; see the module docstring."""

    def __init__(self, settings: DecoderSettings, *, caps_lock: bool = False) -> None:
        self.settings = settings
        self._keymap = keymap(settings.layout)
        self._end_keys = _TERMINATOR_KEYS[settings.terminator]
        self._pressed: set[int] = set()
        self._caps_lock = caps_lock
        self._buf: list[str] = []
        self._discarding: str | None = None
        self._discarded_chars = 0
        self._awaiting_report = False
        self._alt_digits = ""
        self._last_key_at: float | None = None
        self.wants_key_state = False
        self.ignored_keys = 0

    @property
    def caps_lock(self) -> bool:
        return self._caps_lock

    def feed(self, ev_type: int, code: int, value: int, now: float) -> list[Output]:
        """Process one input event that arrived at ``now``."""
        out = self.poll(now)
        if ev_type == EV_SYN:
            self._on_syn(code, now)
        elif self._awaiting_report:
            pass  # events between SYN_DROPPED and the next SYN_REPORT are incomplete
        elif ev_type == EV_KEY:
            self._on_key(code, value, now, out)
        elif ev_type == EV_LED and code == LED_CAPSL and self.settings.caps_lock_from_led:
            self._caps_lock = bool(value)
        return out

    def poll(self, now: float) -> list[Output]:
        """End a scan whose time is up: deliver it (no terminator) or discard it (stale)."""
        deadline = self.deadline()
        if deadline is None or now < deadline:
            return []
        out: list[Output] = []
        if self.settings.terminator == "none":
            self._finish(out)
        else:
            self._discard("timeout", out)
        self._alt_digits = ""
        return out

    def deadline(self) -> float | None:
        """When :meth:`poll` next has something to do, on the caller's clock."""
        if self._last_key_at is None:
            return None
        if not (self._buf or self._discarding or self._alt_digits):
            return None
        gap = self.settings.end_gap if self.settings.terminator == "none" else None
        return self._last_key_at + (gap if gap is not None else self.settings.stale_after)

    def resync(self, pressed: Iterable[int]) -> None:
        """Take the keys held down now (EVIOCGKEY) after the kernel dropped events."""
        self._pressed = set(pressed)
        self.wants_key_state = False

    def abandon(self, reason: str) -> ScanDiscarded | None:
        """Throw away whatever is in progress (device lost, closed); the report, if any."""
        out: list[Output] = []
        self._discard(reason, out)
        self._pressed.clear()
        self._alt_digits = ""
        self._awaiting_report = False
        return next((o for o in out if isinstance(o, ScanDiscarded)), None)

    # -- internals -------------------------------------------------------------------------

    def _on_syn(self, code: int, now: float) -> None:
        if code == SYN_DROPPED:
            # The events lost may belong to the scan in progress or start the next one, so the
            # rest of this scan is unreliable too: swallow it up to its end.
            if self._discarding is None:
                self._discarding = "events_dropped"
                self._discarded_chars = len(self._buf)
            self._buf.clear()
            self._alt_digits = ""
            self._awaiting_report = True
            self._pressed.clear()
            self._last_key_at = now  # the scan being swallowed is live from here
        elif code == SYN_REPORT and self._awaiting_report:
            self._awaiting_report = False
            self.wants_key_state = True

    def _on_key(self, code: int, value: int, now: float, out: list[Output]) -> None:
        if value == KEY_UP:
            self._pressed.discard(code)
            if code == KEY_LEFTALT and self._alt_digits:
                self._put(alt_numpad_char(self._alt_digits), now, out)
                self._alt_digits = ""
            return
        if value != KEY_DOWN:
            return  # autorepeat: a scanner never means it
        self._last_key_at = now
        if code in SHIFT_KEYS or code in CTRL_KEYS or code in (KEY_LEFTALT, KEY_RIGHTALT):
            self._pressed.add(code)
            return
        if code == KEY_CAPSLOCK:
            self._caps_lock = not self._caps_lock
            return
        if code in self._end_keys:
            self._finish(out)
            return
        pressed = self._pressed
        ctrl = bool(pressed & CTRL_KEYS)
        left_alt = KEY_LEFTALT in pressed
        if left_alt and not ctrl and code in KEYPAD_DIGITS:
            self._alt_digits += str(KEYPAD_DIGITS[code])
            return
        char = self._keymap.char(
            code,
            shift=bool(pressed & SHIFT_KEYS),
            caps_lock=self._caps_lock,
            ctrl=ctrl,
            altgr=KEY_RIGHTALT in pressed or (ctrl and left_alt),
        )
        if char is None and code in (KEY_ENTER, KEY_KPENTER, KEY_TAB):
            char = "\t" if code == KEY_TAB else "\r"
        self._put(char, now, out)

    def _put(self, char: str | None, now: float, out: list[Output]) -> None:
        self._last_key_at = now
        if char is None:
            self.ignored_keys += 1
            return
        if self._discarding is not None:
            self._discarded_chars += len(char)
            return
        if len(self._buf) >= self.settings.max_length:
            self._discarding = "too_long"
            self._discarded_chars = len(self._buf) + len(char)
            self._buf.clear()
            return
        self._buf.append(char)

    def _finish(self, out: list[Output]) -> None:
        if self._discarding is not None:
            self._discard(self._discarding, out)
        elif self._buf:
            out.append("".join(self._buf))
            self._buf.clear()

    def _discard(self, reason: str, out: list[Output]) -> None:
        if self._discarding is None and not self._buf:
            return
        detail: dict[str, object] = {
            "chars": self._discarded_chars + len(self._buf),
            "partial": "".join(self._buf)[:64],
        }
        if self._discarding is not None and self._discarding != reason:
            detail["after"] = reason
            reason = self._discarding
        out.append(ScanDiscarded(reason=reason, detail=detail))
        self._buf.clear()
        self._discarding = None
        self._discarded_chars = 0
