"""`tillbridge pin set|clear`: the technician PIN for logging in to the technician page."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from pathlib import Path

from bridge.auth.pin import PinFormatError, PinStore, check_format
from bridge.cli.common import load_or_exit
from bridge.store import Store, StoreError
from bridge.store.database import DATABASE_NAME


def pin(args: argparse.Namespace) -> int:
    _, state_dir = load_or_exit(args)
    new_pin = None
    if args.pin_command == "set":
        try:
            new_pin = _read_pin(args.stdin)
            check_format(new_pin)
        except PinFormatError as exc:
            print(f"tillbridge: {exc}", file=sys.stderr)
            return 2
        except ValueError as exc:
            print(f"tillbridge: {exc}", file=sys.stderr)
            return 2
    try:
        return asyncio.run(_pin(state_dir / DATABASE_NAME, new_pin))
    except StoreError as exc:
        print(f"tillbridge: {exc}", file=sys.stderr)
        return 74
    except PermissionError as exc:
        print(
            f"tillbridge: {exc}. Run as the service user or root (sudo -u tillbridge ...).",
            file=sys.stderr,
        )
        return 77


def _read_pin(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().strip()
    first = getpass.getpass("New technician PIN (4-12 digits): ")
    if getpass.getpass("Again: ") != first:
        raise ValueError("the two PINs differ; nothing changed")
    return first


async def _pin(db_path: Path, new_pin: str | None) -> int:
    store = Store(db_path)
    await store.open()
    try:
        pins = PinStore(store)
        if new_pin is not None:
            await pins.set(new_pin)
            print("Technician PIN set. Log in at the technician page with it.", file=sys.stderr)
            return 0
        if await pins.clear():
            print("Technician PIN removed; PIN login is off.", file=sys.stderr)
        else:
            print("No technician PIN was set.", file=sys.stderr)
        return 0
    finally:
        await store.close()
