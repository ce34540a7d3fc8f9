"""What the sync loops keep in the till's database, and what they show (GET /api/v1/sync)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiosqlite

from bridge.store import Store
from bridge.timestamps import now_ms as now_iso

CURSOR = "cursor"
CONFIG_ENVELOPE = "config_envelope"
CONFIG_VERSION = "config_version"
#: A verified envelope committed as trusted, not yet applied and its outcome not yet recorded.
CONFIG_PENDING = "config_pending"

#: Alerts that mean pushing has stopped until a person acts; lesser alerts do not hide them.
STOPPING_ALERTS = frozenset({"sync.seq_conflict", "sync.events_missing", "sync.event_too_large"})
SKIPPED_KEPT = 50


async def read_state(store: Store, key: str) -> str | None:
    row = await store.fetchone("SELECT value FROM sync_state WHERE key = ?", (key,))
    return str(row[0]) if row else None


async def read_state_in(tx: aiosqlite.Connection, key: str) -> str | None:
    async with tx.execute("SELECT value FROM sync_state WHERE key = ?", (key,)) as cursor:
        row = await cursor.fetchone()
    return str(row[0]) if row else None


async def write_state(tx: aiosqlite.Connection, key: str, value: str) -> None:
    await tx.execute(
        "INSERT INTO sync_state (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


@dataclass
class Alert:
    code: str
    message: str
    since: str = field(default_factory=now_iso)


@dataclass
class SyncStatus:
    """Live status; every change is published as a `sync` event."""

    enabled: bool = True
    running: bool = False
    push_state: str = "starting"  # starting | idle | pushing | retrying | stopped
    pull_state: str = "starting"  # starting | online | retrying | snapshot
    last_push_ok: str | None = None
    last_pull_ok: str | None = None
    last_push_error: str | None = None
    last_pull_error: str | None = None
    last_reconciliation: str | None = None
    next_retry_s: float | None = None
    config_version: int = 0
    alert: Alert | None = None
    #: Pulled changes this till could not use (skipped, the feed went on), newest last.
    skipped: list[dict[str, Any]] = field(default_factory=list)
    listeners: list[Callable[[dict[str, Any]], None]] = field(default_factory=list, repr=False)

    def update(self, **changes: Any) -> None:
        changed = {k: v for k, v in changes.items() if getattr(self, k) != v}
        if not changed:
            return
        for key, value in changed.items():
            setattr(self, key, value)
        snapshot = self.public()
        for listener in list(self.listeners):
            listener(snapshot)

    def raise_alert(self, code: str, message: str) -> None:
        """Show an alert, unless one saying pushing has stopped is showing and this one does not."""
        current = self.alert
        if current is not None and current.code == code and current.message == message:
            return
        if current is not None and current.code in STOPPING_ALERTS and code not in STOPPING_ALERTS:
            return
        self.update(alert=Alert(code, message))

    def clear_alert(self, *codes: str) -> None:
        if self.alert is not None and self.alert.code in codes:
            self.update(alert=None)

    def skip(self, kind: str, key: str, version: int, error: str) -> None:
        item = {"kind": kind, "key": key, "version": version, "error": error, "at": now_iso()}
        self.update(skipped=[*self.skipped, item][-SKIPPED_KEPT:], last_pull_error=error)

    @property
    def last_error(self) -> str | None:
        return self.last_push_error or self.last_pull_error

    def public(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if k != "listeners"}
        data["last_error"] = self.last_error
        return data


async def outbox_stats(store: Store) -> tuple[int, float | None]:
    row = await store.fetchone(
        "SELECT COUNT(*), MIN(occurred_at) FROM outbox WHERE acked_at IS NULL"
    )
    pending = int(row[0]) if row else 0
    oldest = row[1] if row else None
    age = None
    if oldest:
        try:
            when = datetime.fromisoformat(str(oldest).replace("Z", "+00:00"))
            age = max(0.0, round((datetime.now(UTC) - when).total_seconds(), 3))
        except ValueError:
            age = None
    return pending, age


async def quarantined(store: Store, limit: int = 100) -> list[dict[str, Any]]:
    rows = await store.fetchall(
        "SELECT seq, id, type, reason, reported_at FROM sync_quarantine ORDER BY seq DESC LIMIT ?",
        (limit,),
    )
    return [dict(row) for row in rows]


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
