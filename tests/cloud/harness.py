"""The reference cloud and the daemon as real processes on loopback, for the sync tests and bench."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

TILL_ID = "till-1"
TILL_TOKEN = "till-secret-token"
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http(
    method: str, url: str, body: Any = None, token: str | None = None, timeout: float = 30
) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if body is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw)
        except ValueError:
            return exc.code, raw.decode(errors="replace")


def wait_for(check: Callable[[], Any], timeout: float = 20, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


class CloudProcess:
    def __init__(self, tmp: Path, db: str | None = None, faults: dict[str, Any] | None = None):
        self.data_dir = tmp / "cloud"
        cmd = [sys.executable, "-m", "bridge", "cloud", "--data-dir", str(self.data_dir)]
        if db:
            cmd += ["--db", db]
        cmd += ["serve", "--port", "0", "--till", f"{TILL_ID}:{TILL_TOKEN}"]
        if faults:
            cmd += ["--faults", json.dumps(faults)]
        self.log = open(tmp / "cloud.log", "w")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.log, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError(f"cloud did not start: {(tmp / 'cloud.log').read_text()}")
        info = json.loads(line)
        self.url: str = info["url"]
        self.admin_token: str = info["admin_token"]
        self.public_key: str = info["public_key"]

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        status, data = http(method, self.url + path, body, self.admin_token)
        assert status == 200, (status, data)
        return data

    def faults(self, **faults: Any) -> None:
        self.admin("POST", "/admin/faults", faults)

    def load_catalog(self, products: list[dict[str, Any]]) -> None:
        self.admin("POST", "/admin/catalog", {"products": products})

    def set_stock(self, sku: str, physical: str, warehouse: str = "main") -> None:
        figure = {"sku": sku, "warehouse": warehouse, "physical": physical}
        self.admin("POST", "/admin/stock", {"figures": [figure]})

    def stock(self, sku: str, warehouse: str = "main") -> Decimal:
        return Decimal(self.admin("GET", "/admin/stock")["stock"][f"{sku}@{warehouse}"]["physical"])

    def summary(self) -> dict[str, Any]:
        return self.admin("GET", f"/admin/tills/{TILL_ID}/summary")

    def publish_config(self, config: dict[str, Any], **levers: Any) -> dict[str, Any]:
        body = {"till_id": TILL_ID, "config": config, **levers}
        return self.admin("POST", "/admin/config", body)["envelope"]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()
        self.log.close()


def product(sku: str, price: str = "10.00", **extra: Any) -> dict[str, Any]:
    return {
        "sku": sku,
        "name": f"Product {sku}",
        "barcodes": [],
        "price": price,
        "currency": "CZK",
        "unit": "pcs",
        "tax_rate": None,
        "group": None,
        **extra,
    }


def sale(sku: str, qty: str = "1", price: str = "10.00") -> dict[str, Any]:
    total = str((Decimal(qty) * Decimal(price)).quantize(Decimal("0.01")))
    return {
        "id": str(uuid.uuid4()),
        "type": "sale",
        "currency": "CZK",
        "lines": [{"sku": sku, "quantity": qty, "unit_price": price, "total": total}],
        "total": total,
        "payments": [{"method": "card", "amount": total}],
    }


TILL_CONFIG = """
[server]
port = {port}
[auth]
login_link = false
[logging]
level = "info"
format = "json"
[cloud]
url = "{url}"
till_id = "{till_id}"
token = "{token}"
public_keys = ["{public_key}"]
backoff_base_s = 0.05
backoff_cap_s = 0.5
retry_after_cap_s = {retry_after_cap_s}
credentials_retry_s = {credentials_retry_s}
long_poll_s = {long_poll_s}
request_timeout_s = 5.0
{extra}
"""


class TillProcess:
    """`tillbridge run` with a [cloud] section; restartable (same state dir), killable."""

    def __init__(
        self,
        tmp: Path,
        cloud: CloudProcess | None,
        *,
        name: str = "till",
        token: str = TILL_TOKEN,
        extra: str = "",
        retry_after_cap_s: float = 2.0,
        credentials_retry_s: float = 600.0,
        long_poll_s: int = 5,
        url: str | None = None,
    ) -> None:
        self.dir = tmp / name
        self.dir.mkdir(exist_ok=True)
        self.state = self.dir / "state"
        self.port = free_port()
        self.config = self.dir / "till.toml"
        cloud_section = TILL_CONFIG.format(
            port=self.port,
            url=url or (cloud.url if cloud else ""),
            till_id=TILL_ID,
            token=token,
            public_key=cloud.public_key if cloud else "",
            retry_after_cap_s=retry_after_cap_s,
            credentials_retry_s=credentials_retry_s,
            long_poll_s=long_poll_s,
            extra=extra,
        )
        self.config.write_text(cloud_section)
        self.proc: subprocess.Popen[str] | None = None
        self.token = ""
        self.log_path = self.dir / "till.log"

    def cli(
        self, command: str, *args: str, timeout: float = 90
    ) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != "STATE_DIRECTORY"}
        where = ["--config", str(self.config), "--state-dir", str(self.state)]
        return subprocess.run(
            [sys.executable, "-m", "bridge", command, *where, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
        )

    def start(self) -> None:
        if not self.token:
            done = self.cli("token", "create", "--role", "technician", "--name", "tests")
            assert done.returncode == 0, done.stderr
            self.token = done.stdout.strip()
        env = {k: v for k, v in os.environ.items() if k not in ("STATE_DIRECTORY", "NOTIFY_SOCKET")}
        log = open(self.log_path, "a")
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
            stdout=log,
            stderr=log,
            text=True,
            env=env,
        )
        log.close()
        wait_for(self._healthy, 20, "the daemon to answer")

    def _healthy(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(f"daemon exited {self.proc.returncode}: {self.log_tail()}")
        try:
            status, _ = http("GET", self.base + "/api/v1/sync", token=self.token, timeout=2)
        except OSError:
            return False
        return status == 200

    def log_tail(self, n: int = 4000) -> str:
        return self.log_path.read_text()[-n:] if self.log_path.exists() else ""

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        return http(method, self.base + path, body, self.token)

    def record(self, document: dict[str, Any]) -> dict[str, Any]:
        status, body = self.api("POST", "/api/v1/documents", document)
        assert status in (200, 201), (status, body)
        return body

    def sync_status(self) -> dict[str, Any]:
        status, body = self.api("GET", "/api/v1/sync")
        assert status == 200, body
        return body

    def stock(self, sku: str) -> Decimal:
        status, body = self.api("GET", f"/api/v1/stock/{sku}")
        assert status == 200, body
        return Decimal(next(w for w in body["warehouses"] if w["warehouse"] == "main")["physical"])

    def has_product(self, sku: str) -> bool:
        return self.api("GET", f"/api/v1/products/{sku}")[0] == 200

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    # -- the till's database, read directly ------------------------------------------------
    def db(self) -> sqlite3.Connection:
        return sqlite3.connect(f"file:{self.state / 'tillbridge.sqlite3'}?mode=ro", uri=True)

    def outbox_ids(self) -> set[str]:
        with self.db() as conn:
            return {row[0] for row in conn.execute("SELECT id FROM outbox")}

    def pending(self) -> int:
        with self.db() as conn:
            return int(
                conn.execute("SELECT COUNT(*) FROM outbox WHERE acked_at IS NULL").fetchone()[0]
            )

    def instance_id(self) -> str:
        with self.db() as conn:
            return str(conn.execute("SELECT value FROM meta WHERE key='instance_id'").fetchone()[0])

    def clone_state_to(self, other: TillProcess) -> None:
        shutil.copytree(self.state, other.state, dirs_exist_ok=True)
        other.token = self.token


def assert_consistent(
    till: TillProcess, cloud: CloudProcess, skus: list[str], timeout: float = 30
) -> None:
    """Nothing missing, nothing twice, stock equal on both sides once quiet."""
    wait_for(lambda: till.pending() == 0, timeout, "the outbox to drain")
    summary = cloud.summary()
    till_ids = till.outbox_ids()
    cloud_ids = set(summary["documents"])
    assert till_ids <= cloud_ids, f"missing in the cloud: {sorted(till_ids - cloud_ids)[:5]}"
    assert len(summary["documents"]) == len(cloud_ids)  # the cloud holds each id once
    for sku in skus:
        wait_for(
            lambda sku=sku: till.stock(sku) == cloud.stock(sku), timeout, f"stock of {sku} to agree"
        )
