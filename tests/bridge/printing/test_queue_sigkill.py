"""A daemon killed with SIGKILL mid-job never prints that job twice, and resumes the rest."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import aiohttp

from tests.bridge.printing.helpers import printed_text, receipt
from tests.bridge.test_daemon_process import Daemon, free_port
from tests.drivers.printer.peers import PrinterBrain, TcpPrinter

MARK = "STALL-HERE"


class StallingBrain(PrinterBrain):
    """Stops answering status queries once the marked job arrives: its delivery check hangs."""

    def _keep(self, chunk: bytes) -> bool:
        if MARK.encode() in bytes(self.printed) + chunk:
            self.silent = True
        return super()._keep(chunk)


def config(daemon_port: int, printer_port: int) -> str:
    return f"""
[server]
port = {daemon_port}

[devices.receipt]
driver = "escpos-network"
host = "127.0.0.1"
port = {printer_port}
status_timeout_s = 20
status_poll_s = 0
"""


async def start(tmp_path: Path, daemon_port: int, printer_port: int) -> tuple[Daemon, str]:
    """The daemon as a real process on ``daemon_port``; its technician token from the login link."""
    (tmp_path / "notify.sock").unlink(missing_ok=True)
    running = Daemon(tmp_path, config=config(daemon_port, printer_port))
    running.port = daemon_port
    await asyncio.to_thread(running.messages, "READY=1", 30)
    assert running.proc.stdout is not None
    await asyncio.to_thread(running.proc.stdout.readline)
    login = await asyncio.to_thread(running.proc.stdout.readline)
    return running, login.strip().split("#token=")[1]


async def call(
    session: aiohttp.ClientSession, daemon: Daemon, token: str, method: str, path: str, **kw: object
) -> tuple[int, dict]:
    headers = {"Authorization": f"Bearer {token}", **kw.pop("headers", {})}  # type: ignore[dict-item]
    async with session.request(
        method, f"http://127.0.0.1:{daemon.port}{path}", headers=headers, **kw
    ) as resp:
        return resp.status, await resp.json()


async def wait_job(
    session: aiohttp.ClientSession, daemon: Daemon, token: str, job_id: str, *states: str
) -> dict:
    async with asyncio.timeout(15):
        while True:
            status, body = await call(session, daemon, token, "GET", f"/api/v1/jobs/{job_id}")
            assert status == 200, body
            if body["job"]["state"] in states:
                return body["job"]
            await asyncio.sleep(0.05)


async def test_sigkill_mid_job_then_restart_never_prints_it_twice(tmp_path: Path) -> None:
    async with TcpPrinter() as printer, aiohttp.ClientSession() as session:
        printer.brain = StallingBrain()
        port = free_port()
        first, token = await start(tmp_path, port, printer.port)
        try:
            ids = []
            for n, text in enumerate((MARK, "the job behind it")):
                status, body = await call(
                    session,
                    first,
                    token,
                    "POST",
                    "/api/v1/printers/receipt/jobs",
                    json=receipt(text),
                    headers={"Idempotency-Key": f"kill-{n}"},
                )
                assert status == 202, body
                ids.append(body["job"]["id"])
            await wait_job(session, first, token, ids[0], "printing")
            await printer.wait_printed(len(MARK))
            first.proc.send_signal(signal.SIGKILL)
            assert await asyncio.to_thread(first.proc.wait, 10) == -signal.SIGKILL
        finally:
            first.stop()

        before = printer.printed
        printer.brain = PrinterBrain()  # the printer answers again; count what prints from now
        second, token = await start(tmp_path, port, printer.port)
        try:
            killed = await wait_job(session, second, token, ids[0], "failed", "done")
            assert killed["state"] == "done" or killed["reason"] == "uncertain"
            await wait_job(session, second, token, ids[1], "done")
            await asyncio.sleep(0.2)  # nothing else is on its way
            status, listing = await call(
                session, second, token, "GET", "/api/v1/printers/receipt/jobs"
            )
            assert {j["id"] for j in listing["jobs"]} == set(ids)
        finally:
            second.stop()
        after = printed_text(printer.printed)
        assert printed_text(before).count(MARK) == 1 and MARK not in after
        assert (printed_text(before) + after).count("the job behind it") == 1
