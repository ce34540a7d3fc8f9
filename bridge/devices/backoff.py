"""Retry delays for devices that fail to open."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    base_s: float = 1.0
    cap_s: float = 60.0

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Exponential with equal jitter: never zero, so a flapping device cannot spin."""
        ceiling = min(self.cap_s, self.base_s * 2 ** max(0, attempt - 1))
        return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)
