"""Scanner discovery over a /dev/input-like directory with by-id links; the evdev device behind
each node is a stand-in with the attributes python-evdev's InputDevice has (no /dev/uinput here)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from drivers.discovery.input_devices import find_input_devices_blocking

EV_KEY, EV_REL = 1, 2
KEYBOARD_KEYS = list(range(1, 58))  # Esc .. Space: letters, digits, Enter


@dataclass
class Info:
    bustype: int
    vendor: int
    product: int
    version: int = 0x0110


@dataclass
class StandInDevice:
    name: str
    info: Info
    caps: dict[int, list[int]]
    phys: str = "usb-0000:00:14.0-2/input0"
    closed: bool = field(default=False)

    def capabilities(self, absinfo: bool = True) -> dict[int, list[int]]:
        return self.caps

    def close(self) -> None:
        self.closed = True


def make_tree(tmp_path: Path, devices: dict[str, StandInDevice], links: dict[str, str]):
    input_dir = tmp_path / "input"
    by_id = input_dir / "by-id"
    by_id.mkdir(parents=True)
    for node in devices:
        (input_dir / node).write_bytes(b"")
    for link, node in links.items():
        (by_id / link).symlink_to(f"../{node}")
    opened: list[StandInDevice] = []

    def open_device(path: str) -> StandInDevice:
        dev = devices[Path(path).name]
        opened.append(dev)
        return dev

    return input_dir, by_id, open_device, opened


def test_scanners_are_told_from_keyboards_and_pointers(tmp_path):
    devices = {
        "event3": StandInDevice("AT Translated Set 2 keyboard", Info(0x11, 0x0001, 0x0001), {EV_KEY: KEYBOARD_KEYS}),
        "event11": StandInDevice("Honeywell Imaging & Mobility 1900", Info(0x03, 0x0C2E, 0x0B01), {EV_KEY: KEYBOARD_KEYS}),
        "event12": StandInDevice("USBKey Barcode Scanner", Info(0x03, 0xFFFF, 0x0035), {EV_KEY: KEYBOARD_KEYS}),
        "event5": StandInDevice("Logitech USB Optical Mouse", Info(0x03, 0x046D, 0xC077), {EV_KEY: [272, 273], EV_REL: [0, 1]}),
        "event2": StandInDevice("Power Button", Info(0x19, 0, 1), {EV_KEY: [116]}),
    }  # fmt: skip
    links = {
        "usb-Honeywell_Imaging___Mobility_1900_16025B4D7B-event-kbd": "event11",
        "usb-USBKey_Barcode_Scanner-event-kbd": "event12",
    }
    input_dir, by_id, open_device, opened = make_tree(tmp_path, devices, links)

    found, notes = find_input_devices_blocking(open_device, input_dir, by_id)

    assert notes == []
    assert [(d.device.rsplit("/", 1)[1], d.looks_like_scanner) for d in found] == [
        ("event3", False),
        ("event11", True),
        ("event12", True),
    ]
    honeywell = found[1]
    assert honeywell.path == str(
        by_id / "usb-Honeywell_Imaging___Mobility_1900_16025B4D7B-event-kbd"
    )
    assert "honeywell" in honeywell.reason.lower()
    assert tomllib.loads(honeywell.config())["devices"]["scanner"] == {
        "driver": "evdev-scanner",
        "path": honeywell.path,
    }
    assert all(dev.closed for dev in opened)  # discovery never keeps a device open


def test_a_node_that_cannot_be_opened_is_a_note_and_the_rest_are_listed(tmp_path):
    good = StandInDevice(
        "Datalogic Scanning QuickScan", Info(0x03, 0x05F9, 0x2214), {EV_KEY: KEYBOARD_KEYS}
    )
    input_dir, by_id, open_good, _ = make_tree(tmp_path, {"event1": good, "event0": good}, {})

    def open_device(path: str):
        if path.endswith("event0"):
            raise PermissionError(13, "Permission denied", path)
        return open_good(path)

    found, notes = find_input_devices_blocking(open_device, input_dir, by_id)

    assert [d.device for d in found] == [str(input_dir / "event1")]
    assert "event0 could not be opened" in notes[0].message
