"""The sync service: owns the push and pull loops, the push lock, signed config and schedules.

Only the daemon holding `sync.lock` (an exclusive flock in the state directory) runs the loops, so
a second daemon started on the same state directory never pushes the same stream twice. The kernel
drops the lock when its holder dies, kill -9 included. Each loop is kept running: an unexpected
error restarts it with backoff and shows an alert, instead of ending sync until a restart.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiosqlite
import structlog

from bridge.config.loader import LoadedConfig
from bridge.store import Store
from bridge.store.lock import DaemonLock
from bridge.store.outbox import append_event
from bridge.sync.client import CloudClient, EventsMissing, SeqConflict, sleep_or_wake
from bridge.sync.protocol import Change
from bridge.sync.pull import PullLoop
from bridge.sync.push import PushLoop
from bridge.sync.signed_config import ConfigRejected, build, check_signature, verify
from bridge.sync.state import (
    CONFIG_ENVELOPE,
    CONFIG_PENDING,
    CONFIG_VERSION,
    SyncStatus,
    dumps,
    outbox_stats,
    quarantined,
    read_state,
    read_state_in,
    write_state,
)

log = structlog.get_logger(__name__)

LOCK_NAME = "sync.lock"
LOOPS = ("push", "pull", "daily")
LOCK_RETRY_S = 5.0
HEALTHY_RUN_S = 60.0  # a loop that ran this long before failing restarts without backoff

ConfigListener = Callable[[LoadedConfig], Awaitable[None] | None]
Writer = Callable[[aiosqlite.Connection], Awaitable[None]]


def sync_lock(state_dir: Path) -> DaemonLock:
    """The lock only one pushing process per database holds (daemon or one-shot `tillbridge sync`)."""
    return DaemonLock(state_dir, exclusive=True, name=LOCK_NAME)


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
        self._lock = sync_lock(state_dir)
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
        await self._apply_pending()  # one committed as trusted before a crash stopped its apply
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
            self.status.update(push_state="standby")
            self.status.raise_alert("sync.standby", message)
            while True:
                await asyncio.sleep(LOCK_RETRY_S)
                if self._lock.try_acquire():
                    break
            self.status.clear_alert("sync.standby")
        self.client = CloudClient(self.cloud, self._store.instance_id)
        await self.client.open()
        self.push = PushLoop(self._store, self.client, self.cloud, self.status)
        self.pull = PullLoop(
            self._store,
            self.client,
            self.cloud,
            self.status,
            self._on_config,
            self._backup,
            after_commit=self._apply_pending,
        )
        self.status.update(running=True)
        log.info("sync.started", url=self.cloud.url, till_id=self.cloud.till_id)
        push, pull = self.push, self.pull
        loops = [
            self._keep_running("push", lambda: push.run(self._push_wake), self._push_wake),
            self._keep_running("pull", lambda: pull.run(self._pull_wake), self._pull_wake),
            self._keep_running("daily", self._daily, None),
        ]
        tasks = [
            asyncio.create_task(c, name=f"sync:{n}") for n, c in zip(LOOPS, loops, strict=True)
        ]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _keep_running(
        self, name: str, run: Callable[[], Awaitable[None]], wake: asyncio.Event | None
    ) -> None:
        """Run one loop for good: an unexpected error (a bug, a StoreError such as a full disk)
        is logged, shown as an alert, and the loop restarts after a backoff ("sync now" cuts it
        short). The loops handle every protocol outcome themselves; this is the last resort."""
        clock = asyncio.get_running_loop()
        attempt = 0
        while True:
            started = clock.time()
            try:
                await run()
                raise RuntimeError("the loop returned")  # they never do
            except Exception as exc:
                if clock.time() - started > HEALTHY_RUN_S:
                    attempt = 0
                delay = min(
                    self.cloud.backoff_cap_s, self.cloud.backoff_base_s * 2 ** min(attempt, 20)
                )
                attempt += 1
                message = (
                    f"sync {name} failed unexpectedly ({type(exc).__name__}: {exc}); it restarts "
                    f"in {delay:.3g} s. If this repeats, send a support bundle to support."
                )
                log.error("sync.loop_failed", loop=name, error=message, exc_info=exc)
                field = "last_push_error" if name == "push" else "last_pull_error"
                self.status.update(**{field: message})
                self.status.raise_alert(f"sync.{name}_failed", message)
            if wake is None:
                await asyncio.sleep(delay)
            else:
                await sleep_or_wake(delay, wake)

    async def _daily(self) -> None:
        while True:
            await asyncio.sleep(seconds_until(self.cloud.daily_reconciliation))
            await self.daily_reconciliation()

    async def daily_reconciliation(self) -> bool:
        """The daily full reconciliation; a failure is logged and shown, and tried again tomorrow
        (or at the next "sync now" that meets an expired cursor)."""
        log.info("sync.daily_reconciliation")
        try:
            await self.reconcile_full()
        except Exception as exc:
            message = f"daily reconciliation failed ({type(exc).__name__}: {exc})"
            log.error("sync.daily_reconciliation_failed", error=message, exc_info=exc)
            self.status.update(last_pull_error=message)
            return False
        return True

    async def reconcile_full(self) -> None:
        """Stream position from the cloud, then a complete snapshot replacing local state."""
        assert self.push is not None and self.pull is not None and self.client is not None
        try:
            await self.push.reconcile(await self.client.stream_state())
        except (SeqConflict, EventsMissing) as exc:
            self.push.halt(
                "sync.events_missing" if isinstance(exc, EventsMissing) else "sync.seq_conflict",
                str(exc),
            )
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
        """Verify a pulled config; the returned writer stores the verdict in the page's transaction.

        The order, so devices never run a config the database does not hold as trusted:
        1. here, before the transaction: signature, till, version, expiry, and the new config
           built; nothing applied, nothing written;
        2. the writer, inside the page's transaction: a good envelope is stored as trusted and
           pending (CONFIG_PENDING), a rejected one recorded as a `config_applied` error;
        3. after that commit, :meth:`_apply_pending` applies it (devices reopened), then in one
           transaction makes it the applied config and records `config_applied` ok, or drops it,
           keeps the old one running and records the error. A crash between 2 and 3 is finished
           at the next start.
        """
        data = change.data
        if change.op == "delete" or data is None:
            return _noop  # the cloud withdrew it: keep what is applied
        applied = self.status.config_version
        version = data.get("version")
        try:
            envelope = verify(data, self.cloud.public_keys, self.cloud.till_id, applied)
            build(self.base_config, envelope.config)
        except ConfigRejected as exc:
            if exc.code == "config.old_version" and version == applied:
                return _noop  # the applied one, delivered again
            log.error("sync.config_rejected", version=version, code=exc.code, error=str(exc))
            return self._outcome(version, exc.code, str(exc))

        async def store_pending(tx: aiosqlite.Connection) -> None:
            raw = await read_state_in(tx, CONFIG_PENDING)
            if raw is not None and int(json.loads(raw)["version"]) > envelope.version:
                return  # a newer one is already waiting to be applied
            await write_state(tx, CONFIG_PENDING, dumps(data))

        return store_pending

    async def _apply_pending(self) -> None:
        """Apply the config committed as trusted and pending, and record the outcome."""
        raw = await read_state(self._store, CONFIG_PENDING)
        if raw is None:
            return
        data = json.loads(raw)
        version = data.get("version")
        error: ConfigRejected | None = None
        try:
            check_signature(data, self.cloud.public_keys)  # it was; the file may have changed
            await self._apply_hot(build(self.base_config, data["config"]))
        except ConfigRejected as exc:
            error = exc
        except Exception as exc:  # keep the old config running
            log.exception("sync.config_apply_failed", version=version)
            error = ConfigRejected("config.apply_failed", f"{type(exc).__name__}: {exc}")
            try:
                await self._apply_hot(self.current_config)
            except Exception:
                log.exception("sync.config_restore_failed", version=self.status.config_version)
        async with self._store.transaction() as tx:
            if error is None:
                await write_state(tx, CONFIG_ENVELOPE, dumps(data))
                await write_state(tx, CONFIG_VERSION, str(version))
            await tx.execute("DELETE FROM sync_state WHERE key = ?", (CONFIG_PENDING,))
            await self._outcome(
                version, error.code if error else None, str(error) if error else None
            )(tx)
        if error is None:
            self.status.update(config_version=int(version))
            log.info("sync.config_applied", version=version)
        else:
            log.error("sync.config_rejected", version=version, code=error.code, error=str(error))

    def _outcome(self, version: Any, code: str | None, message: str | None) -> Writer:
        async def write(tx: aiosqlite.Connection) -> None:
            payload: dict[str, Any] = {
                "version": version,
                "status": "ok" if code is None else "error",
            }
            if code is not None:
                payload["error"] = f"{code}: {message}"
            await append_event(tx, "config_applied", str(uuid.uuid4()), payload)

        return write
