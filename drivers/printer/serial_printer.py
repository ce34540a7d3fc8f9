"""An ESC/POS printer on a serial port (RS-232 or a USB-serial adapter), through pyserial.

pyserial opens and configures the port (speed, framing, flow control, an exclusive lock); the
bytes then move through :mod:`drivers.printer.fd_io`, which counts exactly what was sent.
"""

from __future__ import annotations

import errno
from typing import Annotated, Any, ClassVar, Literal

from msgspec import Meta

from drivers.base import DeviceConfigError, DeviceNotReady, DriverOptions
from drivers.printer import fd_io
from drivers.printer.escpos_transport import (
    EscposPrinterOptions,
    EscposTransportPrinter,
    LinkError,
)

_PARITY = {"none": "N", "even": "E", "odd": "O", "mark": "M", "space": "S"}
_STOPBITS = {"1": 1, "1.5": 1.5, "2": 2}


class SerialPrinterOptions(EscposPrinterOptions, kw_only=True):
    port: Annotated[
        str,
        Meta(
            description="Serial device; prefer a stable /dev/serial/by-id/... path over /dev/ttyUSB0."
        ),
    ]
    baudrate: Annotated[int, Meta(gt=0, description="Line speed, as set on the printer.")] = 9600
    bytesize: Annotated[Literal[5, 6, 7, 8], Meta(description="Data bits per character.")] = 8
    parity: Annotated[
        Literal["none", "even", "odd", "mark", "space"], Meta(description="Parity bit.")
    ] = "none"
    stopbits: Annotated[Literal["1", "1.5", "2"], Meta(description="Stop bits.")] = "1"
    rtscts: Annotated[bool, Meta(description="Hardware flow control with RTS/CTS.")] = False
    dsrdtr: Annotated[
        bool, Meta(description="Hardware flow control with DSR/DTR (most receipt printers).")
    ] = True
    xonxoff: Annotated[bool, Meta(description="Software flow control with XON/XOFF.")] = False


class SerialPrinter(EscposTransportPrinter):
    """A receipt printer on a serial port."""

    Options: ClassVar[type[DriverOptions]] = SerialPrinterOptions
    options: SerialPrinterOptions
    transport: ClassVar[str] = "serial"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._serial: Any = None

    def _describe(self) -> dict[str, Any]:
        return {"port": self.options.port}

    async def _connect(self) -> None:
        self._serial = await self._run(self._open_blocking)

    async def _disconnect(self) -> None:
        port, self._serial = self._serial, None
        if port is not None:
            await self._run(self._close_blocking, port)

    async def _send(self, data: bytes, limit_s: float) -> None:
        await self._run(self._send_blocking, self._serial, data, limit_s)

    async def _receive(self, limit_s: float) -> bytes:
        return await self._run(fd_io.read_blocking, self._serial.fileno(), limit_s)

    async def _discard_input(self) -> None:
        await self._run(fd_io.discard_input_blocking, self._serial.fileno())

    def _open_blocking(self) -> Any:
        import serial  # lazily: only printers that use it pay for it

        o = self.options
        try:
            port = serial.Serial(
                port=o.port,
                baudrate=o.baudrate,
                bytesize=o.bytesize,
                parity=_PARITY[o.parity],
                stopbits=_STOPBITS[o.stopbits],
                rtscts=o.rtscts,
                dsrdtr=o.dsrdtr,
                xonxoff=o.xonxoff,
                timeout=0,
                exclusive=True,
            )
        except ValueError as e:
            raise DeviceConfigError(f"serial printer {self.device_id}: {e}") from e
        except (OSError, serial.SerialException) as e:
            raise self._open_error(e) from e
        return port

    def _open_error(self, e: Exception) -> DeviceNotReady:
        code = getattr(e, "errno", None)
        text = str(e)
        port = self.options.port
        if code == errno.ENOENT or "No such file" in text:
            hint = "it is not plugged in or the path is wrong (prefer a /dev/serial/by-id/ path)"
            return DeviceNotReady(f"serial printer {self.device_id}: no port {port}: {hint}")
        if code == errno.EACCES or "Permission denied" in text:
            return DeviceNotReady(
                f"serial printer {self.device_id}: no permission to open {port}: add the "
                "tillbridge user to the dialout group or install the udev rule",
                code="printer.access_denied",
            )
        if code in (errno.EBUSY, errno.EAGAIN) or "exclusively lock" in text:
            return DeviceNotReady(
                f"serial printer {self.device_id}: {port} is in use by another program "
                f"(see `fuser -v {port}`): stop it, then the printer is reopened",
                code="printer.busy",
            )
        return DeviceNotReady(f"serial printer {self.device_id}: cannot open {port}: {text}")

    @staticmethod
    def _send_blocking(port: Any, data: bytes, timeout: float) -> None:
        try:
            fd_io.write_all_blocking(port.fileno(), data, timeout)
        except LinkError as e:
            if not e.gone:
                # Bytes left in the driver's buffer would print later as half a receipt.
                try:
                    port.reset_output_buffer()
                except OSError:
                    pass
            raise

    @staticmethod
    def _close_blocking(port: Any) -> None:
        try:
            port.close()
        except OSError:
            pass  # the device already went away
