"""An ESC/POS printer on USB, through pyusb (libusb), with the kernel's usblp driver set aside.

python-escpos's ``Usb`` class does not fit here: it hard-codes endpoints 0x01/0x82, resets the
device on open, never re-attaches the kernel driver, and logs instead of raising. So this class
talks to pyusb itself: endpoints come from the printer-class interface's descriptors, and every
transfer carries an explicit timeout (pyusb's 0 means "wait forever").
"""

from __future__ import annotations

import errno
import os
import time
from typing import Annotated, Any, ClassVar

from msgspec import Meta
from msgspec.structs import force_setattr

from drivers.base import DeviceConfigError, DeviceNotReady, DriverOptions
from drivers.printer.escpos_transport import EscposPrinterOptions, EscposTransportPrinter, LinkError

PRINTER_CLASS = 7
CHUNK = 4096
_NO_DEVICE = (errno.ENODEV, errno.ENOENT, errno.EIO, errno.EPIPE, errno.ESHUTDOWN)
_BUSY, _ACCESS, _LIBUSB_NO_DEVICE = -6, -3, -4


#: A USB id as the config writes it: 0x04b8 (a TOML integer), "0x04b8" or "04b8" (ids are written in
#: hex everywhere). Text is turned into the number when the options are built.
UsbId = Annotated[int, Meta(ge=0, le=0xFFFF)] | str


def _usb_id(name: str, value: int | str) -> int:
    if not isinstance(value, str):
        number = value
    else:
        try:
            number = int(value.removeprefix("0x").removeprefix("0X"), 16)
        except ValueError:
            raise ValueError(f"{name}: expected hex digits such as '04b8'") from None
    if not 0 <= number <= 0xFFFF:
        raise ValueError(f"{name}: a USB id is 0..0xffff, got {value!r}")
    return number


class UsbPrinterOptions(EscposPrinterOptions, kw_only=True):
    vendor_id: Annotated[
        UsbId, Meta(description="USB vendor id, e.g. 0x04b8 (Epson); see `lsusb`.")
    ]
    product_id: Annotated[UsbId, Meta(description="USB product id, e.g. 0x0202; see `lsusb`.")]
    serial_number: Annotated[
        str | None, Meta(description="USB serial number, to tell two printers of one model apart.")
    ] = None
    bus_port: Annotated[
        str | None,
        Meta(
            description='Physical port as "bus-port.port", e.g. "1-1.4" (see /sys/bus/usb/devices).'
        ),
    ] = None
    setup_timeout_s: Annotated[
        float, Meta(gt=0, description="Timeout of each control request while opening.")
    ] = 1.0

    def __post_init__(self) -> None:
        for name in ("vendor_id", "product_id"):
            force_setattr(self, name, _usb_id(name, getattr(self, name)))


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))  # 0 would mean "no timeout" to libusb


def _is_gone(e: Exception) -> bool:
    return getattr(e, "backend_error_code", None) == _LIBUSB_NO_DEVICE or (
        getattr(e, "errno", None) in _NO_DEVICE
    )


def _usb_holders_blocking(bus: int | None, address: int | None) -> list[str]:
    """Programs holding /dev/bus/usb/BBB/DDD open, as "name (pid N)", from /proc."""
    if bus is None or address is None:
        return []
    node = f"/dev/bus/usb/{bus:03d}/{address:03d}"
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        if int(pid) == os.getpid():
            continue
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
            if any(os.readlink(f"/proc/{pid}/fd/{fd}") == node for fd in fds):
                with open(f"/proc/{pid}/comm") as f:
                    found.append(f"{f.read().strip()} (pid {pid})")
        except OSError:
            continue
    return found


