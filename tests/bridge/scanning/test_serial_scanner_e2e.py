"""A serial scanner on a real pseudo-terminal, through the daemon, to WebSocket clients; hot-plug."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tty
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.conftest import BASE_CONFIG, Api


class PtyScanner:
    """Plays the scanner on the master side; `link` is its stable path, like /dev/serial/by-id/…"""

    def __init__(self, link: Path) -> None:
        self.link = link
        self.master = -1
        self.plug()

    def plug(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)
        name = os.ttyname(slave)
        os.close(slave)
        self.master = master
        tmp = self.link.with_suffix(".new")
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(name)
        tmp.replace(self.link)

    def scan(self, data: bytes) -> None:
        os.write(self.master, data)

    def unplug(self) -> None:
        os.close(self.master)
        self.master = -1


@pytest.fixture
def scanner(tmp_path: Path) -> Iterator[PtyScanner]:
    device = PtyScanner(tmp_path / "usb-Datalogic_Scanner-if00")
    yield device
    if device.master >= 0:
        os.close(device.master)


@pytest.fixture
def config_text(scanner: PtyScanner) -> str:
    return (
        BASE_CONFIG
        + f"""
[devices.counter]
driver = "serial-scanner"
port = "{scanner.link}"
terminator = "CR"
"""
    )


async def until(ws: aiohttp.ClientWebSocketResponse, topic: str, **match: Any) -> dict[str, Any]:
    while True:
        event = await ws.receive_json(timeout=10)
        if event.get("topic") == topic and all(event["data"].get(k) == v for k, v in match.items()):
            return event["data"]


async def test_scans_reach_clients_with_symbology_and_gs_kept(
    api: Api, scanner: PtyScanner
) -> None:
    ws = await api.ws_authed(["scan", "device"], since=0)
    await until(ws, "device", device="counter", state="online")
    scanner.scan(b"]E04006381333931\r")
    scanner.scan(b"]d2010460406000590121abc\x1d91EE06\r")  # a GS1 DataMatrix mark with GS
    first = await until(ws, "scan", device="counter")
    second = await until(ws, "scan", device="counter")
    assert first == {
        "device": "counter",
        "code": "4006381333931",
        "symbology": "EAN13",
        "product": None,
    }
    assert second["code"] == "010460406000590121abc\x1d91EE06"
    assert second["symbology"] == "GS1_DATAMATRIX"
    await ws.close()


async def test_unplug_and_replug_on_another_node_without_restart(
    api: Api, scanner: PtyScanner
) -> None:
    ws = await api.ws_authed(["scan", "device"], since=0)
    await until(ws, "device", device="counter", state="online")
    scanner.unplug()
    lost = await until(ws, "device", device="counter", state="retrying")
    assert lost["online"] is False and lost["error"]["code"]
    _, body, _ = await api.call("GET", "/api/v1/devices")
    assert {d["id"]: d["state"] for d in body["devices"]}["counter"] == "retrying"
    scanner.plug()  # replugged: the kernel gave it another node, the stable link follows
    await until(ws, "device", device="counter", state="online")
    scanner.scan(b"12345\r")
    assert (await until(ws, "scan", device="counter"))["code"] == "12345"
    await ws.close()


async def test_scans_while_no_pos_is_connected_are_replayed_once(
    api: Api, scanner: PtyScanner
) -> None:
    ws = await api.ws_authed(["scan", "device"], since=0)
    await until(ws, "device", device="counter", state="online")
    scanner.scan(b"A1\r")
    last = await ws.receive_json(timeout=10)
    while last.get("topic") != "scan":
        last = await ws.receive_json(timeout=10)
    await ws.close()
    for code in (b"B2\r", b"C3\r"):
        scanner.scan(code)
    await asyncio.sleep(0.3)
    first_client = await api.ws_authed(["scan"], since=last["seq"])
    second_client = await api.ws_authed(["scan"], since=last["seq"])
    for client in (first_client, second_client):
        codes = [(await client.receive_json(timeout=10))["data"]["code"] for _ in range(2)]
        assert codes == ["B2", "C3"]
        with contextlib.suppress(asyncio.TimeoutError):
            extra = await client.receive_json(timeout=0.3)
            raise AssertionError(f"delivered twice: {extra}")
        await client.close()
