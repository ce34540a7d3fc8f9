"""What hardware the till can see, with the config lines to use it (``tillbridge devices``)."""

from drivers.discovery.model import (
    DiscoveryReport,
    InputDeviceFound,
    SerialPortFound,
    SourceNote,
    UsbPrinterFound,
)
from drivers.discovery.report import discover_all, render_text
from drivers.discovery.udev_rules import BadUsbId, UsbIdentity, render_udev_rules

__all__ = [
    "BadUsbId",
    "DiscoveryReport",
    "InputDeviceFound",
    "SerialPortFound",
    "SourceNote",
    "UsbIdentity",
    "UsbPrinterFound",
    "discover_all",
    "render_text",
    "render_udev_rules",
]
