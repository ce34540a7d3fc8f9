"""HTTP client for the cloud side of sync-protocol.md: each outcome becomes a typed result or error.

Anything that is not JSON of the expected shape (a captive portal's HTML, a proxy's error page) is a
transient failure, never a success.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import aiohttp

from bridge.config.models import CloudConfig
from bridge.sync.protocol import (
    ChangesPage,
    ErrorBody,
    PushResult,
    SnapshotPage,
    StreamState,
    idempotency_key,
    stream_path,
)
from bridge.wire import WireError, decode_json

M = TypeVar("M")


class SyncError(Exception):
    """Base of what a sync request can end in besides success."""


class Transient(SyncError):
    """Retry with backoff (5xx, timeouts, resets, pages that are not the protocol's JSON)."""


class RetryAfter(SyncError):
    def __init__(self, seconds: float, status: int) -> None:
        super().__init__(f"cloud busy ({status}): retry after {seconds:.0f} s")
        self.seconds = seconds


class CredentialsRejected(SyncError):
    def __init__(self, status: int) -> None:
        super().__init__(f"credentials rejected ({status}): check cloud.token and cloud.till_id")


class SeqGap(SyncError):
    def __init__(self, expected: int) -> None:
        super().__init__(f"cloud expects seq {expected}")
        self.expected = expected


#: What a technician does about a cloned or restored database (sync-protocol.md: seq_conflict).
CLONE_ACTION = (
    "Pushing is stopped and nothing here is deleted. If the till this copy came from still runs, "
    "stop this copy. If a backup was restored, restore a newer one taken after the till's last "
    "sync (`tillbridge backup --list`) and start again; if there is none, contact support with "
    "a support bundle: the documents the cloud lacks are kept here."
)


class SeqConflict(SyncError):
    """The cloud holds this stream's seqs with other documents: a cloned or restored database."""

    def __init__(self, seq: int, message: str | None = None) -> None:
        super().__init__(
            message
            or f"cloud holds seq {seq} of this stream with another document: this database was "
            f"cloned or restored. {CLONE_ACTION}"
        )
        self.seq = seq


class StreamAhead(SeqConflict):
    """The cloud's stream goes past the highest seq this database ever assigned."""

    def __init__(self, acked_through: int, highest: int) -> None:
        super().__init__(
            highest + 1,
            f"the cloud already holds seqs up to {acked_through} of this database's stream, but "
            f"this database never numbered an event past {highest}: it is a cloned or restored "
            f"copy, and its next events would reuse those seqs. {CLONE_ACTION}",
        )


class EventsMissing(SyncError):
    """Events the cloud lacks were already pruned here; a person must decide."""


class PayloadTooLarge(SyncError):
    """413: the cloud refused the request body as too large."""


class CursorExpired(SyncError):
    """410 from the change feed: a snapshot is needed."""


class Rejected(SyncError):
    """A 4xx the protocol does not name (a bug on one side); retried with backoff."""


def parse_retry_after(value: str | None, cap_s: float, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or HTTP date), at most ``cap_s``.

    A past date means now; an unreadable value gives None (the caller backs off instead)."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), cap_s)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    delta = (when - (now or datetime.now(UTC))).total_seconds()
    return max(0.0, min(delta, cap_s))


class CloudClient:
    def __init__(self, config: CloudConfig, instance_id: str) -> None:
        self.config = config
        self.instance_id = instance_id
        self._session: aiohttp.ClientSession | None = None

    async def open(self) -> None:
        self._session = aiohttp.ClientSession(
            headers={"Authorization": f"Bearer {self.config.token}"},
            connector=aiohttp.TCPConnector(limit=4),
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _url(self, path: str) -> str:
        return f"{self.config.url}{path}"

    async def _request(
        self,
        method: str,
        path: str,
        model: type[M],
        *,
        params: dict[str, str] | None = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout_s: float | None = None,
    ) -> M:
        assert self._session is not None, "client not open"
        timeout = aiohttp.ClientTimeout(total=timeout_s or self.config.request_timeout_s)
        all_headers = dict(headers or {})
        if body is not None:
            all_headers["Content-Type"] = "application/json"
        try:
            async with self._session.request(
                method,
                self._url(path),
                params=params,
                data=body,
                headers=all_headers,
                timeout=timeout,
            ) as response:
                raw = await response.read()
                status = response.status
                retry_after = response.headers.get("Retry-After")
                content_type = response.content_type
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise Transient(f"{type(exc).__name__}: {exc}".rstrip(": ")) from exc
        if status == 200 and content_type == "application/json":
            try:
                return decode_json(raw, model)
            except WireError as exc:
                raise Transient(
                    f"the cloud answered 200 with JSON of the wrong shape ({exc})"
                ) from None
        if status == 200:
            raise Transient(
                f"the cloud answered 200 with {content_type}, not JSON (captive portal?)"
            )
        self._raise_for(status, raw, content_type, retry_after)
        raise AssertionError("unreachable")

    def _raise_for(
        self, status: int, raw: bytes, content_type: str, retry_after: str | None
    ) -> None:
        if status in (401, 403):
            raise CredentialsRejected(status)
        if status in (429, 503):
            seconds = parse_retry_after(retry_after, self.config.retry_after_cap_s)
            if seconds is not None:
                raise RetryAfter(seconds, status)
            raise Transient(f"cloud busy ({status}) without a usable Retry-After")
        error = _error_body(raw) if content_type == "application/json" else None
        if status == 409 and error is not None:
            if error.error == "seq_gap" and error.expected_seq is not None:
                raise SeqGap(error.expected_seq)
            if error.error == "seq_conflict" and error.seq is not None:
                raise SeqConflict(error.seq)
        if status == 413:
            raise PayloadTooLarge("the cloud refused the request body as too large (413)")
        if status == 410 and error is not None and error.error == "cursor_expired":
            raise CursorExpired("cursor expired")
        if 400 <= status < 500 and error is not None:
            raise Rejected(f"cloud refused the request ({status} {error.error}): {error.message}")
        raise Transient(f"cloud answered {status} ({content_type or 'no body'})")

    async def stream_state(self) -> int:
        path = stream_path(self.config.till_id, self.instance_id)
        return (await self._request("GET", path, StreamState)).acked_through

    async def push(self, events: Sequence[dict[str, Any]], body: bytes) -> PushResult:
        first, last = events[0]["seq"], events[-1]["seq"]
        path = stream_path(self.config.till_id, self.instance_id) + "/events"
        key = idempotency_key(self.instance_id, first, last)
        return await self._request(
            "POST", path, PushResult, body=body, headers={"Idempotency-Key": key}
        )

    async def changes(self, since: str | None, wait_s: int, limit: int = 500) -> ChangesPage:
        params = {"limit": str(limit), "wait": str(wait_s)}
        if since:
            params["since"] = since
        return await self._request(
            "GET",
            f"/v1/tills/{self.config.till_id}/changes",
            ChangesPage,
            params=params,
            timeout_s=self.config.request_timeout_s + wait_s,
        )

    async def snapshot(self, page_token: str | None) -> SnapshotPage:
        params = {"page_token": page_token} if page_token else None
        return await self._request(
            "GET", f"/v1/tills/{self.config.till_id}/snapshot", SnapshotPage, params=params
        )


def _error_body(raw: bytes) -> ErrorBody | None:
    try:
        return decode_json(raw, ErrorBody)
    except WireError:
        return None


async def sleep_or_wake(seconds: float, wake: asyncio.Event) -> bool:
    """Sleep up to ``seconds``; True if woken early (sync now)."""
    if seconds <= 0:
        return wake.is_set()
    try:
        await asyncio.wait_for(wake.wait(), seconds)
    except TimeoutError:
        return False
    return True
