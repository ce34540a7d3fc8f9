"""A cash drawer on its own serial port: kicked by a byte sequence or by pulsing DTR/RTS.

Drawer interfaces differ: some fire on bytes sent to them, others on a modem control line. The
sensor, where one is wired, comes back on CTS, DSR or CD, at a level that depends on the drawer.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any, ClassVar, Literal

from msgspec import Meta

from drivers.base import (
    DeviceConfigError,
    DeviceLost,
    DeviceNotReady,
    Drawer,
    DriverOptions,
    StatusChanged,
)

log = logging.getLogger(__name__)
_NO_MODEM_LINES = (errno.ENOTTY, errno.EINVAL)


class SerialDrawerOptions(DriverOptions, kw_only=True):
    port: Annotated[
        str,
        Meta(
            description="Serial device (prefer /dev/serial/by-id/...) or a pyserial URL such as loop://."
        ),
    ]
    baudrate: Annotated[int, Meta(gt=0, description="Line speed for a byte-sequence kick.")] = 9600
    kick: Annotated[
        Literal["bytes", "dtr", "rts"],
        Meta(description="Send kick_bytes, or pulse the DTR or RTS line."),
    ] = "bytes"
    kick_bytes: Annotated[
        str, Meta(description="Hex bytes that fire the drawer (default ESC p 0 25 250).")
    ] = "1b700019fa"
    pulse_ms: Annotated[
        int, Meta(ge=10, le=2000, description="How long DTR/RTS is held for a line kick.")
    ] = 200
    sensor: Annotated[
        Literal["none", "cts", "dsr", "cd"],
        Meta(description="Input line the drawer's open sensor is wired to, if any."),
    ] = "none"
    sensor_open_high: Annotated[
        bool, Meta(description="Whether the sensor line is active (high) while the drawer is open.")
    ] = True
    sensor_poll_s: Annotated[
        float, Meta(ge=0, description="Seconds between sensor reads; 0 turns polling off.")
    ] = 0.5
    write_timeout_s: Annotated[
        float, Meta(gt=0, description="Time the kick bytes may take to leave the port.")
    ] = 2.0

    def __post_init__(self) -> None:
        try:
            if not bytes.fromhex(self.kick_bytes):
                raise ValueError
        except ValueError:
            raise ValueError("kick_bytes: must be hex digits, e.g. 1b700019fa") from None


class SerialDrawer(Drawer):
    """A drawer on a serial port of its own."""

    Options: ClassVar[type[DriverOptions]] = SerialDrawerOptions
    options: SerialDrawerOptions

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._executor: ThreadPoolExecutor | None = None
        self._serial: Any = None
        self._lost = False
        self._open_state: bool | None = None
        self._kicks = 0
        self._poll: asyncio.Task[None] | None = None

    async def _run(self, fn: Any, *args: Any) -> Any:
        if self._executor is None:
            raise DeviceNotReady(f"drawer {self.device_id} is not open")
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    async def open(self) -> None:
        if self._serial is not None:
            return
        self._executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix=f"drawer-{self.device_id}"
        )
        try:
            self._serial = await self._run(self._open_blocking)
            self._lost = False
            self._open_state = await self._read_sensor()
        except BaseException:
            await self.close()
            raise
        if self.options.sensor != "none" and self.options.sensor_poll_s > 0:
            self._poll = asyncio.create_task(self._poll_loop(), name=f"drawer-{self.device_id}")

    async def close(self) -> None:
        task, self._poll = self._poll, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                current = asyncio.current_task()
                if current is not None and current.cancelling():
                    raise
        port, self._serial = self._serial, None
        if port is not None:
            try:
                await self._run(self._close_blocking, port)
            except Exception:
                log.exception("drawer %s: error while closing", self.device_id)
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def status(self) -> dict[str, Any]:
        return {
            "port": self.options.port,
            "connected": self._serial is not None and not self._lost,
            "open": self._open_state,
            "kicks": self._kicks,
        }

    async def kick(self) -> None:
        port = self._usable()
        try:
            await self._run(self._kick_blocking, port)
        except OSError as e:
            raise self._failure(e) from e
        self._kicks += 1

    async def is_open(self) -> bool | None:
        if self.options.sensor == "none":
            return None
        self._usable()
        state = await self._read_sensor()
        self._set_state(state)
        return state

    # -- internals ---------------------------------------------------------------------------

    def _usable(self) -> Any:
        if self._serial is None or self._lost:
            raise DeviceNotReady(f"drawer {self.device_id} is not connected")
        return self._serial

    async def _read_sensor(self) -> bool | None:
        if self.options.sensor == "none":
            return None
        try:
            level = await self._run(self._sensor_blocking, self._serial)
        except OSError as e:
            raise self._failure(e) from e
        return level == self.options.sensor_open_high

    def _set_state(self, state: bool | None) -> None:
        if state != self._open_state:
            self._open_state = state
            self._emit(StatusChanged(self.status()))

    async def _poll_loop(self) -> None:
        while self._serial is not None and not self._lost:
            await asyncio.sleep(self.options.sensor_poll_s)
            try:
                self._set_state(await self._read_sensor())
            except DeviceConfigError:
                log.warning("drawer %s: sensor cannot be read; polling stops", self.device_id)
                return
            except DeviceNotReady:
                return  # reported through DeviceLost

    def _failure(self, e: OSError) -> DeviceNotReady | DeviceConfigError:
        if e.errno in _NO_MODEM_LINES:
            return DeviceConfigError(
                f"drawer {self.device_id}: {self.options.port} has no modem control lines "
                f'({e.strerror}): use kick = "bytes" and sensor = "none", or a real serial port'
            )
        error = DeviceNotReady(
            f"drawer {self.device_id}: its serial port failed ({e}): check the cable; "
            "it is reopened when it comes back"
        )
        if not self._lost:
            self._lost = True
            self._emit(DeviceLost(error))
        return error

    def _open_blocking(self) -> Any:
        import serial  # lazily: only drawers that use it pay for it

        o = self.options
        try:
            port = serial.serial_for_url(
                o.port, baudrate=o.baudrate, write_timeout=o.write_timeout_s, do_not_open=True
            )
            # pyserial raises DTR and RTS on open; a drawer wired to them would fire and burn.
            if o.kick == "dtr":
                port.dtr = False
            if o.kick == "rts":
                port.rts = False
            port.exclusive = True
            port.open()
        except ValueError as e:
            raise DeviceConfigError(f"drawer {self.device_id}: {e}") from e
        except (OSError, serial.SerialException) as e:
            raise DeviceNotReady(
                f"drawer {self.device_id}: cannot open {o.port} ({e}): check that the drawer "
                "interface is plugged in and no other program uses the port"
            ) from e
        return port

    def _kick_blocking(self, port: Any) -> None:
        import serial

        o = self.options
        try:
            if o.kick == "bytes":
                port.write(bytes.fromhex(o.kick_bytes))
                return
            line = "dtr" if o.kick == "dtr" else "rts"
            setattr(port, line, True)
            try:
                time.sleep(o.pulse_ms / 1000)  # on the device's worker thread, never the loop
            finally:
                setattr(port, line, False)
        except serial.SerialException as e:
            raise OSError(errno.EIO, str(e)) from e

    def _sensor_blocking(self, port: Any) -> bool:
        import serial

        try:
            return bool(getattr(port, self.options.sensor))
        except serial.SerialException as e:
            raise OSError(errno.EIO, str(e)) from e

    @staticmethod
    def _close_blocking(port: Any) -> None:
        try:
            port.close()
        except OSError:
            pass
