"""The pull loop: a long poll on the change feed; a page and its cursor stored in one transaction.

Catalog and stock changes go through bridge.catalog.changes (versions compared, so replays are
harmless). A change this till cannot use is skipped and shown in the status; it never stops the feed.
Config changes are verified before the page's transaction, stored as trusted inside it, and applied
(devices reopened) only after it has committed: see SyncService._on_config.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Sequence

import aiosqlite
import structlog

from bridge.catalog.changes import (
    KINDS,
    CloudStock,
    PulledChange,
    apply_change,
    apply_snapshot,
)
from bridge.catalog.models import Product
from bridge.config.models import CloudConfig
from bridge.store import Store
from bridge.sync.client import (
    CloudClient,
    CredentialsRejected,
    CursorExpired,
    RetryAfter,
    SyncError,
    sleep_or_wake,
)
from bridge.sync.protocol import Change, MalformedChange, read_changes
from bridge.sync.push import full_jitter
from bridge.sync.state import CURSOR, Alert, SyncStatus, now_iso, read_state, write_state
from bridge.wire import convert

log = structlog.get_logger(__name__)

#: Verifies a config change before the page's transaction (no side effects); returns a writer
#: that stores the verdict inside that transaction.
ConfigHandler = Callable[[Change], Awaitable[Callable[[aiosqlite.Connection], Awaitable[None]]]]
#: Runs after the page's transaction committed: applies a config stored there as trusted.
AfterCommit = Callable[[], Awaitable[None]]
BackupHook = Callable[[], Awaitable[object]]


def _pulled(change: Change) -> PulledChange:
    """The feed's change as the catalog reads it; Change was validated with the same rules."""
    return PulledChange(
        kind=change.kind, key=change.key, op=change.op, version=change.version, data=change.data
    )


