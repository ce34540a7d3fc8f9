"""`tillbridge run`."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys

import msgspec

from bridge.cli.common import load_or_exit
from bridge.logging_setup import configure_logging
from bridge.store import StoreError

EXIT_STORE = 74  # EX_IOERR

#: The event loop and the store's writer thread share the GIL. After each SQLite call (which runs
#: without the GIL) the writer must win it back from a busy loop, which by default may keep it for
#: 5 ms: a convoy that delays every commit's answer. Half a millisecond keeps the hand-over short
#: (bench/bench_documents.py: 6-22 % more documents per second at the same CPU per document).
GIL_SWITCH_INTERVAL_S = 0.0005


def run(args: argparse.Namespace) -> int:
    loaded, state_dir = load_or_exit(args)
    if args.port is not None:
        server = msgspec.structs.replace(loaded.settings.server, port=args.port)
        settings = msgspec.structs.replace(loaded.settings, server=server)
        loaded = dataclasses.replace(loaded, settings=settings)
    configure_logging(loaded.settings.logging.level, loaded.settings.logging.format)
    from bridge.daemon import run_daemon

    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)  # this process is the daemon: set once, here

    try:
        return asyncio.run(run_daemon(loaded, state_dir))
    except StoreError as exc:
        print(f"tillbridge: {exc}", file=sys.stderr)
        return EXIT_STORE
    except OSError as exc:
        print(
            f"tillbridge: cannot listen: {exc}. Is another tillbridge running? (`systemctl status tillbridge`)",
            file=sys.stderr,
        )
        return 1
