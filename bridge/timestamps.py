"""RFC 3339 UTC timestamps as the API, store and sync protocol write them ("...Z")."""

from __future__ import annotations

from datetime import UTC, datetime


def now_ms() -> str:
    """Now, to the millisecond: event, document and job times."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def now_s() -> str:
    """Now, to the second: states people read (device since, token dates)."""
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
