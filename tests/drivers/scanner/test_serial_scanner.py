"""A serial scanner on a pseudo-terminal: the test plays the scanner on the master side."""

from __future__ import annotations

import asyncio
import os

import msgspec
import pytest
from scanner_testkit import Collector

from drivers.base import DeviceLost, DeviceNotReady, ScanDiscarded, ScanRead
from drivers.registry import DriverRegistry
from drivers.scanner.serial_scanner import SerialScanner

GS = "\x1d"


@pytest.fixture
async def pty():
    master, slave = os.openpty()
    path = os.ttyname(slave)
    os.close(slave)  # the scanner opens the slave by path, as it would /dev/ttyACM0
    yield master, path
    try:
        os.close(master)
    except OSError:
        pass


async def open_scanner(path: str, **options) -> tuple[SerialScanner, Collector]:
    events = Collector()
    cls = DriverRegistry.default().resolve("serial-scanner")
    scanner = cls("till-scanner", cls.Options(port=path, **options), events)
    await scanner.open()
    return scanner, events


async def test_codes_in_one_burst_and_split_reads(pty):
    master, path = pty
    scanner, events = await open_scanner(path)
    try:
        os.write(master, b"4607001234567\r4006381333931\r]E096")
        await events.wait_for(2)
        os.write(master, b"00123456\r")
        got = await events.wait_for(3)
        assert got == [
            ScanRead("4607001234567"),
            ScanRead("4006381333931"),
            ScanRead("9600123456", "EAN13"),
        ]
        assert scanner.status()["scans"] == 3
    finally:
        await scanner.close()


async def test_gs1_code_with_group_separator_and_crlf(pty):
    master, path = pty
    scanner, events = await open_scanner(path, terminator="CRLF")
    try:
        os.write(master, f"]d20104600439931256215Hd5){GS}93dGVz\r\n".encode())
        (scan,) = await events.wait_for(1)
        assert scan == ScanRead(f"0104600439931256215Hd5){GS}93dGVz", "GS1_DATAMATRIX")
    finally:
        await scanner.close()


async def test_prefix_suffix_and_custom_terminator(pty):
    master, path = pty
    scanner, events = await open_scanner(path, prefix="\x02", suffix="#", terminator="\x03")
    try:
        os.write(master, b"\x02ABC-1#\x03NOPREFIX#\x03\x02NOSUFFIX\x03")
        got = await events.wait_for(3)
        assert got[0] == ScanRead("ABC-1")
        assert [e.reason for e in got[1:]] == ["missing_prefix", "missing_suffix"]
    finally:
        await scanner.close()


async def test_garbage_is_discarded_and_reported_and_good_codes_still_pass(pty):
    master, path = pty
    scanner, events = await open_scanner(path, terminator="CR_OR_LF")
    try:
        os.write(master, b"\xff\xfe\x80\r12\x00\x0734\n5901234123457\r\n")
        got = await events.wait_for(3)
        assert [type(e) for e in got] == [ScanDiscarded, ScanDiscarded, ScanRead]
        assert [e.reason for e in got[:2]] == ["bad_encoding", "garbage"]
        assert got[2] == ScanRead("5901234123457")
        assert scanner.status()["discarded"] == 2
    finally:
        await scanner.close()


async def test_cyrillic_in_a_declared_encoding(pty):
    master, path = pty
    scanner, events = await open_scanner(path, encoding="cp1251")
    try:
        os.write(master, "Честный знак\r".encode("cp1251"))
        assert await events.wait_for(1) == [ScanRead("Честный знак")]
    finally:
        await scanner.close()


async def test_unterminated_partial_is_discarded_after_the_timeout(pty):
    master, path = pty
    scanner, events = await open_scanner(path, stale_after_ms=50)
    try:
        os.write(master, b"46070012")
        (gone,) = await events.wait_for(1)
        assert gone.reason == "timeout"
        os.write(master, b"123\r")
        assert (await events.wait_for(2))[1] == ScanRead("123")
    finally:
        await scanner.close()


async def test_without_terminator_a_pause_ends_each_code(pty):
    master, path = pty
    scanner, events = await open_scanner(path, terminator="NONE", end_gap_ms=20)
    try:
        os.write(master, b"ABC")
        await asyncio.sleep(0.01)
        os.write(master, b"123")
        assert await events.wait_for(1) == [ScanRead("ABC123")]
    finally:
        await scanner.close()


async def test_unplug_is_reported_as_device_lost_with_the_partial_scan(pty):
    master, path = pty
    scanner, events = await open_scanner(path)
    try:
        os.write(master, b"123\r45")
        await events.wait_for(1)
        await asyncio.sleep(0.05)  # let "45" arrive before the line goes
        os.close(master)  # the scanner is unplugged: EIO on the slave
        got = await events.wait_for(3)
        assert got[0] == ScanRead("123")
        assert got[1] == ScanDiscarded("device_lost", {"length": 2})
        assert isinstance(got[2], DeviceLost) and got[2].error.code == "scanner.unplugged"
        assert scanner.status()["state"] == "lost"
    finally:
        await scanner.close()
    assert scanner.status()["state"] == "lost"


async def test_reopen_after_replug(pty):
    master, path = pty
    scanner, events = await open_scanner(path)
    await scanner.close()
    await scanner.open()  # the manager re-opens the same port
    try:
        os.write(master, b"777\r")
        assert await events.wait_for(1) == [ScanRead("777")]
    finally:
        await scanner.close()


async def test_missing_port_is_not_ready_with_a_stable_code(tmp_path):
    events = Collector()
    scanner = SerialScanner("s1", SerialScanner.Options(port=str(tmp_path / "ttyACM9")), events)
    with pytest.raises(DeviceNotReady) as caught:
        await scanner.open()
    assert caught.value.code == "scanner.not_found"
    assert scanner.status()["last_error"]["code"] == "scanner.not_found"
    await scanner.close()


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"port": "/dev/ttyS0", "encoding": "no-such-codec"},
        {"port": "/dev/ttyS0", "terminator": ""},
    ],
)
def test_bad_options_are_refused_at_load(options):
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert(options, SerialScanner.Options)
