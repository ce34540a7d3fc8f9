"""Where a scanner's decoded scans go: the ``emit`` callback, counters, and the decoder's timer.

Shared by the keyboard-wedge and serial scanners so both report scans, discards and status the
same way. Runs on the event loop thread only, and never waits: ``emit`` is a sync callback.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from drivers.base import Emit, ScanDiscarded
from drivers.scanner.aim import AimMode, scan_read


class TimedMachine(Protocol):
    """A decoder that ends scans on a clock: :meth:`deadline` says when to call :meth:`poll`."""

    def deadline(self) -> float | None: ...

    def poll(self, now: float) -> list[str | ScanDiscarded]: ...


class ScanOutlet:
    """Turns decoder output into events and keeps the numbers the technician page shows."""

    def __init__(self, emit: Emit, aim_mode: AimMode) -> None:
        self._emit = emit
        self._aim_mode = aim_mode
        self._timer: asyncio.TimerHandle | None = None
        self.scans = 0
        self.discarded = 0
        self.last_scan_at: float | None = None
        self.last_discard: dict[str, Any] | None = None

    def deliver(self, outputs: Iterable[str | ScanDiscarded]) -> None:
        """Emit each finished scan as ScanRead and each thrown-away one as ScanDiscarded."""
        for out in outputs:
            if isinstance(out, ScanDiscarded):
                self.discarded += 1
                self.last_discard = {"reason": out.reason, "at": time.time()}
                self._emit(out)
            else:
                self.scans += 1
                self.last_scan_at = time.time()
                self._emit(scan_read(out, self._aim_mode))

    def schedule(self, machine: TimedMachine, on_due: Callable[[], None]) -> None:
        """Arrange for ``on_due`` at the machine's next deadline (replacing any earlier one)."""
        deadline = machine.deadline()
        if self._timer is not None:
            if deadline is not None and self._timer.when() == deadline:
                return
            self._timer.cancel()
            self._timer = None
        if deadline is not None:
            self._timer = asyncio.get_running_loop().call_at(deadline, on_due)

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def status(self) -> dict[str, Any]:
        return {
            "scans": self.scans,
            "discarded": self.discarded,
            "last_scan_at": self.last_scan_at,
            "last_discard": self.last_discard,
        }
