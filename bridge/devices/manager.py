"""The device manager: one supervisor task per configured device.

A device that fails to open, or is lost later, is closed, reported through a ``device`` event and
re-opened with backoff, without touching the other devices. A device whose options are wrong is
disabled until the config changes. The first failure is logged in full, later ones only counted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog

from bridge.config.loader import LoadedConfig
from bridge.devices.backoff import Backoff
from bridge.devices.bridge_drivers import with_bridge_drivers
from bridge.events.bus import EventBus
from bridge.timestamps import now_s as _now
from drivers.base import (
    Device,
    DeviceConfigError,
    DeviceError,
    DeviceLost,
    DeviceNotReady,
    DriverEvent,
    DriverOptions,
    ScanDiscarded,
    ScanRead,
    StatusChanged,
)
from drivers.registry import DriverRegistry
from drivers.simulated.scanner import SimulatedScanner

log = structlog.get_logger(__name__)

OPEN_TIMEOUT_S = 15.0
CLOSE_TIMEOUT_S = 5.0


@dataclass(eq=False)
class DeviceSlot:
    """What the manager knows of one configured device."""

    device_id: str
    driver: str
    options: DriverOptions | None
    cls: type[Device] | None
    state: str = "starting"  # starting | online | retrying | disabled | stopped
    error: dict[str, str] | None = None
    since: str = field(default_factory=_now)
    failures: int = 0
    retry_at: str | None = None
    device: Device | None = None
    lost: asyncio.Event = field(default_factory=asyncio.Event)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None

    @property
    def kind(self) -> str | None:
        return self.cls.kind if self.cls is not None else None

    @property
    def online(self) -> bool:
        return self.state == "online"

    def describe(self) -> dict[str, Any]:
        status: dict[str, Any] = {}
        if self.device is not None:
            try:
                status = self.device.status()
            except Exception:  # a buggy status() must not break the device list
                log.exception("device.status_failed", device=self.device_id)
        return {
            "id": self.device_id,
            "kind": self.kind,
            "driver": self.driver,
            "online": self.online,
            "state": self.state,
            "since": self.since,
            "error": self.error,
            "retry_at": self.retry_at,
            "status": status,
        }


ScanSink = Callable[[str, ScanRead], None]
#: Told of every change a service may care about: ``(slot, "state" | "status")``. Must not block.
DeviceListener = Callable[[DeviceSlot, str], None]
#: Sees each driver object right after it is built, before ``open()`` (bridge-level drivers).
DeviceHook = Callable[[Device], None]


class UnknownDevice(LookupError):
    """No device of that id and kind in the config."""


class NotSimulated(TypeError):
    """The device is real hardware; it cannot be driven from the API."""


class DeviceManager:
    """Creates driver objects from config and keeps each one open."""

    def __init__(
        self,
        config: LoadedConfig,
        bus: EventBus,
        on_scan: ScanSink,
        *,
        registry: DriverRegistry | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        self._config = config
        self._bus = bus
        self._on_scan = on_scan
        self._registry = with_bridge_drivers(registry)
        self._backoff = backoff or Backoff()
        self._slots: dict[str, DeviceSlot] = {}
        self._listeners: list[DeviceListener] = []
        self._hooks: list[DeviceHook] = []

    def add_listener(self, listener: DeviceListener) -> Callable[[], None]:
        """Be told when a device's state or status changes; returns the way to stop."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def add_device_hook(self, hook: DeviceHook) -> None:
        """Let a service wire up the driver objects it composes (a drawer on a printer's port)."""
        self._hooks.append(hook)

    async def start(self) -> None:
        for device_id in self._config.settings.devices:
            self._start_slot(device_id)

    def _start_slot(self, device_id: str) -> None:
        device_config = self._config.settings.devices[device_id]
        options = self._config.device_options.get(device_id)
        cls = self._registry.resolve(device_config.driver)
        slot = DeviceSlot(device_id, device_config.driver, options, cls)
        self._slots[device_id] = slot
        if not device_config.enabled or options is None:
            slot.state = "disabled"
            slot.error = {
                "code": "device.disabled",
                "message": "disabled in the config (enabled = false)",
            }
            return
        slot.task = asyncio.create_task(self._supervise(slot), name=f"device:{device_id}")

    async def stop(self) -> None:
        tasks = [slot.task for slot in self._slots.values() if slot.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for slot in self._slots.values():
            await self._close(slot)
            slot.state = "stopped"

    async def apply(self, config: LoadedConfig) -> list[str]:
        """Take a new config hot: close removed or changed devices, open new or changed ones,
        leave unchanged ones untouched. Returns the ids that were (re)started or removed."""
        old, self._config = self._config, config
        touched = []
        for device_id in set(old.settings.devices) | set(config.settings.devices):
            before = (
                old.settings.devices.get(device_id),
                old.device_options.get(device_id),
            )
            after = (
                config.settings.devices.get(device_id),
                config.device_options.get(device_id),
            )
            if before == after:
                continue
            touched.append(device_id)
            slot = self._slots.pop(device_id, None)
            if slot is not None:
                if slot.task is not None:
                    slot.task.cancel()
                    await asyncio.gather(slot.task, return_exceptions=True)
                await self._close(slot)
                self._set_state(slot, "stopped", None)
            if after[0] is not None:
                self._start_slot(device_id)
        return sorted(touched)

    def slots(self) -> list[DeviceSlot]:
        return list(self._slots.values())

    def get(self, device_id: str) -> DeviceSlot | None:
        return self._slots.get(device_id)

    def simulate_scan(self, device_id: str, code: str, symbology: str | None) -> None:
        """Inject a scan into a simulated scanner (technician page, tests, demos)."""
        slot = self._slots.get(device_id)
        if slot is None or slot.kind != "scanner":
            raise UnknownDevice(device_id)
        if not isinstance(slot.device, SimulatedScanner):
            if slot.driver != "simulated-scanner":
                raise NotSimulated(slot.driver)
            raise DeviceNotReady(f"scanner {device_id} is not open ({slot.state})")
        slot.device.inject(code, symbology)

    def redetect(self, device_id: str) -> bool:
        """Retry a waiting device now instead of at the end of its backoff."""
        slot = self._slots.get(device_id)
        if slot is None or slot.task is None:
            return False
        slot.failures = 0
        slot.wake.set()
        return True

    async def _supervise(self, slot: DeviceSlot) -> None:
        assert slot.cls is not None and slot.options is not None
        while True:
            slot.lost.clear()
            slot.wake.clear()
            device = slot.cls(slot.device_id, slot.options, self._emitter(slot))
            for hook in self._hooks:
                hook(device)
            slot.device = device
            try:
                await asyncio.wait_for(device.open(), OPEN_TIMEOUT_S)
            except asyncio.CancelledError:
                raise
            except DeviceConfigError as exc:
                await self._close(slot)
                self._set_state(slot, "disabled", exc)
                log.error("device.config_error", device=slot.device_id, error=str(exc))
                return
            except Exception as exc:
                await self._close(slot)
                await self._wait_retry(slot, exc)
                continue
            slot.failures = 0
            slot.retry_at = None
            self._set_state(slot, "online", None)
            log.info("device.online", device=slot.device_id, driver=slot.driver)
            await slot.lost.wait()
            await self._close(slot)

    async def _wait_retry(self, slot: DeviceSlot, exc: BaseException) -> None:
        slot.failures += 1
        delay = self._backoff.delay(slot.failures)
        slot.retry_at = (
            datetime.fromtimestamp(datetime.now(UTC).timestamp() + delay, UTC)
            .isoformat(timespec="seconds")
            .replace("+00:00", "Z")
        )
        if slot.failures == 1:
            log.warning(
                "device.unavailable",
                device=slot.device_id,
                driver=slot.driver,
                error=str(exc),
                exc_info=not isinstance(exc, DeviceError | OSError | TimeoutError),
            )
        else:
            log.debug("device.retry_failed", device=slot.device_id, failures=slot.failures)
        self._set_state(slot, "retrying", exc)
        try:
            await asyncio.wait_for(slot.wake.wait(), delay)
        except TimeoutError:
            pass

    async def _close(self, slot: DeviceSlot) -> None:
        device, slot.device = slot.device, None
        if device is None:
            return
        try:
            await asyncio.wait_for(device.close(), CLOSE_TIMEOUT_S)
        except Exception:
            log.warning("device.close_failed", device=slot.device_id, exc_info=True)

    def _set_state(self, slot: DeviceSlot, state: str, exc: BaseException | None) -> None:
        error = _describe_error(exc) if exc is not None else None
        changed = slot.state != state or slot.error != error
        if slot.state != state:
            slot.since = _now()
        slot.state, slot.error = state, error
        if changed:
            self._bus.publish(
                "device", {"device": slot.device_id, "event": "state", **slot.describe()}
            )
            self._tell(slot, "state")

    def _tell(self, slot: DeviceSlot, what: str) -> None:
        for listener in list(self._listeners):
            try:
                listener(slot, what)
            except Exception:  # one broken service must not stop the others hearing of it
                log.exception("device.listener_failed", device=slot.device_id)

    def _emitter(self, slot: DeviceSlot) -> Callable[[DriverEvent], None]:
        def emit(event: DriverEvent) -> None:
            if slot.device is None:
                return  # a closed device's late callback
            if isinstance(event, ScanRead):
                self._on_scan(slot.device_id, event)
            elif isinstance(event, StatusChanged):
                self._bus.publish(
                    "device", {"device": slot.device_id, "event": "status", **slot.describe()}
                )
                self._tell(slot, "status")
            elif isinstance(event, DeviceLost):
                if not slot.lost.is_set():
                    log.warning("device.lost", device=slot.device_id, error=str(event.error))
                    self._set_state(slot, "retrying", event.error)
                    slot.lost.set()
            elif isinstance(event, ScanDiscarded):
                log.warning(
                    "scan.discarded", device=slot.device_id, reason=event.reason, **event.detail
                )
                self._bus.publish(
                    "device",
                    {
                        "device": slot.device_id,
                        "event": "scan_discarded",
                        "reason": event.reason,
                        "detail": event.detail,
                    },
                )

        return emit


def _describe_error(exc: BaseException) -> dict[str, str]:
    if isinstance(exc, DeviceError):
        return {"code": exc.code, "message": str(exc)}
    if isinstance(exc, TimeoutError):
        return {"code": "device.timeout", "message": "the device did not answer in time"}
    if isinstance(exc, OSError):
        return {"code": "device.os_error", "message": str(exc)}
    return {"code": "device.error", "message": f"{type(exc).__name__}: {exc}"}
