"""The shared body of every ESC/POS printer transport: jobs, status queries, idle polling, loss.

A transport subclass only moves bytes (``_connect``, ``_send``, ``_receive``, ``_discard_input``,
``_disconnect``); this class decides what a failure means for a job. One asyncio lock serialises
jobs and status queries so a reply is never read by the wrong caller, and the device's own
single-thread executor runs every blocking call of the subclasses.
"""

from __future__ import annotations

import abc
import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any, ClassVar, TypeVar

from msgspec import Meta

from drivers.base import DeviceLost, DeviceNotReady, DriverOptions, Printer, StatusChanged
from drivers.printer.errors import PrinterOffline, interrupted
from drivers.printer.profiles import ProfileOverrides
from drivers.printer.status import QUERIES, PrinterStatus, is_status_byte, query

log = logging.getLogger(__name__)
T = TypeVar("T")


class EscposPrinterOptions(DriverOptions):
    """Options every ESC/POS printer has, whatever carries its bytes."""

    profile: Annotated[str, Meta(description="Printer model profile (escpos-printer-db name).")] = (
        "default"
    )
    overrides: Annotated[
        ProfileOverrides | None,
        Meta(description="Corrections to the profile for this particular printer."),
    ] = None
    status_queries: Annotated[
        bool,
        Meta(
            description="Ask the printer for its state (DLE EOT); false for models that never answer."
        ),
    ] = True
    status_timeout_s: Annotated[
        float, Meta(le=30, gt=0, description="How long to wait for each DLE EOT reply.")
    ] = 0.5
    status_poll_s: Annotated[
        float, Meta(ge=0, description="Seconds between status queries while idle; 0 turns it off.")
    ] = 5.0
    write_timeout_s: Annotated[
        float, Meta(gt=0, description="Time a job may take before its data starts to count.")
    ] = 5.0
    write_rate_bytes_s: Annotated[
        int,
        Meta(
            gt=0,
            description="Slowest rate the printer takes data at; each job's timeout grows by its "
            "size divided by this.",
        ),
    ] = 2000


class LinkError(Exception):
    """A transport failure; ``sent`` bytes certainly went, ``partial`` if more may have."""

    def __init__(self, cause: str, *, gone: bool, sent: int = 0, partial: bool = False) -> None:
        super().__init__(cause)
        self.cause = cause
        self.gone = gone
        self.sent = sent
        self.partial = partial


