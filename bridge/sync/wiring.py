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
    printing: Any = None,
) -> SyncService:
    """With no [cloud] url the service exists (for GET /api/v1/sync) but starts no task.

    A signed config reaches the print queue and the drawers too (issue 7): printer profiles are
    refreshed before the devices reopen (a printer drawer on a newly added printer checks with
    them that it is one), lanes and drawer rules after.
    """

    async def backup() -> object:
        return await backups().create("before-snapshot")

    def publish(status: dict[str, Any]) -> None:
        bus.publish("sync", status)

    async def apply_devices(new: LoadedConfig) -> object:
        if printing is not None:
            await printing.renderer.reconfigure(new)
        return await devices.apply(new)

    service = SyncService(
        config, store, state_dir, apply_devices=apply_devices, backup=backup, publish=publish
    )

    async def printing_and_drawers(new: LoadedConfig) -> None:
        if drawers is not None:
            drawers.reconfigure(new)  # rules in place: rate windows keep their counts
        if printing is not None:
            await printing.reconfigure(new)

    service.add_config_listener(printing_and_drawers)
    return service


async def sync_ctx(app: web.Application) -> AsyncIterator[None]:
    service = app[SYNC]
    await service.start()
    yield
    await service.stop()
