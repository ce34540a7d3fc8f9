"""A lane outlives faults: an unexpected error is retried, a write refused unsent does not spin."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bridge import keys
from bridge.auth.roles import Role
from bridge.daemon import RunningDaemon
from tests.bridge.printing.fakes import FlakyPrinter, running
from tests.bridge.printing.helpers import receipt, submit, wait_state
from tests.conftest import Api

CONFIG = """
[server]
port = 0

[printing]
waiting_recheck_s = 3600

[devices.receipt]
driver = "flaky-printer"
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


def flaky(api: Api) -> FlakyPrinter:
    device = api.daemon.app[keys.DEVICES].get("receipt").device  # type: ignore[union-attr]
    assert isinstance(device, FlakyPrinter)
    return device


async def test_a_write_refused_unsent_waits_for_news_instead_of_resending_at_once(
    api: Api,
) -> None:
    printer = flaky(api)
    printer.refuse_writes = True
    _, body = await submit(api, "receipt", receipt("refused, then printed"), "f-1")
    job_id = body["job"]["id"]
    waiting = await wait_state(api, job_id, "waiting")
    assert waiting["reason"] == "offline"
    await asyncio.sleep(0.3)  # a spinning lane would send it again and again meanwhile
    assert printer.write_attempts == 1
    assert (await wait_state(api, job_id, "waiting"))["attempts"] == 1
    printer.refuse_writes = False
    printer.announce()  # the printer's status changes: the lane tries again
    done = await wait_state(api, job_id, "done")
    assert done["attempts"] == 2 and printer.write_attempts == 2


async def test_an_unexpected_error_in_a_lane_is_shown_and_retried_and_printing_goes_on(
    api: Api,
) -> None:
    ws = await api.ws_authed(["device"])
    printer = flaky(api)
    printer.broken_queries = 1
    _, first = await submit(api, "receipt", receipt("after the error"), "e-1")
    async with asyncio.timeout(5):
        while True:
            frame = await ws.receive_json()
            if frame.get("topic") == "device" and frame["data"]["event"] == "print_queue_error":
                break
    assert frame["data"]["device"] == "receipt" and "status parser bug" in frame["data"]["message"]
    await wait_state(api, first["job"]["id"], "done")
    _, second = await submit(api, "receipt", receipt("and the next one"), "e-2")
    await wait_state(api, second["job"]["id"], "done")
    assert "and the next one" in printer.printed_text()
    await ws.close()
