"""Shared by the print queue tests: receipts, waiting for a job state, collecting job events."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

from tests.conftest import Api

FINAL = ("done", "failed", "cancelled")


def receipt(*lines: str, cut: bool = True) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [{"text": line} for line in lines]
    if cut:
        blocks.append({"cut": "partial"})
    return {"receipt": {"blocks": blocks}}


def raw(data: bytes, **extra: Any) -> dict[str, Any]:
    return {"raw": base64.b64encode(data).decode(), **extra}


async def submit(
    api: Api, printer: str, body: dict[str, Any], key: str | None = None, token: str | None = None
) -> tuple[int, Any]:
    headers = api.auth(token or api.cashier)
    if key is not None:
        headers["Idempotency-Key"] = key
    status, data, _ = await api.call(
        "POST", f"/api/v1/printers/{printer}/jobs", json_body=body, headers=headers
    )
    return status, data


async def wait_state(api: Api, job_id: str, *states: str, limit_s: float = 5.0) -> dict[str, Any]:
    """Poll the job until it is in one of ``states``; its last view."""
    job: dict[str, Any] = {}
    async with asyncio.timeout(limit_s):
        while True:
            status, body, _ = await api.call("GET", f"/api/v1/jobs/{job_id}")
            assert status == 200, body
            job = body["job"]
            if job["state"] in states:
                return job
            await asyncio.sleep(0.02)


async def job_events(ws: Any, job_id: str, until: str, limit_s: float = 5.0) -> list[str]:
    """States of one job as its ``job`` events tell them, up to ``until``."""
    seen: list[str] = []
    async with asyncio.timeout(limit_s):
        while not seen or seen[-1] != until:
            frame = await ws.receive_json()
            if frame.get("topic") == "job" and frame["data"]["job"]["id"] == job_id:
                seen.append(frame["data"]["job"]["state"])
    return seen


def printed_text(data: bytes, profile: str = "default") -> str:
    """What ``data`` prints on a printer of ``profile``, as text."""
    from drivers.printer.escpos_decoder import decode
    from drivers.printer.profiles import ProfileCatalog

    return decode(data, ProfileCatalog().get(profile))
