"""A pyusb backend with a fake USB receipt printer below it: usb.core and usb.util run unchanged.

The printer answers ``DLE EOT`` on its bulk IN endpoint through the same :class:`PrinterBrain`
as the pty and TCP peers, has the kernel's usblp driver bound until someone detaches it, and can
be held by another program (busy), unplugged, unplugged mid-job, or stop taking data.
"""

from __future__ import annotations

import array
import errno
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import usb.backend
import usb.core
from peers import PrinterBrain

GET_STATUS, GET_DESCRIPTOR, STRING_DESCRIPTOR = 0x00, 0x06, 3
NO_DEVICE, BUSY, TIMEOUT = -4, -6, -7


def no_device() -> usb.core.USBError:
    return usb.core.USBError(
        "No such device (it may have been disconnected)", NO_DEVICE, errno.ENODEV
    )


@dataclass
class FakeUsbPrinter:
    """The hardware. ``vendor_interface`` puts a non-printer interface first, as combo devices do."""

    vendor_id: int = 0x04B8
    product_id: int = 0x0202
    serial: str = "TM0001"
    bus: int = 1
    address: int = 5
    port_numbers: tuple[int, ...] = (1, 4)
    out_ep: int = 0x01
    in_ep: int | None = 0x82
    vendor_interface: bool = False
    kernel_driver: bool = True
    held_elsewhere: bool = False
    plugged: bool = True
    stalled: bool = False
    brain: PrinterBrain = field(default_factory=PrinterBrain)
    events: list[str] = field(default_factory=list)
    configuration: int = 0
    pending_in: bytearray = field(default_factory=bytearray)

    @property
    def printed(self) -> bytes:
        return bytes(self.brain.printed)

    @property
    def printer_interface(self) -> int:
        return 1 if self.vendor_interface else 0

    def endpoints(self) -> list[tuple[int, int]]:
        """(address, wMaxPacketSize) of the printer interface's bulk endpoints."""
        eps = [(self.out_ep, 64)]
        if self.in_ep is not None:
            eps.append((self.in_ep, 64))
        return eps


