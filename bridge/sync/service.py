"""The sync service: owns the push and pull loops, the push lock, signed config and schedules.

Only the daemon holding `sync.lock` (an exclusive flock in the state directory) runs the loops, so
a second daemon started on the same state directory never pushes the same stream twice. The kernel
drops the lock when its holder dies, kill -9 included.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import uuid
from collections.abc import Awaitable, Callable
from contextlib import suppress
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiosqlite
import structlog

from bridge.config.loader import LoadedConfig
from bridge.store import Store
from bridge.store.outbox import append_event
from bridge.sync.client import CloudClient
from bridge.sync.protocol import Change
from bridge.sync.pull import PullLoop
from bridge.sync.push import PushLoop
from bridge.sync.signed_config import ConfigRejected, build, check_signature, verify
from bridge.sync.state import (
    CONFIG_ENVELOPE,
    CONFIG_VERSION,
    Alert,
    SyncStatus,
    dumps,
    outbox_stats,
    quarantined,
    read_state,
    write_state,
)

log = structlog.get_logger(__name__)

LOCK_NAME = "sync.lock"
LOCK_RETRY_S = 5.0

ConfigListener = Callable[[LoadedConfig], Awaitable[None] | None]
Writer = Callable[[aiosqlite.Connection], Awaitable[None]]


class SyncLock:
    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / LOCK_NAME
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None


def seconds_until(hhmm: str, now: datetime | None = None) -> float:
    """Seconds until the next local HH:MM."""
    now = now or datetime.now().astimezone()
    hour, minute = (int(part) for part in hhmm.split(":"))
    target = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if target <= now:
        target += timedelta(days=1)
    return (target - now).total_seconds()


async def _noop(_tx: aiosqlite.Connection) -> None:
    return None


class SyncService:
    def __init__(
        self,
        config: LoadedConfig,
        store: Store,
        state_dir: Path,
        *,
        apply_devices: Callable[[LoadedConfig], Awaitable[object]],
        backup: Callable[[], Awaitable[object]],
        publish: Callable[[dict[str, Any]], None],
    ) -> None:
        self.base_config = config
        self.current_config = config
        self.cloud = config.settings.cloud
        self._store = store
        self._lock = SyncLock(state_dir)
        self._apply_devices = apply_devices
        self._backup = backup
        self._listeners: list[ConfigListener] = []
        self.status = SyncStatus(enabled=self.cloud.enabled)
        self.status.listeners.append(publish)
        self._tasks: list[asyncio.Task[None]] = []
        self._push_wake = asyncio.Event()
        self._pull_wake = asyncio.Event()
        self.client: CloudClient | None = None
        self.push: PushLoop | None = None
        self.pull: PullLoop | None = None

    def add_config_listener(self, listener: ConfigListener) -> None:
        """Services whose rules come from the config (drawer policy) hear of a new one."""
        self._listeners.append(listener)

    # -- life cycle --------------------------------------------------------------------
    async def start(self) -> None:
        if not self.cloud.enabled:
            return
        version = await read_state(self._store, CONFIG_VERSION)
        self.status.update(config_version=int(version or 0))
        await self._restore_trusted_config()
        self._tasks.append(asyncio.create_task(self._supervise(), name="sync"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self.client is not None:
            await self.client.close()
        self._lock.release()
        self.status.update(running=False)

    async def _supervise(self) -> None:
        if not self._lock.try_acquire():
            message = (
                f"another tillbridge holds {self._lock.path} and pushes this database; "
                "this daemon does not sync (stop the other one)"
            )
            log.warning("sync.standby", error=message)
            self.status.update(push_state="standby", alert=Alert("sync.standby", message))
            while True:
                await asyncio.sleep(LOCK_RETRY_S)
                if self._lock.try_acquire():
                    break
            self.status.update(alert=None)
        self.client = CloudClient(self.cloud, self._store.instance_id)
        await self.client.open()
        self.push = PushLoop(self._store, self.client, self.cloud, self.status)
        self.pull = PullLoop(
            self._store, self.client, self.cloud, self.status, self._on_config, self._backup
        )
        self.status.update(running=True)
        log.info("sync.started", url=self.cloud.url, till_id=self.cloud.till_id)
        loops = [
            asyncio.create_task(self.push.run(self._push_wake), name="sync:push"),
            asyncio.create_task(self.pull.run(self._pull_wake), name="sync:pull"),
            asyncio.create_task(self._daily(), name="sync:daily"),
        ]
        try:
            await asyncio.gather(*loops)
        finally:
            for task in loops:
                task.cancel()
            await asyncio.gather(*loops, return_exceptions=True)

    async def _daily(self) -> None:
        while True:
            await asyncio.sleep(seconds_until(self.cloud.daily_reconciliation))
            log.info("sync.daily_reconciliation")
            with suppress(Exception):
                await self.reconcile_full()

    async def reconcile_full(self) -> None:
        """Stream position from the cloud, then a complete snapshot replacing local state."""
        assert self.push is not None and self.pull is not None and self.client is not None
        await self.push.reconcile(await self.client.stream_state())
        await self.pull.snapshot()

    # -- sync now and status ----------------------------------------------------------
    async def run_now(self, wait_s: float = 0.0) -> bool:
        """Start a push and a pull now; with ``wait_s``, wait until both are done."""
        if not self.cloud.enabled:
            return False
        self._push_wake.set()
        self._pull_wake.set()
        if wait_s <= 0 or self.push is None or self.pull is None:
            return True
        push, pull = self.push, self.pull
        push.drained.clear()

        async def done() -> None:
            await push.drained.wait()
            await pull.caught_up.wait()

        try:
            await asyncio.wait_for(done(), wait_s)
        except TimeoutError:
            return False
        return True

    async def describe(self) -> dict[str, Any]:
        pending, age = await outbox_stats(self._store)
        cursor = await read_state(self._store, "cursor")
        return {
            **self.status.public(),
            "pending": pending,
            "oldest_pending_age_s": age,
            "cursor": cursor,
            "lock_held": self._lock.held,
            "quarantined": await quarantined(self._store),
        }

    # -- signed config -----------------------------------------------------------------
    async def _restore_trusted_config(self) -> None:
        raw = await read_state(self._store, CONFIG_ENVELOPE)
        if raw is None:
            return
        data = json.loads(raw)
        try:
            check_signature(data, self.cloud.public_keys)
            new = build(self.base_config, data["config"])
        except ConfigRejected as exc:
            log.error("sync.stored_config_unusable", error=str(exc), action="using the local file")
            return
        await self._apply_hot(new)

    async def _apply_hot(self, new: LoadedConfig) -> None:
        await self._apply_devices(new)
        for listener in self._listeners:
            result = listener(new)
            if result is not None:
                await result
        self.current_config = new

    async def _on_config(self, change: Change) -> Writer:
        data = change.data
        if change.op == "delete" or data is None:
            return _noop  # the cloud withdrew it: keep what is applied
        applied = self.status.config_version
        version = data.get("version")
        try:
            envelope = verify(data, self.cloud.public_keys, self.cloud.till_id, applied)
            new = build(self.base_config, envelope.config)
        except ConfigRejected as exc:
            if exc.code == "config.old_version" and version == applied:
                return _noop  # the applied one, delivered again
            log.error("sync.config_rejected", version=version, code=exc.code, error=str(exc))
            return self._outcome(version, exc.code, str(exc), None)
        try:
            await self._apply_hot(new)
        except Exception as exc:  # keep the old config running
            log.exception("sync.config_apply_failed", version=envelope.version)
            await self._apply_hot(self.current_config)
            return self._outcome(envelope.version, "config.apply_failed", str(exc), None)
        log.info("sync.config_applied", version=envelope.version)
        return self._outcome(envelope.version, None, None, data)

    def _outcome(
        self,
        version: Any,
        code: str | None,
        message: str | None,
        envelope: dict[str, Any] | None,
    ) -> Writer:
        async def write(tx: aiosqlite.Connection) -> None:
            payload: dict[str, Any] = {
                "version": version,
                "status": "ok" if code is None else "error",
            }
            if code is not None:
                payload["error"] = f"{code}: {message}"
            if envelope is not None:
                await write_state(tx, CONFIG_ENVELOPE, dumps(envelope))
                await write_state(tx, CONFIG_VERSION, str(envelope["version"]))
                self.status.update(config_version=int(envelope["version"]))
            await append_event(tx, "config_applied", str(uuid.uuid4()), payload)

        return write
