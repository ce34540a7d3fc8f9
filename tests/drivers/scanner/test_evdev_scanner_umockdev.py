"""The evdev scanner with the real python-evdev, on input devices simulated by umockdev.

Each test runs evdev_probe.py under ``umockdev-run``, which routes /dev/input, the device's
ioctls and a recorded event stream into a sandbox, and reads back what the driver emitted.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from evdev import ecodes
from scanner_testkit import evemu_events, key_events, umockdev_input_device

pytestmark = pytest.mark.skipif(
    shutil.which("umockdev-run") is None,
    reason="umockdev-run is not installed (Debian package umockdev): evdev is not simulated",
)

PROBE = Path(__file__).with_name("evdev_probe.py")
REPO = Path(__file__).resolve().parents[3]
GS = "\x1d"
SCANNER_LINK = "usb-Honeywell_Imaging___Mobility_1900_18012B-event-kbd"
KEYBOARD_LINK = "usb-Logitech_USB_Keyboard-event-kbd"


def till(tmp_path: Path, scanner_stream: list[tuple[int, int, int]]) -> list[str]:
    """umockdev-run arguments for a till with a keyboard (event3) and a Honeywell (event7)."""
    kbd = umockdev_input_device(
        tmp_path, 3, "Logitech USB Keyboard", 0x046D, 0xC31C, "", KEYBOARD_LINK
    )
    scn = umockdev_input_device(
        tmp_path, 7, "Honeywell Imaging & Mobility 1900", 0x0C2E, 0x0B61, "18012B", SCANNER_LINK
    )
    events = tmp_path / "scanner.evemu"
    events.write_text(evemu_events(scanner_stream))
    args: list[str] = []
    for node, description, ioctl in (kbd, scn):
        args += ["-d", description, "-i", f"{node}={ioctl}"]
    return [*args, "-e", f"{scn[0]}={events}"]


async def probe(umockdev_args: list[str], options: dict, expected: int) -> dict:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = await asyncio.create_subprocess_exec(
        "umockdev-run",
        *umockdev_args,
        "--",
        sys.executable,
        str(PROBE),
        json.dumps(options),
        str(expected),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()
    return json.loads(out.decode().strip().splitlines()[-1])


async def test_scans_through_a_by_id_link(tmp_path):
    stream = key_events(f"]d20104600439931256215Hd5){GS}93dGVz") + key_events("]E04607001234567")
    result = await probe(till(tmp_path, stream), {"path": f"/dev/input/by-id/{SCANNER_LINK}"}, 2)
    assert result["node"] == "/dev/input/event7"
    assert result["events"] == [
        {"scan": f"0104600439931256215Hd5){GS}93dGVz", "symbology": "GS1_DATAMATRIX"},
        {"scan": "4607001234567", "symbology": "EAN13"},
    ]


async def test_found_by_vendor_among_devices_with_a_keyboard_present(tmp_path):
    stream = key_events("8594000123456", "cz", enter=ecodes.KEY_KPENTER)
    result = await probe(till(tmp_path, stream), {"vendor_id": "0c2e", "layout": "cz"}, 1)
    assert result["name"] == "Honeywell Imaging & Mobility 1900"
    assert result["events"] == [{"scan": "8594000123456", "symbology": None}]


async def test_syn_dropped_from_the_kernel(tmp_path):
    whole = key_events("4607001234567")
    stream = [*whole[:16], (ecodes.EV_SYN, ecodes.SYN_DROPPED, 0), *whole[24:], *key_events("42")]
    result = await probe(till(tmp_path, stream), {"vendor_id": "0c2e"}, 2)
    assert result["events"] == [{"discarded": "events_dropped"}, {"scan": "42", "symbology": None}]


async def test_the_keyboard_is_never_grabbed_even_when_named(tmp_path):
    args = till(tmp_path, key_events("1"))
    result = await probe(args, {"path": f"/dev/input/by-id/{KEYBOARD_LINK}"}, 1)
    assert result["error"] == "scanner.looks_like_keyboard"
    result = await probe(args, {"vendor_id": "046d"}, 1)
    assert result["error"] == "scanner.looks_like_keyboard"