class EscposTransportPrinter(Printer):
    """An ESC/POS printer behind a byte transport; see the module docstring."""

    Options: ClassVar[type[DriverOptions]] = EscposPrinterOptions
    options: EscposPrinterOptions
    transport: ClassVar[str] = "escpos"
    #: A successful write already proves the printer took the bytes (USB); otherwise a job ends
    #: with a DLE EOT 1 round trip, whose answer shows the printer received everything before it.
    write_is_delivery: ClassVar[bool] = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._executor: ThreadPoolExecutor | None = None
        self._io_lock = asyncio.Lock()
        self._poll_task: asyncio.Task[None] | None = None
        self._opened = False
        self._lost = False
        self._printer_status = PrinterStatus()
        self._rejected_replies = 0
        #: A transport clears this when the device cannot answer (a plain file, write-only).
        self._status_supported = True

    # -- what subclasses provide -------------------------------------------------------------

    @abc.abstractmethod
    async def _connect(self) -> None:
        """Open the link to the printer (port, socket, USB interface)."""

    @abc.abstractmethod
    async def _disconnect(self) -> None:
        """Close the link; never raises."""

    @abc.abstractmethod
    async def _send(self, data: bytes, limit_s: float) -> None:
        """Hand all of ``data`` over within ``limit_s`` or raise LinkError."""

    @abc.abstractmethod
    async def _receive(self, limit_s: float) -> bytes:
        """Bytes that arrive within ``limit_s`` (b"" if none); LinkError if the link is gone."""

    @abc.abstractmethod
    async def _discard_input(self) -> None:
        """Drop bytes waiting to be read (stale replies); LinkError if the link is gone."""

    def _describe(self) -> dict[str, Any]:
        """Transport details for status(), e.g. the port or address."""
        return {}

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a ``*_blocking`` helper on this device's own worker thread."""
        if self._executor is None:
            raise PrinterOffline(f"printer {self.device_id} is not open")
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    # -- the driver contract -----------------------------------------------------------------

    async def open(self) -> None:
        if self._opened:
            return
        self._executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix=f"printer-{self.device_id}"
        )
        self._lost = False
        self._printer_status = PrinterStatus()
        try:
            await self._connect()
        except BaseException:
            self._stop_executor()
            raise
        self._opened = True
        self._emit(StatusChanged(self.status()))
        if self._queries_enabled and self.options.status_poll_s > 0:
            self._poll_task = asyncio.create_task(
                self._poll_loop(), name=f"printer-{self.device_id}-status"
            )

    async def close(self) -> None:
        task, self._poll_task = self._poll_task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                current = asyncio.current_task()
                if current is not None and current.cancelling():
                    raise
        if self._opened:
            async with self._io_lock:  # let a job in flight finish (bounded by its timeout)
                self._opened = False
                try:
                    await self._disconnect()
                except Exception:
                    log.exception("printer %s: error while closing", self.device_id)
        self._stop_executor()

    def status(self) -> dict[str, Any]:
        return {
            "transport": self.transport,
            **self._describe(),
            "connected": self._opened and not self._lost,
            **self._printer_status.to_dict(),
            "rejected_replies": self._rejected_replies,
        }

    def write_timeout(self, size: int) -> float:
        """Seconds a job of ``size`` bytes may take: a base plus its size at the slowest rate."""
        return self.options.write_timeout_s + size / self.options.write_rate_bytes_s

    async def write(self, data: bytes) -> None:
        """Send one job; PrintInterrupted if the printer vanished after part of it went."""
        total = len(data)
        timeout = self.write_timeout(total)
        async with self._io_lock:
            self._ensure_usable()
            try:
                await self._discard_input()  # also notices a printer that left since last time
            except LinkError as e:
                raise self._lose(e) from e
            sent, partial = 0, False
            try:
                await self._send(data, timeout)
                sent = total
                if self._queries_enabled and not self.write_is_delivery:
                    # The bytes may still be on their way at the slowest rate, then the reply.
                    wait = self.options.status_timeout_s + total / self.options.write_rate_bytes_s
                    await self._confirm_delivery(wait)
            except LinkError as e:
                if sent < total:
                    sent, partial = e.sent, e.partial
                lost = self._lose(e) if e.gone else None
                if sent or partial:
                    raise interrupted(self.device_id, sent, total, e.cause) from e
                if lost is not None:
                    raise lost from e
                raise PrinterOffline(
                    f"printer {self.device_id} took none of the job within {timeout:.1f} s "
                    f"({e.cause}): check paper, cover and the flow control setting"
                ) from e

    async def query_status(self) -> dict[str, Any]:
        """Ask DLE EOT 1..4, stale input flushed first; a missing reply ends the round."""
        if not self._queries_enabled:
            self._ensure_usable()
            return self.status()
        async with self._io_lock:
            self._ensure_usable()
            timeout = self.options.status_timeout_s
            replies: dict[int, int | None] = {}
            try:
                await self._discard_input()
                for n in QUERIES:
                    replies[n] = await self._ask(n, timeout)
                    if replies[n] is None:
                        break  # a late reply would be read as the next one's: stop here
            except LinkError as e:
                if e.gone:
                    raise self._lose(e) from e
            self._set_status(PrinterStatus.from_replies(replies))
            return self.status()

    # -- internals ---------------------------------------------------------------------------

    @property
    def _queries_enabled(self) -> bool:
        return self.options.status_queries and self._status_supported

    def _ensure_usable(self) -> None:
        if not self._opened:
            raise PrinterOffline(f"printer {self.device_id} is not open")
        if self._lost:
            raise PrinterOffline(
                f"printer {self.device_id} was disconnected; waiting for it to come back"
            )

    async def _ask(self, n: int, limit_s: float) -> int | None:
        """Send DLE EOT n; the newest reply byte with the fixed pattern, or None."""
        await self._send(query(n), limit_s)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit_s
        while (left := deadline - loop.time()) > 0:
            chunk = await self._receive(left)
            if not chunk:
                break
            valid = [b for b in chunk if is_status_byte(b)]
            if len(valid) < len(chunk):
                self._rejected_replies += len(chunk) - len(valid)
                log.warning(
                    "printer %s: rejected status bytes %s after DLE EOT %d",
                    self.device_id,
                    chunk.hex(" "),
                    n,
                )
            if valid:
                return valid[-1]
        return None

    async def _confirm_delivery(self, limit_s: float) -> None:
        """A DLE EOT 1 reply after a job proves the printer received all of it."""
        reply = await self._ask(1, limit_s)
        if reply is None:
            log.info("printer %s: no status reply after a job", self.device_id)
            return
        updated = PrinterStatus.from_replies({1: reply})
        self._set_status(
            self._printer_status.merged(
                responding=True, online=updated.online, drawer_sensor=updated.drawer_sensor
            )
        )

    def _set_status(self, new: PrinterStatus) -> None:
        if new != self._printer_status:
            self._printer_status = new
            self._emit(StatusChanged(self.status()))

    def _lose(self, error: LinkError) -> DeviceNotReady:
        lost = PrinterOffline(
            f"printer {self.device_id} disconnected ({error.cause}): check its cable and power; "
            "it is reopened when it comes back"
        )
        if not self._lost:
            self._lost = True
            log.warning("printer %s lost: %s", self.device_id, error.cause)
            self._emit(DeviceLost(lost))
        return lost

    async def _poll_loop(self) -> None:
        while self._opened and not self._lost:
            if not self._io_lock.locked():  # idle only: a job or a query is news enough
                try:
                    await self.query_status()
                except DeviceNotReady:
                    pass  # a lost device was already reported through DeviceLost
            await asyncio.sleep(self.options.status_poll_s)

    def _stop_executor(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            # Every submitted call has been awaited by now, so the worker is idle and exits at once.
            executor.shutdown(wait=True, cancel_futures=True)
