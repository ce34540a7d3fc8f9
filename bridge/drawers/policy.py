"""Who may open a cash drawer, for which reason, and how often (security.md item 9)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from bridge.auth.roles import Role
from bridge.auth.tokens import TokenInfo
from bridge.config.models import DrawersConfig


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


class DrawerPolicy:
    """Checks one open request against the config; the rate limits count opens let through."""

    def __init__(self, config: DrawersConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self.roles = frozenset(Role(role) for role in config.roles)
        self._per_token = SlidingWindow(config.max_per_token, config.rate_window_s, clock)
        self._per_till = SlidingWindow(config.max_per_till, config.rate_window_s, clock)

    def may_kick(self, role: Role) -> bool:
        """Whether this role may open drawers at all (also decides kicks in raw print jobs)."""
        return role in self.roles

    def check(self, principal: TokenInfo, reason: str, document_id: str | None) -> Refusal | None:
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
