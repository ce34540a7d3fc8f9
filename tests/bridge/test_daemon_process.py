"""The daemon as a real process: READY on a real notify socket, watchdog, login link, SIGTERM, CLI."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.auth.tokens import CACHE_TTL_S

CONFIG = """
[server]
port = {port}
[devices.scanner]
driver = "simulated-scanner"
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Daemon:
    def __init__(
        self, tmp: Path, env_extra: dict[str, str] | None = None, config: str | None = None
    ) -> None:
        self.port = free_port()
        self.config = tmp / "till.toml"
        self.config.write_text(config if config is not None else CONFIG.format(port=self.port))
        self.state = tmp / "state"
        self.notify_path = tmp / "notify.sock"
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(str(self.notify_path))
        self.notify.settimeout(10)
        env = {**os.environ, "NOTIFY_SOCKET": str(self.notify_path), **(env_extra or {})}
        env.pop("STATE_DIRECTORY", None)
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bridge",
                "run",
                "--config",
                str(self.config),
                "--state-dir",
                str(self.state),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def messages(self, until: str, timeout: float = 10) -> list[str]:
        seen: list[str] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.notify.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data = self.notify.recv(4096).decode()
            except TimeoutError:
                break
            seen.append(data)
            if until in data:
                return seen
        raise AssertionError(f"no {until} from the daemon; got {seen}; stderr: {self.stderr_now()}")

    def drain_notify(self, until: float) -> None:
        """Read (and drop) notify datagrams until ``until``, so the daemon's pings never block."""
        while (left := until - time.monotonic()) > 0:
            self.notify.settimeout(left)
            try:
                self.notify.recv(4096)
            except TimeoutError:
                return

    def stderr_now(self) -> str:
        if self.proc.poll() is None:
            return "(still running)"
        return self.proc.stderr.read() if self.proc.stderr else ""

    def get(self, path: str, token: str | None = None) -> tuple[int, dict]:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream:
                stream.close()
        self.notify.close()


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Daemon]:
    running = Daemon(tmp_path, {"WATCHDOG_USEC": "400000"})
    yield running
    running.stop()


def test_ready_only_when_serving_then_watchdog_then_clean_sigterm(daemon: Daemon) -> None:
    ready = daemon.messages("READY=1")[-1]
    assert f"MAINPID={daemon.proc.pid}" in ready
    # READY means the listener and the store are up: the very next request succeeds
    status, health = daemon.get("/health")
    assert status == 200 and health["status"] == "ok" and len(health["instance_id"]) == 36
    assert daemon.messages("WATCHDOG=1", timeout=3)  # interval 0.4 s: pinged at half of it
    assert daemon.proc.stdout is not None
    line = daemon.proc.stdout.readline()
    assert line.strip() == f"tillbridge listening on http://127.0.0.1:{daemon.port}/"
    login = daemon.proc.stdout.readline().strip()
    assert login.startswith(f"Technician login: http://127.0.0.1:{daemon.port}/#token=tb_")
    token = login.split("#token=")[1]
    assert daemon.get("/api/v1/tokens", token)[0] == 200
    began = time.monotonic()
    daemon.proc.send_signal(signal.SIGTERM)
    assert daemon.messages("STOPPING=1", timeout=5)
    assert daemon.proc.wait(5) == 0
    assert time.monotonic() - began < 5.0


def test_login_link_is_renewed_at_each_start(tmp_path: Path) -> None:
    tokens = []
    first = Daemon(tmp_path)
    first.messages("READY=1")
    assert first.proc.stdout is not None
    first.proc.stdout.readline()
    tokens.append(first.proc.stdout.readline().strip().split("#token=")[1])
    first.proc.send_signal(signal.SIGTERM)
    first.proc.wait(5)
    first.stop()
    (tmp_path / "notify.sock").unlink()
    second = Daemon(tmp_path)
    try:
        second.messages("READY=1")
        assert second.proc.stdout is not None
        second.proc.stdout.readline()
        tokens.append(second.proc.stdout.readline().strip().split("#token=")[1])
        assert tokens[0] != tokens[1]
        assert second.get("/api/v1/tokens", tokens[0])[0] == 401  # the old link no longer works
        assert second.get("/api/v1/tokens", tokens[1])[0] == 200
    finally:
        second.stop()


def test_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        d = Daemon(tmp_path, config=CONFIG.format(port=port))
        try:
            assert d.proc.wait(15) == 1
            assert "cannot listen" in d.stderr_now()
        finally:
            d.stop()


def test_damaged_database_stops_start_with_instructions(tmp_path: Path) -> None:
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "tillbridge.sqlite3").write_bytes(b"garbage" * 1000)
    d = Daemon(tmp_path)
    try:
        assert d.proc.wait(15) == 74
        err = d.stderr_now()
        assert "damaged" in err and "tillbridge restore" in err
    finally:
        d.stop()


def cli(*args: str, state: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bridge", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "STATE_DIRECTORY": str(state)},
    )


def test_token_commands_against_a_running_daemon(daemon: Daemon) -> None:
    daemon.messages("READY=1")
    created = cli(
        "token", "create", "--role", "cashier", "--name", "front till", state=daemon.state
    )
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert token.startswith("tb_") and "Shown once" in created.stderr
    status, body = daemon.get("/api/v1/devices", token)
    checked = time.monotonic()
    assert status == 200 and body["devices"][0]["id"] == "scanner"
    listed = cli("token", "list", state=daemon.state)
    assert "front till" in listed.stdout and token not in listed.stdout
    line = next(line for line in listed.stdout.splitlines() if "front till" in line)
    assert "cashier" in line and "active" in line
    token_id = line.split()[0]
    assert cli("token", "revoke", token_id, state=daemon.state).returncode == 0
    # The daemon trusts a checked token for CACHE_TTL_S after it last read it (the 200 above);
    # a revoke by another process has reached it by then.
    daemon.drain_notify(checked + CACHE_TTL_S + 0.2)
    assert daemon.get("/api/v1/devices", token)[0] == 401
    assert cli("token", "revoke", token_id, state=daemon.state).returncode == 1
    tech = cli("token", "create", "--role", "technician", "--name", "laptop", state=daemon.state)
    assert "expires 20" in tech.stderr  # technician tokens expire by default
    bad = cli(
        "token",
        "create",
        "--role",
        "cashier",
        "--name",
        "x",
        "--expires-in",
        "soon",
        state=daemon.state,
    )
    assert bad.returncode == 2 and "30m, 12h or 7d" in bad.stderr
