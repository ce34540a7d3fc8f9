"""security.md item 13: slow-header clients are cut off; open connections are capped."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest

from tests.conftest import BASE_CONFIG, Api


@pytest.fixture
def config_text() -> str:
    return BASE_CONFIG.replace(
        "port = 0\n", "port = 0\nkeepalive_timeout_s = 1.0\nmax_connections = 8\n"
    )


async def test_headers_one_byte_at_a_time_are_cut_off(api: Api) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", api.port)
    request = f"GET /health HTTP/1.1\r\nHost: 127.0.0.1:{api.port}\r\nX-Slow: " + "a" * 100
    began = time.monotonic()
    closed_after = None
    for byte in request.encode():
        try:
            writer.write(bytes([byte]))
            await writer.drain()
        except ConnectionError:
            closed_after = time.monotonic() - began
            break
        if reader.at_eof() or (await _closed(reader)):
            closed_after = time.monotonic() - began
            break
        await asyncio.sleep(0.05)
    assert closed_after is not None, "the server kept a header trickle open"
    assert closed_after < 4.0
    # a normal client is served meanwhile and afterwards
    assert (await api.call("GET", "/health"))[0] == 200
    writer.close()
    with contextlib.suppress(ConnectionError):
        await writer.wait_closed()


async def _closed(reader: asyncio.StreamReader) -> bool:
    try:
        data = await asyncio.wait_for(reader.read(1), 0.001)
    except TimeoutError:
        return False
    except ConnectionError:
        return True
    return data == b""


async def test_connections_over_the_cap_are_refused_not_queued(api: Api) -> None:
    idle = [await asyncio.open_connection("127.0.0.1", api.port) for _ in range(8)]
    await asyncio.sleep(0.05)
    reader, writer = await asyncio.open_connection("127.0.0.1", api.port)
    answer = await asyncio.wait_for(reader.read(), 5)
    assert answer.startswith(b"HTTP/1.1 503")
    assert b'"server.busy"' in answer
    writer.close()
    for _, idle_writer in idle:
        idle_writer.close()
    await asyncio.sleep(0.1)
    assert (await api.call("GET", "/health"))[0] == 200


async def test_idle_connections_are_reclaimed(api: Api) -> None:
    idle = [await asyncio.open_connection("127.0.0.1", api.port) for _ in range(8)]
    for reader, _ in idle:
        assert (
            await asyncio.wait_for(reader.read(), 5) == b""
        )  # closed by the server after keepalive
    assert (await api.call("GET", "/health"))[0] == 200
    for _, writer in idle:
        writer.close()
