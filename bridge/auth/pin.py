"""The technician PIN: stored only as an scrypt hash, checked with a lockout after wrong tries.

A PIN is short, so the hash is slow on purpose and the lockout is what really protects it: after
``max_attempts`` wrong PINs every login is refused until the lockout passes, right PIN included.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bridge.store import Store

META_KEY = "technician_pin"
PIN_PATTERN = re.compile(r"^[0-9]{4,12}$")
# scrypt cost: about 50 ms and 16 MiB per check on a till; stored with the hash so it can grow.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


class PinFormatError(ValueError):
    """The PIN is not 4-12 digits."""


class PinLocked(Exception):
    """Too many wrong PINs; logins are refused for ``retry_after`` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"PIN login locked for {retry_after:.0f} s after too many wrong PINs")
        self.retry_after = retry_after


def check_format(pin: str) -> None:
    if not PIN_PATTERN.match(pin):
        raise PinFormatError("a PIN is 4 to 12 digits")


def hash_pin_blocking(pin: str, salt: bytes | None = None) -> str:
    """``scrypt$N$r$p$salt$hash`` (hex); runs for tens of milliseconds on purpose."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(
        pin.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, maxmem=64 * 1024 * 1024
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_pin_blocking(pin: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        params = {"n": int(n), "r": int(r), "p": int(p), "salt": bytes.fromhex(salt)}
    except ValueError:
        return False  # not a hash this code wrote: no PIN matches it
    if scheme != "scrypt":
        return False
    # An scrypt failure (out of memory) raises: it must not count as a wrong PIN.
    candidate = hashlib.scrypt(pin.encode(), maxmem=64 * 1024 * 1024, **params)  # type: ignore[arg-type]
    return hmac.compare_digest(candidate.hex(), digest)


class PinStore:
    """Reads and writes the PIN hash in the store's meta table (the CLI and the daemon share it)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def set(self, pin: str) -> None:
        check_format(pin)
        hashed = await asyncio.to_thread(hash_pin_blocking, pin)
        async with self._store.transaction() as tx:
            await tx.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (META_KEY, hashed),
            )

    async def clear(self) -> bool:
        async with self._store.transaction() as tx:
            cursor = await tx.execute("DELETE FROM meta WHERE key = ?", (META_KEY,))
            return cursor.rowcount == 1

    async def is_set(self) -> bool:
        return await self._stored() is not None

    async def verify(self, pin: str) -> bool:
        stored = await self._stored()
        if stored is None or not PIN_PATTERN.match(pin):
            return False
        return await asyncio.to_thread(verify_pin_blocking, pin, stored)

    async def _stored(self) -> str | None:
        row = await self._store.fetchone("SELECT value FROM meta WHERE key = ?", (META_KEY,))
        return None if row is None else str(row["value"])


@dataclass
class PinGuard:
    """Counts wrong PINs and locks logins; in memory, like pairing codes (a restart resets it)."""

    max_attempts: int
    lockout_s: float
    clock: Callable[[], float] = field(default=time.monotonic)
    #: Held through each check, so parallel guesses cannot all slip in before the lockout.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _failures: int = 0
    _locked_until: float = 0.0

    def check(self) -> None:
        now = self.clock()
        if now < self._locked_until:
            raise PinLocked(self._locked_until - now)

    def failed(self) -> None:
        self._failures += 1
        if self._failures >= self.max_attempts:
            self._failures = 0
            self._locked_until = self.clock() + self.lockout_s
            raise PinLocked(self.lockout_s)

    def succeeded(self) -> None:
        self._failures = 0
