"""The print queue through the HTTP API, against a USB printer on a fake pyusb backend."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bridge.config.loader import parse_config
from bridge.daemon import start_daemon
from drivers.base import Device
from drivers.printer.usb_printer import UsbPrinter
from drivers.registry import DRIVER_PATHS, DriverRegistry
from tests.bridge.printing.helpers import printed_text, receipt, submit, wait_state
from tests.conftest import FAST_BACKOFF, Api, assert_no_lingering_tasks

# fake_usb imports its sibling as the top-level module ``peers``
sys.path.insert(0, str(Path(__file__).parents[2] / "drivers" / "printer"))
from fake_usb import FakeUsbBackend, FakeUsbPrinter, usb

CONFIG = """
[server]
port = 0

[devices.receipt]
driver = "escpos-usb"
vendor_id = "0x04b8"
product_id = "0x0202"
status_timeout_s = 0.05
status_poll_s = 0.05
write_timeout_s = 0.2
"""


class JobStallingBackend(FakeUsbBackend):
    """A printer that answers status queries but stops taking print data when told to."""

    stall_jobs = False

    def bulk_write(self, dev_handle: FakeUsbPrinter, ep: int, intf: int, data: Any, timeout: int):
        if self.stall_jobs and len(data) > 3:  # a DLE EOT query is 3 bytes; a job is more
            raise usb.core.USBTimeoutError("Operation timed out", -7, 110)
        return super().bulk_write(dev_handle, ep, intf, data, timeout)


@dataclass(frozen=True)
class FakeUsbRegistry(DriverRegistry):
    """The real registry, with the USB printer built on a fake pyusb backend."""

    backend: Any = None

    def resolve(self, name: str) -> type[Device]:
        if name != "escpos-usb":
            return super().resolve(name)
        backend = self.backend

        class UsbOnFakeBackend(UsbPrinter):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, usb_backend=backend, **kwargs)

        return UsbOnFakeBackend


@pytest.fixture
def hw() -> FakeUsbPrinter:
    return FakeUsbPrinter()


@pytest.fixture
def backend(hw: FakeUsbPrinter) -> JobStallingBackend:
    return JobStallingBackend(hw)


@pytest.fixture
async def usb_api(backend: JobStallingBackend, tmp_path: Path) -> AsyncIterator[Api]:
    registry = FakeUsbRegistry(dict(DRIVER_PATHS), backend)
    daemon = await start_daemon(
        parse_config(CONFIG, "<test>", registry),
        tmp_path / "state",
        registry=registry,
        backoff=FAST_BACKOFF,
    )
    try:
        assert daemon.login_url is not None
        token = daemon.login_url.split("#token=", 1)[1]
        async with aiohttp.ClientSession() as session:
            yield Api(daemon, session, token, token)
    finally:
        await daemon.stop()
        await assert_no_lingering_tasks()


async def test_usb_printer_prints_and_waits_out_a_paper_change(
    usb_api: Api, hw: FakeUsbPrinter
) -> None:
    _, first = await submit(usb_api, "receipt", receipt("Grüße über USB"), "u-1")
    await wait_state(usb_api, first["job"]["id"], "done")
    assert "Grüße über USB" in printed_text(hw.printed)

    hw.brain.set_condition(paper_out=True)
    _, second = await submit(usb_api, "receipt", receipt("after paper"), "u-2")
    assert (await wait_state(usb_api, second["job"]["id"], "waiting"))["reason"] == "paper_out"
    hw.brain.recover()
    await wait_state(usb_api, second["job"]["id"], "done")
    assert printed_text(hw.printed).count("after paper") == 1


async def test_usb_write_timeout_is_uncertain_not_retried(
    usb_api: Api, hw: FakeUsbPrinter, backend: JobStallingBackend
) -> None:
    backend.stall_jobs = True
    _, job = await submit(usb_api, "receipt", receipt("stuck"), "u-3")
    failed = await wait_state(usb_api, job["job"]["id"], "failed")
    assert failed["reason"] == "uncertain" and failed["attempts"] == 1
    backend.stall_jobs = False
    _, after = await submit(usb_api, "receipt", receipt("next one"), "u-4")
    await wait_state(usb_api, after["job"]["id"], "done", limit_s=10)
    assert "stuck" not in printed_text(hw.printed)
