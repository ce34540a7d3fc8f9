"""A pyusb backend with made-up devices, below pyusb: usb.core and usb.util run unchanged on it.

Each device has one configuration whose interfaces carry the given classes (7 = printer) and
string descriptors served through real GET_DESCRIPTOR control transfers. ``deny_open`` makes
open fail with EACCES, as libusb does without the udev rules.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass, field
from types import SimpleNamespace

import usb.backend
import usb.core

STRING_DESCRIPTOR = 3
GET_DESCRIPTOR = 0x06
EN_US = 0x0409


@dataclass
class FakeUsbDevice:
    vendor_id: int
    product_id: int
    interface_classes: tuple[int, ...] = (7,)
    manufacturer: str | None = None
    product: str | None = None
    serial: str | None = None
    bus: int = 1
    address: int = 2
    deny_open: bool = False
    strings: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.strings = [s for s in (self.manufacturer, self.product, self.serial) if s]

    def string_index(self, value: str | None) -> int:
        return self.strings.index(value) + 1 if value else 0


class FakeBackend(usb.backend.IBackend):
    def __init__(self, devices: list[FakeUsbDevice]) -> None:
        self.devices = devices
        self.open_handles = 0

    def enumerate_devices(self):
        yield from self.devices

    def get_device_descriptor(self, dev: FakeUsbDevice):
        return SimpleNamespace(
            bLength=18, bDescriptorType=1, bcdUSB=0x0200, bDeviceClass=0,
            bDeviceSubClass=0, bDeviceProtocol=0, bMaxPacketSize0=64,
            idVendor=dev.vendor_id, idProduct=dev.product_id, bcdDevice=0x0100,
            iManufacturer=dev.string_index(dev.manufacturer),
            iProduct=dev.string_index(dev.product),
            iSerialNumber=dev.string_index(dev.serial),
            bNumConfigurations=1, address=dev.address, bus=dev.bus,
            port_number=1, port_numbers=(1,), speed=3,
        )  # fmt: skip

    def get_configuration_descriptor(self, dev: FakeUsbDevice, config: int):
        if config != 0:
            raise IndexError(config)
        return SimpleNamespace(
            bLength=9, bDescriptorType=2, wTotalLength=32,
            bNumInterfaces=len(dev.interface_classes), bConfigurationValue=1,
            iConfiguration=0, bmAttributes=0xC0, bMaxPower=50, extra_descriptors=[],
        )  # fmt: skip

    def get_interface_descriptor(self, dev: FakeUsbDevice, intf: int, alt: int, config: int):
        if config != 0 or alt != 0 or intf >= len(dev.interface_classes):
            raise IndexError((intf, alt, config))
        cls = dev.interface_classes[intf]
        return SimpleNamespace(
            bLength=9, bDescriptorType=4, bInterfaceNumber=intf, bAlternateSetting=0,
            bNumEndpoints=0, bInterfaceClass=cls, bInterfaceSubClass=1 if cls == 7 else 0,
            bInterfaceProtocol=2 if cls == 7 else 0, iInterface=0, extra_descriptors=[],
        )  # fmt: skip

    def open_device(self, dev: FakeUsbDevice):
        if dev.deny_open:
            raise usb.core.USBError("Access denied (insufficient permissions)", errno=errno.EACCES)
        self.open_handles += 1
        return dev

    def close_device(self, dev_handle: FakeUsbDevice) -> None:
        self.open_handles -= 1

    def ctrl_transfer(self, dev_handle, bmRequestType, bRequest, wValue, wIndex, data, timeout):
        if bRequest != GET_DESCRIPTOR or wValue >> 8 != STRING_DESCRIPTOR:
            raise usb.core.USBError("Pipe error", errno=errno.EPIPE)
        index = wValue & 0xFF
        if index == 0:
            payload = EN_US.to_bytes(2, "little")
        else:
            payload = dev_handle.strings[index - 1].encode("utf-16-le")
        raw = bytes([2 + len(payload), STRING_DESCRIPTOR]) + payload
        raw = raw[: len(data)]
        for i, byte in enumerate(raw):
            data[i] = byte
        return len(raw)