class PullLoop:
    def __init__(
        self,
        store: Store,
        client: CloudClient,
        config: CloudConfig,
        status: SyncStatus,
        on_config: ConfigHandler,
        backup: BackupHook,
        rng: random.Random | None = None,
        *,
        after_commit: AfterCommit | None = None,
    ) -> None:
        self._store = store
        self._after_commit = after_commit
        self._client = client
        self._config = config
        self._status = status
        self._on_config = on_config
        self._backup = backup
        self._rng = rng or random.Random()
        self.caught_up = asyncio.Event()

    async def run(self, wake: asyncio.Event) -> None:
        attempt = 0
        wait = 0
        while True:
            try:
                more = await self.pull_page(wait)
                attempt = 0
                self._status.update(pull_state="online")
                self._status.clear_alert("sync.pull_failed")
                if more:
                    wait = 0
                    continue
                self.caught_up.set()
                # Hold the next request open: the cloud answers as soon as something changes.
                wait = 0 if wake.is_set() else self._config.long_poll_s
                wake.clear()
            except CursorExpired:
                log.info("sync.cursor_expired", action="fetching a full snapshot")
                try:
                    await self.snapshot()
                except SyncError as exc:
                    attempt = await self._failed(exc, attempt, wake)
                wait = 0
            except CredentialsRejected as exc:
                self._status.update(
                    pull_state="retrying",
                    last_pull_error=str(exc),
                    alert=Alert("sync.credentials", str(exc)),
                )
                await sleep_or_wake(self._config.credentials_retry_s, wake)
                wake.clear()
                wait = 0
            except RetryAfter as exc:
                self._status.update(pull_state="retrying", last_pull_error=str(exc))
                # Honoured for automatic retries; a person's "sync now" may cut it short, once.
                await sleep_or_wake(exc.seconds, wake)
                wake.clear()
                wait = 0
            except SyncError as exc:
                attempt = await self._failed(exc, attempt, wake)
                wait = 0

    async def _failed(self, exc: Exception, attempt: int, wake: asyncio.Event) -> int:
        delay = full_jitter(
            attempt, self._config.backoff_base_s, self._config.backoff_cap_s, self._rng
        )
        if attempt == 0:
            log.warning("sync.pull_failed", error=str(exc), retry_in_s=round(delay, 2))
        self._status.update(pull_state="retrying", last_pull_error=str(exc))
        self.caught_up.clear()
        await sleep_or_wake(delay, wake)
        wake.clear()
        return attempt + 1

    async def pull_page(self, wait: int) -> bool:
        """One page of the feed applied with its cursor; True if the cloud has more."""
        cursor = await read_state(self._store, CURSOR)
        page = await self._client.changes(cursor, wait)
        changes, malformed = read_changes(page.changes)
        self._skip_malformed(malformed)
        writers = [await self._on_config(c) for c in changes if c.kind == "config"]
        others = [c for c in changes if c.kind != "config"]
        async with self._store.transaction() as tx:
            applied = await self._apply(tx, others)
            for write in writers:
                await write(tx)
            await write_state(tx, CURSOR, page.next_cursor)
        await self._committed()
        if page.changes:
            log.debug("sync.pulled", changes=len(page.changes), applied=applied)
        self._status.update(last_pull_ok=now_iso(), last_pull_error=None)
        return page.has_more

    async def _committed(self) -> None:
        if self._after_commit is not None:
            await self._after_commit()

    def _skip_malformed(self, malformed: Sequence[MalformedChange]) -> None:
        """Items of a page that are not changes at all: reported like any skipped change."""
        for item in malformed:
            message = (
                f"skipped item {item.index} of a page ({item.kind} {item.key} v{item.version}): "
                f"not a change this till can read: {item.problem}"
            )
            log.warning("sync.change_skipped", error=message)
            self._status.skip(item.kind, item.key, item.version, message)

    def _skip(self, change: Change, exc: Exception) -> None:
        """A change this till cannot use must not block the feed; report it and go on."""
        message = f"skipped {change.kind} {change.key} v{change.version}: {exc}"
        log.warning("sync.change_skipped", error=message)
        self._status.skip(change.kind, change.key, change.version, message)

    async def _apply(self, tx: aiosqlite.Connection, changes: Sequence[Change]) -> int:
        applied = 0
        for change in changes:
            if change.kind not in KINDS:
                log.debug("sync.kind_ignored", kind=change.kind, key=change.key)
                continue  # a later kind this till does not know
            try:
                if await apply_change(tx, _pulled(change), self._store.instance_id):
                    applied += 1
            except ValueError as exc:  # bridge.wire.WireError included
                self._skip(change, exc)
        return applied

    def _usable(self, item: Change) -> PulledChange | None:
        """A snapshot item checked as apply_snapshot will read it; None (skipped) if unusable.

        A skipped item counts as absent, so the till drops its older local copy rather than
        sell at a price the cloud no longer has."""
        try:
            pulled = _pulled(item)
            if pulled.kind == "product":
                if convert(pulled.data or {}, Product).sku != pulled.key:
                    raise ValueError(f"key {pulled.key!r} is not the product's sku")
            elif pulled.kind == "stock":
                stock = convert(pulled.data or {}, CloudStock)
                if f"{stock.sku}@{stock.warehouse}" != pulled.key:
                    raise ValueError(f"key {pulled.key!r} does not match its data")
        except ValueError as exc:  # bridge.wire.WireError included
            self._skip(item, exc)
            return None
        return pulled

    async def snapshot(self) -> None:
        """Fetch every page, back the database up, then replace catalog and stock at once."""
        self._status.update(pull_state="snapshot")
        items: list[Change] = []
        token: str | None = None
        cursor = ""
        while True:
            page = await self._client.snapshot(token)
            usable, malformed = read_changes(page.items)
            self._skip_malformed(malformed)  # absent from the snapshot, like any unusable item
            items.extend(usable)
            cursor = page.cursor
            token = page.next_page_token
            if token is None:
                break
        writers = [await self._on_config(c) for c in items if c.kind == "config"]
        pulled = [p for c in items if c.kind != "config" and (p := self._usable(c)) is not None]
        await self._backup()
        async with self._store.transaction() as tx:
            result = await apply_snapshot(tx, pulled, self._store.instance_id)
            for write in writers:
                await write(tx)
            await write_state(tx, CURSOR, cursor)
        await self._committed()
        log.info(
            "sync.snapshot_applied",
            products=result.products,
            stock=result.stock,
            removed_products=result.removed_products,
            removed_stock=result.removed_stock,
        )
        self._status.update(last_pull_ok=now_iso(), last_reconciliation=now_iso())
