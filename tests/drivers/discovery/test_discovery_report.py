"""discover_all over every source at once, and the text `tillbridge devices` prints."""

from __future__ import annotations

import json
import os
import re
import tomllib

import pytest
from serial.tools.list_ports_common import ListPortInfo
from usb_fake_backend import FakeBackend, FakeUsbDevice

from drivers.discovery import BadUsbId, discover_all, render_text, render_udev_rules


def config_blocks(text: str) -> str:
    """The indented [devices.*] sections of the text, de-indented, as one TOML document."""
    lines, keep = [], False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("[devices."):
            keep = True
        elif not stripped or stripped.startswith("("):
            keep = False
        if keep:
            lines.append(stripped)
    return "\n".join(lines)


@pytest.fixture
def pty_device():
    master, slave = os.openpty()
    yield os.ttyname(slave)
    os.close(master)
    os.close(slave)


def test_the_text_gives_one_pasteable_config_for_everything_found(tmp_path, pty_device):
    backend = FakeBackend(
        [
            FakeUsbDevice(
                0x04B8, 0x0202, (7,), "EPSON", "TM-T88V\x1b]0;pwned\x07", "S1", address=3
            ),
            FakeUsbDevice(0x0FE6, 0x811E, (7,), "ICS", "POS-80", "S2", address=4),
        ]
    )
    port = ListPortInfo(pty_device, skip_link_detection=True)
    port.vid, port.pid, port.description = 0x1A86, 0x7523, "USB Serial"

    report = discover_all(
        usb_backend=backend,
        comports=lambda: [port],
        serial_by_id_dir=tmp_path / "none",
        input_dir=tmp_path / "no-input",
        input_by_id_dir=tmp_path / "no-input" / "by-id",
    )
    text = render_text(report)

    # Device ids are unique, so all sections paste into one config file together.
    devices = tomllib.loads(config_blocks(text))["devices"]
    assert {k: v["driver"] for k, v in devices.items()} == {
        "receipt": "escpos-usb",
        "receipt_2": "escpos-usb",
        "receipt_3": "escpos-serial",
    }
    assert devices["receipt_2"]["serial"] == "S2"
    assert devices["receipt_3"]["port"] == pty_device
    # A hostile product string cannot drive the technician's terminal.
    assert "\x1b" not in text and "\x07" not in text
    assert "TM-T88V\\x1b]0;pwned\\x07" in text
    assert "Scanners (input devices)\n  none recognised" in text


def test_twin_printers_without_serial_numbers_are_called_out(tmp_path):
    backend = FakeBackend(
        [FakeUsbDevice(0x0416, 0x5011, (7,), "Winbond", "POS58", None, address=a) for a in (3, 4)]
    )
    report = discover_all(usb_backend=backend, comports=list, input_dir=tmp_path)

    [note] = [line for line in render_text(report).splitlines() if "tell them apart" in line]
    assert "0416:5011" in note


def test_udev_rules_for_a_technicians_device_are_lowercase_and_scoped_to_the_group():
    text = render_udev_rules(["0FE6:811E"])
    rules = [line for line in text.splitlines() if line and not line.startswith("#")]

    assert len(rules) == 3
    assert all("ATTR" in r and '"0fe6"' in r and '"811e"' in r for r in rules)
    assert all(
        re.search(r'GROUP="tillbridge", MODE="06[46]0"(, ENV\{ID_MM_DEVICE_IGNORE\}="1")?$', r)
        for r in rules
    )
    assert not re.search(r'uaccess|GROUP="input"|RUN|PROGRAM', text)


@pytest.mark.parametrize(
    "bad", ['04b8:0202", RUN+="/bin/sh', "04b8", "04b8:02020", "zzzz:0202", "04b8-0202", ""]
)
def test_anything_but_a_plain_usb_id_is_refused(bad):
    with pytest.raises(BadUsbId, match="vendor:product"):
        render_udev_rules([bad])


def test_the_json_form_carries_each_devices_config(tmp_path):
    backend = FakeBackend([FakeUsbDevice(0x04B8, 0x0202, (7,), "EPSON", "TM-T88V", "S\x001")])
    report = discover_all(usb_backend=backend, comports=list, input_dir=tmp_path)

    data = json.loads(json.dumps(report.to_dict()))

    [printer] = data["usb_printers"]
    assert printer["usb_id"] == "04b8:0202"
    assert tomllib.loads(printer["config"])["devices"]["receipt"]["serial"] == "S\x001"
