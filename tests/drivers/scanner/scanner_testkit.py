"""Helpers for scanner tests: typing text as a scanner would, and a pipe-backed evdev device."""

from __future__ import annotations

import asyncio
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


class Collector:
    """An ``emit`` callback that keeps events and lets a test wait for them."""

    def __init__(self) -> None:
        self.events: list = []
        self._changed = asyncio.Event()

    def __call__(self, event) -> None:
        self.events.append(event)
        self._changed.set()

    async def wait_for(self, count: int, within: float = 3.0) -> list:
        async with asyncio.timeout(within):
            while len(self.events) < count:
                self._changed.clear()
                await self._changed.wait()
        return self.events


def umockdev_input_device(
    directory, number: int, name: str, vendor: int, product: int, serial: str, by_id: str
) -> tuple[str, str, str]:
    """Write a .umockdev description and .ioctl script for one USB keyboard-like input device.

    Returns (node, umockdev_file, ioctl_file). The ioctl script answers what python-evdev asks at
    open and for key/LED state; umockdev itself accepts EVIOCGRAB.
    """
    node = f"/dev/input/event{number}"
    sys_path = (
        f"/devices/pci0000:00/0000:00:14.0/usb1/1-{number}/1-{number}:1.0/input/input{number}"
    )

    def pad(data: bytes, size: int) -> str:
        return (data + bytes(size - len(data))).hex().upper()

    keys = bytearray(96)
    for code in range(1, 128):  # a full boot keyboard, as every wedge scanner reports
        keys[code // 8] |= 1 << (code % 8)
    ioctl = [
        "EVIOCGVERSION 0 01000100",
        "EVIOCGID 0 "
        + pad(
            bytes([3, 0])
            + vendor.to_bytes(2, "little")
            + product.to_bytes(2, "little")
            + b"\x11\x01",
            8,
        ),
        f"EVIOCGNAME(0) {len(name.encode()) + 1} " + pad(name.encode(), 256),
        "EVIOCGPHYS(0) 12 " + pad(f"usb-{number}/in0".encode(), 256),
        f"EVIOCGUNIQ(0) {len(serial) + 1} " + pad(serial.encode(), 256),
        "EVIOCGBIT(0) 4 " + pad((0x120013).to_bytes(4, "little"), 4),
        "EVIOCGBIT(1) 96 " + keys.hex().upper(),
        "EVIOCGBIT(4) 96 " + pad(b"\x10", 96),
        "EVIOCGBIT(17) 96 " + pad(b"\x1f", 96),
        "EVIOCGBIT(20) 96 " + pad(b"", 96),
        "EVIOCGEFFECTS 0 00000000",
        "EVIOCGKEY(0) 96 " + pad(b"", 96),
        "EVIOCGLED(0) 2 0000",
    ]
    description = [
        f"P: {sys_path}/event{number}",
        f"N: input/event{number}",
        f"S: input/by-id/{by_id}",
        f"S: input/by-path/pci-0000:00:14.0-usb-0:{number}:1.0-event-kbd",
        f"E: DEVNAME={node}",
        "E: ID_INPUT=1",
        "E: ID_INPUT_KEYBOARD=1",
        f"E: ID_VENDOR_ID={vendor:04x}",
        f"E: ID_MODEL_ID={product:04x}",
        "E: SUBSYSTEM=input",
        f"A: dev=13:{64 + number}",
        "",
        f"P: {sys_path}",
        f'E: NAME="{name}"',
        "E: SUBSYSTEM=input",
        f"A: name={name}",
        "",
    ]
    dev_file = directory / f"event{number}.umockdev"
    ioctl_file = directory / f"event{number}.ioctl"
    dev_file.write_text("\n".join(description))
    ioctl_file.write_text("\n".join(ioctl) + "\n")
    return node, str(dev_file), str(ioctl_file)


def evemu_events(stream: list[tuple[int, int, int]]) -> str:
    """An evemu event recording of ``stream``, 1 ms apart."""
    return "".join(
        f"E: {i * 0.001:.6f} {t:04x} {c:04x} {v:04d}\n" for i, (t, c, v) in enumerate(stream)
    )
