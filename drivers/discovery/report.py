"""One discovery run over every source, and its text for ``tillbridge devices``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from drivers.discovery import input_devices, serial_ports
from drivers.discovery.model import DiscoveryReport, printable
from drivers.discovery.usb_printers import find_usb_printers_blocking


def discover_all(
    *,
    usb_backend: Any = None,
    comports: serial_ports.ComPorts | None = None,
    serial_by_id_dir: Path = serial_ports.BY_ID_DIR,
    open_input: input_devices.OpenDevice | None = None,
    input_dir: Path = input_devices.INPUT_DIR,
    input_by_id_dir: Path = input_devices.BY_ID_DIR,
) -> DiscoveryReport:
    """Everything the till can see now. Blocking (sysfs, USB control transfers): from async
    code run it in an executor. A source that fails adds a note instead of raising."""
    printers, usb_notes = find_usb_printers_blocking(usb_backend)
    ports, serial_notes = serial_ports.find_serial_ports_blocking(comports, serial_by_id_dir)
    inputs, input_notes = input_devices.find_input_devices_blocking(
        open_input, input_dir, input_by_id_dir
    )
    return DiscoveryReport(
        usb_printers=printers,
        serial_ports=ports,
        input_devices=inputs,
        notes=[*usb_notes, *serial_notes, *input_notes],
    )


def _numbered(base: str, index: int) -> str:
    return base if index == 0 else f"{base}_{index + 1}"


def _indent(text: str) -> list[str]:
    return ["    " + line for line in text.splitlines()]


def render_text(report: DiscoveryReport) -> str:
    """Human text: each device with the config section to paste into tillbridge.toml."""
    out: list[str] = []
    receipts = 0
    scanners = 0

    out.append("USB printers")
    if not report.usb_printers:
        out.append("  none found")
    for printer in report.usb_printers:
        where = f" (bus {printer.bus} address {printer.address})" if printer.bus is not None else ""
        out.append(f"  {printable(printer.label)} [{printer.usb_id}]{where}")
        if printer.strings_error:
            out.append(f"    name and serial unknown: {printable(printer.strings_error)}")
        out.extend(_indent(printer.config(_numbered("receipt", receipts))))
        receipts += 1
        out.append("")
    duplicates = _same_model_without_serial(report)
    if duplicates:
        out.append(
            f"  Note: several printers {', '.join(duplicates)} have no readable serial number; the "
            "config cannot tell them apart. Keep one per model on USB or use serial/network."
        )

    out.append("")
    out.append("Serial ports")
    if not report.serial_ports:
        out.append("  none found")
    for port in report.serial_ports:
        usb = f" [{port.usb_id}]" if port.usb_id else ""
        label = "" if port.label == port.path else f": {printable(port.label)}"
        out.append(f"  {printable(port.path)}{label}{usb}")
        if port.likely_role == "scanner":
            out.extend(_indent(port.config(_numbered("scanner", scanners))))
            scanners += 1
            out.append('    (a printer or drawer here would use driver = "escpos-serial")')
        else:
            out.extend(_indent(port.config(_numbered("receipt", receipts))))
            receipts += 1
            out.append('    (a scanner here would use driver = "serial-scanner" and the same port)')
        out.append("")

    out.append("")
    out.append("Scanners (input devices)")
    if not report.scanners:
        out.append("  none recognised")
    for dev in report.scanners:
        out.append(f"  {printable(dev.path)}: {printable(dev.label)} [{dev.usb_id}]")
        out.append(f"    {dev.reason}")
        out.extend(_indent(dev.config(_numbered("scanner", scanners))))
        scanners += 1
        out.append("")
    keyboards = [d for d in report.input_devices if not d.looks_like_scanner]
    if keyboards:
        out.append("  Other keyboards (a scanner posing as a plain keyboard may be among them):")
        for dev in keyboards:
            out.append(f"    {printable(dev.path)}: {printable(dev.label)} [{dev.usb_id}]")
        out.append('  If one is the scanner: driver = "evdev-scanner" with path = its path above.')

    if report.notes:
        out.append("")
        out.append("Notes")
        out.extend(f"  {note.source}: {printable(note.message)}" for note in report.notes)
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(out))
    return text.rstrip("\n") + "\n"


def _same_model_without_serial(report: DiscoveryReport) -> list[str]:
    seen: dict[str, int] = {}
    for printer in report.usb_printers:
        if not printer.serial:
            seen[printer.usb_id] = seen.get(printer.usb_id, 0) + 1
    return sorted(usb_id for usb_id, count in seen.items() if count > 1)
