"""What several commands share: loading the config and finding the state directory."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bridge.config.loader import ConfigError, LoadedConfig, load_config
from bridge.paths import resolve_state_dir

EXIT_CONFIG = 78  # EX_CONFIG: systemd's Restart=on-failure will not help a broken config


def load_or_exit(args: argparse.Namespace) -> tuple[LoadedConfig, Path]:
    try:
        loaded = load_config(args.config)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        print(
            "Fix the config, then start again (`tillbridge check-config FILE` lists every error).",
            file=sys.stderr,
        )
        raise SystemExit(EXIT_CONFIG) from None
    return loaded, resolve_state_dir(loaded.settings, args.state_dir)
