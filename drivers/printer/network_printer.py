"""An ESC/POS printer on the network (raw TCP, port 9100), through asyncio streams.

Non-blocking sockets need no worker thread. What the kernel accepted is known exactly from the
transport's write buffer, so a job cut short is told apart from a job never started.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Annotated, Any, ClassVar

from msgspec import Meta

from drivers.base import DeviceNotReady, DriverOptions
from drivers.printer.escpos_transport import EscposPrinterOptions, EscposTransportPrinter, LinkError

READ_SIZE = 256


class NetworkPrinterOptions(EscposPrinterOptions, kw_only=True):
    host: Annotated[str, Meta(description="Printer address or host name.")]
    port: Annotated[int, Meta(ge=1, le=65535, description="Raw printing TCP port.")] = 9100
    connect_timeout_s: Annotated[
        float, Meta(gt=0, description="How long connecting to the printer may take.")
    ] = 3.0


class NetworkPrinter(EscposTransportPrinter):
    """A receipt printer on TCP port 9100."""

    Options: ClassVar[type[DriverOptions]] = NetworkPrinterOptions
    options: NetworkPrinterOptions
    transport: ClassVar[str] = "network"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    def _describe(self) -> dict[str, Any]:
        return {"address": f"{self.options.host}:{self.options.port}"}

    async def _connect(self) -> None:
        o = self.options
        where = f"{o.host}:{o.port}"
        try:
            async with asyncio.timeout(o.connect_timeout_s):
                reader, writer = await asyncio.open_connection(o.host, o.port)
        except TimeoutError as e:
            raise DeviceNotReady(
                f"network printer {self.device_id}: no answer from {where} within "
                f"{o.connect_timeout_s} s: check that it is on and the address is right"
            ) from e
        except ConnectionRefusedError as e:
            raise DeviceNotReady(
                f"network printer {self.device_id}: {where} refused the connection: the printer "
                "is starting up, raw printing is off, or another computer is connected to it"
            ) from e
        except OSError as e:
            raise DeviceNotReady(
                f"network printer {self.device_id}: cannot reach {where}: {e.strerror or e}"
            ) from e
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._reader, self._writer = reader, writer

    async def _disconnect(self) -> None:
        writer, self._writer, self._reader = self._writer, None, None
        if writer is None:
            return
        writer.close()
        with contextlib.suppress(OSError, TimeoutError):
            async with asyncio.timeout(self.options.connect_timeout_s):
                await writer.wait_closed()

    async def _send(self, data: bytes, limit_s: float) -> None:
        writer = self._writer
        assert writer is not None
        transport = writer.transport
        if transport.is_closing():
            raise LinkError("connection closed", gone=True)
        try:
            async with asyncio.timeout(limit_s):
                writer.write(data)
                await writer.drain()
        except TimeoutError as e:
            sent = len(data) - transport.get_write_buffer_size()
            transport.abort()  # unsent bytes would otherwise print later as half a receipt
            raise LinkError(
                f"the printer took no data for {limit_s:.1f} s", gone=True, sent=sent
            ) from e
        except OSError as e:
            # The kernel may have sent any part of it before the reset: count it all as gone.
            raise LinkError(str(e) or type(e).__name__, gone=True, sent=len(data)) from e

    async def _receive(self, limit_s: float) -> bytes:
        reader = self._reader
        assert reader is not None
        try:
            async with asyncio.timeout(limit_s):
                data = await reader.read(READ_SIZE)
        except TimeoutError:
            return b""
        except OSError as e:
            raise LinkError(str(e) or type(e).__name__, gone=True) from e
        if not data:
            raise LinkError("the printer closed the connection", gone=True)
        return data

    async def _discard_input(self) -> None:
        while await self._receive(0):
            pass
