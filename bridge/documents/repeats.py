"""What a repeated document's first request did to the drawer, read from the drawer audit.

A retried sale never kicks the drawer again (the cashier has the cash in hand already); the
retry is told what the first request did, when the daemon got as far as trying.
"""

from __future__ import annotations

import json
from typing import Any

from bridge.store import Store

#: Answered by the partial index audit_log_drawer_document (migration 0005), whose expression and
#: WHERE this must keep.
EARLIER_OPEN_SQL = """
SELECT target, result, at, details FROM audit_log
WHERE action = 'drawer.open' AND json_extract(details, '$.document_id') = ?
ORDER BY id DESC LIMIT 1
"""


async def earlier_drawer_open(store: Store, document_id: str) -> dict[str, Any] | None:
    """The last audited open attempt for ``document_id``: drawer, status, at and code."""
    row = await store.fetchone(EARLIER_OPEN_SQL, (document_id,))
    if row is None:
        return None
    details = json.loads(row["details"]) if row["details"] else {}
    return {
        "drawer": row["target"],
        "status": row["result"],
        "at": row["at"],
        "code": details.get("code"),
    }
