"""Receipts to bytes per printer, off the event loop: profile lookup, rendering, raw-job filtering.

The profile catalog imports python-escpos's printer database (about half a second) and a receipt
with pictures takes milliseconds to raster, so all of it runs on one worker thread owned by this
object. One :class:`ReceiptRenderer` is kept per printer because its code page tables cost more to
build than a receipt does to render.

The exception is a short receipt of text only (the common sale): it renders in about 50 µs
(12 lines; some 150 µs per 1000 characters), less than the trip to the worker thread and back
costs, so it renders on the event loop once the worker has built that printer's tables. That
renderer is a second instance used only by the loop, so no renderer is shared between threads.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from bridge.config.loader import LoadedConfig
from drivers.printer.escpos_decoder import EscposDecoder
from drivers.printer.escpos_encoder import ReceiptRenderer
from drivers.printer.profiles import PrinterProfile, ProfileCatalog
from drivers.printer.raw_filter import Removed, remove_drawer_kicks
from drivers.printer.receipt import (
    CutBlock,
    FeedBlock,
    Receipt,
    RowBlock,
    RuleBlock,
    TextBlock,
)

T = TypeVar("T")

#: Receipts within these bounds, of text blocks only, render on the event loop (see above).
INLINE_MAX_BLOCKS = 64
INLINE_MAX_CHARS = 2000


def renders_inline(receipt: Receipt) -> bool:
    """Text, rows, rules, feeds and cuts only, and short: well under a millisecond to render."""
    if len(receipt.blocks) > INLINE_MAX_BLOCKS:
        return False
    chars = 0
    for block in receipt.blocks:
        if isinstance(block, TextBlock):
            chars += len(block.text)
        elif isinstance(block, RowBlock):
            chars += len(block.row[0]) + len(block.row[1])
        elif not isinstance(block, RuleBlock | FeedBlock | CutBlock):
            return False  # pictures, codes: milliseconds of raster work
    return chars <= INLINE_MAX_CHARS


class UnknownPrinter(LookupError):
    """No enabled printer of that id in the config."""


@dataclass(frozen=True, slots=True)
class RawJob:
    """A raw job as it will be printed, and the drawer kicks taken out of it."""

    data: bytes
    removed: tuple[Removed, ...]


class Renderer:
    """Turns receipts into ESC/POS bytes for each configured printer; see the module docstring."""

    def __init__(self, config: LoadedConfig) -> None:
        self._config = config
        self._catalog = ProfileCatalog()
        self._renderers: dict[str, ReceiptRenderer] = {}
        #: Used only on the event loop; built by the worker next to the one in ``_renderers``.
        self._loop_renderers: dict[str, ReceiptRenderer] = {}
        self._decoders: dict[str, EscposDecoder] = {}
        self._executor: ThreadPoolExecutor | None = None

    async def start(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="render")

    async def stop(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            await asyncio.get_running_loop().run_in_executor(None, executor.shutdown, True)

    async def reconfigure(self, config: LoadedConfig) -> None:
        """A hot config: printers added or changed get their new profile for the next receipt.

        Jobs already stored keep their bytes (jobs.py). The cached renderers of changed printers
        are dropped on the worker thread, after any render in flight, so none is shared.
        """
        old, self._config = self._config, config
        changed = {
            printer_id
            for printer_id in set(old.settings.devices) | set(config.settings.devices)
            if (old.settings.devices.get(printer_id), old.device_options.get(printer_id))
            != (config.settings.devices.get(printer_id), config.device_options.get(printer_id))
        }
        if not changed:
            return
        for printer_id in changed:
            self._loop_renderers.pop(printer_id, None)
        if self._executor is None:
            self._forget_blocking(changed)
        else:
            await self._run(self._forget_blocking, changed)

    def printer_options(self, printer_id: str) -> Any:
        """The validated options of an enabled printer in the config."""
        device = self._config.settings.devices.get(printer_id)
        options = self._config.device_options.get(printer_id)
        if device is None or options is None or not hasattr(options, "profile"):
            raise UnknownPrinter(printer_id)
        return options

    def is_printer(self, printer_id: str) -> bool:
        try:
            self.printer_options(printer_id)
        except UnknownPrinter:
            return False
        return True

    async def profile(self, printer_id: str) -> PrinterProfile:
        """The printer's model profile with its config overrides applied."""
        return await self._run(self._profile_blocking, printer_id)

    async def render(self, printer_id: str, receipt: Receipt) -> bytes:
        inline = self._loop_renderers.get(printer_id)
        if inline is not None and self._executor is not None and renders_inline(receipt):
            return inline.render(receipt)
        return await self._run(self._render_blocking, printer_id, receipt)

    async def decode(self, printer_id: str, data: bytes) -> str:
        """What the job prints, as text (test prints, the technician page)."""
        return await self._run(self._decode_blocking, printer_id, data)

    async def filter_raw(self, data: bytes, keep_kicks: bool) -> RawJob:
        """A raw job, its drawer kicks removed unless ``keep_kicks`` (security.md item 10)."""
        if keep_kicks:
            return RawJob(data, ())
        result = await self._run(remove_drawer_kicks, data)
        return RawJob(result.data, result.removed)

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        if self._executor is None:
            raise RuntimeError("the renderer is not started")
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def _profile_blocking(self, printer_id: str) -> PrinterProfile:
        options = self.printer_options(printer_id)
        return self._catalog.get(options.profile, options.overrides)

    def _render_blocking(self, printer_id: str, receipt: Receipt) -> bytes:
        renderer = self._renderers.get(printer_id)
        if renderer is None:
            profile = self._profile_blocking(printer_id)
            renderer = self._renderers[printer_id] = ReceiptRenderer(profile)
            self._loop_renderers[printer_id] = ReceiptRenderer(profile)
        return renderer.render(receipt)

    def _forget_blocking(self, printer_ids: set[str]) -> None:
        for printer_id in printer_ids:
            self._renderers.pop(printer_id, None)
            self._loop_renderers.pop(printer_id, None)
            self._decoders.pop(printer_id, None)

    def _decode_blocking(self, printer_id: str, data: bytes) -> str:
        decoder = self._decoders.get(printer_id)
        if decoder is None:
            decoder = self._decoders[printer_id] = EscposDecoder(self._profile_blocking(printer_id))
        return decoder.decode(data)
