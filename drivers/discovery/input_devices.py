"""Input devices that could be a keyboard-wedge scanner, read through python-evdev.

A scanner in keyboard mode is, to the kernel, a keyboard. Discovery lists every keyboard-like
event node and marks the ones that look like scanners, with the scanner driver's own classifier
(drivers.scanner.input_identity); the technician confirms by unplugging. Configure only a scanner: the driver grabs the device, so a configured keyboard
stops typing anywhere else on the till.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from drivers.discovery.model import InputDeviceFound, SourceNote
from drivers.scanner.input_identity import classify_input

INPUT_DIR = Path("/dev/input")
BY_ID_DIR = Path("/dev/input/by-id")

#: Opens an event node; returns an object with ``name``, ``phys``, ``info`` (bustype, vendor,
#: product), ``capabilities(absinfo=False)`` and ``close()``, as ``evdev.InputDevice`` has.
OpenDevice = Callable[[str], Any]

EV_KEY = 0x01  # input-event-codes.h


def find_input_devices_blocking(
    open_device: OpenDevice | None = None,
    input_dir: Path = INPUT_DIR,
    by_id_dir: Path = BY_ID_DIR,
) -> tuple[list[InputDeviceFound], list[SourceNote]]:
    """Keyboard-like input devices now present, scanners marked."""
    if open_device is None:
        try:
            import evdev
        except ImportError:
            return [], [SourceNote("input", "python-evdev is not installed: scanners not listed.")]

        def open_device(path: str) -> Any:
            return evdev.InputDevice(path, readonly=True)

    try:
        nodes = sorted(input_dir.glob("event*"), key=_node_number)
    except OSError as exc:
        return [], [SourceNote("input", f"{input_dir} could not be listed: {exc}")]
    links = _stable_links(by_id_dir)
    found: list[InputDeviceFound] = []
    unreadable: list[str] = []
    notes: list[SourceNote] = []
    for node in nodes:
        if not os.access(node, os.R_OK):
            unreadable.append(node.name)
            continue
        try:
            dev = open_device(str(node))
        except OSError as exc:
            notes.append(SourceNote("input", f"{node} could not be opened: {exc}"))
            continue
        try:
            name = str(dev.name)
            keys = dev.capabilities(absinfo=False).get(EV_KEY, [])
            guess = classify_input(name, dev.info.vendor, dev.info.product, keys)
            if guess.kind == "other":
                continue
            found.append(
                InputDeviceFound(
                    device=str(node),
                    stable_path=links.get(os.path.realpath(node)),
                    name=name,
                    vendor_id=dev.info.vendor,
                    product_id=dev.info.product,
                    bus_type=dev.info.bustype,
                    looks_like_scanner=guess.kind == "scanner",
                    reason=guess.reason,
                    phys=str(dev.phys) or None,
                )
            )
        finally:
            dev.close()
    if unreadable:
        notes.append(
            SourceNote(
                "input",
                f"{len(unreadable)} input devices are not readable by this user "
                f"({', '.join(unreadable)}); run this command as root to see every keyboard.",
            )
        )
    return found, notes


def _node_number(path: Path) -> int:
    digits = path.name.removeprefix("event")
    return int(digits) if digits.isdigit() else 1 << 30


def _stable_links(by_id_dir: Path) -> dict[str, str]:
    """event node -> by-id link; the ``-event-kbd`` link wins over ``-if01-event-kbd`` variants."""
    try:
        entries = sorted(by_id_dir.iterdir(), key=lambda p: (len(p.name), p.name))
    except OSError:
        return {}
    links: dict[str, str] = {}
    for link in entries:
        if link.is_symlink() and "event" in link.name:
            links.setdefault(os.path.realpath(link), str(link))
    return links
