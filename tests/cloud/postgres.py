"""A throwaway PostgreSQL server (Debian's postgresql), run as user postgres in a temp dir."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.cloud.harness import PG_BIN, free_port


def postgres_missing() -> str | None:
    if not (PG_BIN / "initdb").exists():
        return "PostgreSQL is not installed (apt-get install postgresql)"
    if os.geteuid() != 0:
        return "starting PostgreSQL in a temp dir needs root (su postgres)"
    return None


@contextmanager
def running_postgres() -> Iterator[str]:
    """Yields a DSN for a fresh database; stops and removes the server after."""
    base = Path(tempfile.mkdtemp(prefix="tb-pg-"))
    shutil.chown(base, "postgres")
    port = free_port()

    def su(cmd: str) -> None:
        subprocess.run(["su", "postgres", "-c", cmd], check=True, capture_output=True, timeout=60)

    try:
        su(f"{PG_BIN}/initdb -D {base}/data -A trust -U postgres")
        su(
            f"{PG_BIN}/pg_ctl -D {base}/data -w -o '-k {base} -c listen_addresses=127.0.0.1 "
            f"-p {port} -c fsync=on' -l {base}/log start"
        )
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            ["su", "postgres", "-c", f"{PG_BIN}/pg_ctl -D {base}/data -m fast stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(base, ignore_errors=True)
