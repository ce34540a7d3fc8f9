"""AIM symbology identifiers, and telling scanners from keyboards."""

from __future__ import annotations

import pytest

from drivers.base import ScanRead
from drivers.scanner.aim import scan_read, split_aim
from drivers.scanner.input_identity import classify_input, parse_usb_id

GS = "\x1d"


@pytest.mark.parametrize(
    ("text", "code", "symbology"),
    [
        ("]E04607001234567", "4607001234567", "EAN13"),
        ("]E440012345", "40012345", "EAN8"),
        (f"]C1010460043993125621{GS}17251231", f"010460043993125621{GS}17251231", "GS1_128"),
        ("]C0ABC-123", "ABC-123", "CODE128"),
        (
            f"]d20104600439931256215Hd5)Xf{GS}93dGVz",
            f"0104600439931256215Hd5)Xf{GS}93dGVz",
            "GS1_DATAMATRIX",
        ),
        ("]d1hello", "hello", "DATAMATRIX"),
        ("]Q1https://example.test/", "https://example.test/", "QR"),
        ("]Q3(01)...", "(01)...", "GS1_QR"),
        ("]e00104600439931256", "0104600439931256", "GS1_DATABAR"),
        ("]A0CODE39", "CODE39", "CODE39"),
        ("4607001234567", "4607001234567", None),
        ("]", "]", None),
        ("]W0abc", "]W0abc", None),  # not an identifier this table knows: left alone in auto
        ("]E", "]E", None),
    ],
)
def test_auto_mode(text, code, symbology):
    assert split_aim(text, "auto") == (code, symbology)


def test_off_mode_leaves_codes_alone():
    assert split_aim("]E04607001234567", "off") == ("]E04607001234567", None)


def test_on_mode_takes_any_well_formed_identifier():
    assert split_aim("]W0abc", "on") == ("abc", "AIM_W0")
    assert split_aim("plain", "on") == ("plain", None)


def test_scan_read_event():
    assert scan_read("]E04607001234567") == ScanRead("4607001234567", "EAN13")


@pytest.mark.parametrize(
    ("name", "vendor", "kind"),
    [
        ("Honeywell Imaging & Mobility 1900", 0x0C2E, "scanner"),
        ("HID 0c2e:0b61", 0x0C2E, "scanner"),  # known maker, name says nothing
        ("Symbol Technologies, Inc, 2008 Symbol Bar Code Scanner", 0x05E0, "scanner"),
        ("Datalogic ADC, Inc. Handheld Barcode Scanner", 0x05F9, "scanner"),
        ("Newland Auto-ID NLS-HR22", 0x1EAB, "scanner"),
        ("SM SM-2D PRODUCT HID KBW", 0x1234, "scanner"),
        ("NETUM NT-1228BL", 0x0483, "scanner"),
        ("Logitech USB Keyboard", 0x046D, "keyboard"),
        ("AT Translated Set 2 keyboard", 0x0001, "keyboard"),
        ("USB Keyboard", None, "keyboard"),  # a generic scanner looks exactly like this: unsure
    ],
)
def test_classify_by_name_and_vendor(name, vendor, kind):
    assert classify_input(name, vendor).kind == kind


def test_devices_without_typing_keys_are_neither():
    power_button = classify_input("Power Button", None, None, key_codes={116})
    assert power_button.kind == "other"
    scanner_consumer_keys = classify_input(
        "Honeywell 1900 Consumer Control", 0x0C2E, None, {113, 114}
    )
    assert scanner_consumer_keys.kind == "other"


@pytest.mark.parametrize(
    ("value", "expected"), [("0c2e", 0x0C2E), ("0x05E0", 0x05E0), (7886, 7886), (None, None)]
)
def test_usb_ids_from_config(value, expected):
    assert parse_usb_id(value) == expected


@pytest.mark.parametrize("value", ["c2e", "zzzz", 0x10000, True, 1.5])
def test_bad_usb_ids_are_refused(value):
    with pytest.raises(ValueError):
        parse_usb_id(value)
