"""Serial port discovery: a real pseudo-terminal plays the adapter; pyserial's port list (which
only globs /dev/ttyUSB*, ttyACM*, ttyS* and reads sysfs, neither of which a test can add to) is
injected as the ListPortInfo records it would return."""

from __future__ import annotations

import os
import tomllib

import pytest
import serial
from serial.tools.list_ports_common import ListPortInfo

from drivers.discovery.serial_ports import find_serial_ports_blocking


@pytest.fixture
def pty_port():
    master, slave = os.openpty()
    yield master, os.ttyname(slave)
    os.close(master)
    os.close(slave)


def usb_port(device: str, vid: int, pid: int, serial_number: str, product: str) -> ListPortInfo:
    info = ListPortInfo(device, skip_link_detection=True)
    info.vid, info.pid, info.serial_number, info.product = vid, pid, serial_number, product
    info.description = product
    return info


def test_the_config_names_the_by_id_link_and_it_opens_the_port(tmp_path, pty_port):
    master, device = pty_port
    by_id = tmp_path / "by-id"
    by_id.mkdir()
    link = by_id / "usb-FTDI_FT232R_USB_UART_A10K3ZQ1-if00-port0"
    link.symlink_to(device)
    info = usb_port(device, 0x0403, 0x6001, "A10K3ZQ1", "FT232R USB UART")

    found, notes = find_serial_ports_blocking(lambda: [info], by_id)

    assert notes == []
    [port] = found
    assert port.path == str(link)
    config = tomllib.loads(port.config())["devices"]["receipt"]
    assert config == {"driver": "escpos-serial", "port": str(link), "baudrate": 9600}
    # The printed config really reaches the device behind the port.
    with serial.Serial(config["port"], config["baudrate"], timeout=1, write_timeout=1) as conn:
        conn.write(b"\x1b@hello")
        conn.flush()
        assert os.read(master, 64) == b"\x1b@hello"


def test_a_scanner_makers_port_gets_serial_scanner_config(tmp_path, pty_port):
    _, device = pty_port
    info = usb_port(device, 0x0C2E, 0x0B61, "17310B0123", "Honeywell Scanning and Mobility")

    [port], _ = find_serial_ports_blocking(lambda: [info], tmp_path / "missing")

    assert port.path == device  # no by-id directory: the kernel name is all there is
    assert tomllib.loads(port.config())["devices"]["scanner"] == {
        "driver": "serial-scanner",
        "port": device,
    }


def test_a_failing_port_listing_is_a_note_not_a_crash(tmp_path):
    def broken():
        raise PermissionError(13, "Permission denied", "/sys/class/tty")

    found, notes = find_serial_ports_blocking(broken, tmp_path)

    assert found == []
    assert "could not be listed" in notes[0].message
