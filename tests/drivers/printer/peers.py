"""Fake receipt printers at the far end of a real pseudo-terminal or TCP socket.

They behave like an ESC/POS printer as far as a host can tell: they keep every byte that would
print, answer ``DLE EOT 1..4`` with correctly patterned status bytes, and can run out of paper,
open the cover, answer slowly, answer garbage, stay silent, or vanish in the middle of a job.

    async with TcpPrinter() as printer:          # or PtyPrinter(); printer.path for a serial port
        ...connect to 127.0.0.1:printer.port...
        printer.set_condition(paper_out=True)
        printer.vanish_after(100)                 # drop the link once 100 more bytes arrived
        await printer.wait_printed(500)
        printer.printed                           # bytes received, status queries left out
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tty
from typing import Any

from drivers.printer.status import encode_reply

DLE_EOT = b"\x10\x04"


class PrinterBrain:
    """What a printer does with incoming bytes; shared by every fake transport."""

    def __init__(self) -> None:
        self.printed = bytearray()
        self.queries: list[int] = []
        self.conditions: dict[str, bool] = {}
        self.silent = False
        self.garbage: int | None = None
        self.reply_delay = 0.0
        self._vanish_at: int | None = None
        self._pending = b""

    def set_condition(self, **conditions: bool) -> None:
        """paper_out, paper_near_end, cover_open, offline, drawer_sensor, cutter_error, ..."""
        self.conditions.update(conditions)

    def recover(self) -> None:
        self.conditions.clear()

    def vanish_after(self, n: int) -> None:
        self._vanish_at = len(self.printed) + n

    def feed(self, data: bytes) -> tuple[list[bytes], bool]:
        """Take bytes from the host: the replies to send back, and whether to vanish now."""
        data, self._pending = self._pending + data, b""
        replies: list[bytes] = []
        start = 0
        while (at := data.find(DLE_EOT, start)) >= 0:
            if at + 2 >= len(data):
                break
            n = data[at + 2]
            if n not in (1, 2, 3, 4):
                if self._keep(data[start : at + 2]):
                    return replies, True
                start = at + 2
                continue
            if self._keep(data[start:at]):
                return replies, True
            self.queries.append(n)
            if not self.silent:
                replies.append(
                    bytes([self.garbage]) if self.garbage is not None else self._reply(n)
                )
            start = at + 3
        rest = data[start:]
        if rest.endswith(b"\x10") or rest.endswith(DLE_EOT):  # a query split across reads
            cut = 1 if rest.endswith(b"\x10") else 2
            rest, self._pending = rest[:-cut], rest[-cut:]
        return replies, self._keep(rest)

    def _keep(self, chunk: bytes) -> bool:
        if self._vanish_at is not None and len(self.printed) + len(chunk) >= self._vanish_at:
            self.printed += chunk[: self._vanish_at - len(self.printed)]
            self._vanish_at = None
            return True
        self.printed += chunk
        return False

    def _reply(self, n: int) -> bytes:
        return bytes([encode_reply(n, **self.conditions)])


class _Peer:
    """The common API of the fake printers; subclasses move the bytes."""

    def __init__(self) -> None:
        self.brain = PrinterBrain()
        self._changed = asyncio.Event()

    # what tests read and change
    @property
    def printed(self) -> bytes:
        return bytes(self.brain.printed)

    @property
    def queries(self) -> list[int]:
        return self.brain.queries

    def set_condition(self, **conditions: bool) -> None:
        self.brain.set_condition(**conditions)

    def recover(self) -> None:
        self.brain.recover()

    def answer(
        self, *, silent: bool = False, garbage: int | None = None, delay: float = 0.0
    ) -> None:
        """How status queries are answered: normally, not at all, with one garbage byte, late."""
        self.brain.silent, self.brain.garbage, self.brain.reply_delay = silent, garbage, delay

    def vanish_after(self, n: int) -> None:
        """Drop the link once ``n`` more printable bytes have arrived (the rest is lost)."""
        self.brain.vanish_after(n)

    async def wait_printed(self, n: int, limit_s: float = 5.0) -> bytes:
        """Wait until at least ``n`` bytes were printed."""
        async with asyncio.timeout(limit_s):
            while len(self.brain.printed) < n:
                self._changed.clear()
                await self._changed.wait()
        return self.printed

    def _take(self, data: bytes) -> tuple[list[bytes], bool]:
        replies, vanish = self.brain.feed(data)
        self._changed.set()
        return replies, vanish

    def _later(self, send: Any, reply: bytes) -> None:
        loop = asyncio.get_running_loop()
        if self.brain.reply_delay:
            loop.call_later(self.brain.reply_delay, send, reply)
        else:
            send(reply)


class PtyPrinter(_Peer):
    """A printer on a serial line: the host opens :attr:`path`; we play the printer on the master."""

    def __init__(self) -> None:
        super().__init__()
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo, no newline translation: bytes pass as they are
        os.set_blocking(self._master, False)
        self.path = os.ttyname(self._slave)
        self.gone = False

    async def __aenter__(self) -> PtyPrinter:
        asyncio.get_running_loop().add_reader(self._master, self._readable)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.vanish()

    def vanish(self) -> None:
        """Unplug: the host then sees EIO on every read and write."""
        if self.gone:
            return
        self.gone = True
        asyncio.get_running_loop().remove_reader(self._master)
        os.close(self._master)
        os.close(self._slave)
        self._changed.set()

    def _readable(self) -> None:
        try:
            data = os.read(self._master, 65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            return  # the host has not opened its end yet or just closed it
        replies, vanish = self._take(data)
        for reply in replies:
            self._later(self._send, reply)
        if vanish:
            self.vanish()

    def _send(self, reply: bytes) -> None:
        if not self.gone:
            with contextlib.suppress(OSError):
                os.write(self._master, reply)


class TcpPrinter(_Peer):
    """A network printer listening on 127.0.0.1:``port`` (0 picks a free one)."""

    def __init__(self, port: int = 0) -> None:
        super().__init__()
        self.port = port
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._handlers: set[asyncio.Task[Any]] = set()

    async def __aenter__(self) -> TcpPrinter:
        await self.power_on()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.power_off()

    async def power_on(self) -> None:
        """Listen (again, on the same port)."""
        self._server = await asyncio.start_server(self._client, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def power_off(self) -> None:
        """Stop listening and drop every connection: new connections are refused."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        self.vanish()
        if self._handlers:
            await asyncio.gather(*self._handlers, return_exceptions=True)
        if server is not None:
            await server.wait_closed()

    def vanish(self) -> None:
        """Reset every open connection, as a printer switched off mid-job looks to the host."""
        for writer in list(self._writers):
            writer.transport.abort()
        self._changed.set()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self._writers.add(writer)
        self.connections += 1
        try:
            while data := await reader.read(65536):
                replies, vanish = self._take(data)
                for reply in replies:
                    self._later(self._send_to(writer), reply)
                if vanish:
                    writer.transport.abort()
                    break
        except OSError:
            pass
        finally:
            self._writers.discard(writer)
            self._handlers.discard(task)
            writer.transport.abort()

    @staticmethod
    def _send_to(writer: asyncio.StreamWriter) -> Any:
        def send(reply: bytes) -> None:
            if not writer.transport.is_closing():
                writer.write(reply)

        return send


class EventLog(list):  # type: ignore[type-arg]
    """Collects a driver's emitted events; pass ``log.append`` as ``emit`` and await changes."""

    def __init__(self) -> None:
        super().__init__()
        self._arrived = asyncio.Event()

    def append(self, event: Any) -> None:
        super().append(event)
        self._arrived.set()

    async def wait_for(self, predicate: Any, limit_s: float = 5.0) -> Any:
        """The first event (old or new) for which ``predicate`` holds."""
        async with asyncio.timeout(limit_s):
            while True:
                for event in self:
                    if predicate(event):
                        return event
                self._arrived.clear()
                await self._arrived.wait()
