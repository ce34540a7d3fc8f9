"""security.md item 6: no GET has a side effect — every GET route, called, leaves the database as it was."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from pathlib import Path

from bridge import keys
from bridge.store.database import DATABASE_NAME
from tests.conftest import Api


def database_digest(path: Path) -> str:
    db = sqlite3.connect(path)
    try:
        digest = hashlib.sha256()
        tables = [
            row[0]
            for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        for table in tables:
            for row in db.execute(f'SELECT * FROM "{table}" ORDER BY 1'):
                digest.update(repr((table, row)).encode())
        return digest.hexdigest()
    finally:
        db.close()


async def test_every_get_route_leaves_the_database_unchanged(api: Api, state_dir: Path) -> None:
    specs = [s for s in api.daemon.app[keys.ROUTE_SPECS].values() if s.method == "GET"]
    assert len(specs) >= 15, [s.path for s in specs]  # the test must really walk the API
    before = database_digest(state_dir / DATABASE_NAME)
    statuses = {}
    for spec in specs:
        if spec.path == "/api/v1/events":
            continue  # the WebSocket: covered by its own tests
        path = re.sub(r"\{[^}]+\}", "x", spec.path)
        status, _, _ = await api.call("GET", path)
        statuses[spec.path] = status
        assert status < 500, (spec.path, status)
    assert database_digest(state_dir / DATABASE_NAME) == before, statuses
    assert sum(1 for s in statuses.values() if s == 200) >= 10, statuses  # real handlers ran
