"""The drawer service: policy-checked, audited opens, and drawer state as ``drawer`` events.

Every open attempt, allowed or refused, writes one audit record and one upstream ``drawer_open``
event in one transaction (security.md item 9). An allowed open is recorded *before* the kick,
audit row ``pending`` and event ``attempted``, so a crash or a store error can never leave an
open without its record; the kick's outcome then goes into that same audit row (``opened`` or
``failed``). The event is not followed by a second one: outbox events are immutable once
written and may already be upstream, the cloud counts one ``drawer_open`` per attempt, and
which attempts the hardware carried out is a local fact (the audit row; a ``failed`` one also
answered 503). Refusals are known at once and written with their result.

A raw print job that keeps its drawer kicks is an open attempt too (:meth:`authorize_raw_kick`):
the same policy and rate limit, audited when the job is accepted, before it can print.

State comes from each drawer device's status (a printer drawer reads its printer's DLE EOT 1
sensor bit); a drawer left open past the configured time raises ``open_too_long`` once.
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
from bridge.config.loader import LoadedConfig
from bridge.config.models import DrawersConfig
from bridge.devices.manager import DeviceManager, DeviceSlot
from bridge.drawers.policy import DocumentLookup, DrawerPolicy, DrawerRefused, Refusal
from bridge.drawers.printer_drawer import PrinterDrawer, PrinterDrawerOptions
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


__all__ = ["DrawerRefused", "DrawerService", "recorded_documents"]


def recorded_documents(recorder: Callable[[], Any]) -> DocumentLookup:
    """The policy's document lookup, through the document recorder (``get`` by id)."""

    async def lookup(document_id: str) -> dict[str, Any] | None:
        recorded = await recorder().get(document_id)
        return dict(recorded.document) if recorded is not None else None

    return lookup


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
        documents: DocumentLookup | None = None,
    ) -> None:
        self.policy = DrawerPolicy(config, documents)
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

    def reconfigure(self, config: LoadedConfig) -> None:
        """A hot config: new rules in place, opens already counted stay counted."""
        self._config = config.settings.drawers
        self.policy.update(config.settings.drawers)

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
            else await self.policy.check(principal, reason, document_id)
        )
        if refusal is None and drawer is None:
            refusal = self._offline(drawer_id)  # known before any kick: nothing was attempted
        if refusal is not None:
            result = "failed" if refusal.status == 503 else "refused"
            await self._audit(drawer_id, reason, document_id, principal, origin, result, refusal)
            raise DrawerRefused(refusal)
        assert drawer is not None
        audit_id = await self._audit(
            drawer_id, reason, document_id, principal, origin, "pending", None, "attempted"
        )
        refusal = await self._kick(drawer_id, drawer)
        await self._record_outcome(audit_id, drawer_id, refusal)
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

    async def authorize_raw_kick(
        self,
        printer_id: str,
        reason: str | None,
        document_id: str | None,
        principal: TokenInfo | None,
        origin: str | None,
        job_id: str,
    ) -> bool:
        """May a raw job for ``printer_id`` keep its drawer kicks? Audited like an open.

        False for a role that may not open drawers (its kicks are removed and the job prints,
        security.md item 10); DrawerRefused for any other refusal, the rate limit included, so
        the job is refused; True once the attempt is audited (result ``attempted``: the kick
        goes out when the job prints).
        """
        target = self._drawer_on(printer_id)
        extra = {"via": "raw_print", "printer": printer_id, "job": job_id}
        if principal is None:
            return False  # no one asked through the API: nothing to keep
        refusal: Refusal | None
        if not self.policy.may_kick(principal.role):
            refusal = Refusal(
                403,
                "drawer.forbidden_role",
                f"A {principal.role.value} token may not open the drawer on this till; "
                "the kicks were removed from the job.",
            )
        elif reason is None:
            refusal = Refusal(
                422,
                "drawer.reason_required",
                "A raw job with open_drawer needs drawer_reason (one of "
                f"{', '.join(self.policy.config.reasons)}) and, where that reason needs one, "
                "document_id.",
            )
        else:
            refusal = await self.policy.check(principal, reason, document_id)
        result = "refused" if refusal is not None else "attempted"
        await self._audit(
            target, reason or "", document_id, principal, origin, result, refusal, extra=extra
        )
        if refusal is None:
            return True
        if refusal.code == "drawer.forbidden_role":
            return False
        raise DrawerRefused(refusal)

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

    def _drawer_on(self, printer_id: str) -> str:
        """The drawer cabled to that printer (the audit's target), else the printer itself."""
        for slot in self._devices.slots():
            options = slot.options
            if isinstance(options, PrinterDrawerOptions) and options.printer == printer_id:
                return slot.device_id
        return printer_id

    def _offline(self, drawer_id: str) -> Refusal:
        slot = self._devices.get(drawer_id)
        state = slot.state if slot is not None else "missing"
        return Refusal(503, "drawer.offline", f"Drawer {drawer_id} is not available ({state}).")

    async def _kick(self, drawer_id: str, drawer: Drawer) -> Refusal | None:
        try:
            await asyncio.wait_for(drawer.kick(), KICK_TIMEOUT_S)
        except DeviceError as exc:
            return Refusal(503, exc.code, str(exc))
        except (OSError, TimeoutError) as exc:
            return Refusal(503, "drawer.offline", f"Drawer {drawer_id} did not respond: {exc}")
        return None

    async def _audit(
        self,
        target: str,
        reason: str,
        document_id: str | None,
        principal: TokenInfo,
        origin: str | None,
        result: str,
        refusal: Refusal | None,
        event_result: str | None = None,
        *,
        extra: dict[str, Any] | None = None,
    ) -> int:
        """One audit row and its ``drawer_open`` event in one transaction; the row's id."""
        at = now()
        event_id = str(uuid.uuid4())
        details = {
            "reason": reason,
            "document_id": document_id,
            "token_name": principal.name,
            "role": principal.role.value,
            "code": refusal.code if refusal else None,
            "event": event_id,
            **(extra or {}),
        }
        payload = {
            "drawer": target,
            "result": event_result or result,
            "origin": origin,
            "actor": {"id": principal.id, "name": principal.name, "role": principal.role.value},
            **{k: details[k] for k in ("reason", "document_id", "code")},
            **(extra or {}),
        }
        async with self._store.transaction() as tx:
            rows = await tx.execute_fetchall(
                "INSERT INTO audit_log (at, actor, origin, action, target, result, details) "
                "VALUES (?, ?, ?, 'drawer.open', ?, ?, ?) RETURNING id",
                (at, principal.id, origin, target, result, json.dumps(details)),
            )
            await append_event(tx, "drawer_open", event_id, payload, occurred_at=at)
        log.info("drawer.open_attempt", drawer=target, result=result, reason=reason)
        return int(next(iter(rows))[0])

    async def _record_outcome(self, audit_id: int, drawer_id: str, refusal: Refusal | None) -> None:
        """``opened`` or ``failed`` into the attempt's audit row (the event stays ``attempted``)."""
        result = "opened" if refusal is None else "failed"
        try:
            async with self._store.transaction() as tx:
                await tx.execute(
                    "UPDATE audit_log SET result = ?, "
                    "details = json_set(details, '$.code', ?) WHERE id = ?",
                    (result, refusal.code if refusal else None, audit_id),
                )
        except Exception:  # the attempt is on record; only its outcome is missing
            log.exception("drawer.outcome_not_recorded", drawer=drawer_id, result=result)
        else:
            log.info("drawer.open_outcome", drawer=drawer_id, result=result)

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