class FakeUsbBackend(usb.backend.IBackend):
    """Serves :class:`FakeUsbPrinter` devices to pyusb as libusb would."""

    def __init__(self, *printers: FakeUsbPrinter) -> None:
        super().__init__()
        self.printers = list(printers)
        self.open_handles = 0

    def enumerate_devices(self):
        yield from (p for p in self.printers if p.plugged)

    def get_device_descriptor(self, dev: FakeUsbPrinter):
        return SimpleNamespace(
            bLength=18, bDescriptorType=1, bcdUSB=0x0200, bDeviceClass=0, bDeviceSubClass=0,
            bDeviceProtocol=0, bMaxPacketSize0=64, idVendor=dev.vendor_id,
            idProduct=dev.product_id, bcdDevice=0x0100, iManufacturer=0, iProduct=0,
            iSerialNumber=1, bNumConfigurations=1, address=dev.address, bus=dev.bus,
            port_number=dev.port_numbers[-1], port_numbers=dev.port_numbers, speed=3,
        )  # fmt: skip

    def get_configuration_descriptor(self, dev: FakeUsbPrinter, config: int):
        if config != 0:
            raise IndexError(config)
        return SimpleNamespace(
            bLength=9, bDescriptorType=2, wTotalLength=32,
            bNumInterfaces=2 if dev.vendor_interface else 1, bConfigurationValue=1,
            iConfiguration=0, bmAttributes=0xC0, bMaxPower=50, extra_descriptors=[],
        )  # fmt: skip

    def get_interface_descriptor(self, dev: FakeUsbPrinter, intf: int, alt: int, config: int):
        count = 2 if dev.vendor_interface else 1
        if config != 0 or alt != 0 or intf >= count:
            raise IndexError((intf, alt, config))
        printer = intf == dev.printer_interface
        return SimpleNamespace(
            bLength=9, bDescriptorType=4, bInterfaceNumber=intf, bAlternateSetting=0,
            bNumEndpoints=len(dev.endpoints()) if printer else 0,
            bInterfaceClass=7 if printer else 0xFF, bInterfaceSubClass=1 if printer else 0,
            bInterfaceProtocol=2 if printer else 0, iInterface=0, extra_descriptors=[],
        )  # fmt: skip

    def get_endpoint_descriptor(self, dev: FakeUsbPrinter, ep: int, intf: int, alt: int, config):
        if intf != dev.printer_interface or ep >= len(dev.endpoints()):
            raise IndexError((ep, intf))
        address, size = dev.endpoints()[ep]
        return SimpleNamespace(
            bLength=7, bDescriptorType=5, bEndpointAddress=address, bmAttributes=0x02,
            wMaxPacketSize=size, bInterval=0, bRefresh=0, bSynchAddress=0, extra_descriptors=[],
        )  # fmt: skip

    def open_device(self, dev: FakeUsbPrinter):
        self._check(dev)
        self.open_handles += 1
        return dev

    def close_device(self, dev_handle: FakeUsbPrinter) -> None:
        self.open_handles -= 1

    def get_configuration(self, dev_handle: FakeUsbPrinter) -> int:
        self._check(dev_handle)
        return dev_handle.configuration

    def set_configuration(self, dev_handle: FakeUsbPrinter, config_value: int) -> None:
        self._check(dev_handle)
        dev_handle.configuration = config_value

    def is_kernel_driver_active(self, dev_handle: FakeUsbPrinter, intf: int) -> bool:
        self._check(dev_handle)
        return dev_handle.kernel_driver and intf == dev_handle.printer_interface

    def detach_kernel_driver(self, dev_handle: FakeUsbPrinter, intf: int) -> None:
        self._check(dev_handle)
        dev_handle.kernel_driver = False
        dev_handle.events.append(f"detach {intf}")

    def attach_kernel_driver(self, dev_handle: FakeUsbPrinter, intf: int) -> None:
        self._check(dev_handle)
        dev_handle.kernel_driver = True
        dev_handle.events.append(f"attach {intf}")

    def claim_interface(self, dev_handle: FakeUsbPrinter, intf: int) -> None:
        self._check(dev_handle)
        if dev_handle.held_elsewhere or dev_handle.kernel_driver:
            raise usb.core.USBError("Resource busy", BUSY, errno.EBUSY)
        dev_handle.events.append(f"claim {intf}")

    def release_interface(self, dev_handle: FakeUsbPrinter, intf: int) -> None:
        self._check(dev_handle)
        dev_handle.events.append(f"release {intf}")

    def bulk_write(self, dev_handle: FakeUsbPrinter, ep: int, intf: int, data, timeout: int):
        self._check(dev_handle)
        assert timeout > 0, "a bulk write without a timeout can hang forever"
        assert ep == dev_handle.out_ep
        if dev_handle.stalled:
            raise usb.core.USBTimeoutError("Operation timed out", TIMEOUT, errno.ETIMEDOUT)
        replies, vanish = dev_handle.brain.feed(bytes(data))
        if vanish:
            dev_handle.plugged = False
            raise no_device()
        for reply in replies:
            dev_handle.pending_in += reply
        return len(data)

    def bulk_read(self, dev_handle: FakeUsbPrinter, ep: int, intf: int, buff, timeout: int):
        self._check(dev_handle)
        assert timeout > 0, "a bulk read without a timeout can hang forever"
        assert ep == dev_handle.in_ep
        if not dev_handle.pending_in:
            raise usb.core.USBTimeoutError("Operation timed out", TIMEOUT, errno.ETIMEDOUT)
        n = min(len(buff), len(dev_handle.pending_in))
        buff[:n] = array.array("B", dev_handle.pending_in[:n])
        del dev_handle.pending_in[:n]
        return n

    def ctrl_transfer(self, dev_handle, bmRequestType, bRequest, wValue, wIndex, data, timeout):
        self._check(dev_handle)
        assert timeout > 0, "a control transfer without a timeout can hang forever"
        if bRequest == GET_STATUS:
            payload = b"\x00\x00"
        elif bRequest == GET_DESCRIPTOR and wValue >> 8 == STRING_DESCRIPTOR:
            index = wValue & 0xFF
            text = b"\x09\x04" if index == 0 else dev_handle.serial.encode("utf-16-le")
            payload = bytes([2 + len(text), STRING_DESCRIPTOR]) + text
        else:
            raise usb.core.USBError("Pipe error", -9, errno.EPIPE)
        payload = payload[: len(data)]
        data[: len(payload)] = array.array("B", payload)
        return len(payload)

    def _check(self, dev: Any) -> None:
        if not dev.plugged:
            raise no_device()
