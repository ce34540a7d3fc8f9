"""API tokens: random, shown once, stored only as a SHA-256 hash, scoped to a role."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bridge.auth.roles import Role
from bridge.store import Store

TOKEN_PREFIX = "tb_"


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

    def __init__(self, store: Store) -> None:
        self._store = store

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
        row = await self._store.fetchone(
            "SELECT id, name, role, source, created_at, expires_at, revoked_at "
            "FROM api_tokens WHERE token_hash = ?",
            (hash_token(token),),
        )
        if row is None:
            return None
        info = _info(row)
        return info if info.active else None

    async def list(self) -> list[TokenInfo]:
        rows = await self._store.fetchall(
            "SELECT id, name, role, source, created_at, expires_at, revoked_at "
            "FROM api_tokens ORDER BY created_at, id"
        )
        return [_info(row) for row in rows]

    async def revoke(self, token_id: str) -> bool:
        async with self._store.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (rfc3339(now_utc()), token_id),
            )
            return cursor.rowcount == 1

    async def revoke_source(self, source: str) -> int:
        """Revoke every live token made by ``source`` (e.g. earlier login links)."""
        async with self._store.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE api_tokens SET revoked_at = ? WHERE source = ? AND revoked_at IS NULL",
                (rfc3339(now_utc()), source),
            )
            return cursor.rowcount


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
