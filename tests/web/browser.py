"""Helpers for the real-browser tests: a daemon process, a second web origin, and API calls.

The daemon runs as `python -m bridge run` in its own process (as on a till), so the browser, the
daemon and the test each have their own event loop and nothing is shared but sockets.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any

PIN = "246810"
CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP pos.example.test 127.0.0.1,MAP evil.example.test 127.0.0.1",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Till:
    """A running daemon process (syncing with a reference cloud) and a technician token for it."""

    port: int
    pos_origin: str
    evil_origin: str
    technician: str
    process: subprocess.Popen[bytes]
    cloud: subprocess.Popen[bytes]
    cloud_token: str

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def call(
        self, method: str, path: str, body: Any = None, token: str | None = None
    ) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {token or self.technician}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")

    def ok(self, method: str, path: str, body: Any = None) -> Any:
        status, answer = self.call(method, path, body)
        assert 200 <= status < 300, (method, path, status, answer)
        return answer

    def has_route(self, method: str, path: str) -> bool:
        status, answer = self.call(method, path)
        return not (status == 404 and answer["error"]["code"] == "not_found")

    def device(self, device_id: str) -> dict[str, Any]:
        devices = self.ok("GET", "/api/v1/devices")["devices"]
        return next(d for d in devices if d["id"] == device_id)

    def wait_for(self, check: Any, what: str, timeout: float = 10.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            result = check()
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            time.sleep(0.05)


def start_cloud(work: Path, till_token: str) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    """The project's reference cloud on a free port, with this till registered."""
    command = [sys.executable, "-m", "bridge", "cloud", "--data-dir", str(work / "cloud")]
    command += ["serve", "--port", "0", "--till", f"till-1:{till_token}"]
    with (work / "cloud.err").open("wb") as err:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err)
    assert process.stdout is not None
    line = process.stdout.readline()  # one JSON line once it listens
    if not line:
        process.kill()
        process.wait()
        raise RuntimeError(f"cloud did not start:\n{(work / 'cloud.err').read_text()}")
    return process, json.loads(line)


def start_till(work: Path, pos_port: int) -> Till:
    till_token = "till-secret-" + os.urandom(8).hex()
    cloud, info = start_cloud(work, till_token)
    port = free_port()
    pos_origin = f"http://pos.example.test:{pos_port}"
    evil_origin = f"http://evil.example.test:{pos_port}"
    config = work / "tillbridge.toml"
    config.write_text(
        f"""
[server]
port = {port}
allowed_origins = ["{pos_origin}"]

[demo]
enabled = true

[cloud]
url = "{info["url"]}"
till_id = "till-1"
token = "{till_token}"
public_keys = ["{info["public_key"]}"]

[logging]
format = "json"

[devices.receipt]
driver = "simulated-printer"

[devices.drawer]
driver = "simulated-drawer"

[devices.scanner]
driver = "simulated-scanner"
"""
    )
    state = work / "state"
    base = [sys.executable, "-m", "bridge"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    subprocess.run(
        [*base, "pin", "-c", str(config), "--state-dir", str(state), "set", "--stdin"],
        input=PIN.encode(),
        check=True,
        timeout=30,
        env=env,
    )
    with (work / "daemon.out").open("wb") as out, (work / "daemon.err").open("wb") as err:
        process = subprocess.Popen(
            [*base, "run", "-c", str(config), "--state-dir", str(state)],
            stdout=out,
            stderr=err,
            env=env,
        )
    deadline = time.monotonic() + 20
    while True:
        text = (work / "daemon.out").read_text()
        if "Technician login: " in text:
            url = text.split("Technician login: ", 1)[1].split()[0]
            break
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            cloud.kill()
            raise RuntimeError(f"daemon did not start:\n{(work / 'daemon.err').read_text()}")
        time.sleep(0.05)
    return Till(
        port, pos_origin, evil_origin, url.split("#token=", 1)[1], process, cloud, till_token
    )


def stop_till(till: Till) -> None:
    for process in (till.process, till.cloud):
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if till.cloud.stdout is not None:
        till.cloud.stdout.close()


def demo_files() -> dict[str, tuple[bytes, str]]:
    """The demo POS exactly as the daemon ships it, to serve from another origin."""
    types = {".html": "text/html", ".js": "text/javascript", ".css": "text/css"}
    folder = resources.files("bridge.web").joinpath("demo")
    return {
        f"/demo/{name}": (folder.joinpath(name).read_bytes(), types[Path(name).suffix])
        for name in ("index.html", "demo.js", "demo.css")
    }


class OtherOrigin:
    """A plain web server on a second local port: the POS's (or an attacker's) own site."""

    def __init__(self, port: int, pages: dict[str, tuple[bytes, str]]) -> None:
        pages = {**pages, "/demo/": pages["/demo/index.html"]}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                page = pages.get(self.path.split("?", 1)[0])
                if page is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", f"{page[1]}; charset=utf-8")
                self.send_header("Content-Length", str(len(page[0])))
                self.end_headers()
                self.wfile.write(page[0])

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> OtherOrigin:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
