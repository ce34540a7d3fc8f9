"""Start-to-ready time and idle memory of `tillbridge run` on its embedded default.

Ready is measured from process spawn to the READY=1 datagram on a real NOTIFY_SOCKET, so it includes
interpreter start and imports, as systemd sees it. Memory is VmRSS read from /proc after idling.
Reference: QZ Tray, the most used browser-to-hardware bridge, is reported at about 236 MB.

    .venv/bin/python bench/bench_startup.py [--runs 10] [--idle 3]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
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


def one_start(work: Path, idle_s: float, measure_rss: bool) -> tuple[float, float | None]:
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
                str(free_port()),
                "--state-dir",
                str(work / "state"),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            while b"READY=1" not in notify.recv(4096):
                pass
            ready = time.perf_counter() - began
            rss = None
            if measure_rss:
                time.sleep(idle_s)
                rss = rss_mb(proc.pid)
        finally:
            proc.terminate()
            proc.wait(10)
    return ready, rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--idle", type=float, default=3.0, help="seconds idle before reading VmRSS")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        one_start(work, 0, False)  # first start creates the database; later starts open it
        times, rss = [], []
        for i in range(args.runs):
            ready, mem = one_start(work, args.idle, measure_rss=(i == args.runs - 1))
            times.append(ready)
            if mem is not None:
                rss.append(mem)
    median = statistics.median(times)
    print(
        f"start-to-ready (spawn to READY=1), {args.runs} starts: median {median * 1000:.0f} ms, "
        f"min {min(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms  (goal < 1000 ms)"
    )
    print(
        f"idle VmRSS after {args.idle:.0f} s: {rss[0]:.1f} MB  (goal < 50 MB; QZ Tray reported "
        f"~{QZ_TRAY_RSS_MB:.0f} MB: {QZ_TRAY_RSS_MB / rss[0]:.1f}x less)"
    )


if __name__ == "__main__":
    main()
