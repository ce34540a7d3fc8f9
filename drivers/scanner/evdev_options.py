"""Options of the keyboard-wedge scanner: which device it is, and how it types.

USB ids may be given as hex text; they are numbers (or None) once the options are built.
"""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta
from msgspec.structs import force_setattr

from drivers.base import DriverOptions
from drivers.scanner.aim import AimMode
from drivers.scanner.input_identity import parse_usb_id
from drivers.scanner.keymaps import LayoutName
from drivers.scanner.keystroke_decoder import Terminator

_STABLE_DIRS = ("/dev/input/by-id/", "/dev/input/by-path/")


class EvdevScannerOptions(DriverOptions):
    path: Annotated[
        str | None,
        Meta(
            description="Stable link to the scanner's event device, under /dev/input/by-id/ or "
            "/dev/input/by-path/ (the *-event-kbd link). `tillbridge devices` lists them."
        ),
    ] = None
    vendor_id: Annotated[
        int | str | None, Meta(description='USB vendor id to match, as hex text such as "0c2e".')
    ] = None
    product_id: Annotated[
        int | str | None, Meta(description='USB product id to match, as hex text such as "0b61".')
    ] = None
    serial: Annotated[
        str | None, Meta(description="Serial number to match (the input device's uniq string).")
    ] = None
    name: Annotated[str | None, Meta(description="Exact input device name to match.")] = None
    layout: Annotated[
        LayoutName,
        Meta(
            description="Keyboard layout the scanner is set to type in: us, cz (Czech QWERTZ) "
            "or hu (Hungarian)."
        ),
    ] = "us"
    terminator: Annotated[
        Terminator,
        Meta(
            description="Key that ends a scan: enter (Enter or keypad Enter), tab, or none "
            "(a pause of end_gap_ms ends it)."
        ),
    ] = "enter"
    end_gap_ms: Annotated[
        int, Meta(ge=5, le=5000, description="Pause that ends a scan when terminator is none.")
    ] = 50
    stale_after_ms: Annotated[
        int,
        Meta(
            ge=50,
            le=60000,
            description="A scan with no keystroke for this long and no terminator is discarded.",
        ),
    ] = 1000
    max_length: Annotated[
        int, Meta(ge=16, le=100000, description="Longest scan accepted, in characters.")
    ] = 8192
    aim_ids: Annotated[
        AimMode,
        Meta(
            description="AIM symbology prefix (]E0, ]d2...): auto (strip known ones), on (the "
            "scanner always sends one), off (never look)."
        ),
    ] = "auto"
    caps_lock_from_led: Annotated[
        bool,
        Meta(
            description="Follow the host Caps Lock light, for scanners set to automatic Caps Lock."
        ),
    ] = False
    allow_keyboard_like: Annotated[
        bool,
        Meta(
            description="Use the matched device even though it looks like a keyboard (a generic "
            "scanner). A real keyboard configured here stops typing anywhere on the till."
        ),
    ] = False

    def __post_init__(self) -> None:
        for key in ("vendor_id", "product_id"):
            try:
                force_setattr(self, key, parse_usb_id(getattr(self, key)))
            except ValueError as exc:
                raise ValueError(f"{key}: {exc}") from None
        if self.path is not None and not self.path.startswith(_STABLE_DIRS):
            raise ValueError(
                "path: must be a link under /dev/input/by-id/ or /dev/input/by-path/ "
                f"(eventN numbers change between boots), got {self.path!r}"
            )
        if not (self.path or self.vendor_id is not None or self.serial or self.name):
            raise ValueError(
                "name the scanner: give path, vendor_id (and product_id), serial or name"
            )
