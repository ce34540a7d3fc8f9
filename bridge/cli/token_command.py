"""`tillbridge token create|list|revoke`: works on the state directory, daemon running or not."""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from datetime import timedelta

from bridge.auth.roles import Role
from bridge.auth.tokens import TokenStore
from bridge.cli.common import load_or_exit
from bridge.store import Store, StoreError
from bridge.store.database import DATABASE_NAME

_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(f"expected a duration such as 30m, 12h or 7d; found {text!r}")
    return timedelta(seconds=int(match[1]) * _UNITS[match[2]])


def token(args: argparse.Namespace) -> int:
    loaded, state_dir = load_or_exit(args)
    ttl = None
    if getattr(args, "expires_in", None):
        try:
            ttl = parse_duration(args.expires_in)
        except ValueError as exc:
            print(f"--expires-in: {exc}", file=sys.stderr)
            return 2
    elif getattr(args, "role", None) == "technician":
        ttl = timedelta(seconds=loaded.settings.auth.technician_session_ttl_s)
    try:
        return asyncio.run(_token(args, state_dir / DATABASE_NAME, ttl))
    except StoreError as exc:
        print(f"tillbridge: {exc}", file=sys.stderr)
        return 74
    except PermissionError as exc:
        print(
            f"tillbridge: {exc}. Run as the service user or root (sudo -u tillbridge ...).",
            file=sys.stderr,
        )
        return 77


async def _token(args: argparse.Namespace, db_path, ttl: timedelta | None) -> int:  # type: ignore[no-untyped-def]
    store = Store(db_path)
    await store.open()
    try:
        tokens = TokenStore(store)
        if args.token_command == "create":
            issued = await tokens.create(Role(args.role), args.name, source="cli", ttl=ttl)
            print(issued.token)
            expiry = issued.info.expires_at or "never"
            print(
                f"id {issued.info.id}, role {issued.info.role.value}, expires {expiry}. "
                "Shown once: store it now.",
                file=sys.stderr,
            )
            return 0
        if args.token_command == "list":
            rows = await tokens.list()
            print(
                f"{'ID':<18}{'ROLE':<12}{'STATE':<9}{'SOURCE':<12}{'CREATED':<22}{'EXPIRES':<22}NAME"
            )
            for t in rows:
                state = "active" if t.active else ("revoked" if t.revoked_at else "expired")
                print(
                    f"{t.id:<18}{t.role.value:<12}{state:<9}{t.source:<12}{t.created_at:<22}"
                    f"{t.expires_at or '-':<22}{t.name}"
                )
            return 0
        if await tokens.revoke(args.id):
            print(f"revoked {args.id}")
            return 0
        print(f"no live token with id {args.id!r} (see `tillbridge token list`)", file=sys.stderr)
        return 1
    finally:
        await store.close()
