"""The events WebSocket: Origin before upgrade, auth first, topics, seq, replay, slow clients (items 4, 13)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket

import aiohttp
import pytest

from tests.conftest import BASE_CONFIG, EVIL_ORIGIN, POS_ORIGIN, Api


async def scan(api: Api, code: str) -> None:
    status, body, _ = await api.call(
        "POST", "/api/v1/scanners/scanner/scans", json_body={"code": code}
    )
    assert status == 202, body


async def test_scan_reaches_every_subscribed_client_once_with_rising_seq(api: Api) -> None:
    clients = [await api.ws_authed(["scan"]) for _ in range(3)]
    device_only = await api.ws_authed(["device"])
    for code in ("4006381333931", "1\x1d2"):
        await scan(api, code)
    for ws in clients:
        first = await ws.receive_json(timeout=5)
        second = await ws.receive_json(timeout=5)
        assert first["topic"] == "scan" and first["data"]["code"] == "4006381333931"
        assert second["data"]["code"] == "1\x1d2"  # GS survives end to end
        assert second["seq"] == first["seq"] + 1
        assert first["data"] == {
            "device": "scanner",
            "code": "4006381333931",
            "symbology": None,
            "product": None,
        }
        assert first["time"].endswith("Z")
    with pytest.raises(asyncio.TimeoutError):
        await device_only.receive_json(timeout=0.3)
    for ws in [*clients, device_only]:
        await ws.close()


@pytest.mark.parametrize("origin", [None, POS_ORIGIN, "own"])
async def test_allowed_origins_may_open_the_socket(api: Api, origin: str | None) -> None:
    headers = {}
    if origin == "own":
        headers["Origin"] = f"http://127.0.0.1:{api.port}"
    elif origin:
        headers["Origin"] = origin
    ws = await api.ws_authed(["scan"], headers=headers)
    await ws.close()


async def test_foreign_origin_refused_before_upgrade(api: Api) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as info:
        await api.ws(headers={"Origin": EVIL_ORIGIN})
    assert info.value.status == 403


async def test_first_frame_must_authenticate(api: Api) -> None:
    ws = await api.ws()
    await ws.send_json({"type": "subscribe", "topics": ["scan"]})
    error = await ws.receive_json(timeout=5)
    assert error["error"]["code"] == "auth.expected"
    closing = await ws.receive(timeout=5)
    assert closing.type == aiohttp.WSMsgType.CLOSE and closing.data == 4401
    ws = await api.ws()
    await ws.send_json({"type": "auth", "token": "tb_nonsense"})
    assert (await ws.receive_json(timeout=5))["error"]["code"] == "auth.invalid_token"
    await ws.close()


@pytest.mark.parametrize(
    "first",
    [
        "not json",
        '{"type": "auth"}',
        '{"type": "auth", "token": "tb_x", "role": "admin"}',
        '{"type": "auth", "token": "' + "t" * 201 + '"}',
        '{"type": "auth", "token": 5}',
    ],
)
async def test_a_malformed_auth_frame_closes_like_a_missing_one(api: Api, first: str) -> None:
    ws = await api.ws()
    await ws.send_str(first)
    assert (await ws.receive_json(timeout=5))["error"]["code"] == "auth.expected"
    closing = await ws.receive(timeout=5)
    assert closing.type == aiohttp.WSMsgType.CLOSE and closing.data == 4401
    assert closing.extra == "auth.expected"


@pytest.fixture
def config_text() -> str:
    return (
        BASE_CONFIG
        + "\n[events]\nauth_timeout_s = 0.5\nclient_queue_size = 10\nmax_frame_bytes = 2048\n"
        "replay_max_events = 100\nsend_timeout_s = 2\n"
    )


async def test_socket_that_never_authenticates_is_closed(api: Api) -> None:
    ws = await api.ws()
    error = await ws.receive_json(timeout=5)
    assert error["error"]["code"] == "auth.timeout"
    closing = await ws.receive(timeout=5)
    assert closing.type == aiohttp.WSMsgType.CLOSE and closing.data == 4401


async def test_oversized_frame_closes_the_socket_not_the_daemon(api: Api) -> None:
    ws = await api.ws_authed(["scan"])
    await ws.send_str('{"type": "subscribe", "topics": ["scan"], "x": "' + "a" * 4096 + '"}')
    closing = await ws.receive(timeout=5)
    assert closing.type == aiohttp.WSMsgType.CLOSE and closing.data == 1009
    assert (await api.call("GET", "/health"))[0] == 200


async def test_bad_subscribe_frames_get_an_error_and_the_socket_stays(api: Api) -> None:
    ws = await api.ws_authed(["scan"])
    await ws.send_json({"type": "subscribe", "topics": ["nonsense"]})
    assert (await ws.receive_json(timeout=5))["error"]["code"] == "frame.invalid"
    await ws.send_str("not json")
    assert (await ws.receive_json(timeout=5))["error"]["code"] == "frame.invalid"
    for frame in (
        {"type": "subscribe", "topics": []},
        {"type": "subscribe", "topics": ["scan"], "since": -1},
        {"type": "subscribe", "topics": ["scan"], "since": "3"},
        {"type": "subscribe", "topics": ["scan"], "colour": "red"},
        {"type": "auth", "topics": ["scan"]},
    ):
        await ws.send_json(frame)
        assert (await ws.receive_json(timeout=5))["error"]["code"] == "frame.invalid", frame
    await scan(api, "still-here")
    assert (await ws.receive_json(timeout=5))["data"]["code"] == "still-here"
    await ws.close()


async def test_resume_with_since_gets_missed_events_without_loss_or_duplicates(api: Api) -> None:
    ws = await api.ws_authed(["scan"])
    await scan(api, "A")
    seen = [await ws.receive_json(timeout=5)]
    await ws.close()
    for code in ("B", "C", "D"):  # while the POS is away
        await scan(api, code)
    ws = await api.ws_authed(["scan"], since=seen[-1]["seq"])
    await scan(api, "E")  # live, after resuming
    for _ in range(4):
        seen.append(await ws.receive_json(timeout=5))
    assert [e["data"]["code"] for e in seen] == ["A", "B", "C", "D", "E"]
    seqs = [e["seq"] for e in seen]
    assert seqs == sorted(set(seqs))
    with pytest.raises(asyncio.TimeoutError):
        await ws.receive_json(timeout=0.3)
    await ws.close()


async def test_resume_beyond_the_window_reports_the_gap(api: Api) -> None:
    ws = await api.ws_authed(["scan"])
    watcher = await api.ws_authed(["scan"])
    await scan(api, "first")
    first = await ws.receive_json(timeout=5)
    await ws.close()
    for i in range(120):  # replay_max_events = 100
        await scan(api, f"c{i}")
    # A 202 means queued for the lookup, not yet published: wait until the last one is out.
    while (await watcher.receive_json(timeout=5))["data"]["code"] != "c119":
        pass
    await watcher.close()
    ws = await api.ws()
    await ws.send_json({"type": "auth", "token": api.cashier})
    await ws.receive_json(timeout=5)
    await ws.send_json({"type": "subscribe", "topics": ["scan"], "since": first["seq"]})
    assert (await ws.receive_json(timeout=5))["type"] == "subscribed"
    gap = await ws.receive_json(timeout=5)
    assert gap["type"] == "gap" and gap["from"] == first["seq"] + 1
    replayed = [await ws.receive_json(timeout=5) for _ in range(100)]
    assert replayed[-1]["data"]["code"] == "c119"
    assert replayed[0]["seq"] == gap["to"] + 1
    await ws.close()


async def test_resume_from_another_daemon_life_is_reset(api: Api) -> None:
    await scan(api, "kept")
    ws = await api.ws()
    await ws.send_json({"type": "auth", "token": api.cashier})
    await ws.receive_json(timeout=5)
    await ws.send_json(
        {"type": "subscribe", "topics": ["scan"], "since": 5000, "stream": "earlier-life"}
    )
    assert (await ws.receive_json(timeout=5))["type"] == "subscribed"
    assert (await ws.receive_json(timeout=5))["type"] == "reset"
    assert (await ws.receive_json(timeout=5))["data"]["code"] == "kept"
    await ws.close()


async def test_client_that_stops_reading_is_dropped_and_others_keep_receiving(api: Api) -> None:
    """A raw socket that completes the handshake and then never reads (item 13)."""
    from bridge import keys

    bus = api.daemon.app[keys.BUS]
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: a small window
    raw.setblocking(False)
    await asyncio.get_running_loop().sock_connect(raw, ("127.0.0.1", api.port))
    reader, writer = await asyncio.open_connection(sock=raw)
    writer.write(
        f"GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:{api.port}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    await reader.readuntil(b"\r\n\r\n")
    for frame in (
        {"type": "auth", "token": api.cashier},
        {"type": "subscribe", "topics": ["scan"]},
    ):
        writer.write(_masked_text_frame(json.dumps(frame).encode()))
    await writer.drain()
    healthy = await api.ws_authed(["scan"])
    for _ in range(50):
        if bus.subscriber_count == 2:
            break
        await asyncio.sleep(0.05)
    assert bus.subscriber_count == 2
    got = []
    big = "X" * 4000
    for i in range(3000):  # bounded: the kernel buffers a few MB before the daemon notices
        await scan(api, f"{i}-{big}")
        got.append(await healthy.receive_json(timeout=5))
        if bus.subscriber_count == 1:
            break
    assert bus.subscriber_count == 1, "the client that never reads was not dropped"
    assert [e["data"]["code"].split("-")[0] for e in got] == [str(i) for i in range(len(got))]
    for i in range(5):  # and the healthy client keeps receiving afterwards
        await scan(api, f"after-{i}")
        assert (await healthy.receive_json(timeout=5))["data"]["code"] == f"after-{i}"
    writer.close()
    await healthy.close()
    with contextlib.suppress(ConnectionError):
        await writer.wait_closed()


def _masked_text_frame(payload: bytes) -> bytes:
    mask = b"\x01\x02\x03\x04"
    header = bytearray([0x81])
    if len(payload) < 126:
        header.append(0x80 | len(payload))
    else:
        header.append(0x80 | 126)
        header += len(payload).to_bytes(2, "big")
    return bytes(header) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
