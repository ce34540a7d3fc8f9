"""A USB keyboard-wedge scanner read through evdev, grabbed so it never types into the browser.

The device is found again by its stable identity on every open (a ``/dev/input/by-id`` or
``by-path`` link, or vendor/product/serial/name), so a replug into another port works and a
renumbered ``eventN`` never picks the wrong device. Events are read with ``loop.add_reader`` and
decoded on the loop; scans leave through the sync ``emit`` callback, so nothing here waits on a
consumer. Only the device's own thread does blocking work (finding, opening, grabbing, closing).
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import re
from dataclasses import dataclass
from typing import Any, Protocol

from drivers.base import (
    DeviceConfigError,
    DeviceLost,
    DeviceNotReady,
    DriverOptions,
    Emit,
    Scanner,
)
from drivers.scanner.evdev_options import EvdevScannerOptions
from drivers.scanner.input_identity import InputDeviceInfo, can_type, classify, matches
from drivers.scanner.keystroke_decoder import DecoderSettings, KeystrokeDecoder
from drivers.scanner.outlet import ScanOutlet
from drivers.scanner.worker import BlockingWorker

log = logging.getLogger(__name__)

INPUT_DIR = "/dev/input"
_EVENT_NODE = re.compile(r"event\d+")
_OPEN_TIMEOUT = 5.0
_CLOSE_TIMEOUT = 2.0
EV_KEY = 1
LED_CAPSL = 1


class InputDeviceLike(Protocol):
    """The part of ``evdev.InputDevice`` the scanner uses."""

    fd: int
    name: str
    uniq: str
    phys: str
    info: Any

    def capabilities(self, verbose: bool = ..., absinfo: bool = ...) -> dict[int, list[int]]: ...
    def grab(self) -> None: ...
    def ungrab(self) -> None: ...
    def read(self) -> Any: ...
    def leds(self) -> list[int]: ...
    def active_keys(self) -> list[int]: ...
    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class _Opened:
    device: InputDeviceLike
    node: str
    info: InputDeviceInfo
    kind: str
    caps_lock: bool
    pressed: list[int]


class EvdevScanner(Scanner):
    """A keyboard-wedge scanner; see the module docstring."""

    Options = EvdevScannerOptions
    options: EvdevScannerOptions

    def __init__(self, device_id: str, options: DriverOptions, emit: Emit) -> None:
        super().__init__(device_id, options, emit)
        self._worker = BlockingWorker(device_id)
        self._outlet = ScanOutlet(emit, self.options.aim_ids)
        self._opened: _Opened | None = None
        self._decoder: KeystrokeDecoder | None = None
        self._state = "closed"
        self._last_error: dict[str, str] | None = None

    # -- contract --------------------------------------------------------------------------

    async def open(self) -> None:
        if self._opened is not None:
            return
        try:
            opened = await self._worker.call(self._open_blocking, limit=_OPEN_TIMEOUT, what="open")
        except (DeviceNotReady, DeviceConfigError) as exc:
            self._worker.shutdown()
            self._state = "error"
            self._last_error = {"code": exc.code, "message": str(exc)}
            raise
        o = self.options
        self._decoder = KeystrokeDecoder(
            DecoderSettings(
                layout=o.layout,
                terminator=o.terminator,
                end_gap=o.end_gap_ms / 1000,
                stale_after=o.stale_after_ms / 1000,
                max_length=o.max_length,
                caps_lock_from_led=o.caps_lock_from_led,
            ),
            caps_lock=opened.caps_lock,
        )
        self._decoder.resync(opened.pressed)
        self._opened = opened
        self._state = "open"
        self._last_error = None
        asyncio.get_running_loop().add_reader(opened.device.fd, self._on_readable)
        log.info("scanner %s: grabbed %s (%s)", self.device_id, opened.node, opened.info.name)

    async def close(self) -> None:
        opened, self._opened = self._opened, None
        self._outlet.cancel()
        if opened is not None:
            self._stop_reading(opened, "closed")
            try:
                await self._worker.call(
                    lambda: self._close_blocking(opened.device),
                    limit=_CLOSE_TIMEOUT,
                    what="close",
                )
            except Exception:  # close never raises; the fd dies with the process at worst
                log.warning("scanner %s: close failed", self.device_id, exc_info=True)
        self._worker.shutdown()
        if self._state != "lost":
            self._state = "closed"

    def status(self) -> dict[str, Any]:
        opened = self._opened
        info = opened.info if opened else None
        return {
            "state": self._state,
            "node": opened.node if opened else None,
            "name": info.name if info else None,
            "vendor_id": f"{info.vendor_id:04x}" if info and info.vendor_id is not None else None,
            "product_id": (
                f"{info.product_id:04x}" if info and info.product_id is not None else None
            ),
            "serial": info.serial if info else None,
            "looks_like": opened.kind if opened else None,
            "layout": self.options.layout,
            "caps_lock": self._decoder.caps_lock if self._decoder else None,
            "last_error": self._last_error,
            **self._outlet.status(),
        }

    # -- reading on the loop ---------------------------------------------------------------

    def _on_readable(self) -> None:
        opened, decoder = self._opened, self._decoder
        if opened is None or decoder is None:
            return
        try:
            events = list(opened.device.read())
        except BlockingIOError:
            return
        except OSError as exc:
            self._lost(opened, exc)
            return
        now = asyncio.get_running_loop().time()
        for event in events:
            self._outlet.deliver(decoder.feed(event.type, event.code, event.value, now))
        if decoder.wants_key_state:
            try:
                decoder.resync(opened.device.active_keys())
            except OSError:
                decoder.resync(())
        self._outlet.schedule(decoder, self._on_timer)

    def _on_timer(self) -> None:
        decoder = self._decoder
        if decoder is None or self._opened is None:
            return
        self._outlet.deliver(decoder.poll(asyncio.get_running_loop().time()))
        self._outlet.schedule(decoder, self._on_timer)

    def _lost(self, opened: _Opened, exc: OSError) -> None:
        self._stop_reading(opened, "device_lost")
        gone = exc.errno in (errno.ENODEV, errno.ENXIO, errno.EIO)
        error = DeviceNotReady(
            f"scanner {self.device_id} ({opened.info.name}) "
            + ("was unplugged" if gone else f"failed to read: {exc}")
            + "; it is re-opened when it comes back",
            code="scanner.unplugged" if gone else "scanner.read_failed",
        )
        self._state = "lost"
        self._last_error = {"code": error.code, "message": str(error)}
        self._emit(DeviceLost(error))

    def _stop_reading(self, opened: _Opened, reason: str) -> None:
        self._outlet.cancel()
        try:
            asyncio.get_running_loop().remove_reader(opened.device.fd)
        except (ValueError, OSError):
            pass
        if self._decoder is not None:
            partial = self._decoder.abandon(reason)
            if partial is not None:
                self._outlet.deliver([partial])

    # -- blocking helpers (device thread only) ---------------------------------------------

    def _open_blocking(self) -> _Opened:
        device, node = self._find_blocking()
        try:
            info = _device_info(device)
            verdict = classify(info)
            if verdict.kind != "scanner" and not self.options.allow_keyboard_like:
                raise DeviceConfigError(
                    f"scanner {self.device_id}: {node} ({info.name!r}) looks like a keyboard: "
                    f"{verdict.reason}. It was not grabbed. If it really is the scanner, set "
                    "allow_keyboard_like = true for this device.",
                    code="scanner.looks_like_keyboard",
                )
            try:
                device.grab()
            except OSError as exc:
                raise DeviceNotReady(
                    f"scanner {self.device_id}: {node} is held by another program ({exc}); "
                    "stop it (another tillbridge?) so the scanner can be grabbed",
                    code="scanner.busy",
                ) from exc
            caps = False
            if self.options.caps_lock_from_led:
                caps = LED_CAPSL in _safe(device.leds)
            return _Opened(device, node, info, verdict.kind, caps, _safe(device.active_keys))
        except BaseException:
            device.close()
            raise

    def _find_blocking(self) -> tuple[InputDeviceLike, str]:
        o = self.options
        if o.path is not None:
            node = _event_node(o.path, self.device_id)
            device = self._open_node_blocking(node)
            if not matches(_device_info(device), **self._identity()):
                device.close()
                raise DeviceNotReady(
                    f"scanner {self.device_id}: {o.path} is now a different device "
                    f"({device.name!r}); plug the scanner back into that port",
                    code="scanner.not_found",
                )
            return device, node
        found: list[tuple[InputDeviceLike, str]] = []
        for node in self._list_nodes_blocking():
            try:
                device = self._open_node_blocking(node)
            except OSError:
                continue  # vanished or not ours to read: not the scanner
            info = _device_info(device)
            if matches(info, **self._identity()) and can_type(info.key_codes):
                found.append((device, node))
            else:
                device.close()
        if not found:
            raise DeviceNotReady(
                f"scanner {self.device_id}: no input device matches {self._identity_text()}; "
                "is it plugged in? `tillbridge devices` lists what is connected",
                code="scanner.not_found",
            )
        if len(found) > 1:
            names = ", ".join(f"{n} ({d.name!r}, phys {d.phys})" for d, n in found)
            for device, _ in found:
                device.close()
            raise DeviceConfigError(
                f"scanner {self.device_id}: {len(found)} devices match "
                f"{self._identity_text()}: {names}. Add serial or a by-path link to tell them apart.",
                code="scanner.ambiguous",
            )
        return found[0]

    def _list_nodes_blocking(self) -> list[str]:
        try:
            names = os.listdir(INPUT_DIR)
        except OSError:
            return []
        return sorted(
            (os.path.join(INPUT_DIR, n) for n in names if _EVENT_NODE.fullmatch(n)),
            key=lambda p: int(p.rsplit("event", 1)[1]),
        )

    def _open_node_blocking(self, node: str) -> InputDeviceLike:
        import evdev

        try:
            return evdev.InputDevice(node)
        except FileNotFoundError as exc:
            raise DeviceNotReady(
                f"scanner {self.device_id}: {node} is gone", code="scanner.not_found"
            ) from exc
        except PermissionError as exc:
            raise DeviceNotReady(
                f"scanner {self.device_id}: no permission to read {node}; install the udev "
                "rule from tillbridge's udev rules (`tillbridge devices` shows them) and replug the scanner",
                code="scanner.permission_denied",
            ) from exc

    @staticmethod
    def _close_blocking(device: InputDeviceLike) -> None:
        try:
            device.ungrab()
        except OSError:
            pass  # already gone with the device
        device.close()

    def _identity(self) -> dict[str, Any]:
        o = self.options
        return {
            "vendor_id": o.vendor_id,
            "product_id": o.product_id,
            "serial": o.serial,
            "name": o.name,
        }

    def _identity_text(self) -> str:
        parts = [
            f"{k}={v:04x}" if isinstance(v, int) else f"{k}={v!r}"
            for k, v in self._identity().items()
            if v is not None
        ]
        return " ".join(parts)


def _event_node(link: str, device_id: str) -> str:
    """The /dev/input/eventN a stable link names now (read one level, not the final target)."""
    try:
        target = os.readlink(link)
    except FileNotFoundError:
        raise DeviceNotReady(
            f"scanner {device_id}: {link} does not exist; is the scanner plugged in "
            "(into the same port, for a by-path link)?",
            code="scanner.not_found",
        ) from None
    except OSError as exc:
        raise DeviceConfigError(
            f"scanner {device_id}: {link} is not a device link ({exc})", code="scanner.bad_path"
        ) from None
    name = os.path.basename(target)
    if not _EVENT_NODE.fullmatch(name):
        raise DeviceConfigError(
            f"scanner {device_id}: {link} points to {target}, not an input event device; "
            "use the link ending in -event-kbd",
            code="scanner.bad_path",
        )
    return os.path.join(INPUT_DIR, name)


def _device_info(device: InputDeviceLike) -> InputDeviceInfo:
    try:
        keys = frozenset(device.capabilities().get(EV_KEY, ()))
    except OSError:
        keys = None
    return InputDeviceInfo(
        name=device.name,
        vendor_id=getattr(device.info, "vendor", None),
        product_id=getattr(device.info, "product", None),
        serial=device.uniq or "",
        phys=device.phys or "",
        key_codes=keys,
    )


def _safe(query: Any) -> list[int]:
    """A state query (EVIOCGKEY, EVIOCGLED) that some devices and emulators do not answer."""
    try:
        return list(query())
    except (OSError, SystemError):
        return []
