"""The evdev scanner driver over pipe-backed stand-ins for evdev.InputDevice.

The stand-in replaces only python-evdev's device object (events are real ``struct input_event``
bytes read from a pipe and parsed into ``evdev.InputEvent``); finding, classifying, grabbing,
reading on the loop, decoding and unplug handling are the driver's own code. The same paths
against the real python-evdev run under umockdev in test_evdev_scanner_umockdev.py.
"""

from __future__ import annotations

import msgspec
import pytest
from evdev import ecodes
from scanner_testkit import Collector, PipeInputDevice, key_events

from drivers.base import DeviceConfigError, DeviceLost, DeviceNotReady, ScanDiscarded, ScanRead
from drivers.scanner.evdev_scanner import EvdevScanner

GS = "\x1d"


class FakeBus(EvdevScanner):
    """The driver with the input directory replaced by a dict of fake nodes."""

    nodes: dict[str, PipeInputDevice]

    def _list_nodes_blocking(self) -> list[str]:
        return sorted(self.nodes)

    def _open_node_blocking(self, node: str) -> PipeInputDevice:
        if node not in self.nodes:
            raise DeviceNotReady("gone", code="scanner.not_found")
        return self.nodes[node]


def make(nodes: dict[str, PipeInputDevice], **options) -> tuple[FakeBus, Collector]:
    events = Collector()
    scanner = FakeBus("scanner-1", EvdevScanner.Options(**options), events)
    scanner.nodes = nodes
    return scanner, events


def honeywell() -> PipeInputDevice:
    return PipeInputDevice("Honeywell Imaging & Mobility 1900", 0x0C2E, 0x0B61, serial="18012B")


def keyboard() -> PipeInputDevice:
    return PipeInputDevice("Logitech USB Keyboard", 0x046D, 0xC31C)


async def test_scans_reach_emit_and_the_keyboard_is_left_alone():
    kbd, scan = keyboard(), honeywell()
    scanner, events = make({"/dev/input/event3": kbd, "/dev/input/event7": scan}, vendor_id="0c2e")
    await scanner.open()
    try:
        assert scan.grabbed and not kbd.grabbed
        scan.send(key_events(f"]d20104600439931256215Hd5){GS}93dGVz"))
        scan.send(key_events("]E04607001234567"))
        got = await events.wait_for(2)
        assert got == [
            ScanRead(f"0104600439931256215Hd5){GS}93dGVz", "GS1_DATAMATRIX"),
            ScanRead("4607001234567", "EAN13"),
        ]
        status = scanner.status()
        assert status["node"] == "/dev/input/event7" and status["vendor_id"] == "0c2e"
        assert status["looks_like"] == "scanner" and status["scans"] == 2
    finally:
        await scanner.close()
    assert not scan.grabbed and scan.closed


async def test_a_keyboard_named_in_config_is_refused_unless_confirmed():
    kbd = keyboard()
    scanner, _ = make({"/dev/input/event3": kbd}, name="Logitech USB Keyboard")
    with pytest.raises(DeviceConfigError) as caught:
        await scanner.open()
    assert caught.value.code == "scanner.looks_like_keyboard"
    assert "allow_keyboard_like" in str(caught.value)
    assert not kbd.grabbed

    generic = PipeInputDevice("USB Keyboard", 0x0483, 0x5750)
    scanner, events = make(
        {"/dev/input/event4": generic}, vendor_id="0483", allow_keyboard_like=True
    )
    await scanner.open()
    try:
        assert generic.grabbed
        generic.send(key_events("12345"))
        assert await events.wait_for(1) == [ScanRead("12345")]
    finally:
        await scanner.close()


