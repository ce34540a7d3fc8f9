"""Start-to-ready time and idle memory of `tillbridge run` on its embedded default.

Ready is measured from process spawn to the READY=1 datagram on a real NOTIFY_SOCKET, so it includes
interpreter start and imports, as systemd sees it. Memory is VmRSS read from /proc after idling, and
again after the till's first work (a product, a cash sale with its receipt and drawer, a scan), so a
figure kept low by loading things late cannot pass for the real one.
Reference: QZ Tray, the most used browser-to-hardware bridge, is reported at about 236 MB.

    .venv/bin/python bench/bench_startup.py [--runs 10] [--idle 3]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

QZ_TRAY_RSS_MB = 236.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def call(port: int, token: str, method: str, path: str, body: dict) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def first_work(port: int, token: str) -> None:
    """What a till does in its first minute: a product, a cash sale printed with the drawer, a scan."""
    product = {"sku": "COFFEE", "name": "Káva 250 g", "price": "89.00", "currency": "CZK"}
    product["barcodes"] = ["8594001234567"]
    call(port, token, "PUT", "/api/v1/products/COFFEE", product)
    sale = {
        "id": str(uuid.uuid4()),
        "type": "sale",
        "currency": "CZK",
        "lines": [{"sku": "COFFEE", "quantity": "2", "unit_price": "89.00", "total": "178.00"}],
        "total": "178.00",
        "payments": [{"method": "cash", "amount": "178.00"}],
        "print": {"printer": "receipt"},
        "open_drawer": {"drawer": "drawer"},
    }
    recorded = call(port, token, "POST", "/api/v1/documents", sale)
    assert recorded["print"]["status"] == "submitted", recorded
    call(port, token, "POST", "/api/v1/scanners/scanner/scans", {"code": "8594001234567"})


def one_start(
    work: Path, idle_s: float, measure_rss: bool
) -> tuple[float, float | None, float | None]:
    port = free_port()
    notify_path = work / "notify.sock"
    notify_path.unlink(missing_ok=True)
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify:
        notify.bind(str(notify_path))
        notify.settimeout(30)
        env = {**os.environ, "NOTIFY_SOCKET": str(notify_path)}
        began = time.perf_counter()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bridge",
                "run",
                "--port",
                str(port),
                "--state-dir",
                str(work / "state"),
            ],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
            stderr=subprocess.DEVNULL,
        )
        try:
            while b"READY=1" not in notify.recv(4096):
                pass
            ready = time.perf_counter() - began
            rss = worked = None
            if measure_rss:
                time.sleep(idle_s)
                rss = rss_mb(proc.pid)
                assert proc.stdout is not None
                token = next(line for line in proc.stdout if "#token=" in line)
                first_work(port, token.strip().split("#token=")[1])
                time.sleep(idle_s)
                worked = rss_mb(proc.pid)
        finally:
            proc.terminate()
            proc.wait(10)
    return ready, rss, worked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--idle", type=float, default=3.0, help="seconds idle before reading VmRSS")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        one_start(work, 0, False)  # first start creates the database; later starts open it
        times = []
        for i in range(args.runs):
            ready, idle_rss, worked_rss = one_start(work, args.idle, i == args.runs - 1)
            times.append(ready)
    median = statistics.median(times)
    print(
        f"start-to-ready (spawn to READY=1), {args.runs} starts: median {median * 1000:.0f} ms, "
        f"min {min(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms  (goal < 1000 ms)"
    )
    print(
        f"idle VmRSS after {args.idle:.0f} s: {idle_rss:.1f} MB  (goal < 50 MB; QZ Tray reported "
        f"~{QZ_TRAY_RSS_MB:.0f} MB: {QZ_TRAY_RSS_MB / idle_rss:.1f}x less)"
    )
    print(
        f"VmRSS after a product, a printed cash sale with its drawer and a scan: {worked_rss:.1f} MB"
    )


if __name__ == "__main__":
    main()
