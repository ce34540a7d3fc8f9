"""The technician page's own routes and files: PIN login with lockout, logs, support bundle,
re-detect, strict CSP, /client.js for allowlisted origins only, and the demo behind its switch."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from bridge import keys
from bridge.auth.pin import PinStore, hash_pin_blocking, verify_pin_blocking
from bridge.store import Store
from bridge.store.database import DATABASE_NAME
from tests.conftest import EVIL_ORIGIN, POS_ORIGIN, Api

CONFIG = f"""
[server]
port = 0
allowed_origins = ["{POS_ORIGIN}"]

[auth]
pin_max_attempts = 3
pin_lockout_s = 60

[demo]
enabled = true

[devices.scanner]
driver = "simulated-scanner"

[devices.receipt]
driver = "simulated-printer"
keep_jobs = 20
"""


@pytest.fixture
def config_text() -> str:
    return CONFIG


async def test_pin_login_gives_a_technician_token(api: Api) -> None:
    await api.daemon.app[keys.PINS].set("482916")
    status, body, _ = await api.call(
        "POST", "/api/v1/login", json_body={"pin": "482916"}, headers={}
    )
    assert status == 201
    assert body["role"] == "technician" and body["expires_at"]
    status, _, _ = await api.call("GET", "/api/v1/tokens", token=body["token"])
    assert status == 200
    # Logging out revokes it.
    status, _, _ = await api.call("POST", "/api/v1/logout", token=body["token"])
    assert status == 200
    status, _, _ = await api.call("GET", "/api/v1/tokens", token=body["token"])
    assert status == 401


async def test_wrong_pins_lock_login_even_for_the_right_pin(api: Api) -> None:
    await api.daemon.app[keys.PINS].set("482916")
    codes = []
    for _ in range(3):
        status, body, _ = await api.call(
            "POST", "/api/v1/login", json_body={"pin": "000000"}, headers={}
        )
        codes.append((status, body["error"]["code"]))
    assert codes == [(401, "login.bad_pin"), (401, "login.bad_pin"), (429, "login.locked")]
    status, body, resp = await api.call(
        "POST", "/api/v1/login", json_body={"pin": "482916"}, headers={}
    )
    assert status == 429 and body["error"]["code"] == "login.locked"
    assert int(resp.headers["Retry-After"]) > 0


async def test_login_without_a_pin_set_says_how_to_set_one(api: Api) -> None:
    status, body, _ = await api.call("POST", "/api/v1/login", json_body={"pin": "1234"}, headers={})
    assert status == 409
    assert "tillbridge pin set" in body["error"]["message"]


async def test_login_from_a_foreign_origin_is_refused(api: Api) -> None:
    await api.daemon.app[keys.PINS].set("482916")
    status, body, _ = await api.call(
        "POST", "/api/v1/login", json_body={"pin": "482916"}, headers={"Origin": EVIL_ORIGIN}
    )
    assert status == 403 and body["error"]["code"] == "origin.forbidden"


def test_pin_hash_is_salted_scrypt_and_checks() -> None:
    one, two = hash_pin_blocking("1234"), hash_pin_blocking("1234")
    assert one != two and one.startswith("scrypt$") and "1234" not in one
    assert verify_pin_blocking("1234", one)
    assert not verify_pin_blocking("1235", one)
    assert not verify_pin_blocking("1234", "garbage")


def test_cli_pin_set_stores_a_hash_the_daemon_accepts(tmp_path: Path) -> None:
    config = tmp_path / "tillbridge.toml"
    config.write_text("[server]\nport = 0\n")
    state = tmp_path / "state"
    run = [sys.executable, "-m", "bridge", "pin", "-c", str(config), "--state-dir", str(state)]
    done = subprocess.run(
        [*run, "set", "--stdin"],
        input="12ab\n",
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2 and "4 to 12 digits" in done.stderr
    done = subprocess.run(
        [*run, "set", "--stdin"],
        input="7351\n",
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr

    async def check() -> tuple[bool, bool]:
        store = Store(state / DATABASE_NAME)
        await store.open()
        try:
            pins = PinStore(store)
            return await pins.verify("7351"), await pins.verify("7352")
        finally:
            await store.close()

    assert asyncio.run(check()) == (True, False)


async def test_logs_show_recent_records_and_need_a_technician(api: Api) -> None:
    logging.getLogger("bridge.test").warning("printer %s jammed", "receipt")
    status, body, _ = await api.call("GET", "/api/v1/logs?limit=5")
    assert status == 200
    assert any(line["event"] == "printer receipt jammed" for line in body["lines"])
    status, _, _ = await api.call("GET", "/api/v1/logs", token=api.cashier)
    assert status == 403


async def test_support_bundle_masks_secrets_and_lists_devices(api: Api) -> None:
    status, body, resp = await api.call("GET", "/api/v1/support-bundle")
    assert status == 200
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    assert {d["id"] for d in body["devices"]} == {"scanner", "receipt"}
    assert body["versions"]["tillbridge"]
    assert body["config"]["settings"]["server"]["allowed_origins"] == [POS_ORIGIN]
    # Each device as its table is written: driver and the driver's options side by side.
    receipt = body["config"]["settings"]["devices"]["receipt"]
    assert receipt == {"driver": "simulated-printer", "enabled": True, "keep_jobs": 20}
    assert "sync" in body


def test_support_bundle_settings_mask_secret_device_options() -> None:
    from bridge.api.routes_technician import mask_secrets
    from bridge.config.loader import config_data
    from bridge.config.models import DeviceConfig, Settings

    device = DeviceConfig(driver="network-printer", options={"host": "10.0.0.9", "api_key": "k"})
    settings = Settings(devices={"receipt": device})
    table = mask_secrets(config_data(settings))["devices"]["receipt"]
    assert table == {
        "driver": "network-printer",
        "enabled": True,
        "host": "10.0.0.9",
        "api_key": "***",
    }


def test_mask_secrets_hides_secret_looking_keys() -> None:
    from bridge.api.routes_technician import mask_secrets

    masked = mask_secrets(
        {"cloud": {"api_token": "s3cret", "url": "https://x"}, "auth": {"pin_lockout_s": 5}}
    )
    assert masked["cloud"] == {"api_token": "***", "url": "https://x"}


async def test_redetect_answers_for_known_devices_only(api: Api) -> None:
    status, body, _ = await api.call("POST", "/api/v1/devices/receipt/redetect")
    assert status == 200 and body["device"] == "receipt"
    status, body, _ = await api.call("POST", "/api/v1/devices/nope/redetect")
    assert status == 404 and body["error"]["code"] == "device.not_found"
    status, _, _ = await api.call("POST", "/api/v1/devices/receipt/redetect", token=api.cashier)
    assert status == 403


@pytest.mark.parametrize("path", ["/", "/static/app.js", "/static/panels/devices.js", "/demo/"])
async def test_pages_send_a_strict_csp(api: Api, path: str) -> None:
    status, _, resp = await api.call("GET", path, headers={})
    assert status == 200
    csp = resp.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp


async def test_static_names_cannot_leave_the_package(api: Api) -> None:
    for path in ["/static/../pages.py", "/static/%2e%2e/pages.py", "/static/lib/../../pages.py"]:
        status, _, _ = await api.call("GET", path, headers={})
        assert status == 404, path


async def test_client_js_is_served_cross_origin_only_to_listed_origins(api: Api) -> None:
    status, text, resp = await api.call("GET", "/client.js", headers={"Origin": POS_ORIGIN})
    assert status == 200 and "export async function connect" in text
    assert resp.headers["Access-Control-Allow-Origin"] == POS_ORIGIN
    assert resp.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert "tb_" not in text.replace('placeholder="tb_', "")
    status, _, resp = await api.call("GET", "/client.js", headers={"Origin": EVIL_ORIGIN})
    assert status == 403 and "Access-Control-Allow-Origin" not in resp.headers
    status, text, _ = await api.call("GET", "/client.d.ts", headers={})
    assert status == 200 and "export function connect" in text


@pytest.mark.parametrize("config_text", [CONFIG.replace("enabled = true", "enabled = false")])
async def test_demo_is_off_unless_enabled(api: Api) -> None:
    for path in ["/demo/", "/demo/demo.js", "/demo"]:
        status, _, _ = await api.call("GET", path, headers={}, allow_redirects=False)
        assert status == 404, path
    status, _, _ = await api.call("GET", "/client.js", headers={})
    assert status == 200
