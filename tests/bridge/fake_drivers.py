"""A scanner driver whose "hardware" is a control file: the test plugs and unplugs it there."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from msgspec import Meta

from drivers.base import DeviceConfigError, DeviceLost, DeviceNotReady, DriverOptions, Scanner


class FakeScannerOptions(DriverOptions):
    control: Annotated[str, Meta(description="File holding 'present', 'absent' or 'broken'.")]


class FakeScanner(Scanner):
    """Opens only while the control file says 'present'; the test can also pull it mid-use."""

    Options = FakeScannerOptions
    options: FakeScannerOptions

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.is_open = False

    async def open(self) -> None:
        state = Path(self.options.control).read_text().strip()
        if state == "broken":
            raise DeviceConfigError("the fake scanner's options are wrong")
        if state != "present":
            raise DeviceNotReady("fake scanner unplugged")
        self.is_open = True

    async def close(self) -> None:
        self.is_open = False

    def status(self) -> dict[str, Any]:
        return {"open": self.is_open}

    def unplug(self) -> None:
        Path(self.options.control).write_text("absent")
        self._emit(DeviceLost(DeviceNotReady("fake scanner unplugged")))
