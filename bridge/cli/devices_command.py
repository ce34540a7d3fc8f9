"""`tillbridge devices`: the hardware this machine can see, with the config lines to use it."""

from __future__ import annotations

import argparse
import json
import sys


def devices(args: argparse.Namespace) -> int:
    try:
        from drivers.discovery import discover_all, render_text
    except ImportError as exc:
        print(f"device discovery is not available in this build: {exc}", file=sys.stderr)
        return 1
    report = discover_all()
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(render_text(report))
    return 0


def udev_rules(args: argparse.Namespace) -> int:
    from drivers.discovery import BadUsbId, render_udev_rules

    try:
        sys.stdout.write(render_udev_rules(args.ids))
    except BadUsbId as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0
