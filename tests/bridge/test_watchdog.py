"""WATCHDOG=1 goes out only while the event loop runs on time and the store answers."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

from bridge.systemd.notify import Notifier, watchdog_loop


def notifier_on(tmp_path: Path, usec: int = 400_000) -> tuple[Notifier, socket.socket]:
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.setblocking(False)
    return Notifier({"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": str(usec)}), sock


def drain(sock: socket.socket) -> list[str]:
    out = []
    while True:
        try:
            out.append(sock.recv(4096).decode())
        except BlockingIOError:
            return out


async def run_for(seconds: float, coro) -> None:  # type: ignore[no-untyped-def]
    task = asyncio.create_task(coro)
    await asyncio.sleep(seconds)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_pings_while_healthy(tmp_path: Path) -> None:
    notifier, sock = notifier_on(tmp_path)

    async def healthy() -> None:
        return None

    await run_for(1.1, watchdog_loop(notifier, healthy))
    assert drain(sock).count("WATCHDOG=1") >= 3  # every 0.2 s
    sock.close()


async def test_no_ping_while_the_store_does_not_answer(tmp_path: Path) -> None:
    notifier, sock = notifier_on(tmp_path)

    async def stuck() -> None:
        await asyncio.sleep(10)

    await run_for(1.1, watchdog_loop(notifier, stuck))
    assert "WATCHDOG=1" not in drain(sock)
    sock.close()


async def test_no_ping_for_a_blocked_loop(tmp_path: Path) -> None:
    notifier, sock = notifier_on(tmp_path)

    async def healthy() -> None:
        return None

    async def block_then_wait() -> None:
        await asyncio.sleep(0.05)
        time.sleep(1.0)  # a blocking call on the loop: systemd must see silence
        drain(sock)

    task = asyncio.create_task(watchdog_loop(notifier, healthy))
    await block_then_wait()
    await asyncio.sleep(0.01)
    assert "WATCHDOG=1" not in drain(sock)  # the late tick is skipped, not sent
    await asyncio.sleep(0.7)
    assert "WATCHDOG=1" in drain(sock)  # and pings resume once the loop is healthy
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    sock.close()


def test_no_watchdog_when_not_asked_or_for_another_pid() -> None:
    assert Notifier({"NOTIFY_SOCKET": "/x"}).watchdog_interval_s is None
    assert (
        Notifier(
            {"NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "1"}
        ).watchdog_interval_s
        is None
    )
    assert Notifier({}).enabled is False


def test_a_socket_nobody_reads_never_blocks_the_daemon(tmp_path: Path) -> None:
    """Datagrams to a full notify socket are dropped, not waited for (this runs on the event loop)."""
    notifier, sock = notifier_on(tmp_path)
    began = time.monotonic()
    for _ in range(500):  # far beyond the socket's queue
        notifier.send("WATCHDOG=1")
    assert time.monotonic() - began < 2.0
    assert drain(sock)  # what fitted was delivered
    sock.close()
