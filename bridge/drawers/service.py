"""The drawer service: policy-checked, audited opens, and drawer state as ``drawer`` events.

Every open attempt, allowed or refused, writes one audit record and one upstream ``drawer_open``
event in the same transaction. An allowed open is audited after the kick, so the record says
whether the drawer was actually kicked. State comes from each drawer device's status (a printer
drawer reads its printer's DLE EOT 1 sensor bit); a drawer left open past the configured time
raises ``open_too_long`` once.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog

from bridge.auth.tokens import TokenInfo
from bridge.config.models import DrawersConfig
from bridge.devices.manager import DeviceManager, DeviceSlot
from bridge.drawers.policy import DrawerPolicy, Refusal
from bridge.drawers.printer_drawer import PrinterDrawer
from bridge.events.bus import EventBus
from bridge.printing.jobs import now
from bridge.printing.rendering import Renderer
from bridge.store import Store
from bridge.store.outbox import append_event
from drivers.base import Device, DeviceError, Drawer, Printer
from drivers.printer.profiles import PrinterProfile

log = structlog.get_logger(__name__)

KICK_TIMEOUT_S = 10.0
SENSOR_READ_TIMEOUT_S = 3.0


class DrawerRefused(Exception):
    """An open that did not happen; audited before it is raised."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


@dataclass
class _DrawerState:
    open: bool | None = None
    since: float | None = None  # monotonic time it opened
    timer: asyncio.Task[None] | None = None


class _PrinterPort:
    """A printer drawer's way to its printer, through the device manager."""

    def __init__(self, devices: DeviceManager, renderer: Renderer) -> None:
        self._devices = devices
        self._renderer = renderer

    def is_printer(self, printer_id: str) -> bool:
        return self._renderer.is_printer(printer_id)

    def printer(self, printer_id: str) -> Printer | None:
        slot = self._devices.get(printer_id)
        device = slot.device if slot is not None and slot.online else None
        return device if isinstance(device, Printer) else None

    def printer_status(self, printer_id: str) -> dict[str, Any] | None:
        printer = self.printer(printer_id)
        return printer.status() if printer is not None else None

    async def profile(self, printer_id: str) -> PrinterProfile:
        return await self._renderer.profile(printer_id)

    def watch(
        self, printer_id: str, callback: Callable[[dict[str, Any] | None], None]
    ) -> Callable[[], None]:
        def changed(slot: DeviceSlot, what: str) -> None:
            if slot.device_id == printer_id:
                callback(self.printer_status(printer_id))

        return self._devices.add_listener(changed)


