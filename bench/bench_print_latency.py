"""Submit-to-last-byte latency of the print queue: HTTP POST to the printer holding the whole job.

An in-process daemon prints to a network printer on a loopback TCP socket that reads as fast as it
can and answers ``DLE EOT`` at once. Each job is a 12-line receipt (rendered by the daemon); the
clock runs from the start of the POST until the printer has received the job's last byte. The next
job is sent once the previous one is ``done``, so each figure is one job's own latency: the token
check, rendering, the durable commit of the job (the printer's status is asked meanwhile), the
202, the durable ``printing`` commit, the write.
Two fsyncs are on that path, so other disk and CPU load on the machine shows in the tail: the
load average is printed with the result; compare runs made under similar load.
Run: ``.venv/bin/python bench/bench_print_latency.py [jobs]`` (default 500; goal p99 < 10 ms).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from bridge import keys
from bridge.config.loader import parse_config
from bridge.daemon import start_daemon
from bridge.logging_setup import configure_logging
from drivers.printer.status import encode_reply

WARMUP = 20


class FastPrinter:
    """Reads everything at once, answers DLE EOT n, and notes when a job's end mark arrives."""

    def __init__(self) -> None:
        self.port = 0
        self.arrived: dict[bytes, float] = {}
        self.waiters: dict[bytes, asyncio.Future[float]] = {}
        self._tail = b""

    async def serve(self) -> asyncio.Server:
        server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        return server

    def expect(self, mark: bytes) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiters[mark] = future
        return future

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            now = time.perf_counter()
            window = self._tail + data
            at = window.find(b"\x10\x04")
            while at >= 0 and at + 2 < len(window):
                writer.write(bytes([encode_reply(window[at + 2])]))
                at = window.find(b"\x10\x04", at + 3)
            for mark, future in list(self.waiters.items()):
                if mark in window and not future.done():
                    future.set_result(now)
                    del self.waiters[mark]
            self._tail = window[-32:]


def receipt(n: int) -> dict:
    lines = [{"text": "Obchod s.r.o. — pokladna 1", "align": "center", "bold": True}]
    lines += [{"row": [f"Položka {i} ×1", f"{i * 10 + 9},90"]} for i in range(10)]
    lines += [{"text": f"#{n:06d}#"}]
    return {"receipt": {"blocks": lines}}


async def main(jobs: int) -> None:
    configure_logging("warning", "console")
    load_before = os.getloadavg()[0]
    printer = FastPrinter()
    server = await printer.serve()
    config = parse_config(
        f"""
[server]
port = 0
[devices.receipt]
driver = "escpos-network"
host = "127.0.0.1"
port = {printer.port}
status_poll_s = 0
""",
        "<bench>",
    )
    with tempfile.TemporaryDirectory() as state:
        daemon = await start_daemon(config, Path(state))
        done: dict[str, asyncio.Event] = {}

        def on_event(event: object) -> None:
            job = getattr(event, "data", {}).get("job")
            if getattr(event, "topic", "") == "job" and job and job["state"] == "done":
                done.setdefault(job["id"], asyncio.Event()).set()

        daemon.app[keys.BUS].add_listener(on_event)
        assert daemon.login_url is not None
        token = daemon.login_url.split("#token=", 1)[1]
        url = f"http://127.0.0.1:{daemon.sites[0].port}/api/v1/printers/receipt/jobs"
        latencies: list[float] = []
        async with aiohttp.ClientSession() as session:
            for n in range(WARMUP + jobs):
                arrived = printer.expect(f"#{n:06d}#\n".encode())
                began = time.perf_counter()
                async with session.post(
                    url,
                    json=receipt(n),
                    headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"b-{n}"},
                ) as resp:
                    assert resp.status == 202, await resp.text()
                    job_id = (await resp.json())["job"]["id"]
                last_byte = await asyncio.wait_for(arrived, 10)
                if n >= WARMUP:
                    latencies.append((last_byte - began) * 1000)
                await asyncio.wait_for(done.setdefault(job_id, asyncio.Event()).wait(), 10)
        await daemon.stop()
    server.close()
    await server.wait_closed()
    latencies.sort()
    p50 = statistics.median(latencies)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(f"jobs: {len(latencies)} (after {WARMUP} warm-up)")
    print(f"submit-to-last-byte: p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {latencies[-1]:.2f} ms")
    print(f"goal p99 < 10 ms: {'met' if p99 < 10 else 'NOT met'}")
    print(f"load average (1 min) before/after: {load_before:.2f}/{os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 500))
