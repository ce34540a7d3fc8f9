"""Logging is configured here, at the entry point only: JSON under systemd, text on a terminal."""

from __future__ import annotations

import logging
import os
import sys
from collections import deque
from datetime import UTC, datetime
from typing import Any

import structlog


def configure_logging(level: str = "info", fmt: str = "auto") -> None:
    if fmt == "auto":
        fmt = "console" if sys.stderr.isatty() and "JOURNAL_STREAM" not in os.environ else "json"
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
            foreign_pre_chain=shared,
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiohttp.access", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


class LogRing(logging.Handler):
    """The last log records in memory for the technician page and the support bundle.

    Bounded and cheap: each record becomes a small dict of strings, nothing is rendered twice,
    and the oldest records fall off the end.
    """

    _SKIP = frozenset({"event", "level", "timestamp", "logger", "_record", "_from_structlog"})

    def __init__(self, capacity: int = 500, level: int = logging.INFO) -> None:
        super().__init__(level)
        self._records: deque[dict[str, Any]] = deque(maxlen=capacity)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            entry: dict[str, Any] = {
                "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                    timespec="milliseconds"
                ),
                "level": record.levelname.lower(),
                "logger": record.name,
            }
            if isinstance(record.msg, dict):  # a structlog event dict
                entry["event"] = str(record.msg.get("event", ""))
                fields = {k: v for k, v in record.msg.items() if k not in self._SKIP}
                entry["fields"] = {k: _short(v) for k, v in fields.items()}
            else:
                entry["event"] = record.getMessage()
                entry["fields"] = {}
            if record.exc_info and record.exc_info[1] is not None:
                entry["fields"]["exception"] = _short(repr(record.exc_info[1]))
            self._records.append(entry)
        except Exception:  # logging must never raise into the caller
            self.handleError(record)

    def recent(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Oldest first; at most ``limit`` of the newest."""
        records = list(self._records)
        return records[-limit:] if limit else records

    def attach(self) -> None:
        logging.getLogger().addHandler(self)

    def detach(self) -> None:
        logging.getLogger().removeHandler(self)


def _short(value: object, limit: int = 500) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit] + "…"
