"""The driver contract every device kind follows.

A driver object is one configured device. The device manager owns it and calls, in this order:

* ``await open()``: acquire the hardware. Raise :class:`DeviceNotReady` when it may appear later
  (unplugged, busy, printer off); the manager retries with backoff. Raise :class:`DeviceConfigError`
  when retrying cannot help (bad options); the device stays disabled until the config changes.
* ``status()``: the last known state as JSON-safe data. Cheap, never does I/O.
* ``await close()``: release the hardware. Idempotent, never raises.

Things the device does on its own (a scan, a status change, the device vanishing) are reported
through the ``emit`` callback given at construction, as :data:`DriverEvent` values. When a device is
lost the driver emits :class:`DeviceLost` and stops using the hardware; the manager closes and
re-opens it with backoff. ``emit`` is called on the event loop thread only.

Blocking calls (pyusb, pyserial writes, python-escpos) run only in the device's own single-thread
executor, in helpers named ``*_blocking``; hardware libraries are imported lazily inside ``open()``.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import msgspec

DeviceKind = Literal["printer", "scanner", "drawer"]


class DeviceError(Exception):
    """A device failed; ``code`` is a stable machine code such as ``printer.paper_out``."""

    code: str = "device.error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class DeviceNotReady(DeviceError):
    """The device is absent or busy now and may come back: retry with backoff."""

    code = "device.not_ready"


class DeviceConfigError(DeviceError):
    """The device's options are wrong: retrying cannot help until the config changes."""

    code = "device.config_error"


class DriverOptions(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """Base of each driver's options: unknown keys refused, immutable once loaded.

    A plain msgspec Struct (``drivers/`` never imports the bridge): the config loader validates
    options with ``bridge.wire.convert``; a driver that must validate by itself uses
    ``msgspec.convert``. Constructing one directly checks only ``__post_init__``, not types.
    Subclasses whose required options follow defaulted ones declare ``kw_only=True`` again
    (msgspec does not inherit it).
    """


@dataclass(frozen=True, slots=True)
class ScanRead:
    """One complete scan as the scanner delivered it."""

    code: str
    symbology: str | None = None


@dataclass(frozen=True, slots=True)
class StatusChanged:
    """The device's status changed; ``status`` is the new :meth:`Device.status`."""

    status: dict[str, Any]


@dataclass(frozen=True, slots=True)
class DeviceLost:
    """The device stopped working (unplugged, I/O error); the manager re-opens it."""

    error: DeviceError


@dataclass(frozen=True, slots=True)
class ScanDiscarded:
    """A partial scan was thrown away (kernel dropped events, garbage bytes)."""

    reason: str
    detail: dict[str, Any] = field(default_factory=dict)


DriverEvent = ScanRead | StatusChanged | DeviceLost | ScanDiscarded
Emit = Callable[[DriverEvent], None]


class Device(abc.ABC):
    """One configured device; see the module docstring for the contract."""

    kind: ClassVar[DeviceKind]
    Options: ClassVar[type[DriverOptions]] = DriverOptions

    def __init__(self, device_id: str, options: DriverOptions, emit: Emit) -> None:
        self.device_id = device_id
        self.options = options
        self._emit = emit

    @abc.abstractmethod
    async def open(self) -> None:
        """Acquire the hardware; raise DeviceNotReady or DeviceConfigError."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Release the hardware; idempotent and never raises."""

    @abc.abstractmethod
    def status(self) -> dict[str, Any]:
        """Last known state, JSON-safe, without I/O."""


class Scanner(Device):
    """A scanner only reports: every complete scan is emitted as :class:`ScanRead`."""

    kind: ClassVar[DeviceKind] = "scanner"


class Printer(Device):
    """A receipt printer: writes ESC/POS bytes and answers status queries."""

    kind: ClassVar[DeviceKind] = "printer"

    @abc.abstractmethod
    async def write(self, data: bytes) -> None:
        """Send bytes to the printer; raise DeviceNotReady if it went away."""

    @abc.abstractmethod
    async def query_status(self) -> dict[str, Any]:
        """Ask the printer for its state now (DLE EOT); returns the new status()."""


class Drawer(Device):
    """A cash drawer: kicked open; ``is_open`` is None where the hardware cannot tell."""

    kind: ClassVar[DeviceKind] = "drawer"

    @abc.abstractmethod
    async def kick(self) -> None:
        """Pulse the drawer solenoid."""

    @abc.abstractmethod
    async def is_open(self) -> bool | None:
        """The drawer sensor, or None if there is none."""
