"""Documents recorded per second through the HTTP API: 10 concurrent clients, each document durable
(committed with synchronous=FULL) before its 201. Goal: at least 1,000/s (group commit allowed).

The daemon runs as its own process, as on a till; the clients run here, each on its own keep-alive
connection. Besides the rate it prints the CPU time each process spent per document: on a machine
shared with other work the rate moves with the neighbours, the CPU per document much less.

The clients speak HTTP/1.1 over asyncio streams by default: on a two-core till the load generator
shares the cores with the daemon, and aiohttp's client costs about 400 us of CPU per request, a
third of the machine, that no POS on the till would spend (each POS is one browser making one
request at a time). ``--client aiohttp`` runs the same load through aiohttp's client instead, for
comparison. Every request still waits for its full response, and a document counts only on a 201.
Run: ``.venv/bin/python bench/bench_documents.py [seconds] [--client raw|aiohttp]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp

CLIENTS = 10
SKUS = [f"SKU{i:03d}" for i in range(50)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sale(i: int) -> dict:
    a, b = SKUS[i % 50], SKUS[(i * 7 + 3) % 50]
    return {
        "id": str(uuid.uuid4()),
        "type": "sale",
        "currency": "CZK",
        "lines": [
            {"sku": a, "quantity": "1", "unit_price": "19.90", "total": "19.90"},
            {"sku": b, "quantity": "2", "unit_price": "5.00", "total": "10.00"},
        ],
        "total": "29.90",
        "payments": [{"method": "cash", "amount": "29.90"}],
    }


class RawClient:
    """One keep-alive HTTP/1.1 connection: a request out, its whole response in, then the next."""

    def __init__(self, port: int, token: str) -> None:
        self._port = port
        self._head = (
            f"POST /api/v1/documents HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        ).encode()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> RawClient:
        self._reader, self._writer = await asyncio.open_connection("127.0.0.1", self._port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._writer is not None
        self._writer.close()
        await self._writer.wait_closed()

    def request(self, doc: dict) -> bytes:
        body = json.dumps(doc).encode()
        return self._head + b"Content-Length: %d\r\n\r\n" % len(body) + body

    def requests(self, first: int, count: int) -> list[bytes]:
        """Requests made ahead, last first (pop() takes them in order)."""
        return [self.request(sale(first + k * CLIENTS)) for k in reversed(range(count))]

    async def post(self, request: bytes) -> int:
        """Send a request made by :meth:`request`; the status once the whole response is in."""
        assert self._reader is not None and self._writer is not None
        self._writer.write(request)
        head = await self._reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        length = next(
            int(line.split(b":", 1)[1])
            for line in lines
            if line.lower().startswith(b"content-length:")
        )
        await self._reader.readexactly(length)
        return status


async def run(port: int, token: str, seconds: float, daemon_pid: int, client_kind: str) -> None:
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession() as session:
        for sku in SKUS:
            body = {"sku": sku, "name": f"Zboží {sku}", "price": "19.90", "currency": "CZK"}
            async with session.put(
                f"{base}/api/v1/products/{sku}", json=body, headers=headers
            ) as r:
                assert r.status in (200, 201), await r.text()
    latencies: list[float] = []
    stop_at = 0.0

    async def aiohttp_client(n: int) -> None:
        i = n
        # One keep-alive connection per client, as a POS keeps its own.
        connector = aiohttp.TCPConnector(limit=1)
        async with aiohttp.ClientSession(connector=connector) as own:
            while time.perf_counter() < stop_at:
                doc = sale(i)
                t0 = time.perf_counter()
                async with own.post(f"{base}/api/v1/documents", json=doc, headers=headers) as r:
                    await r.read()
                    assert r.status == 201, r.status
                latencies.append(time.perf_counter() - t0)
                i += CLIENTS

    # Requests are made before the clock starts, so the load generator spends its CPU sending and
    # reading, not building JSON (more are made on the fly if these run out).
    ahead = RawClient(port, token)
    made: dict[int, list[bytes]] = {}

    async def raw_client(n: int) -> None:
        i = n
        ready = made.pop(n, [])
        async with RawClient(port, token) as own:
            while time.perf_counter() < stop_at:
                request = ready.pop() if ready else own.request(sale(i))
                t0 = time.perf_counter()
                status = await own.post(request)
                assert status == 201, status
                latencies.append(time.perf_counter() - t0)
                i += CLIENTS

    client = raw_client if client_kind == "raw" else aiohttp_client

    stop_at = time.perf_counter() + 1.0  # warm-up
    await asyncio.gather(*(client(n) for n in range(CLIENTS)))
    latencies.clear()
    if client_kind == "raw":
        made.update({n: ahead.requests(n, int(seconds * 300) + 300) for n in range(CLIENTS)})
    cpu_daemon, cpu_here = cpu_seconds(daemon_pid), time.process_time()
    began = time.perf_counter()
    stop_at = began + seconds
    await asyncio.gather(*(client(n) for n in range(CLIENTS)))
    elapsed = time.perf_counter() - began
    cpu_daemon = cpu_seconds(daemon_pid) - cpu_daemon
    cpu_here = time.process_time() - cpu_here
    ordered = sorted(latencies)
    print(
        f"documents: {len(ordered)} sales in {elapsed:.1f} s = {len(ordered) / elapsed:.0f}/s "
        f"with {CLIENTS} {client_kind} clients, each durable on its 201 (goal >= 1000/s)"
    )
    print(
        f"latency: p50 {ordered[len(ordered) // 2] * 1000:.1f} ms, "
        f"p99 {ordered[int(len(ordered) * 0.99)] * 1000:.1f} ms"
    )
    print(
        f"cpu per document: daemon {cpu_daemon / len(ordered) * 1e6:.0f} us, "
        f"clients {cpu_here / len(ordered) * 1e6:.0f} us"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seconds", type=float, nargs="?", default=10.0)
    parser.add_argument("--client", choices=("raw", "aiohttp"), default="raw")
    args = parser.parse_args()
    seconds = args.seconds
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "till.toml"
        config.write_text(f'[server]\nport = {port}\n[logging]\nlevel = "warning"\n')
        env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "STATE_DIRECTORY")}
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bridge",
                "run",
                "--config",
                str(config),
                "--state-dir",
                f"{tmp}/state",
            ],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:
            assert proc.stdout is not None
            proc.stdout.readline()
            token = proc.stdout.readline().strip().split("#token=")[1]
            asyncio.run(run(port, token, seconds, proc.pid, args.client))
        finally:
            proc.terminate()
            proc.wait(10)
        db = Path(tmp) / "state" / "tillbridge.sqlite3"
        print(f"database: {db.stat().st_size / 1e6:.1f} MB; " + json.dumps({"clients": CLIENTS}))


if __name__ == "__main__":
    main()
