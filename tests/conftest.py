"""Shared fixtures: an in-process daemon on a real loopback socket, and an API client for it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bridge import keys
from bridge.auth.roles import Role
from bridge.config.loader import LoadedConfig, parse_config
from bridge.daemon import RunningDaemon, start_daemon
from bridge.devices.backoff import Backoff
from drivers.registry import DRIVER_PATHS, DriverRegistry

POS_ORIGIN = "http://pos.example.test:8080"
EVIL_ORIGIN = "http://evil.example.test:8080"

BASE_CONFIG = f"""
[server]
port = 0
allowed_origins = ["{POS_ORIGIN}"]

[devices.scanner]
driver = "simulated-scanner"
"""

FAST_BACKOFF = Backoff(base_s=0.05, cap_s=0.2)


def driver_registry() -> DriverRegistry:
    return DriverRegistry({**DRIVER_PATHS, "fake-scanner": "tests.bridge.fake_drivers:FakeScanner"})


def load(text: str) -> LoadedConfig:
    return parse_config(text, "<test>", driver_registry())


@dataclass
class Api:
    """A client of one running daemon, with a technician and a cashier token at hand."""

    daemon: RunningDaemon
    session: aiohttp.ClientSession
    technician: str
    cashier: str

    @property
    def port(self) -> int:
        return self.daemon.sites[0].port

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def auth(self, token: str | None = None, **extra: str) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {token or self.technician}"}
        headers.update(extra)
        return headers

    async def call(
        self, method: str, path: str, *, token: str | None = None, json_body: Any = None, **kw: Any
    ) -> tuple[int, Any, aiohttp.ClientResponse]:
        headers = kw.pop("headers", None)
        if headers is None:
            headers = self.auth(token)
        async with self.session.request(
            method, self.base + path, json=json_body, headers=headers, **kw
        ) as resp:
            text = await resp.text()
            body = json.loads(text) if text and resp.content_type == "application/json" else text
            return resp.status, body, resp

    async def ws(self, **kw: Any) -> aiohttp.ClientWebSocketResponse:
        return await self.session.ws_connect(self.base + "/api/v1/events", **kw)

    async def ws_authed(
        self, topics: list[str], since: int | None = None, token: str | None = None, **kw: Any
    ) -> aiohttp.ClientWebSocketResponse:
        ws = await self.ws(**kw)
        await ws.send_json({"type": "auth", "token": token or self.cashier})
        welcome = await ws.receive_json(timeout=5)
        assert welcome["type"] == "welcome", welcome
        frame: dict[str, Any] = {"type": "subscribe", "topics": topics}
        if since is not None:
            frame["since"] = since
        await ws.send_json(frame)
        subscribed = await ws.receive_json(timeout=5)
        assert subscribed["type"] == "subscribed", subscribed
        return ws


@pytest.fixture
def config_text() -> str:
    return BASE_CONFIG


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
async def daemon(config_text: str, state_dir: Path) -> AsyncIterator[RunningDaemon]:
    running = await start_daemon(
        load(config_text), state_dir, registry=driver_registry(), backoff=FAST_BACKOFF
    )
    try:
        yield running
    finally:
        await running.stop()
        await assert_no_lingering_tasks()


@pytest.fixture
async def api(daemon: RunningDaemon) -> AsyncIterator[Api]:
    assert daemon.login_url is not None
    technician = daemon.login_url.split("#token=", 1)[1]
    issued = await daemon.app[keys.TOKENS].create(Role.CASHIER, "test pos", source="test")
    async with aiohttp.ClientSession() as session:
        yield Api(daemon, session, technician, issued.token)


async def make_token(daemon: RunningDaemon, role: Role, ttl: timedelta | None = None) -> str:
    issued = await daemon.app[keys.TOKENS].create(
        role, f"test {role.value}", source="test", ttl=ttl
    )
    return issued.token


async def assert_no_lingering_tasks() -> None:
    """A stopped daemon leaves no task behind (house rule: every loop has an owner)."""
    await asyncio.sleep(0)
    current = asyncio.current_task()
    left = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
    assert not left, f"tasks left running after stop: {left}"