class DrawerService:
    """Opens drawers for the API and other services; see the module docstring."""

    def __init__(
        self,
        store: Store,
        bus: EventBus,
        devices: DeviceManager,
        renderer: Renderer,
        config: DrawersConfig,
    ) -> None:
        self.policy = DrawerPolicy(config)
        self._config = config
        self._store = store
        self._bus = bus
        self._devices = devices
        self._port = _PrinterPort(devices, renderer)
        self._states: dict[str, _DrawerState] = {}
        devices.add_device_hook(self._attach)
        self._unlisten = devices.add_listener(self._device_changed)

    async def stop(self) -> None:
        self._unlisten()
        timers = [s.timer for s in self._states.values() if s.timer is not None]
        for timer in timers:
            timer.cancel()
        await asyncio.gather(*timers, return_exceptions=True)

    async def open(
        self,
        drawer_id: str,
        reason: str,
        document_id: str | None,
        principal: TokenInfo,
        origin: str | None,
    ) -> dict[str, Any]:
        """Kick the drawer if policy allows; audited either way. Raises DrawerRefused."""
        drawer = self._drawer(drawer_id)
        refusal = (
            Refusal(404, "drawer.not_found", f"No drawer named {drawer_id!r} in the config.")
            if drawer is None and self._slot_kind(drawer_id) != "drawer"
            else self.policy.check(principal, reason, document_id)
        )
        if refusal is None:
            refusal = await self._kick(drawer_id, drawer)
        result = "opened" if refusal is None else "refused" if refusal.status != 503 else "failed"
        await self._audit(drawer_id, reason, document_id, principal, origin, result, refusal)
        if refusal is not None:
            raise DrawerRefused(refusal)
        self._bus.publish(
            "drawer",
            {
                "drawer": drawer_id,
                "event": "kicked",
                "reason": reason,
                "document_id": document_id,
                "by": principal.name,
            },
        )
        return {"opened": True, "drawer": drawer_id}

    async def state(self, drawer_id: str) -> dict[str, Any]:
        """``{"open": bool | None, ...}``; the sensor is read now where it can be."""
        slot = self._devices.get(drawer_id)
        if slot is None or slot.kind != "drawer":
            raise LookupError(drawer_id)
        device = slot.device if slot.online else None
        is_open: bool | None = None
        if isinstance(device, Drawer):
            try:
                is_open = await asyncio.wait_for(device.is_open(), SENSOR_READ_TIMEOUT_S)
            except (DeviceError, OSError, TimeoutError):
                is_open = None
            self._update(drawer_id, is_open)
        state = self._states.get(drawer_id, _DrawerState())
        open_for = (
            round(time.monotonic() - state.since, 1)
            if state.open and state.since is not None
            else None
        )
        return {
            "id": drawer_id,
            "open": is_open,
            "online": slot.online,
            "driver": slot.driver,
            "open_for_s": open_for,
            "status": device.status() if device is not None else {},
        }

    # -- internals ---------------------------------------------------------------------------

    def _attach(self, device: Device) -> None:
        if isinstance(device, PrinterDrawer):
            device.attach(self._port)

    def _slot_kind(self, drawer_id: str) -> str | None:
        slot = self._devices.get(drawer_id)
        return slot.kind if slot is not None else None

    def _drawer(self, drawer_id: str) -> Drawer | None:
        slot = self._devices.get(drawer_id)
        if slot is None or slot.kind != "drawer" or not slot.online:
            return None
        return slot.device if isinstance(slot.device, Drawer) else None

    async def _kick(self, drawer_id: str, drawer: Drawer | None) -> Refusal | None:
        if drawer is None:
            slot = self._devices.get(drawer_id)
            state = slot.state if slot is not None else "missing"
            return Refusal(503, "drawer.offline", f"Drawer {drawer_id} is not available ({state}).")
        try:
            await asyncio.wait_for(drawer.kick(), KICK_TIMEOUT_S)
        except DeviceError as exc:
            return Refusal(503, exc.code, str(exc))
        except (OSError, TimeoutError) as exc:
            return Refusal(503, "drawer.offline", f"Drawer {drawer_id} did not respond: {exc}")
        return None

    async def _audit(
        self,
        drawer_id: str,
        reason: str,
        document_id: str | None,
        principal: TokenInfo,
        origin: str | None,
        result: str,
        refusal: Refusal | None,
    ) -> None:
        at = now()
        details = {
            "reason": reason,
            "document_id": document_id,
            "token_name": principal.name,
            "role": principal.role.value,
            "code": refusal.code if refusal else None,
        }
        payload = {
            "drawer": drawer_id,
            "result": result,
            "origin": origin,
            "actor": {"id": principal.id, "name": principal.name, "role": principal.role.value},
            **{k: details[k] for k in ("reason", "document_id", "code")},
        }
        async with self._store.transaction() as tx:
            await tx.execute(
                "INSERT INTO audit_log (at, actor, origin, action, target, result, details) "
                "VALUES (?, ?, ?, 'drawer.open', ?, ?, ?)",
                (at, principal.id, origin, drawer_id, result, json.dumps(details)),
            )
            await append_event(tx, "drawer_open", str(uuid.uuid4()), payload, occurred_at=at)
        log.info("drawer.open_attempt", drawer=drawer_id, result=result, reason=reason)

    def _device_changed(self, slot: DeviceSlot, what: str) -> None:
        if slot.kind != "drawer":
            return
        status = slot.device.status() if slot.device is not None and slot.online else {}
        value = status.get("open")
        self._update(slot.device_id, value if isinstance(value, bool) else None)

    def _update(self, drawer_id: str, is_open: bool | None) -> None:
        state = self._states.setdefault(drawer_id, _DrawerState())
        was, state.open = state.open, is_open
        if is_open is True and was is not True:
            state.since = time.monotonic()
            self._publish(drawer_id, "opened", True)
            state.timer = asyncio.get_running_loop().create_task(
                self._watch_open(drawer_id, state), name=f"drawer-open:{drawer_id}"
            )
        elif is_open is not True and was is True:
            if state.timer is not None:
                state.timer.cancel()
                state.timer = None
            state.since = None
            if is_open is False:
                self._publish(drawer_id, "closed", False)

    async def _watch_open(self, drawer_id: str, state: _DrawerState) -> None:
        await asyncio.sleep(self._config.open_too_long_s)
        state.timer = None
        if state.open:
            log.warning("drawer.open_too_long", drawer=drawer_id)
            self._publish(drawer_id, "open_too_long", True, open_for_s=self._config.open_too_long_s)

    def _publish(self, drawer_id: str, event: str, is_open: bool, **extra: Any) -> None:
        self._bus.publish("drawer", {"drawer": drawer_id, "event": event, "open": is_open, **extra})
