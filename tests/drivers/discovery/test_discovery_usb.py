"""USB printer discovery through the real pyusb code on a fake backend (see usb_fake_backend)."""

from __future__ import annotations

import tomllib

import usb.core
from usb_fake_backend import FakeBackend, FakeUsbDevice

from drivers.discovery.usb_printers import find_usb_printers_blocking


def test_only_devices_with_a_printer_interface_are_listed_with_their_strings():
    backend = FakeBackend(
        [
            FakeUsbDevice(0x046D, 0xC31C, interface_classes=(3,), product="USB Keyboard"),
            FakeUsbDevice(0x04B8, 0x0202, (7,), "EPSON", "TM-T88V", "J5GF012345", address=5),
            # A composite device whose second interface is the printer.
            FakeUsbDevice(0x0416, 0x5011, (3, 7), "Winbond", "POS58", None, address=6),
        ]
    )

    found, notes = find_usb_printers_blocking(backend)

    assert [(p.usb_id, p.manufacturer, p.product, p.serial) for p in found] == [
        ("04b8:0202", "EPSON", "TM-T88V", "J5GF012345"),
        ("0416:5011", "Winbond", "POS58", None),
    ]
    assert notes == []
    assert backend.open_handles == 0  # every device opened for its strings was closed again


def test_config_lines_parse_and_find_exactly_that_printer_among_twins():
    twins = [
        FakeUsbDevice(0x04B8, 0x0202, (7,), "EPSON", "TM-T88V", "AAA111", address=3),
        FakeUsbDevice(0x04B8, 0x0202, (7,), "EPSON", "TM-T88V", "BBB222", address=4),
    ]
    backend = FakeBackend(twins)
    found, _ = find_usb_printers_blocking(backend)

    config = tomllib.loads(found[1].config("receipt"))["devices"]["receipt"]

    assert config == {
        "driver": "escpos-usb",
        "vendor_id": 0x04B8,
        "product_id": 0x0202,
        "serial": "BBB222",
    }
    # What a driver does with those options selects the second printer, not the first.
    match = usb.core.find(
        backend=backend,
        idVendor=config["vendor_id"],
        idProduct=config["product_id"],
        custom_match=lambda d: usb.util.get_string(d, d.iSerialNumber) == config["serial"],
    )
    assert match.address == 4


def test_a_printer_that_cannot_be_opened_is_still_listed_with_the_reason():
    backend = FakeBackend(
        [FakeUsbDevice(0x04B8, 0x0E15, (7,), "EPSON", "TM-T20II", "X1", deny_open=True)]
    )

    found, notes = find_usb_printers_blocking(backend)

    assert len(found) == 1
    assert found[0].serial is None and "permission" in found[0].strings_error
    assert "serial" not in tomllib.loads(found[0].config())["devices"]["receipt"]
    assert any("60-tillbridge.rules" in n.message for n in notes)


def test_hostile_serial_string_round_trips_through_the_config_exactly():
    nasty = 'A"B\\C\x1b[2J\n[devices.evil]'
    backend = FakeBackend([FakeUsbDevice(0x04B8, 0x0202, (7,), "EPSON", "TM", nasty)])

    found, _ = find_usb_printers_blocking(backend)
    parsed = tomllib.loads(found[0].config("receipt"))

    assert list(parsed["devices"]) == ["receipt"]
    assert parsed["devices"]["receipt"]["serial"] == nasty


def test_a_failing_usb_listing_is_a_note_not_a_crash():
    found, notes = find_usb_printers_blocking(backend=_BrokenBackend())
    assert found == []
    assert notes and "could not be listed" in notes[0].message


class _BrokenBackend(FakeBackend):
    def __init__(self) -> None:
        super().__init__([])

    def enumerate_devices(self):
        raise usb.core.USBError("Other error", errno=None)