class UsbPrinter(EscposTransportPrinter):
    """A receipt printer on USB; ``usb_backend`` lets tests put a fake pyusb backend below."""

    Options: ClassVar[type[DriverOptions]] = UsbPrinterOptions
    options: UsbPrinterOptions
    transport: ClassVar[str] = "usb"
    write_is_delivery: ClassVar[bool] = True  # a completed bulk transfer was ACKed by the printer

    def __init__(self, *args: Any, usb_backend: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._backend = usb_backend
        self._dev: Any = None
        self._intf = 0
        self._ep_out = 0
        self._ep_in: int | None = None
        self._in_size = 64
        self._detached = False

    def _describe(self) -> dict[str, Any]:
        o = self.options
        return {"usb_id": f"{o.vendor_id:04x}:{o.product_id:04x}"}

    async def _connect(self) -> None:
        await self._run(self._open_blocking)
        self._status_supported = self._ep_in is not None

    async def _disconnect(self) -> None:
        await self._run(self._close_blocking)

    async def _send(self, data: bytes, limit_s: float) -> None:
        await self._run(self._send_blocking, data, limit_s)

    async def _receive(self, limit_s: float) -> bytes:
        return await self._run(self._read_blocking, limit_s)

    async def _discard_input(self) -> None:
        await self._run(self._discard_blocking)

    # -- blocking helpers, on the worker thread only ------------------------------------------

    def _find_blocking(self) -> Any:
        import usb.core

        o = self.options
        name = f"{o.vendor_id:04x}:{o.product_id:04x}"
        try:
            devices = list(
                usb.core.find(
                    find_all=True,
                    backend=self._backend,
                    idVendor=o.vendor_id,
                    idProduct=o.product_id,
                )
            )
        except usb.core.NoBackendError as e:
            raise DeviceConfigError(
                f"USB printer {self.device_id}: libusb is missing: install libusb-1.0-0"
            ) from e
        if o.bus_port is not None:
            devices = [d for d in devices if self._bus_port(d) == o.bus_port]
        if o.serial_number is not None:
            devices = [d for d in devices if self._serial_blocking(d) == o.serial_number]
        if not devices:
            extra = "".join(
                f", {k} {v}"
                for k, v in (("serial", o.serial_number), ("port", o.bus_port))
                if v is not None
            )
            raise DeviceNotReady(
                f"USB printer {self.device_id} ({name}{extra}) not found: check that it is "
                "switched on and its cable is plugged in (see `lsusb`)"
            )
        if len(devices) > 1:
            raise DeviceConfigError(
                f"USB printer {self.device_id}: {len(devices)} printers match {name}; set "
                "serial_number or bus_port to say which one"
            )
        return devices[0]

    @staticmethod
    def _bus_port(dev: Any) -> str:
        ports = getattr(dev, "port_numbers", None) or ()
        return f"{dev.bus}-{'.'.join(map(str, ports))}"

    def _serial_blocking(self, dev: Any) -> str | None:
        import usb.core
        import usb.util

        dev.default_timeout = _ms(self.options.setup_timeout_s)
        try:
            return usb.util.get_string(dev, dev.iSerialNumber)
        except (usb.core.USBError, ValueError):
            return None
        finally:
            usb.util.dispose_resources(dev)

    def _open_blocking(self) -> None:
        import usb.core
        import usb.util

        dev = self._find_blocking()
        dev.default_timeout = _ms(self.options.setup_timeout_s)
        self._dev = dev
        try:
            try:
                cfg = dev.get_active_configuration()
            except usb.core.USBError as e:
                if _is_gone(e) or getattr(e, "backend_error_code", None) in (_BUSY, _ACCESS):
                    raise
                dev.set_configuration()
                cfg = dev.get_active_configuration()
            intf = usb.util.find_descriptor(cfg, bInterfaceClass=PRINTER_CLASS)
            if intf is None:
                raise DeviceConfigError(
                    f"USB device {self._describe()['usb_id']} has no printer interface: "
                    "check vendor_id and product_id"
                )
            self._intf = intf.bInterfaceNumber
            self._find_endpoints(intf)
            try:
                active = dev.is_kernel_driver_active(self._intf)
            except NotImplementedError:
                active = False
            if active:
                dev.detach_kernel_driver(self._intf)
                self._detached = True
            usb.util.claim_interface(dev, self._intf)
        except usb.core.USBError as e:
            error = self._open_error(e, dev)
            self._close_blocking()
            raise error from e
        except BaseException:
            self._close_blocking()
            raise

    def _find_endpoints(self, intf: Any) -> None:
        import usb.util

        def bulk(direction: int) -> Any:
            return usb.util.find_descriptor(
                intf,
                custom_match=lambda e: (
                    usb.util.endpoint_direction(e.bEndpointAddress) == direction
                    and usb.util.endpoint_type(e.bmAttributes) == usb.util.ENDPOINT_TYPE_BULK
                ),
            )

        out, inp = bulk(usb.util.ENDPOINT_OUT), bulk(usb.util.ENDPOINT_IN)
        if out is None:
            raise DeviceConfigError(f"USB printer {self.device_id}: no bulk OUT endpoint")
        self._ep_out = out.bEndpointAddress
        self._ep_in = None if inp is None else inp.bEndpointAddress  # unidirectional: no status
        self._in_size = 64 if inp is None else inp.wMaxPacketSize

    def _open_error(self, e: Exception, dev: Any) -> DeviceNotReady:
        code = getattr(e, "backend_error_code", None)
        number = getattr(e, "errno", None)
        if code == _BUSY or number == errno.EBUSY:
            holders = _usb_holders_blocking(dev.bus, dev.address)
            who = (
                ", ".join(holders)
                if holders
                else "another program (CUPS, ippusbxd, a second tillbridge) or a kernel driver"
            )
            return DeviceNotReady(
                f"USB printer {self.device_id} is busy: held by {who}. Stop it or remove that "
                "printer from CUPS; the printer is reopened by itself",
                code="printer.busy",
            )
        if code == _ACCESS or number == errno.EACCES:
            return DeviceNotReady(
                f"USB printer {self.device_id}: no permission to use {self._describe()['usb_id']}:"
                " install the tillbridge udev rule and replug the printer",
                code="printer.access_denied",
            )
        if _is_gone(e):
            return DeviceNotReady(f"USB printer {self.device_id} was unplugged while opening")
        return DeviceNotReady(f"USB printer {self.device_id}: cannot open: {e}")

    def _send_blocking(self, data: bytes, timeout: float) -> None:
        import usb.core

        deadline = time.monotonic() + timeout
        sent = 0
        while sent < len(data):
            left = deadline - time.monotonic()
            try:
                if left <= 0:
                    raise usb.core.USBTimeoutError("Operation timed out")
                sent += self._dev.write(self._ep_out, data[sent : sent + CHUNK], _ms(left))
            except usb.core.USBTimeoutError as e:
                # libusb may have moved part of the failed transfer: count it as maybe sent.
                raise LinkError(
                    f"the printer took no data for {timeout:.1f} s",
                    gone=False,
                    sent=sent,
                    partial=True,
                ) from e
            except usb.core.USBError as e:
                raise LinkError(str(e), gone=True, sent=sent, partial=True) from e

    def _read_blocking(self, timeout: float) -> bytes:
        import usb.core

        if self._ep_in is None:
            return b""
        try:
            return bytes(self._dev.read(self._ep_in, self._in_size, _ms(timeout)))
        except usb.core.USBTimeoutError:
            return b""
        except usb.core.USBError as e:
            raise LinkError(str(e), gone=True) from e

    def _discard_blocking(self) -> None:
        """Drop stale input; with no IN endpoint, a GET_STATUS request proves the device is there."""
        import usb.control
        import usb.core

        if self._ep_in is not None:
            while self._read_blocking(0):
                pass
            return
        try:
            usb.control.get_status(self._dev)
        except usb.core.USBError as e:
            if _is_gone(e):
                raise LinkError(str(e), gone=True) from e

    def _close_blocking(self) -> None:
        import usb.core
        import usb.util

        dev, self._dev = self._dev, None
        if dev is None:
            return
        try:
            usb.util.release_interface(dev, self._intf)
        except usb.core.USBError:
            pass
        if self._detached:
            self._detached = False
            try:
                dev.attach_kernel_driver(self._intf)  # give /dev/usb/lp* back to the system
            except (usb.core.USBError, NotImplementedError):
                pass
        try:
            usb.util.dispose_resources(dev)
        except usb.core.USBError:
            pass
