"""Devices fail, are retried with backoff, come back, and never take the daemon or each other down."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bridge import keys
from tests.conftest import BASE_CONFIG, Api


@pytest.fixture
def control(tmp_path: Path) -> Path:
    path = tmp_path / "fake-scanner-state"
    path.write_text("absent")
    return path


@pytest.fixture
def config_text(control: Path) -> str:
    return (
        BASE_CONFIG
        + f"""
[devices.wedge]
driver = "fake-scanner"
control = "{control}"

[devices.spare]
driver = "simulated-scanner"
enabled = false
"""
    )


async def next_device_event(
    ws: aiohttp.ClientWebSocketResponse, device: str, state: str
) -> dict[str, Any]:
    while True:
        event = await ws.receive_json(timeout=5)
        if (
            event["topic"] == "device"
            and event["data"]["device"] == device
            and event["data"]["state"] == state
        ):
            return event["data"]


async def devices(api: Api) -> dict[str, dict[str, Any]]:
    _, body, _ = await api.call("GET", "/api/v1/devices")
    return {d["id"]: d for d in body["devices"]}


async def test_absent_device_is_retried_and_comes_online_without_restart(
    api: Api, control: Path
) -> None:
    ws = await api.ws_authed(["device"], since=0)
    retrying = await next_device_event(ws, "wedge", "retrying")
    assert retrying["error"] == {"code": "device.not_ready", "message": "fake scanner unplugged"}
    listed = await devices(api)
    assert listed["wedge"]["online"] is False and listed["wedge"]["retry_at"]
    assert listed["scanner"]["online"] is True  # the other device is unaffected
    control.write_text("present")  # plug it in
    online = await next_device_event(ws, "wedge", "online")
    assert online["online"] is True and online["error"] is None
    assert (await devices(api))["wedge"]["state"] == "online"
    await ws.close()


async def test_lost_device_is_reported_and_reopened(api: Api, control: Path) -> None:
    control.write_text("present")
    manager = api.daemon.app[keys.DEVICES]
    manager.redetect("wedge")
    ws = await api.ws_authed(["device"], since=0)
    await next_device_event(ws, "wedge", "online")
    slot = manager.get("wedge")
    assert slot is not None and slot.device is not None
    slot.device.unplug()  # type: ignore[attr-defined]
    lost = await next_device_event(ws, "wedge", "retrying")
    assert lost["error"]["code"] == "device.not_ready"
    control.write_text("present")
    await next_device_event(ws, "wedge", "online")
    # the simulated scanner kept working throughout
    status, _, _ = await api.call(
        "POST", "/api/v1/scanners/scanner/scans", json_body={"code": "42"}
    )
    assert status == 202
    await ws.close()


async def test_config_error_disables_device_without_retrying(api: Api, control: Path) -> None:
    control.write_text("broken")
    manager = api.daemon.app[keys.DEVICES]
    manager.redetect("wedge")
    ws = await api.ws_authed(["device"], since=0)
    disabled = await next_device_event(ws, "wedge", "disabled")
    assert disabled["error"]["code"] == "device.config_error"
    control.write_text("present")
    await asyncio.sleep(0.5)  # far beyond the test backoff: it must not be retried
    assert (await devices(api))["wedge"]["state"] == "disabled"
    await ws.close()


async def test_disabled_in_config_is_listed_not_opened(api: Api) -> None:
    spare = (await devices(api))["spare"]
    assert spare["state"] == "disabled" and spare["online"] is False
    status, body, _ = await api.call(
        "POST", "/api/v1/scanners/spare/scans", json_body={"code": "1"}
    )
    assert status == 503


async def test_scan_injection_errors(api: Api) -> None:
    status, body, _ = await api.call("POST", "/api/v1/scanners/nope/scans", json_body={"code": "1"})
    assert status == 404 and body["error"]["code"] == "scanner.not_found"
    api.daemon.app[keys.DEVICES].redetect("wedge")
    status, body, _ = await api.call(
        "POST", "/api/v1/scanners/wedge/scans", json_body={"code": "1"}
    )
    assert status == 409 and body["error"]["code"] == "scanner.not_simulated"
