"""A serial or USB-CDC scanner: codes arrive as bytes on a tty, framed by config.

pyserial opens and configures the port on the device's own thread; reads happen on the loop
with ``loop.add_reader`` and plain non-blocking ``os.read``, so end of file and ``EIO`` (the
scanner unplugged) are seen directly and reported as DeviceLost. Nothing here waits on whoever
consumes the scans: they leave through the sync ``emit`` callback.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
from typing import Annotated, Any, Literal

from msgspec import Meta
from msgspec.structs import force_setattr

from drivers.base import (
    DeviceConfigError,
    DeviceLost,
    DeviceNotReady,
    DriverOptions,
    Emit,
    Scanner,
)
from drivers.scanner.aim import AimMode
from drivers.scanner.input_identity import parse_usb_id
from drivers.scanner.outlet import ScanOutlet
from drivers.scanner.serial_framing import NAMED_TERMINATORS, FramingSettings, SerialFramer
from drivers.scanner.worker import BlockingWorker

log = logging.getLogger(__name__)

_OPEN_TIMEOUT = 5.0
_CLOSE_TIMEOUT = 2.0
_READ_SIZE = 4096
_GONE = (errno.EIO, errno.ENODEV, errno.ENXIO, errno.EBADF)


class SerialScannerOptions(DriverOptions):
    port: Annotated[
        str | None,
        Meta(
            description="Serial device, preferably a stable /dev/serial/by-id/ link "
            "(ttyACM/ttyUSB numbers change when devices are replugged)."
        ),
    ] = None
    vendor_id: Annotated[
        int | str | None,
        Meta(description='USB vendor id of a USB-CDC scanner, as hex text ("0c2e").'),
    ] = None
    product_id: Annotated[int | str | None, Meta(description="USB product id, as hex text.")] = None
    serial_number: Annotated[str | None, Meta(description="USB serial number to match.")] = None
    baudrate: Annotated[int, Meta(gt=0, description="Line speed; ignored by USB-CDC.")] = 9600
    bytesize: Annotated[Literal[7, 8], Meta(description="Data bits.")] = 8
    parity: Annotated[Literal["N", "E", "O"], Meta(description="Parity: N, E or O.")] = "N"
    stopbits: Annotated[Literal[1, 2], Meta(description="Stop bits.")] = 1
    prefix: Annotated[str, Meta(description="Characters the scanner sends before each code.")] = ""
    suffix: Annotated[
        str,
        Meta(description="Characters the scanner sends after each code, before the terminator."),
    ] = ""
    terminator: Annotated[
        str,
        Meta(
            description="End of each code: CR, LF, CRLF, CR_OR_LF, NONE (a pause of end_gap_ms "
            'ends it), or the literal characters, e.g. "\\u0003" for ETX.'
        ),
    ] = "CR"
    encoding: Annotated[
        str, Meta(description="Text encoding of the codes (utf-8, latin-1, cp1251...).")
    ] = "utf-8"
    end_gap_ms: Annotated[
        int, Meta(ge=5, le=5000, description="Pause that ends a code when terminator is NONE.")
    ] = 50
    stale_after_ms: Annotated[
        int, Meta(ge=50, le=60000, description="A code unfinished this long is discarded.")
    ] = 1000
    max_length: Annotated[
        int, Meta(ge=16, le=100000, description="Longest code accepted, in bytes.")
    ] = 8192
    aim_ids: Annotated[
        AimMode,
        Meta(
            description="AIM symbology prefix (]E0, ]d2...): auto, on or off; see the scanner docs."
        ),
    ] = "auto"

    def __post_init__(self) -> None:
        for key in ("vendor_id", "product_id"):  # hex text from the config becomes the number
            try:
                force_setattr(self, key, parse_usb_id(getattr(self, key)))
            except ValueError as exc:
                raise ValueError(f"{key}: {exc}") from None
        if not self.port and self.vendor_id is None:
            raise ValueError("give port (a /dev/serial/by-id/ link) or vendor_id")
        self.framing()  # unknown encoding, empty terminator: refuse at load

    def framing(self) -> FramingSettings:
        """The framer's settings from these options."""
        named = NAMED_TERMINATORS.get(self.terminator)
        terms = named if named is not None else (self.terminator.encode(self.encoding),)
        try:
            return FramingSettings(
                terminators=terms,
                prefix=self.prefix.encode(self.encoding),
                suffix=self.suffix.encode(self.encoding),
                encoding=self.encoding,
                end_gap=self.end_gap_ms / 1000,
                stale_after=self.stale_after_ms / 1000,
                max_length=self.max_length,
            )
        except LookupError:
            raise ValueError(f"unknown encoding {self.encoding!r}") from None


