"""The pull loop: a long poll on the change feed; a page and its cursor stored in one transaction.

Catalog and stock changes go through bridge.catalog.changes (versions compared, so replays are
harmless). Config changes go through the signed-config path first, because applying one reopens
devices, which must not happen inside a database transaction.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Sequence

import aiosqlite
import structlog
from pydantic import ValidationError

from bridge.catalog.changes import KINDS, PulledChange, apply_change, apply_snapshot
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
from bridge.sync.protocol import Change
from bridge.sync.push import full_jitter
from bridge.sync.state import CURSOR, Alert, SyncStatus, now_iso, read_state, write_state

log = structlog.get_logger(__name__)

#: Verifies and applies config changes before the page's transaction; returns a writer that
#: records the outcome (trusted state, `config_applied` event) inside that transaction.
ConfigHandler = Callable[[Change], Awaitable[Callable[[aiosqlite.Connection], Awaitable[None]]]]
BackupHook = Callable[[], Awaitable[object]]


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
    ) -> None:
        self._store = store
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
                self._status.update(pull_state="online", last_pull_error=None)
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
                wait = 0
            except RetryAfter as exc:
                self._status.update(pull_state="retrying", last_pull_error=str(exc))
                await asyncio.sleep(exc.seconds)
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
        return attempt + 1

    async def pull_page(self, wait: int) -> bool:
        """One page of the feed applied with its cursor; True if the cloud has more."""
        cursor = await read_state(self._store, CURSOR)
        page = await self._client.changes(cursor, wait)
        writers = [await self._on_config(c) for c in page.changes if c.kind == "config"]
        others = [c for c in page.changes if c.kind != "config"]
        async with self._store.transaction() as tx:
            applied = await self._apply(tx, others)
            for write in writers:
                await write(tx)
            await write_state(tx, CURSOR, page.next_cursor)
        if page.changes:
            log.debug("sync.pulled", changes=len(page.changes), applied=applied)
        self._status.update(last_pull_ok=now_iso())
        return page.has_more

    async def _apply(self, tx: aiosqlite.Connection, changes: Sequence[Change]) -> int:
        applied = 0
        for change in changes:
            if change.kind not in KINDS:
                log.debug("sync.kind_ignored", kind=change.kind, key=change.key)
                continue  # a later kind this till does not know
            try:
                pulled = PulledChange.model_validate(change.model_dump())
                if await apply_change(tx, pulled, self._store.instance_id):
                    applied += 1
            except (ValueError, ValidationError) as exc:
                # A change this till cannot use must not block the feed; report and go on.
                message = f"skipped {change.kind} {change.key} v{change.version}: {exc}"
                log.warning("sync.change_skipped", error=message)
                self._status.update(last_pull_error=message)
        return applied

    async def snapshot(self) -> None:
        """Fetch every page, back the database up, then replace catalog and stock at once."""
        self._status.update(pull_state="snapshot")
        items: list[Change] = []
        token: str | None = None
        cursor = ""
        while True:
            page = await self._client.snapshot(token)
            items.extend(page.items)
            cursor = page.cursor
            token = page.next_page_token
            if token is None:
                break
        writers = [await self._on_config(c) for c in items if c.kind == "config"]
        pulled = [PulledChange.model_validate(c.model_dump()) for c in items if c.kind != "config"]
        await self._backup()
        async with self._store.transaction() as tx:
            result = await apply_snapshot(tx, pulled, self._store.instance_id)
            for write in writers:
                await write(tx)
            await write_state(tx, CURSOR, cursor)
        log.info(
            "sync.snapshot_applied",
            products=result.products,
            stock=result.stock,
            removed_products=result.removed_products,
            removed_stock=result.removed_stock,
        )
        self._status.update(last_pull_ok=now_iso(), last_reconciliation=now_iso())
