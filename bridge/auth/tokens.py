"""API tokens: random, shown once, stored only as a SHA-256 hash, scoped to a role.

Every API request checks its token, so a checked token is remembered for a few seconds instead
of costing a database read each time. A revoke in this process forgets it at once; a revoke by
another process (``tillbridge token revoke``) reaches the daemon within :data:`CACHE_TTL_S`. A
remembered token never outlives its own ``expires_at``.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bridge.auth.roles import Role
from bridge.store import Store

TOKEN_PREFIX = "tb_"
#: How long a checked token is trusted without reading the database again.
CACHE_TTL_S = 5.0
#: How many checked tokens are remembered (a till has a handful; the oldest go first).
CACHE_SIZE = 256


def now_utc() -> datetime:
    return datetime.now(UTC)


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


@dataclass(frozen=True)
class TokenInfo:
    id: str
    name: str
    role: Role
    source: str
    created_at: str
    expires_at: str | None
    revoked_at: str | None

    @property
    def active(self) -> bool:
        if self.revoked_at:
            return False
        return self.expires_at is None or self.expires_at > rfc3339(now_utc())


@dataclass(frozen=True)
class IssuedToken:
    token: str
    info: TokenInfo


class TokenStore:
    """Creates, checks, lists and revokes tokens; the secret is never stored."""

    def __init__(
        self,
        store: Store,
        *,
        cache_ttl_s: float = CACHE_TTL_S,
        cache_size: int = CACHE_SIZE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._ttl = cache_ttl_s
        self._size = cache_size
        self._clock = clock  # wall-clock seconds, comparable with expires_at
        #: token hash -> (info, trusted from, trusted until); only live tokens are remembered.
        self._cache: dict[bytes, tuple[TokenInfo, float, float]] = {}
        #: Bumped by every revoke here, so a check that read the row before the revoke
        #: committed does not put the old row back in the cache.
        self._revocations = 0

    async def create(
        self, role: Role, name: str, *, source: str, ttl: timedelta | None = None
    ) -> IssuedToken:
        token = TOKEN_PREFIX + secrets.token_urlsafe(24)  # 192 bits
        token_id = secrets.token_hex(8)  # 64 bits: ids never collide in practice
        created = now_utc()
        expires = rfc3339(created + ttl) if ttl is not None else None
        async with self._store.transaction() as tx:
            await tx.execute(
                "INSERT INTO api_tokens (id, name, role, token_hash, source, created_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (token_id, name, role.value, hash_token(token), source, rfc3339(created), expires),
            )
        info = TokenInfo(token_id, name, role, source, rfc3339(created), expires, None)
        return IssuedToken(token=token, info=info)

    async def verify(self, token: str) -> TokenInfo | None:
        """The token's record if it is known, unrevoked and unexpired."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        digest = hash_token(token)
        now = self._clock()
        cached = self._cache.get(digest)
        if cached is not None:
            info, since, until = cached
            if since <= now < until:  # a clock set back is not trusted either
                return info
            del self._cache[digest]
        revocations = self._revocations
        row = await self._store.fetchone(
            "SELECT id, name, role, source, created_at, expires_at, revoked_at "
            "FROM api_tokens WHERE token_hash = ?",
            (digest,),
        )
        if row is None:
            return None
        info = _info(row)
        now = self._clock()
        expires = _timestamp(info.expires_at)
        if info.revoked_at or (expires is not None and expires <= now):
            return None
        if revocations == self._revocations:
            if len(self._cache) >= self._size:
                del self._cache[next(iter(self._cache))]
            until = now + self._ttl if expires is None else min(now + self._ttl, expires)
            self._cache[digest] = (info, now, until)
        return info

    async def list(self) -> list[TokenInfo]:
        rows = await self._store.fetchall(
            "SELECT id, name, role, source, created_at, expires_at, revoked_at "
            "FROM api_tokens ORDER BY created_at, id"
        )
        return [_info(row) for row in rows]

    async def revoke(self, token_id: str) -> bool:
        try:
            async with self._store.transaction() as tx:
                cursor = await tx.execute(
                    "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                    (rfc3339(now_utc()), token_id),
                )
                return cursor.rowcount == 1
        finally:
            self._forget(lambda info: info.id == token_id)

    async def revoke_source(self, source: str) -> int:
        """Revoke every live token made by ``source`` (e.g. earlier login links)."""
        try:
            async with self._store.transaction() as tx:
                cursor = await tx.execute(
                    "UPDATE api_tokens SET revoked_at = ? WHERE source = ? AND revoked_at IS NULL",
                    (rfc3339(now_utc()), source),
                )
                return cursor.rowcount
        finally:
            self._forget(lambda info: info.source == source)

    def _forget(self, matches: Callable[[TokenInfo], bool]) -> None:
        """Drop revoked tokens from the cache, once the revoke is committed (or failed)."""
        self._revocations += 1
        for digest in [d for d, (info, _, _) in self._cache.items() if matches(info)]:
            del self._cache[digest]


def _timestamp(moment: str | None) -> float | None:
    return None if moment is None else datetime.fromisoformat(moment).timestamp()


def _info(row: object) -> TokenInfo:
    return TokenInfo(
        id=row["id"],  # type: ignore[index]
        name=row["name"],  # type: ignore[index]
        role=Role(row["role"]),  # type: ignore[index]
        source=row["source"],  # type: ignore[index]
        created_at=row["created_at"],  # type: ignore[index]
        expires_at=row["expires_at"],  # type: ignore[index]
        revoked_at=row["revoked_at"],  # type: ignore[index]
    )
