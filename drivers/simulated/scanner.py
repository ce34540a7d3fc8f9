"""A scanner with no hardware: scans are injected (technician page, API, tests)."""

from __future__ import annotations

from typing import Annotated, Any

from msgspec import Meta

from drivers.base import DeviceNotReady, DriverOptions, Scanner, ScanRead


class SimulatedScannerOptions(DriverOptions):
    symbology: Annotated[
        str | None, Meta(description="Symbology reported with every injected scan, e.g. EAN13.")
    ] = None


class SimulatedScanner(Scanner):
    Options = SimulatedScannerOptions
    options: SimulatedScannerOptions

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._open = False
        self._scans = 0

    async def open(self) -> None:
        self._open = True

    async def close(self) -> None:
        self._open = False

    def status(self) -> dict[str, Any]:
        return {"simulated": True, "scans": self._scans}

    def inject(self, code: str, symbology: str | None = None) -> None:
        """Deliver ``code`` as if it had been scanned."""
        if not self._open:
            raise DeviceNotReady(f"scanner {self.device_id} is not open")
        self._scans += 1
        self._emit(ScanRead(code=code, symbology=symbology or self.options.symbology))
