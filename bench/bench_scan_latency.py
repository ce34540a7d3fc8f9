"""Scan-to-WebSocket latency: a serial scanner on a pseudo-terminal, the daemon as its own process,
10 WebSocket clients. Latency runs from the moment the last byte of a scan is written to the pty to
the moment each client has the `scan` event. Goal: p99 under 5 ms, no scan lost.

    .venv/bin/python bench/bench_scan_latency.py [--clients 10] [--rate 50] [--seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tty
from pathlib import Path

import aiohttp


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def client(
    base: str,
    token: str,
    expected: int,
    sent_at: dict[str, float],
    out: list[float],
    ready: asyncio.Event,
    seen: set[str],
) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(base + "/api/v1/events") as ws,
    ):
        await ws.send_json({"type": "auth", "token": token})
        await ws.receive_json()
        await ws.send_json({"type": "subscribe", "topics": ["scan"]})
        await ws.receive_json()
        ready.set()
        while len(seen) < expected:
            msg = await ws.receive(timeout=30)
            now = time.perf_counter()
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            event = msg.json()
            code = event["data"]["code"]
            if code in seen:
                raise AssertionError(f"scan {code} delivered twice to one client")
            seen.add(code)
            out.append(now - sent_at[code])


async def run(args: argparse.Namespace) -> None:
    master, slave = os.openpty()
    tty.setraw(slave)
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "bench.toml"
        config.write_text(
            f'[server]\nport = {port}\n[logging]\nlevel = "warning"\n'
            f'[devices.scanner]\ndriver = "serial-scanner"\nport = "{os.ttyname(slave)}"\nterminator = "CR"\n'
        )
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
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            assert proc.stdout is not None
            proc.stdout.readline()
            token = proc.stdout.readline().strip().split("#token=")[1]
            base = f"http://127.0.0.1:{port}"
            await asyncio.sleep(1.0)  # let the scanner open
            total = args.rate * args.seconds
            sent_at: dict[str, float] = {}
            latencies: list[list[float]] = [[] for _ in range(args.clients)]
            seen: list[set[str]] = [set() for _ in range(args.clients)]
            readies = [asyncio.Event() for _ in range(args.clients)]
            tasks = [
                asyncio.create_task(
                    client(base, token, total, sent_at, latencies[i], readies[i], seen[i])
                )
                for i in range(args.clients)
            ]
            await asyncio.gather(*(r.wait() for r in readies))
            interval = 1 / args.rate
            start = time.perf_counter()
            for i in range(total):
                code = f"{4006381000000 + i}"
                await asyncio.sleep(max(0.0, start + i * interval - time.perf_counter()))
                sent_at[code] = time.perf_counter()
                os.write(master, code.encode() + b"\r")
            try:
                await asyncio.wait_for(asyncio.gather(*tasks), 30)
            except TimeoutError:
                for task in tasks:
                    task.cancel()
            all_ms = [v * 1000 for per in latencies for v in per]
            lost = sum(total - len(s) for s in seen)
            print(
                f"scan-to-WebSocket, {args.clients} clients, {args.rate} scans/s for {args.seconds} s "
                f"({total} scans, {len(all_ms)} deliveries)"
            )
            print(
                f"  p50 {statistics.median(all_ms):.2f} ms   p99 {percentile(all_ms, 0.99):.2f} ms   "
                f"max {max(all_ms):.2f} ms   lost {lost}   (goal: p99 < 5 ms, none lost)"
            )
        finally:
            proc.terminate()
            proc.wait(10)
            os.close(master)
            os.close(slave)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--rate", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
