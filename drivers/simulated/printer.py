"""A receipt printer with no hardware: keeps what it printed and can be put in any condition.

Its status goes through the same DLE EOT reply bytes and parser as a real printer's, and a kick
in a job (``ESC p``, or ``DLE DC4`` even while the printer is not ready) opens its drawer, whose
sensor shows on pin 3 like a real drawer port.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from msgspec import Meta

from drivers.base import DeviceLost, DriverOptions, Printer, StatusChanged
from drivers.printer.errors import PrinterOffline, interrupted
from drivers.printer.profiles import ProfileOverrides
from drivers.printer.raw_filter import remove_drawer_kicks
from drivers.printer.status import QUERIES, PrinterStatus, encode_reply
from drivers.simulated.drawer import DrawerMechanism

if TYPE_CHECKING:
    from drivers.printer.profiles import PrinterProfile, ProfileCatalog

CONDITIONS = ("paper_out", "paper_near_end", "cover_open", "offline")


class SimulatedPrinterOptions(DriverOptions):
    profile: Annotated[str, Meta(description="Printer model profile it pretends to be.")] = (
        "default"
    )
    overrides: Annotated[
        ProfileOverrides | None,
        Meta(description="Corrections to the profile, as for a real printer."),
    ] = None
    keep_jobs: Annotated[
        int, Meta(ge=1, le=10_000, description="How many recent jobs to keep.")
    ] = 50
    drawer_auto_close_s: (
        Annotated[
            float,
            Meta(
                ge=0,
                description="Seconds until a drawer kicked through it shuts by itself; null: on command.",
            ),
        ]
        | None
    ) = 3.0
    drawer_open_level_high: Annotated[
        bool, Meta(description="Pin 3 level its drawer sensor reports while the drawer is open.")
    ] = True


class SimulatedPrinter(Printer):
    """A simulated ESC/POS printer; see the module docstring."""

    Options: ClassVar[type[DriverOptions]] = SimulatedPrinterOptions
    options: SimulatedPrinterOptions

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._open = False
        self._lost = False
        self._conditions = dict.fromkeys(CONDITIONS, False)
        self._jobs: deque[bytes] = deque(maxlen=self.options.keep_jobs)
        self._jobs_total = 0
        self._interrupt_after: int | None = None
        self._drawer = DrawerMechanism(self.options.drawer_auto_close_s, self._changed)
        self._catalog: ProfileCatalog | None = None

    async def open(self) -> None:
        self._open, self._lost = True, False
        self._changed()

    async def close(self) -> None:
        self._open = False
        await self._drawer.stop()

    def status(self) -> dict[str, Any]:
        return {
            "simulated": True,
            "connected": self._open and not self._lost,
            **self._printer_status().to_dict(),
            "drawer_open": self._drawer.is_open,
            "jobs_printed": self._jobs_total,
        }

    async def query_status(self) -> dict[str, Any]:
        self._check_connected()
        return self.status()

    async def write(self, data: bytes) -> None:
        """Print a job; a not-ready printer still acts on real-time drawer kicks in it."""
        self._check_connected()
        if self._interrupt_after is not None:
            kept, self._interrupt_after = data[: self._interrupt_after], None
            if kept:
                self._jobs.append(kept)
                self._jobs_total += 1
            self._lost = True
            error = PrinterOffline(f"simulated printer {self.device_id} was unplugged")
            self._emit(DeviceLost(error))
            if not kept:
                raise error
            raise interrupted(self.device_id, len(kept), len(data), "simulated unplug")
        filtered = remove_drawer_kicks(data)
        kicks = [r for r in filtered.removed if r.kind not in ("truncated", "unfilterable")]
        not_ready = self._printer_status().not_ready_error(self.device_id)
        if not_ready is not None:
            if any(k.kind.startswith("DLE DC4") for k in kicks):
                self._drawer.kick()  # real-time pulse: acted on even while offline
            if filtered.data or not kicks:
                raise not_ready
            return
        self._jobs.append(bytes(data))
        self._jobs_total += 1
        if kicks:
            self._drawer.kick()

    # -- what tests and the technician page use -------------------------------------------------

    @property
    def jobs(self) -> list[bytes]:
        """The most recent jobs as sent, oldest first (at most ``keep_jobs``)."""
        return list(self._jobs)

    def printed_text(self, index: int = -1, profile: PrinterProfile | None = None) -> str:
        """Job ``index`` decoded back to readable text through this printer's profile."""
        from drivers.printer.escpos_decoder import decode

        if profile is None:
            if self._catalog is None:
                from drivers.printer.profiles import ProfileCatalog

                self._catalog = ProfileCatalog()
            profile = self._catalog.get(self.options.profile, self.options.overrides)
        return decode(self._jobs[index], profile)

    def set_condition(
        self,
        *,
        paper_out: bool | None = None,
        paper_near_end: bool | None = None,
        cover_open: bool | None = None,
        offline: bool | None = None,
    ) -> None:
        """Put the printer in a condition (None leaves that one as it is); emits StatusChanged."""
        given = {
            "paper_out": paper_out,
            "paper_near_end": paper_near_end,
            "cover_open": cover_open,
            "offline": offline,
        }
        before = dict(self._conditions)
        self._conditions.update({k: v for k, v in given.items() if v is not None})
        if self._conditions != before:
            self._changed()

    def recover(self) -> None:
        """Paper loaded, cover shut, back online."""
        self.set_condition(**dict.fromkeys(CONDITIONS, False))

    def interrupt_next_job(self, after_bytes: int) -> None:
        """Make the next job stop after ``after_bytes`` as if the printer were unplugged."""
        self._interrupt_after = after_bytes

    def close_drawer(self) -> None:
        """Shut the drawer on this printer's drawer port."""
        self._drawer.push_closed()

    # -- internals ---------------------------------------------------------------------------

    def _printer_status(self) -> PrinterStatus:
        if not self._open or self._lost:
            return PrinterStatus()
        level = self._drawer.is_open == self.options.drawer_open_level_high
        flags = {**self._conditions, "drawer_sensor": level}
        return PrinterStatus.from_replies({n: encode_reply(n, **flags) for n in QUERIES})

    def _check_connected(self) -> None:
        if not self._open or self._lost:
            raise PrinterOffline(f"simulated printer {self.device_id} is not connected")

    def _changed(self) -> None:
        self._emit(StatusChanged(self.status()))
