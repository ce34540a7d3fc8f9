"""The explicit map from a config ``driver = "..."`` name to its class.

Classes are imported on first use so that a broken or heavy hardware library affects only the
devices that use it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from drivers.base import Device

#: driver name -> "module:Class". Add new drivers here.
DRIVER_PATHS: dict[str, str] = {
    # printers
    "simulated-printer": "drivers.simulated.printer:SimulatedPrinter",
    "escpos-usb": "drivers.printer.usb_printer:UsbPrinter",
    "escpos-serial": "drivers.printer.serial_printer:SerialPrinter",
    "escpos-network": "drivers.printer.network_printer:NetworkPrinter",
    "escpos-file": "drivers.printer.file_printer:FilePrinter",
    # drawers (a drawer kicked through its printer is wired by the bridge, see drawer service)
    "simulated-drawer": "drivers.simulated.drawer:SimulatedDrawer",
    "serial-drawer": "drivers.drawer.serial_drawer:SerialDrawer",
    # scanners
    "simulated-scanner": "drivers.simulated.scanner:SimulatedScanner",
    "evdev-scanner": "drivers.scanner.evdev_scanner:EvdevScanner",
    "serial-scanner": "drivers.scanner.serial_scanner:SerialScanner",
}


class UnknownDriver(LookupError):
    """The config names a driver this build does not have."""


@dataclass(frozen=True)
class DriverRegistry:
    """Resolves driver names; a frozen value so tests can pass their own map."""

    paths: dict[str, str]

    @classmethod
    def default(cls) -> DriverRegistry:
        return cls(dict(DRIVER_PATHS))

    def names(self) -> list[str]:
        return sorted(self.paths)

    def resolve(self, name: str) -> type[Device]:
        try:
            path = self.paths[name]
        except KeyError:
            raise UnknownDriver(name) from None
        module_name, _, attr = path.partition(":")
        cls = getattr(importlib.import_module(module_name), attr)
        if not (isinstance(cls, type) and issubclass(cls, Device)):
            raise TypeError(f"{path} is not a Device class")
        return cls