class SerialScanner(Scanner):
    """A serial scanner; see the module docstring."""

    Options = SerialScannerOptions
    options: SerialScannerOptions

    def __init__(self, device_id: str, options: DriverOptions, emit: Emit) -> None:
        super().__init__(device_id, options, emit)
        self._worker = BlockingWorker(device_id)
        self._outlet = ScanOutlet(emit, self.options.aim_ids)
        self._framer = SerialFramer(self.options.framing())
        self._port: Any = None  # serial.Serial, imported lazily
        self._port_name: str | None = None
        self._fd: int | None = None
        self._state = "closed"
        self._last_error: dict[str, str] | None = None

    async def open(self) -> None:
        if self._port is not None:
            return
        try:
            port = await self._worker.call(self._open_blocking, limit=_OPEN_TIMEOUT, what="open")
        except (DeviceNotReady, DeviceConfigError) as exc:
            self._worker.shutdown()
            self._state = "error"
            self._last_error = {"code": exc.code, "message": str(exc)}
            raise
        self._port, self._port_name, self._fd = port, port.port, port.fileno()
        self._state, self._last_error = "open", None
        asyncio.get_running_loop().add_reader(self._fd, self._on_readable)
        log.info("scanner %s: reading %s", self.device_id, self._port_name)

    async def close(self) -> None:
        port, self._port = self._port, None
        self._stop_reading("closed")
        if port is not None:
            try:
                await self._worker.call(port.close, limit=_CLOSE_TIMEOUT, what="close")
            except Exception:  # close never raises
                log.warning("scanner %s: close failed", self.device_id, exc_info=True)
        self._worker.shutdown()
        if self._state != "lost":
            self._state = "closed"

    def status(self) -> dict[str, Any]:
        return {
            "state": self._state,
            "port": self._port_name,
            "last_error": self._last_error,
            **self._outlet.status(),
        }

    # -- reading on the loop ---------------------------------------------------------------

    def _on_readable(self) -> None:
        if self._fd is None:
            return
        try:
            data = os.read(self._fd, _READ_SIZE)
        except BlockingIOError:
            return
        except OSError as exc:
            self._lost(exc)
            return
        if not data:
            self._lost(None)
            return
        self._outlet.deliver(self._framer.feed(data, asyncio.get_running_loop().time()))
        self._outlet.schedule(self._framer, self._on_timer)

    def _on_timer(self) -> None:
        if self._fd is None:
            return
        self._outlet.deliver(self._framer.poll(asyncio.get_running_loop().time()))
        self._outlet.schedule(self._framer, self._on_timer)

    def _lost(self, exc: OSError | None) -> None:
        self._stop_reading("device_lost")
        gone = exc is None or exc.errno in _GONE
        error = DeviceNotReady(
            f"scanner {self.device_id} on {self._port_name} "
            + ("was unplugged" if gone else f"failed to read: {exc}")
            + "; it is re-opened when it comes back",
            code="scanner.unplugged" if gone else "scanner.read_failed",
        )
        self._state = "lost"
        self._last_error = {"code": error.code, "message": str(error)}
        self._emit(DeviceLost(error))

    def _stop_reading(self, reason: str) -> None:
        self._outlet.cancel()
        fd, self._fd = self._fd, None
        if fd is not None:
            asyncio.get_running_loop().remove_reader(fd)
        partial = self._framer.abandon(reason)
        if partial is not None:
            self._outlet.deliver([partial])

    # -- blocking helpers (device thread only) ---------------------------------------------

    def _open_blocking(self) -> Any:
        import serial

        o = self.options
        path = o.port or self._find_usb_port_blocking()
        try:
            port = serial.Serial(
                port=path,
                baudrate=o.baudrate,
                bytesize=o.bytesize,
                parity=o.parity,
                stopbits=o.stopbits,
                timeout=0,
                write_timeout=1,
                exclusive=True,
            )
        except (serial.SerialException, OSError) as exc:
            raise _open_error(self.device_id, path, exc) from exc
        try:
            os.set_blocking(port.fileno(), False)
            port.reset_input_buffer()  # line noise from before we were listening
        except Exception:
            port.close()
            raise
        return port

    def _find_usb_port_blocking(self) -> str:
        from serial.tools import list_ports

        o = self.options
        found = [
            p.device
            for p in list_ports.comports()
            if p.vid == o.vendor_id
            and (o.product_id is None or p.pid == o.product_id)
            and (o.serial_number is None or p.serial_number == o.serial_number)
        ]
        wanted = f"vendor_id={o.vendor_id:04x}" + (
            f" product_id={o.product_id:04x}" if o.product_id is not None else ""
        )
        if not found:
            raise DeviceNotReady(
                f"scanner {self.device_id}: no serial port with {wanted}; is it plugged in and "
                "set to USB-CDC (serial) mode?",
                code="scanner.not_found",
            )
        if len(found) > 1:
            raise DeviceConfigError(
                f"scanner {self.device_id}: {len(found)} ports match {wanted} ({', '.join(found)}); "
                "add serial_number or give port as a /dev/serial/by-path/ link",
                code="scanner.ambiguous",
            )
        return found[0]


def _open_error(device_id: str, path: str, exc: BaseException) -> DeviceNotReady:
    code = getattr(exc, "errno", None)
    if code == errno.ENOENT:
        return DeviceNotReady(
            f"scanner {device_id}: {path} does not exist; is the scanner plugged in?",
            code="scanner.not_found",
        )
    if code in (errno.EACCES, errno.EPERM):
        return DeviceNotReady(
            f"scanner {device_id}: no permission to open {path}; install the udev rule from "
            "tillbridge's udev rules (`tillbridge devices` shows them) and replug the scanner",
            code="scanner.permission_denied",
        )
    if code in (errno.EBUSY, errno.EAGAIN, errno.EWOULDBLOCK) or "lock" in str(exc).lower():
        return DeviceNotReady(
            f"scanner {device_id}: {path} is in use by another program; stop it",
            code="scanner.busy",
        )
    return DeviceNotReady(
        f"scanner {device_id}: cannot open {path}: {exc}", code="scanner.open_failed"
    )
