"""An allowed open is on record before the drawer is kicked, so no open goes unaudited."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bridge import keys
from bridge.auth.roles import Role
from bridge.daemon import RunningDaemon
from tests.bridge.printing.fakes import GatedDrawer, running
from tests.conftest import Api

CONFIG = """
[server]
port = 0

[devices.drawer]
driver = "gated-drawer"
auto_close_s = 3600
"""


@pytest.fixture
async def daemon(state_dir: Path) -> AsyncIterator[RunningDaemon]:
    async for started in running(CONFIG, state_dir):
        yield started


@pytest.fixture
async def api(daemon: RunningDaemon) -> AsyncIterator[Api]:
    assert daemon.login_url is not None
    technician = daemon.login_url.split("#token=", 1)[1]
    issued = await daemon.app[keys.TOKENS].create(Role.CASHIER, "test pos", source="test")
    async with aiohttp.ClientSession() as session:
        yield Api(daemon, session, technician, issued.token)


async def test_the_attempt_is_audited_and_queued_upstream_before_the_kick(api: Api) -> None:
    drawer = api.daemon.app[keys.DEVICES].get("drawer").device  # type: ignore[union-attr]
    assert isinstance(drawer, GatedDrawer)
    store = api.daemon.app[keys.STORE]
    opening = asyncio.create_task(
        api.call(
            "POST", "/api/v1/drawers/drawer/open", json_body={"reason": "float"}, token=api.cashier
        )
    )
    await asyncio.wait_for(drawer.kicking.wait(), 5)
    # the kick is under way (a crash now would leave exactly this): audited, event queued
    rows = await store.fetchall(
        "SELECT result, details FROM audit_log WHERE action = 'drawer.open'"
    )
    assert [row["result"] for row in rows] == ["pending"]
    events = await store.fetchall("SELECT id, payload FROM outbox WHERE type = 'drawer_open'")
    assert [json.loads(e["payload"])["result"] for e in events] == ["attempted"]
    assert json.loads(rows[0]["details"])["event"] == events[0]["id"]

    drawer.gate.set()
    status, body, _ = await opening
    assert status == 200 and body["opened"] is True
    rows = await store.fetchall("SELECT result FROM audit_log WHERE action = 'drawer.open'")
    assert [row["result"] for row in rows] == ["opened"]  # the outcome, in the same row
    events = await store.fetchall("SELECT payload FROM outbox WHERE type = 'drawer_open'")
    assert len(events) == 1  # one attempt, one upstream event
