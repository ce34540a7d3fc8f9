"""Serial ports: built-in RS-232, USB-serial adapters and CDC-ACM devices, via pyserial.

``/dev/ttyUSB0`` is whichever adapter the kernel saw first, so the config should name the
``/dev/serial/by-id/...`` link instead: it follows the adapter (by its serial number) across
reboots and re-plugging. Built-in ports have no such link and keep their ``/dev/ttyS*`` name.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from drivers.discovery.model import SerialPortFound, SourceNote

BY_ID_DIR = Path("/dev/serial/by-id")

#: Returns pyserial ``ListPortInfo`` objects; the default is ``serial.tools.list_ports.comports``.
ComPorts = Callable[[], Iterable[Any]]


def find_serial_ports_blocking(
    comports: ComPorts | None = None, by_id_dir: Path = BY_ID_DIR
) -> tuple[list[SerialPortFound], list[SourceNote]]:
    """Serial ports present now, with their stable path where udev made one."""
    if comports is None:
        try:
            from serial.tools.list_ports import comports
        except ImportError:
            return [], [SourceNote("serial", "pyserial is not installed: ports cannot be listed.")]
    try:
        infos = list(comports())
    except OSError as exc:
        return [], [SourceNote("serial", f"serial ports could not be listed: {exc}")]

    links = stable_links(by_id_dir)
    found = [
        SerialPortFound(
            device=info.device,
            stable_path=links.get(os.path.realpath(info.device)),
            description=_text(info.description),
            vendor_id=info.vid,
            product_id=info.pid,
            serial=_text(info.serial_number),
            manufacturer=_text(info.manufacturer),
        )
        for info in infos
    ]
    found.sort(key=lambda p: p.device)
    notes = [
        SourceNote(
            "serial",
            f"{p.device} is not readable by this user: install 60-tillbridge.rules "
            "(docs/install.md) or run this command as root.",
        )
        for p in found
        if os.path.exists(p.device) and not os.access(p.device, os.R_OK | os.W_OK)
    ]
    return found, notes


def stable_links(by_id_dir: Path) -> dict[str, str]:
    """Map each device node to its by-id link; an unreadable or missing directory maps nothing."""
    try:
        entries = sorted(by_id_dir.iterdir())
    except OSError:
        return {}
    links: dict[str, str] = {}
    for link in entries:
        if link.is_symlink():
            links.setdefault(os.path.realpath(link), str(link))
    return links


def _text(value: str | None) -> str | None:
    """pyserial reports "n/a" for a missing description; that is no description."""
    if value is None or value.strip() in ("", "n/a"):
        return None
    return value.strip()
