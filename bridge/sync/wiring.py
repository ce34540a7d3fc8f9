"""How the app factory builds and starts the sync service (one place, so app.py stays short)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import web

from bridge.config.loader import LoadedConfig
from bridge.devices.manager import DeviceManager
from bridge.events.bus import EventBus
from bridge.store import Store
from bridge.sync.routes import SYNC
from bridge.sync.service import SyncService


def build_sync(
    config: LoadedConfig,
    store: Store,
    state_dir: Path,
    devices: DeviceManager,
    bus: EventBus,
    backups: Any,
    drawers: Any = None,
) -> SyncService:
    """With no [cloud] url the service exists (for GET /api/v1/sync) but starts no task."""

    async def backup() -> object:
        return await backups().create("before-snapshot")

    def publish(status: dict[str, Any]) -> None:
        bus.publish("sync", status)

    service = SyncService(
        config, store, state_dir, apply_devices=devices.apply, backup=backup, publish=publish
    )
    if drawers is not None:
        from bridge.drawers.policy import DrawerPolicy

        def drawer_rules(new: LoadedConfig) -> None:
            drawers.policy = DrawerPolicy(new.settings.drawers)

        service.add_config_listener(drawer_rules)
    return service


async def sync_ctx(app: web.Application) -> AsyncIterator[None]:
    service = app[SYNC]
    await service.start()
    yield
    await service.stop()
