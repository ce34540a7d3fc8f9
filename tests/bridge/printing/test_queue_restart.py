"""Unfinished jobs survive a daemon restart; a job caught mid-print is never printed again."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import aiohttp

from bridge import keys
from bridge.auth.roles import Role
from bridge.daemon import RunningDaemon, start_daemon
from bridge.store.database import DATABASE_NAME
from tests.bridge.printing.helpers import printed_text, receipt, submit, wait_state
from tests.conftest import FAST_BACKOFF, Api, assert_no_lingering_tasks, driver_registry, load
from tests.drivers.printer.peers import TcpPrinter


def config(port: int) -> str:
    return f"""
[server]
port = 0

[devices.receipt]
driver = "escpos-network"
host = "127.0.0.1"
port = {port}
status_timeout_s = 0.5
status_poll_s = 0.05
"""


async def start(port: int, state_dir: Path) -> RunningDaemon:
    return await start_daemon(
        load(config(port)), state_dir, registry=driver_registry(), backoff=FAST_BACKOFF
    )


async def test_waiting_jobs_resume_after_restart_and_a_printing_one_turns_uncertain(
    tmp_path: Path,
) -> None:
    state_dir = tmp_path / "state"
    async with TcpPrinter() as printer, aiohttp.ClientSession() as session:
        printer.set_condition(paper_out=True)
        first = await start(printer.port, state_dir)
        token = (await first.app[keys.TOKENS].create(Role.TECHNICIAN, "t", source="test")).token
        api = Api(first, session, token, token)
        ids = []
        for n in range(3):
            _, body = await submit(api, "receipt", receipt(f"kept job {n}"), f"r-{n}", token=token)
            ids.append(body["job"]["id"])
        await wait_state(api, ids[0], "waiting")
        await first.stop()
        await assert_no_lingering_tasks()

        # as if the daemon had died while sending job 1: it is left in "printing"
        with sqlite3.connect(state_dir / DATABASE_NAME) as db:
            db.execute("UPDATE print_jobs SET state = 'printing' WHERE id = ?", (ids[1],))

        printer.recover()
        second = await start(printer.port, state_dir)
        try:
            api = Api(second, session, token, token)
            assert (await wait_state(api, ids[0], "done"))["attempts"] == 1
            uncertain = await wait_state(api, ids[1], "failed")
            assert uncertain["reason"] == "uncertain"
            await wait_state(api, ids[2], "done")
            text = printed_text(printer.printed)
            assert text.count("kept job 0") == 1 and text.count("kept job 2") == 1
            assert "kept job 1" not in text
            assert text.index("kept job 0") < text.index("kept job 2")
        finally:
            await second.stop()
            await assert_no_lingering_tasks()
