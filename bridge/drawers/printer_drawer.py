"""A cash drawer on a receipt printer's drawer port: kicked with ``ESC p``, read from DLE EOT 1.

It is a bridge-level driver (``printer-drawer``) because it reaches its printer through the
device manager, which ``drivers/`` may not import. The drawer service attaches a
:class:`PrinterPort` to it when the manager builds it; the manager supervises it like any device.
When the printer cannot print (offline, paper out, cover open) the kick is sent as the real-time
``DLE DC4`` where the printer's profile supports it, since a sale must still open the drawer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, ClassVar, Literal, Protocol

from msgspec import Meta

from drivers.base import (
    DeviceConfigError,
    DeviceNotReady,
    Drawer,
    DriverOptions,
    Printer,
    StatusChanged,
)
from drivers.printer.escpos_encoder import drawer_kick, realtime_drawer_kick
from drivers.printer.profiles import PrinterProfile
from drivers.printer.status import PrinterStatus, drawer_open


class PrinterPort(Protocol):
    """What a printer drawer needs from the daemon to reach its printer."""

    def is_printer(self, printer_id: str) -> bool: ...

    def printer(self, printer_id: str) -> Printer | None:
        """The printer's driver object while it is online, else None."""

    def printer_status(self, printer_id: str) -> dict[str, Any] | None: ...

    async def profile(self, printer_id: str) -> PrinterProfile: ...

    def watch(
        self, printer_id: str, callback: Callable[[dict[str, Any] | None], None]
    ) -> Callable[[], None]:
        """Call ``callback`` with the printer's status whenever it changes; returns unwatch."""


class PrinterDrawerOptions(DriverOptions):
    printer: Annotated[str, Meta(description="Id of the printer the drawer is cabled to.")] = (
        "receipt"
    )
    pin: Annotated[Literal[2, 5], Meta(description="Drawer connector pin the drawer is on.")] = 2
    pulse_ms: Annotated[
        int, Meta(ge=10, le=800, description="How long the solenoid is pulsed, in ms.")
    ] = 100
    sensor: Annotated[
        Literal["none", "open_high", "open_low"],
        Meta(
            description="The drawer's open sensor on the printer port: the level that means open, "
            "or none where no sensor is wired (the state then shows as null)."
        ),
    ] = "open_high"
    realtime_kick: Annotated[
        bool,
        Meta(
            description="Kick with DLE DC4 while the printer cannot print (offline, paper out), where "
            "its profile supports it."
        ),
    ] = True


class PrinterDrawer(Drawer):
    """A drawer behind a printer; see the module docstring."""

    Options: ClassVar[type[DriverOptions]] = PrinterDrawerOptions
    options: PrinterDrawerOptions

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._port: PrinterPort | None = None
        self._unwatch: Callable[[], None] | None = None
        self._open: bool | None = None
        self._connected = False
        self._kicks = 0

    def attach(self, port: PrinterPort) -> None:
        self._port = port

    async def open(self) -> None:
        port = self._port
        if port is None:
            raise DeviceConfigError(
                f"drawer {self.device_id}: printer-drawer needs the daemon's drawer service"
            )
        if not port.is_printer(self.options.printer):
            raise DeviceConfigError(
                f"drawer {self.device_id}: printer = {self.options.printer!r} is not an enabled "
                "printer in the config; name the [devices.X] section of the printer it is cabled to"
            )
        self._unwatch = port.watch(self.options.printer, self._printer_changed)
        self._printer_changed(port.printer_status(self.options.printer))

    async def close(self) -> None:
        unwatch, self._unwatch = self._unwatch, None
        if unwatch is not None:
            unwatch()

    def status(self) -> dict[str, Any]:
        return {
            "printer": self.options.printer,
            "pin": self.options.pin,
            "connected": self._connected,
            "open": self._open,
            "kicks": self._kicks,
        }

    async def kick(self) -> None:
        port, printer_id = self._require_port(), self.options.printer
        printer = port.printer(printer_id)
        if printer is None:
            raise DeviceNotReady(
                f"drawer {self.device_id} opens through printer {printer_id}, which is not "
                "connected: check the printer's power and cable"
            )
        profile = await port.profile(printer_id)
        if self.options.pin not in profile.drawer_pins:
            raise DeviceConfigError(
                f"drawer {self.device_id}: printer {printer_id} ({profile.name}) has no drawer "
                f"pin {self.options.pin}; set pin to one of {list(profile.drawer_pins)}"
            )
        status = PrinterStatus.from_dict(await printer.query_status())
        blocked = status.not_ready_error(printer_id)
        if blocked is None:
            data = drawer_kick(self.options.pin, self.options.pulse_ms)
        elif self.options.realtime_kick and profile.realtime_kick:
            data = realtime_drawer_kick(self.options.pin, self.options.pulse_ms)
        else:
            raise DeviceNotReady(f"drawer {self.device_id} cannot be opened now: {blocked}")
        await printer.write(data)
        self._kicks += 1

    async def is_open(self) -> bool | None:
        """Asks the printer now when the sensor is wired and the printer is there."""
        if self.options.sensor == "none":
            return None
        port = self._require_port()
        printer = port.printer(self.options.printer)
        if printer is not None:
            try:
                self._printer_changed(await printer.query_status())
            except DeviceNotReady:
                self._printer_changed(None)
        return self._open

    def _require_port(self) -> PrinterPort:
        if self._port is None:
            raise DeviceNotReady(f"drawer {self.device_id} is not open")
        return self._port

    def _printer_changed(self, status: dict[str, Any] | None) -> None:
        connected = bool(status) and status.get("connected", True) is not False
        state: bool | None = None
        if connected and status is not None and self.options.sensor != "none":
            state = drawer_open(
                PrinterStatus.from_dict(status), open_when_high=self.options.sensor == "open_high"
            )
        if (state, connected) != (self._open, self._connected):
            self._open, self._connected = state, connected
            self._emit(StatusChanged(self.status()))
