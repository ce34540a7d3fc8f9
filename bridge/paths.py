"""Where the daemon keeps its state."""

from __future__ import annotations

import os
from pathlib import Path

from bridge.config.models import Settings


def resolve_state_dir(settings: Settings, override: str | None = None) -> Path:
    """CLI flag, then config, then systemd's $STATE_DIRECTORY, then ~/.local/state/tillbridge."""
    for candidate in (
        override,
        settings.store.state_dir,
        os.environ.get("STATE_DIRECTORY", "").split(":")[0],
    ):
        if candidate:
            return Path(candidate).expanduser().resolve()
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "tillbridge"
