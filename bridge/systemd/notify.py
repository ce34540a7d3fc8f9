"""sd_notify in plain Python: one datagram per state change to $NOTIFY_SOCKET."""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import Awaitable, Callable

import structlog

log = structlog.get_logger(__name__)


class Notifier:
    """Sends READY/WATCHDOG/STOPPING; does nothing when not started by systemd."""

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        address = env.get("NOTIFY_SOCKET", "")
        self._address = "\0" + address[1:] if address.startswith("@") else address
        usec = env.get("WATCHDOG_USEC", "")
        pid = env.get("WATCHDOG_PID", "")
        wanted = usec.isdigit() and (not pid or pid == str(os.getpid()))
        self.watchdog_interval_s: float | None = (
            int(usec) / 1e6 if wanted and int(usec) > 0 else None
        )

    @property
    def enabled(self) -> bool:
        return bool(self._address)

    def send(self, *fields: str) -> None:
        if not self._address:
            return
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.setblocking(False)  # called on the event loop: never wait for a full socket
                sock.connect(self._address)
                sock.send("\n".join(fields).encode())
        except BlockingIOError:  # nobody reads the socket: drop this message, keep serving
            log.debug("systemd.notify_dropped", message=fields[0])
        except OSError as exc:  # systemd gone or socket unreadable: not fatal for the till
            log.warning("systemd.notify_failed", error=str(exc))

    def ready(self, status: str) -> None:
        self.send("READY=1", f"STATUS={status}", f"MAINPID={os.getpid()}")

    def stopping(self) -> None:
        self.send("STOPPING=1", "STATUS=stopping")

    def status(self, text: str) -> None:
        self.send(f"STATUS={text}")


async def watchdog_loop(notifier: Notifier, health_check: Callable[[], Awaitable[None]]) -> None:
    """Ping at half the interval, and only while the loop runs on time and the store answers.

    A blocked event loop sends nothing (this task cannot run); a loop running very late or a store
    that stops answering skips pings, so systemd restarts a daemon that is alive but useless.
    """
    interval = notifier.watchdog_interval_s
    if interval is None:
        return
    period = interval / 2
    expected = time.monotonic() + period
    while True:
        await asyncio.sleep(max(0.0, expected - time.monotonic()))
        lag = time.monotonic() - expected
        expected = time.monotonic() + period
        if lag > period:
            log.warning("systemd.watchdog_skip", reason="event loop late", lag_s=round(lag, 3))
            continue
        try:
            await asyncio.wait_for(health_check(), period / 2)
        except Exception as exc:
            log.warning(
                "systemd.watchdog_skip",
                reason="store not answering",
                error=str(exc) or type(exc).__name__,
            )
            continue
        notifier.send("WATCHDOG=1")