async def test_unplug_emits_device_lost_and_reopen_finds_it_on_another_node():
    first = honeywell()
    nodes = {"/dev/input/event7": first}
    scanner, events = make(nodes, vendor_id="0c2e", product_id="0b61", serial="18012B")
    await scanner.open()
    first.send(key_events("400", enter=None))
    first.unplug()
    got = await events.wait_for(2)
    assert got[0] == ScanDiscarded("device_lost", got[0].detail) and got[0].detail["chars"] == 3
    assert isinstance(got[1], DeviceLost) and got[1].error.code == "scanner.unplugged"
    assert scanner.status()["state"] == "lost"
    await scanner.close()

    del nodes["/dev/input/event7"]
    with pytest.raises(DeviceNotReady) as caught:
        await scanner.open()  # the manager retries with backoff while it is away
    assert caught.value.code == "scanner.not_found"

    again = honeywell()  # plugged into another USB port: another event number
    nodes["/dev/input/event12"] = again
    await scanner.open()
    try:
        again.send(key_events("4006381333931"))
        got = await events.wait_for(3)
        assert got[2] == ScanRead("4006381333931")
        assert scanner.status()["node"] == "/dev/input/event12"
    finally:
        await scanner.close()


async def test_two_matching_scanners_need_a_serial_to_tell_them_apart():
    a, b = (
        honeywell(),
        PipeInputDevice("Honeywell Imaging & Mobility 1900", 0x0C2E, 0x0B61, serial="99"),
    )
    scanner, _ = make({"/dev/input/event7": a, "/dev/input/event8": b}, vendor_id="0c2e")
    with pytest.raises(DeviceConfigError) as caught:
        await scanner.open()
    assert caught.value.code == "scanner.ambiguous"
    assert not a.grabbed and not b.grabbed
    assert a.closed and b.closed

    b = PipeInputDevice("Honeywell Imaging & Mobility 1900", 0x0C2E, 0x0B61, serial="99")
    scanner, _ = make({"/dev/input/event7": honeywell(), "/dev/input/event8": b}, serial="99")
    await scanner.open()
    try:
        assert b.grabbed and scanner.status()["node"] == "/dev/input/event8"
    finally:
        await scanner.close()


async def test_a_scanners_consumer_control_node_is_not_taken_for_the_scanner():
    consumer = PipeInputDevice("Honeywell 1900 Consumer Control", 0x0C2E, 0x0B61, keys=[113, 114])
    kbd_node = honeywell()
    scanner, _ = make(
        {"/dev/input/event6": consumer, "/dev/input/event7": kbd_node}, vendor_id="0c2e"
    )
    await scanner.open()
    try:
        assert kbd_node.grabbed and not consumer.grabbed
    finally:
        await scanner.close()


async def test_dropped_events_discard_the_scan_in_progress():
    dev = honeywell()
    scanner, events = make({"/dev/input/event7": dev}, vendor_id="0c2e")
    await scanner.open()
    try:
        whole = key_events("4607001234567")
        dev.send([*whole[:20], (ecodes.EV_SYN, ecodes.SYN_DROPPED, 0), *whole[30:]])
        dev.send(key_events("123"))
        got = await events.wait_for(2)
        assert got[0].reason == "events_dropped" and got[1] == ScanRead("123")
    finally:
        await scanner.close()


async def test_czech_layout_from_config():
    dev = honeywell()
    scanner, events = make({"/dev/input/event7": dev}, vendor_id="0c2e", layout="cz")
    await scanner.open()
    try:
        dev.send(key_events("8594000123456", "cz"))
        assert await events.wait_for(1) == [ScanRead("8594000123456")]
    finally:
        await scanner.close()


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"path": "/dev/input/event7"},  # a bare node number changes between boots
        {"vendor_id": "xyz"},
        {"vendor_id": "0c2e", "layout": "fr"},
    ],
)
def test_options_refused_at_load(options):
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert(options, EvdevScanner.Options)


async def test_missing_by_id_link_is_not_ready(tmp_path):
    scanner = EvdevScanner(
        "s", EvdevScanner.Options(path="/dev/input/by-id/usb-nothing-event-kbd"), Collector()
    )
    with pytest.raises(DeviceNotReady) as caught:
        await scanner.open()
    assert caught.value.code == "scanner.not_found"
    await scanner.close()
