"""Running the daemon: bind, start in order, tell systemd, and stop cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import structlog
from aiohttp import web

from bridge import keys
from bridge.api.site import LoopbackSite, bind_all
from bridge.app import create_app
from bridge.auth.roles import Role
from bridge.config.loader import LoadedConfig
from bridge.devices.backoff import Backoff
from bridge.systemd.notify import Notifier, watchdog_loop
from drivers.registry import DriverRegistry

log = structlog.get_logger(__name__)

STOP_BUDGET_S = 4.5  # SIGTERM to exit within 5 s, in-flight writes finished first
LOGIN_LINK_SOURCE = "login-link"


@dataclass
class RunningDaemon:
    """A started daemon: where it listens and how to stop it (used by `run` and by tests)."""

    app: web.Application
    runner: web.AppRunner
    sites: list[LoopbackSite]
    url: str
    login_url: str | None

    async def stop(self) -> None:
        try:
            await asyncio.wait_for(self.runner.cleanup(), STOP_BUDGET_S)
        except TimeoutError:
            log.error("daemon.stop_timeout", budget_s=STOP_BUDGET_S)


async def start_daemon(
    config: LoadedConfig,
    state_dir: Path,
    *,
    registry: DriverRegistry | None = None,
    backoff: Backoff | None = None,
) -> RunningDaemon:
    settings = config.settings
    app = create_app(config, state_dir, registry=registry, backoff=backoff)
    runner = web.AppRunner(
        app,
        handle_signals=False,
        access_log=None,
        keepalive_timeout=settings.server.keepalive_timeout_s,
        shutdown_timeout=2.0,
    )
    socks = bind_all(settings.server)  # fail fast on a taken port, before touching the store
    try:
        await runner.setup()
    except BaseException:
        for sock in socks:
            sock.close()
        raise
    sites = [
        LoopbackSite(runner, sock, max_connections=settings.server.max_connections)
        for sock in socks
    ]
    for site in sites:
        await site.start()
    url = (
        f"http://127.0.0.1:{sites[0].port}/"
        if settings.server.host == "127.0.0.1"
        else f"{sites[0].name}/"
    )
    login_url = None
    if settings.auth.login_link:
        tokens = app[keys.TOKENS]
        await tokens.revoke_source(LOGIN_LINK_SOURCE)
        issued = await tokens.create(
            Role.TECHNICIAN,
            "technician login link",
            source=LOGIN_LINK_SOURCE,
            ttl=timedelta(seconds=settings.auth.technician_session_ttl_s),
        )
        login_url = f"{url}#token={issued.token}"
    return RunningDaemon(app, runner, sites, url, login_url)


async def run_daemon(
    config: LoadedConfig, state_dir: Path, notifier: Notifier | None = None
) -> int:
    notifier = notifier or Notifier()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    began = time.monotonic()
    daemon = await start_daemon(config, state_dir)
    store = daemon.app[keys.STORE]
    ready_s = time.monotonic() - began
    print(f"tillbridge listening on {daemon.url}", flush=True)
    if daemon.login_url:
        print(f"Technician login: {daemon.login_url}", flush=True)
    log.info(
        "daemon.ready",
        url=daemon.url,
        state_dir=str(state_dir),
        ready_s=round(ready_s, 3),
        instance_id=store.instance_id,
        config=config.source,
    )
    notifier.ready(f"listening on {daemon.url}")
    watchdog = asyncio.create_task(watchdog_loop(notifier, store.ping), name="watchdog")
    try:
        await stop.wait()
    finally:
        notifier.stopping()
        log.info("daemon.stopping")
        watchdog.cancel()
        await asyncio.gather(watchdog, return_exceptions=True)
        await daemon.stop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
    log.info("daemon.stopped")
    sys.stdout.flush()
    return 0
