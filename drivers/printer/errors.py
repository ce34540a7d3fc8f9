"""Typed printer errors: stable machine codes for the API, human text for the technician.

The not-ready kinds put a print job in ``waiting`` (it resumes when the printer recovers);
:class:`PrintInterrupted` must not be retried automatically, because part of the job may already
be on paper.
"""

from __future__ import annotations

from drivers.base import DeviceError, DeviceNotReady


class PaperOut(DeviceNotReady):
    """The paper roll is empty."""

    code = "printer.paper_out"


class CoverOpen(DeviceNotReady):
    """The printer cover is open."""

    code = "printer.cover_open"


class PrinterOffline(DeviceNotReady):
    """The printer is off, unplugged, unreachable or does not answer."""

    code = "printer.offline"


class PrinterFault(DeviceNotReady):
    """The printer reports an error (cutter jam, mechanical or unrecoverable error)."""

    code = "printer.fault"


class PrintInterrupted(DeviceError):
    """The printer vanished after part of a job was sent: it may or may not be on paper.

    The print queue marks such a job ``failed`` with reason ``uncertain`` and offers a reprint to
    a person instead of printing it again on its own.
    """

    code = "printer.uncertain"

    def __init__(self, message: str, *, bytes_sent: int, bytes_total: int) -> None:
        super().__init__(message)
        self.bytes_sent = bytes_sent
        self.bytes_total = bytes_total


def interrupted(device_id: str, sent: int, total: int, cause: str) -> PrintInterrupted:
    """The PrintInterrupted for a job cut short after ``sent`` of ``total`` bytes."""
    return PrintInterrupted(
        f"printer {device_id} went away after {sent} of {total} bytes of a job ({cause}); "
        "part of the receipt may have printed. Check the paper before reprinting it.",
        bytes_sent=sent,
        bytes_total=total,
    )
