"""One-time pairing codes: a technician shows one, the POS trades it for a cashier token."""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass, field

from bridge.config.models import AuthConfig


class PairingLocked(Exception):
    """Too many wrong codes; pairing is refused until ``retry_after`` seconds pass."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"pairing locked for {retry_after:.0f} s after too many wrong codes")
        self.retry_after = retry_after


@dataclass
class PairingCodes:
    """Codes live only in memory: they expire within minutes, so a restart may drop them."""

    config: AuthConfig
    clock: object = field(default=time.monotonic)
    _codes: dict[str, float] = field(default_factory=dict)
    _failures: int = 0
    _locked_until: float = 0.0

    def _now(self) -> float:
        return self.clock()  # type: ignore[operator]

    def issue(self) -> tuple[str, float]:
        """A new 8-digit code and its lifetime in seconds."""
        self._expire()
        code = f"{secrets.randbelow(10**8):08d}"
        self._codes[code] = self._now() + self.config.pairing_code_ttl_s
        return code, float(self.config.pairing_code_ttl_s)

    def redeem(self, code: str) -> bool:
        """True once for a live code; wrong codes count towards the lockout."""
        now = self._now()
        if now < self._locked_until:
            raise PairingLocked(self._locked_until - now)
        self._expire()
        match = next((known for known in self._codes if hmac.compare_digest(known, code)), None)
        if match is not None:
            del self._codes[match]
            self._failures = 0
            return True
        self._failures += 1
        if self._failures >= self.config.pairing_max_attempts:
            self._failures = 0
            self._codes.clear()
            self._locked_until = now + self.config.pairing_lockout_s
            raise PairingLocked(float(self.config.pairing_lockout_s))
        return False

    def _expire(self) -> None:
        now = self._now()
        for code in [code for code, expires in self._codes.items() if expires <= now]:
            del self._codes[code]
