"""USB printers: every device with a printer-class interface (class 7), found through pyusb.

Enumeration reads descriptors from sysfs and needs no permission; the name and serial strings need
the device opened, which fails without the udev rules (or root). Such a printer is still listed,
with the reason its strings are missing.
"""

from __future__ import annotations

import errno
from typing import Any

from drivers.discovery.model import SourceNote, UsbPrinterFound

PRINTER_CLASS = 7
#: Each string descriptor read gets this long (ms); a wedged device must not hang discovery.
STRING_TIMEOUT_MS = 500


def find_usb_printers_blocking(
    backend: Any = None,
) -> tuple[list[UsbPrinterFound], list[SourceNote]]:
    """USB printers now attached; ``backend`` is a pyusb backend (None: pyusb's default, libusb)."""
    try:
        import usb.core
    except ImportError:
        return [], [SourceNote("usb", "pyusb is not installed: USB printers cannot be listed.")]
    try:
        devices = list(usb.core.find(find_all=True, backend=backend))
    except usb.core.NoBackendError:
        return [], [
            SourceNote("usb", "libusb is not available (install the libusb-1.0-0 package).")
        ]
    except usb.core.USBError as exc:
        return [], [SourceNote("usb", f"USB devices could not be listed: {exc}")]

    found: list[UsbPrinterFound] = []
    notes: list[SourceNote] = []
    for dev in devices:
        try:
            if not _has_printer_interface(dev):
                continue
            found.append(_describe(dev))
        except usb.core.USBError as exc:
            notes.append(
                SourceNote(
                    "usb",
                    f"USB device {dev.idVendor:04x}:{dev.idProduct:04x} could not be read: {exc}",
                )
            )
    if any(p.strings_error for p in found):
        notes.append(
            SourceNote(
                "usb",
                "Some printers' names and serial numbers could not be read: install "
                "60-tillbridge.rules (docs/install.md) or run this command as root.",
            )
        )
    return found, notes


def _has_printer_interface(dev: Any) -> bool:
    if dev.bDeviceClass == PRINTER_CLASS:
        return True
    return any(intf.bInterfaceClass == PRINTER_CLASS for cfg in dev for intf in cfg)


def _describe(dev: Any) -> UsbPrinterFound:
    import usb.core
    import usb.util

    strings: dict[str, str | None] = {}
    error: str | None = None
    dev.default_timeout = STRING_TIMEOUT_MS
    try:
        for name in ("iManufacturer", "iProduct", "iSerialNumber"):
            strings[name] = _clean(usb.util.get_string(dev, getattr(dev, name)))
    except (usb.core.USBError, ValueError, NotImplementedError) as exc:
        error = _strings_error(exc)
    finally:
        usb.util.dispose_resources(dev)
    return UsbPrinterFound(
        vendor_id=dev.idVendor,
        product_id=dev.idProduct,
        bus=dev.bus,
        address=dev.address,
        manufacturer=strings.get("iManufacturer"),
        product=strings.get("iProduct"),
        serial=strings.get("iSerialNumber"),
        strings_error=error,
    )


def _clean(value: str | None) -> str | None:
    """Devices pad strings with spaces and NULs; an empty one is no string."""
    if value is None:
        return None
    value = value.strip().strip("\x00").strip()
    return value or None


def _strings_error(exc: Exception) -> str:
    # pyusb turns a refused open (EACCES) into "no langid" ValueError; both mean permission.
    if getattr(exc, "errno", None) == errno.EACCES or "langid" in str(exc):
        return "no permission to open the device (or it has no string descriptors)"
    return str(exc) or type(exc).__name__
