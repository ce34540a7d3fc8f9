"""What discovery found, as typed values that can render the config lines to use them.

Every string here may come from a device (USB string descriptors, evdev names): treat it as hostile.
:func:`toml_string` quotes it for the config, :func:`printable` makes it safe for a terminal.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from drivers.scanner import input_identity

Role = Literal["printer", "scanner"]

#: Scanner makers' USB vendor ids, shared with the evdev scanner driver; the udev rules give their
#: serial and event nodes to the service (a test keeps systemd/60-tillbridge.rules in step).
SCANNER_VENDORS = input_identity.SCANNER_VENDORS

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def toml_string(value: str) -> str:
    """A TOML basic string holding exactly ``value``, whatever characters it contains."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", escaped) + '"'


def printable(value: str) -> str:
    """``value`` with control characters escaped: a device name must not drive the terminal."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)


def section(device_id: str, lines: list[str]) -> str:
    """A ``[devices.<id>]`` config section made of ``lines``."""
    if not _BARE_KEY.fullmatch(device_id):
        raise ValueError(f"device id {device_id!r} must be letters, digits, '_' or '-'")
    return "\n".join([f"[devices.{device_id}]", *lines])


@dataclass(frozen=True, slots=True)
class UsbPrinterFound:
    """A USB device with a printer-class interface, driven by ``escpos-usb``."""

    vendor_id: int
    product_id: int
    bus: int | None
    address: int | None
    manufacturer: str | None = None
    product: str | None = None
    serial: str | None = None
    #: Why the strings above are missing, if they are (typically: no permission to open).
    strings_error: str | None = None

    @property
    def usb_id(self) -> str:
        return f"{self.vendor_id:04x}:{self.product_id:04x}"

    @property
    def label(self) -> str:
        names = " ".join(s for s in (self.manufacturer, self.product) if s)
        return names or f"USB printer {self.usb_id}"

    def config(self, device_id: str = "receipt") -> str:
        lines = [
            'driver = "escpos-usb"',
            f"vendor_id = 0x{self.vendor_id:04x}",
            f"product_id = 0x{self.product_id:04x}",
        ]
        if self.serial:
            lines.append(f"serial = {toml_string(self.serial)}")
        return section(device_id, lines)


@dataclass(frozen=True, slots=True)
class SerialPortFound:
    """A serial port: a printer, drawer or scanner may be behind it; discovery cannot tell."""

    device: str
    #: The /dev/serial/by-id link when there is one: it survives re-plugging into another socket.
    stable_path: str | None
    description: str | None = None
    vendor_id: int | None = None
    product_id: int | None = None
    serial: str | None = None
    manufacturer: str | None = None

    @property
    def path(self) -> str:
        return self.stable_path or self.device

    @property
    def usb_id(self) -> str | None:
        if self.vendor_id is None or self.product_id is None:
            return None
        return f"{self.vendor_id:04x}:{self.product_id:04x}"

    @property
    def likely_role(self) -> Role:
        """Scanner makers' CDC-ACM ports are scanners; anything else is most often a printer."""
        return "scanner" if self.vendor_id in SCANNER_VENDORS else "printer"

    @property
    def label(self) -> str:
        return self.description or self.device

    def config(self, device_id: str | None = None, role: Role | None = None) -> str:
        role = role or self.likely_role
        port = f"port = {toml_string(self.path)}"
        if role == "scanner":
            return section(device_id or "scanner", ['driver = "serial-scanner"', port])
        return section(
            device_id or "receipt",
            [
                'driver = "escpos-serial"',
                port,
                "baudrate = 9600  # as printed on the printer's self-test page",
            ],
        )


@dataclass(frozen=True, slots=True)
class InputDeviceFound:
    """An evdev input device with keys; ``looks_like_scanner`` separates scanners from keyboards."""

    device: str
    stable_path: str | None
    name: str
    vendor_id: int
    product_id: int
    bus_type: int
    looks_like_scanner: bool
    reason: str
    phys: str | None = None

    @property
    def path(self) -> str:
        return self.stable_path or self.device

    @property
    def usb_id(self) -> str:
        return f"{self.vendor_id:04x}:{self.product_id:04x}"

    @property
    def label(self) -> str:
        return self.name or self.device

    def config(self, device_id: str = "scanner") -> str:
        return section(device_id, ['driver = "evdev-scanner"', f"path = {toml_string(self.path)}"])


@dataclass(frozen=True, slots=True)
class SourceNote:
    """Why a source found less than it might have: library missing, no permission, …"""

    source: Literal["usb", "serial", "input"]
    message: str


@dataclass(frozen=True, slots=True)
class DiscoveryReport:
    """Everything one discovery run saw, plus notes on what it could not see."""

    usb_printers: list[UsbPrinterFound] = field(default_factory=list)
    serial_ports: list[SerialPortFound] = field(default_factory=list)
    input_devices: list[InputDeviceFound] = field(default_factory=list)
    notes: list[SourceNote] = field(default_factory=list)

    @property
    def scanners(self) -> list[InputDeviceFound]:
        return [d for d in self.input_devices if d.looks_like_scanner]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (``tillbridge devices --json``); each device carries its config text."""

        def with_config(found: UsbPrinterFound | SerialPortFound | InputDeviceFound) -> dict:
            return {**asdict(found), "usb_id": found.usb_id, "config": found.config()}

        return {
            "usb_printers": [with_config(p) for p in self.usb_printers],
            "serial_ports": [
                {**with_config(p), "path": p.path, "likely_role": p.likely_role}
                for p in self.serial_ports
            ],
            "input_devices": [{**with_config(d), "path": d.path} for d in self.input_devices],
            "notes": [asdict(n) for n in self.notes],
        }
