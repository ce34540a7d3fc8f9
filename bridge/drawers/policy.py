"""Who may open a cash drawer, for which reason, and how often (security.md item 9).

A reason that needs a document (``document_required``) is checked against the recorded document:
it must exist, and for ``sale`` and ``refund`` it must be that kind of document with cash in its
payments, since only cash puts money in (or takes it out of) the drawer. The lookup is injected
so the policy stays free of the documents code.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from bridge.auth.roles import Role
from bridge.auth.tokens import TokenInfo
from bridge.config.models import DrawersConfig

#: The recorded document of that id as a dict (``type``, ``payments``...), or None.
DocumentLookup = Callable[[str], Awaitable[dict[str, Any] | None]]

#: Reasons whose document must be of this type and paid (at least partly) in cash.
CASH_DOCUMENT_TYPES = {"sale": "sale", "refund": "refund"}


@dataclass(frozen=True)
class Refusal:
    """Why an open was refused: the HTTP status, a stable code, human text, when to retry."""

    status: int
    code: str
    message: str
    retry_after_s: float | None = None


class SlidingWindow:
    """At most ``limit`` events per ``window_s`` seconds, counted per key."""

    def __init__(
        self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._events: dict[str, deque[float]] = {}

    def retry_after(self, key: str) -> float | None:
        """Seconds until ``key`` may act again, or None if it may act now."""
        events = self._trimmed(key)
        if len(events) < self.limit:
            return None
        return max(0.0, events[0] + self.window_s - self._clock())

    def record(self, key: str) -> None:
        self._trimmed(key).append(self._clock())

    def _trimmed(self, key: str) -> deque[float]:
        events = self._events.setdefault(key, deque())
        horizon = self._clock() - self.window_s
        while events and events[0] <= horizon:
            events.popleft()
        return events


class DrawerRefused(Exception):
    """An open that did not happen; audited before it is raised."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


class DrawerPolicy:
    """Checks one open request against the config; the rate limits count opens let through."""

    def __init__(
        self,
        config: DrawersConfig,
        documents: DocumentLookup | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.roles = frozenset(Role(role) for role in config.roles)
        self._documents = documents
        self._per_token = SlidingWindow(config.max_per_token, config.rate_window_s, clock)
        self._per_till = SlidingWindow(config.max_per_till, config.rate_window_s, clock)

    def update(self, config: DrawersConfig) -> None:
        """New rules from a hot config; opens already counted stay counted (no fresh budget)."""
        self.config = config
        self.roles = frozenset(Role(role) for role in config.roles)
        for window, limit in (
            (self._per_token, config.max_per_token),
            (self._per_till, config.max_per_till),
        ):
            window.limit = limit
            window.window_s = config.rate_window_s

    def may_kick(self, role: Role) -> bool:
        """Whether this role may open drawers at all (also decides kicks in raw print jobs)."""
        return role in self.roles

    async def check(
        self, principal: TokenInfo, reason: str, document_id: str | None
    ) -> Refusal | None:
        """None when the open may go ahead (and is then counted), else why not."""
        cfg = self.config
        if not self.may_kick(principal.role):
            return Refusal(
                403,
                "drawer.forbidden_role",
                f"A {principal.role.value} token may not open the drawer on this till.",
            )
        if reason not in cfg.reasons:
            return Refusal(
                422,
                "drawer.unknown_reason",
                f"Reason {reason!r} is not one of {', '.join(cfg.reasons)}.",
            )
        if reason in cfg.technician_only and principal.role is not Role.TECHNICIAN:
            return Refusal(
                403,
                "drawer.needs_technician",
                f"Opening the drawer for {reason!r} needs a technician (a manager's login).",
            )
        if reason in cfg.document_required and not document_id:
            return Refusal(
                422,
                "drawer.document_required",
                f"Opening the drawer for {reason!r} needs the document_id of that sale.",
            )
        if reason in cfg.document_required:
            assert document_id is not None
            refusal = await self._check_document(reason, document_id)
            if refusal is not None:
                return refusal
        # no await from here on: the limit is checked and counted in one step
        waits = [
            wait
            for wait in (
                self._per_token.retry_after(principal.id),
                self._per_till.retry_after("till"),
            )
            if wait is not None
        ]
        if waits:
            wait = max(waits)
            return Refusal(
                429,
                "drawer.rate_limited",
                f"The drawer was opened too often; try again in {max(1, round(wait))} s.",
                wait,
            )
        self._per_token.record(principal.id)
        self._per_till.record("till")
        return None

    async def _check_document(self, reason: str, document_id: str) -> Refusal | None:
        if self._documents is None:
            return None  # no recorder in this process (unit use): the id is all there is
        document = await self._documents(document_id)
        if document is None:
            return Refusal(
                422,
                "drawer.document_unknown",
                f"No document {document_id!r} is recorded on this till; record it "
                "(POST /api/v1/documents) before opening the drawer for it.",
            )
        wanted = CASH_DOCUMENT_TYPES.get(reason)
        if wanted is None:
            return None
        if document.get("type") != wanted:
            return Refusal(
                422,
                "drawer.document_mismatch",
                f"Document {document_id!r} is a {document.get('type')}; opening the drawer for "
                f"{reason!r} needs a {wanted}.",
            )
        if not any(_cash(payment) for payment in document.get("payments") or ()):
            return Refusal(
                422,
                "drawer.not_cash",
                f"The {wanted} {document_id!r} has no cash payment, so the drawer stays shut; "
                "a card or voucher payment does not need it.",
            )
        return None


def _cash(payment: Any) -> bool:
    if not isinstance(payment, dict) or payment.get("method") != "cash":
        return False
    try:
        return Decimal(str(payment.get("amount"))) > 0
    except InvalidOperation:
        return False
