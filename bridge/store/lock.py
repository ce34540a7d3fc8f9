"""The daemon's hold on its state directory, so `tillbridge restore` can tell it is running.

A running daemon holds a shared flock on `tillbridge.lock`; restore needs it exclusively. The
kernel drops the lock when the process dies, kill -9 included, so a stale lock cannot linger.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

LOCK_NAME = "tillbridge.lock"


class LockBusy(Exception):
    """Someone else holds the lock in a way that excludes us."""


class DaemonLock:
    def __init__(self, state_dir: Path, *, exclusive: bool = False) -> None:
        self.path = state_dir / LOCK_NAME
        self._exclusive = exclusive
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock now or raise LockBusy; never waits."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, (fcntl.LOCK_EX if self._exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise LockBusy(str(self.path)) from None
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None
