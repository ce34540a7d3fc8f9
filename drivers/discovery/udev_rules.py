"""udev rule lines that give the service one more device, named by its USB vendor:product.

For devices the shipped systemd/60-tillbridge.rules misses (a vendor-class printer, an unusual
serial adapter, a scanner from another maker). The lines go into
/etc/udev/rules.d/61-tillbridge-local.rules. Ids are validated as 4 hex digits each, so nothing a
user types can add udev keys of its own (``uaccess``, ``RUN``, another group).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

GROUP = "tillbridge"
LOCAL_RULES_FILE = "/etc/udev/rules.d/61-tillbridge-local.rules"

DeviceClass = Literal["printer", "serial", "scanner"]
ALL_CLASSES: tuple[DeviceClass, ...] = ("printer", "serial", "scanner")

_USB_ID = re.compile(r"([0-9a-fA-F]{4}):([0-9a-fA-F]{4})")


class BadUsbId(ValueError):
    """A vendor:product id that is not two groups of 4 hex digits."""

    code = "udev.bad_usb_id"


@dataclass(frozen=True, slots=True)
class UsbIdentity:
    vendor_id: int
    product_id: int

    @classmethod
    def parse(cls, text: str) -> UsbIdentity:
        """``"04b8:0202"`` as printed by ``lsusb`` (``ID 04b8:0202``)."""
        match = _USB_ID.fullmatch(text.strip())
        if match is None:
            raise BadUsbId(
                f"{text!r} is not a USB id: give vendor:product as 4 hex digits each, as `lsusb` "
                "prints them (e.g. 04b8:0202)."
            )
        return cls(int(match.group(1), 16), int(match.group(2), 16))

    def __str__(self) -> str:
        return f"{self.vendor_id:04x}:{self.product_id:04x}"


def rule_lines(identity: UsbIdentity, device_class: DeviceClass) -> str:
    """The one rule for ``identity`` as a ``device_class`` device."""
    vendor, product = f"{identity.vendor_id:04x}", f"{identity.product_id:04x}"
    ids = f'ATTRS{{idVendor}}=="{vendor}", ATTRS{{idProduct}}=="{product}"'
    if device_class == "printer":
        # The usb_device node itself: match its own attributes, not a parent's.
        own = f'ATTR{{idVendor}}=="{vendor}", ATTR{{idProduct}}=="{product}"'
        usb = 'SUBSYSTEM=="usb", ENV{DEVTYPE}=="usb_device"'
        return f'{usb}, {own}, GROUP="{GROUP}", MODE="0660"'
    if device_class == "serial":
        # ModemManager would otherwise probe the port with AT commands, which a printer prints.
        mm = 'ENV{ID_MM_DEVICE_IGNORE}="1"'
        return f'SUBSYSTEM=="tty", {ids}, GROUP="{GROUP}", MODE="0660", {mm}'
    if device_class == "scanner":
        # Read-only: the service reads and grabs a scanner, it never writes to it.
        return f'SUBSYSTEM=="input", KERNEL=="event*", {ids}, GROUP="{GROUP}", MODE="0640"'
    raise ValueError(f"unknown device class {device_class!r}")


def render_udev_rules(
    identities: Iterable[UsbIdentity | str],
    classes: Iterable[DeviceClass] = ALL_CLASSES,
) -> str:
    """A rules file giving group tillbridge the listed devices as each of ``classes``."""
    parsed = [i if isinstance(i, UsbIdentity) else UsbIdentity.parse(i) for i in identities]
    wanted = list(classes)
    out = [
        f"# Local additions for tillbridge: save as {LOCAL_RULES_FILE}, then run",
        "#   udevadm control --reload && udevadm trigger --action=add",
        "# Keep only the lines for what each device is (printer, serial port, scanner).",
    ]
    for identity in parsed:
        out.append("")
        out.append(f"# {identity}")
        out.extend(rule_lines(identity, device_class) for device_class in wanted)
    return "\n".join(out) + "\n"
