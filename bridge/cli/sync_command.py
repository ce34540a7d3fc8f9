"""`tillbridge sync`: push and pull now.

If a daemon holds the sync lock, the command asks it through its API (POST /api/v1/sync/run?wait),
with a short-lived technician token it makes for itself in the state directory and revokes after:
two processes pushing one stream is exactly what the lock forbids. With no daemon running, it takes
the lock itself and runs one push-and-pull pass in this process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp

from bridge.auth.roles import Role
from bridge.auth.tokens import TokenStore
from bridge.cli.common import load_or_exit
from bridge.config.loader import LoadedConfig
from bridge.store import Store, StoreError
from bridge.store.database import DATABASE_NAME
from bridge.sync.service import sync_lock

WAIT_S = 60.0


def sync(args: argparse.Namespace) -> int:
    loaded, state_dir = load_or_exit(args)
    if not loaded.settings.cloud.enabled:
        print("tillbridge: no [cloud] url in the config: nothing to sync with", file=sys.stderr)
        return 78
    try:
        result = asyncio.run(_sync(loaded, state_dir))
    except StoreError as exc:
        print(f"tillbridge: {exc}", file=sys.stderr)
        return 74
    print(json.dumps(result, indent=2))
    return 0 if result.get("done") else 1


async def _sync(loaded: LoadedConfig, state_dir: Path) -> dict[str, Any]:
    lock = sync_lock(state_dir)
    if lock.try_acquire():
        try:
            return await _one_shot(loaded, state_dir)
        finally:
            lock.release()
    return await _through_daemon(loaded, state_dir)


async def _through_daemon(loaded: LoadedConfig, state_dir: Path) -> dict[str, Any]:
    store = Store(state_dir / DATABASE_NAME)
    await store.open()
    tokens = TokenStore(store)
    try:
        issued = await tokens.create(
            Role.TECHNICIAN, "tillbridge sync", source="cli-sync", ttl=timedelta(minutes=5)
        )
        server = loaded.settings.server
        host = "127.0.0.1" if server.host == "127.0.0.1" else "[::1]"
        url = f"http://{host}:{server.port}/api/v1/sync/run?wait={WAIT_S:g}"
        timeout = aiohttp.ClientTimeout(total=WAIT_S + 10)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(url, headers={"Authorization": f"Bearer {issued.token}"}) as response,
        ):
            body = await response.json()
        await tokens.revoke(issued.info.id)
    finally:
        await store.close()
    return {"via": "daemon", "done": bool(body.get("done")), "status": body.get("status", body)}


async def _one_shot(loaded: LoadedConfig, state_dir: Path) -> dict[str, Any]:
    from bridge.store.backup import BACKUP_DIR, Backups
    from bridge.sync.client import CloudClient, SyncError
    from bridge.sync.pull import PullLoop
    from bridge.sync.push import PushLoop
    from bridge.sync.state import SyncStatus, outbox_stats

    store = Store(state_dir / DATABASE_NAME)
    await store.open()
    cloud = loaded.settings.cloud
    client = CloudClient(cloud, store.instance_id)
    await client.open()
    status = SyncStatus()
    done = False
    error = None
    try:
        push = PushLoop(store, client, cloud, status)

        async def no_config(_change: Any) -> Any:
            async def write(_tx: Any) -> None:
                return None

            return write  # signed configs are applied by the daemon, which owns the devices

        async def backup() -> object:
            return await Backups(store, state_dir / BACKUP_DIR).create("before-snapshot")

        pull = PullLoop(store, client, cloud, status, no_config, backup)
        try:
            await push.reconcile(await client.stream_state())
            while await push.push_batch():
                pass
            while await pull.pull_page(0):
                pass
            done = True
        except SyncError as exc:
            error = str(exc)
        pending, _age = await outbox_stats(store)
    finally:
        await client.close()
        await store.close()
    return {"via": "one-shot", "done": done, "pending": pending, "error": error}
