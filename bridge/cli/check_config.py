"""`tillbridge check-config FILE`: every error, by key, expected form and value found."""

from __future__ import annotations

import sys

from bridge.config.loader import ConfigError, load_config


def check_config(path: str) -> int:
    try:
        loaded = load_config(path)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    devices = loaded.settings.devices
    enabled = sum(1 for d in devices.values() if d.enabled)
    print(f"{path}: OK ({len(devices)} device(s), {enabled} enabled)")
    return 0
