"""``python -m drivers.discovery [udev-rules VID:PID …]``: discovery without the daemon's CLI.

Without arguments it prints what ``tillbridge devices`` prints; with ``udev-rules`` it prints
the local udev rules for the given devices.
"""

from __future__ import annotations

import sys

from drivers.discovery import BadUsbId, discover_all, render_text, render_udev_rules


def main(argv: list[str]) -> int:
    if not argv:
        sys.stdout.write(render_text(discover_all()))
        return 0
    if argv[0] == "udev-rules" and len(argv) > 1:
        try:
            sys.stdout.write(render_udev_rules(argv[1:]))
        except BadUsbId as exc:
            print(exc, file=sys.stderr)
            return 2
        return 0
    print("usage: python -m drivers.discovery [udev-rules VENDOR:PRODUCT ...]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
