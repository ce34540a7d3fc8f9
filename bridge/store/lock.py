"""Advisory flocks in the state directory, dropped by the kernel when their holder dies.

A running daemon holds a shared flock on `tillbridge.lock`; restore needs it exclusively. The sync
loops hold `sync.lock` exclusively, so only one process pushes a database's stream. Kill -9
included, a stale lock cannot linger.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

LOCK_NAME = "tillbridge.lock"


class LockBusy(Exception):
    """Someone else holds the lock in a way that excludes us."""


class DaemonLock:
    def __init__(self, state_dir: Path, *, exclusive: bool = False, name: str = LOCK_NAME) -> None:
        self.path = state_dir / name
        self._exclusive = exclusive
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock now or raise LockBusy; never waits."""
        if self._fd is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, (fcntl.LOCK_EX if self._exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise LockBusy(str(self.path)) from None
        self._fd = fd

    def try_acquire(self) -> bool:
        """Take the lock now if free; False if someone else holds it."""
        try:
            self.acquire()
        except LockBusy:
            return False
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None
