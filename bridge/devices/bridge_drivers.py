"""Drivers the bridge composes from other devices, added to whichever driver registry is in use.

``drivers/`` never imports the bridge, so a drawer kicked through a printer's drawer port, which
needs the device manager to reach that printer, is a bridge class registered here instead.
"""

from __future__ import annotations

from dataclasses import replace

from drivers.registry import DriverRegistry

BRIDGE_DRIVER_PATHS: dict[str, str] = {
    "printer-drawer": "bridge.drawers.printer_drawer:PrinterDrawer",
}


def with_bridge_drivers(registry: DriverRegistry | None) -> DriverRegistry:
    """``registry`` (or the default one) plus the bridge-level drivers; its own names win."""
    base = registry or DriverRegistry.default()
    if all(name in base.paths for name in BRIDGE_DRIVER_PATHS):
        return base
    return replace(base, paths={**BRIDGE_DRIVER_PATHS, **base.paths})
