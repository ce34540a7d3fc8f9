"""Helpers for scanner tests: typing text as a scanner would, and a pipe-backed evdev device."""

from __future__ import annotations

import errno
import os
import struct

from evdev import InputEvent, ecodes

from drivers.scanner.keymaps import LAYOUTS

_EVENT = struct.Struct("llHHi")  # struct input_event on 64-bit Linux


def key_events(
    text: str, layout: str = "us", *, enter: int | None = ecodes.KEY_ENTER
) -> list[tuple[int, int, int]]:
    """The (type, code, value) stream a scanner set to ``layout`` sends to type ``text``."""
    keymap = LAYOUTS[layout]
    out: list[tuple[int, int, int]] = []

    def tap(code: int, *mods: int) -> None:
        for m in mods:
            out.extend([(ecodes.EV_KEY, m, 1), (ecodes.EV_SYN, 0, 0)])
        out.extend([(ecodes.EV_KEY, code, 1), (ecodes.EV_SYN, 0, 0)])
        out.extend([(ecodes.EV_KEY, code, 0), (ecodes.EV_SYN, 0, 0)])
        for m in reversed(mods):
            out.extend([(ecodes.EV_KEY, m, 0), (ecodes.EV_SYN, 0, 0)])

    for ch in text:
        if ch == "\x1d":
            tap(ecodes.KEY_RIGHTBRACE, ecodes.KEY_LEFTCTRL)
            continue
        for code in keymap.base:
            if keymap.char(code) == ch:
                tap(code)
                break
            if keymap.char(code, shift=True) == ch:
                tap(code, ecodes.KEY_LEFTSHIFT)
                break
            if keymap.char(code, altgr=True) == ch:
                tap(code, ecodes.KEY_RIGHTALT)
                break
        else:
            raise ValueError(f"{ch!r} cannot be typed in layout {layout}")
    if enter is not None:
        tap(enter)
    return out


def as_input_events(stream: list[tuple[int, int, int]]) -> list[InputEvent]:
    return [InputEvent(0, 0, t, c, v) for t, c, v in stream]


class PipeInputDevice:
    """Stands in for evdev.InputDevice: events written to a pipe, ENODEV once it is closed."""

    def __init__(self, name: str, vendor: int, product: int, *, serial: str = "", keys=None):
        self.name, self.uniq, self.phys = name, serial, f"usb-fake-{name}"
        self.info = type("Info", (), {"vendor": vendor, "product": product, "bustype": 3})()
        self._keys = list(range(1, 128)) if keys is None else keys
        self.fd, self._write_fd = os.pipe()
        os.set_blocking(self.fd, False)
        self.grabbed = False
        self.closed = False

    def capabilities(self, verbose: bool = False, absinfo: bool = True):
        return {ecodes.EV_KEY: self._keys}

    def grab(self) -> None:
        self.grabbed = True

    def ungrab(self) -> None:
        self.grabbed = False

    def leds(self):
        return []

    def active_keys(self):
        return []

    def read(self):
        data = os.read(self.fd, _EVENT.size * 64)
        if not data:
            raise OSError(errno.ENODEV, "No such device")
        for i in range(0, len(data) - len(data) % _EVENT.size, _EVENT.size):
            yield InputEvent(*_EVENT.unpack_from(data, i))

    def send(self, stream: list[tuple[int, int, int]]) -> None:
        os.write(self._write_fd, b"".join(_EVENT.pack(0, 0, t, c, v) for t, c, v in stream))

    def unplug(self) -> None:
        if self._write_fd >= 0:
            os.close(self._write_fd)
            self._write_fd = -1

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.grabbed = False
            os.close(self.fd)
            self.unplug()
