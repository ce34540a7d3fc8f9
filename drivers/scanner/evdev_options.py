"""Options of the keyboard-wedge scanner: which device it is, and how it types."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from drivers.base import DriverOptions
from drivers.scanner.aim import AimMode
from drivers.scanner.input_identity import parse_usb_id
from drivers.scanner.keymaps import LayoutName
from drivers.scanner.keystroke_decoder import Terminator

_STABLE_DIRS = ("/dev/input/by-id/", "/dev/input/by-path/")


class EvdevScannerOptions(DriverOptions):
    path: str | None = Field(
        default=None,
        description="Stable link to the scanner's event device, under /dev/input/by-id/ or "
        "/dev/input/by-path/ (the *-event-kbd link). `tillbridge devices` lists them.",
    )
    vendor_id: int | None = Field(
        default=None, description='USB vendor id to match, as hex text such as "0c2e".'
    )
    product_id: int | None = Field(
        default=None, description='USB product id to match, as hex text such as "0b61".'
    )
    serial: str | None = Field(
        default=None, description="Serial number to match (the input device's uniq string)."
    )
    name: str | None = Field(default=None, description="Exact input device name to match.")
    layout: LayoutName = Field(
        default="us",
        description="Keyboard layout the scanner is set to type in: us, cz (Czech QWERTZ) "
        "or hu (Hungarian).",
    )
    terminator: Terminator = Field(
        default="enter",
        description="Key that ends a scan: enter (Enter or keypad Enter), tab, or none "
        "(a pause of end_gap_ms ends it).",
    )
    end_gap_ms: int = Field(
        default=50, ge=5, le=5000, description="Pause that ends a scan when terminator is none."
    )
    stale_after_ms: int = Field(
        default=1000,
        ge=50,
        le=60000,
        description="A scan with no keystroke for this long and no terminator is discarded.",
    )
    max_length: int = Field(
        default=8192, ge=16, le=100000, description="Longest scan accepted, in characters."
    )
    aim_ids: AimMode = Field(
        default="auto",
        description="AIM symbology prefix (]E0, ]d2...): auto (strip known ones), on (the "
        "scanner always sends one), off (never look).",
    )
    caps_lock_from_led: bool = Field(
        default=False,
        description="Follow the host Caps Lock light, for scanners set to automatic Caps Lock.",
    )
    allow_keyboard_like: bool = Field(
        default=False,
        description="Use the matched device even though it looks like a keyboard (a generic "
        "scanner). A real keyboard configured here stops typing anywhere on the till.",
    )

    @field_validator("vendor_id", "product_id", mode="before")
    @classmethod
    def _usb_id(cls, value: object) -> int | None:
        return parse_usb_id(value)

    @field_validator("path")
    @classmethod
    def _stable_path(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(_STABLE_DIRS):
            raise ValueError(
                "must be a link under /dev/input/by-id/ or /dev/input/by-path/ "
                f"(eventN numbers change between boots), got {value!r}"
            )
        return value

    @model_validator(mode="after")
    def _identity_given(self) -> EvdevScannerOptions:
        if not (self.path or self.vendor_id is not None or self.serial or self.name):
            raise ValueError(
                "name the scanner: give path, vendor_id (and product_id), serial or name"
            )
        return self
