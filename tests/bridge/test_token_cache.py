"""Checked tokens are remembered for CACHE_TTL_S: a revoke here is immediate, a revoke by another
process (the CLI) lands within the TTL, and a token never outlives its own expiry."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bridge.auth.roles import Role
from bridge.auth.tokens import CACHE_TTL_S, TokenStore, now_utc
from bridge.store import Store


class Clock:
    """Wall-clock seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = now_utc().timestamp()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def stores(tmp_path: Path) -> AsyncIterator[tuple[Store, Store]]:
    """The daemon's store and the CLI's, on one database file."""
    daemon, cli = Store(tmp_path / "db.sqlite3"), Store(tmp_path / "db.sqlite3")
    await daemon.open()
    await cli.open()
    yield daemon, cli
    await cli.close()
    await daemon.close()


async def test_a_revoke_by_another_process_lands_within_the_ttl(
    stores: tuple[Store, Store],
) -> None:
    clock = Clock()
    daemon, cli = TokenStore(stores[0], clock=clock), TokenStore(stores[1])
    issued = await cli.create(Role.CASHIER, "front till", source="cli")
    assert await daemon.verify(issued.token) == issued.info
    assert await cli.revoke(issued.info.id)
    clock.now += CACHE_TTL_S - 0.5
    # The documented bound: still trusted from the cache until CACHE_TTL_S after its check.
    assert await daemon.verify(issued.token) == issued.info
    clock.now += 0.5
    assert await daemon.verify(issued.token) is None


async def test_a_revoke_in_this_process_is_immediate(stores: tuple[Store, Store]) -> None:
    tokens = TokenStore(stores[0], clock=Clock())
    one = await tokens.create(Role.CASHIER, "one", source="pairing")
    two = await tokens.create(Role.CASHIER, "two", source="login-link")
    three = await tokens.create(Role.TECHNICIAN, "three", source="login-link")
    for issued in (one, two, three):
        assert await tokens.verify(issued.token) == issued.info
    assert await tokens.revoke(one.info.id)
    assert await tokens.verify(one.token) is None
    assert await tokens.revoke_source("login-link") == 2
    assert await tokens.verify(two.token) is None and await tokens.verify(three.token) is None


async def test_a_cached_token_never_outlives_its_expiry(stores: tuple[Store, Store]) -> None:
    clock = Clock()
    tokens = TokenStore(stores[0], clock=clock)
    issued = await tokens.create(Role.TECHNICIAN, "laptop", source="cli", ttl=timedelta(seconds=2))
    assert issued.info.expires_at is not None
    assert await tokens.verify(issued.token) == issued.info
    expires = datetime.fromisoformat(issued.info.expires_at).timestamp()
    assert expires < clock.now + CACHE_TTL_S  # the cache alone would still trust it
    clock.now = expires
    assert await tokens.verify(issued.token) is None


async def test_the_cache_is_bounded_and_forgets_the_oldest(stores: tuple[Store, Store]) -> None:
    clock = Clock()
    daemon, cli = TokenStore(stores[0], cache_size=2, clock=clock), TokenStore(stores[1])
    issued = [await cli.create(Role.CASHIER, f"till {n}", source="cli") for n in range(3)]
    for one in issued:
        assert await daemon.verify(one.token) == one.info
    for one in issued:
        assert await cli.revoke(one.info.id)
    # The first fell out of the two-entry cache, so the database answers for it at once.
    assert await daemon.verify(issued[0].token) is None
    assert await daemon.verify(issued[2].token) == issued[2].info
