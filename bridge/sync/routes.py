"""GET /api/v1/sync (status) and POST /api/v1/sync/run (sync now, technician)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from bridge.api.errors import ApiError
from bridge.api.routing import RouteSpec
from bridge.auth.roles import Role
from bridge.sync.service import SyncService

SYNC = web.AppKey("sync", SyncService)
MAX_WAIT_S = 120.0


class SyncStatusModel(BaseModel):
    model_config = ConfigDict(extra="allow")

    enabled: bool
    pending: int = Field(description="Events not yet acknowledged by the cloud.")
    oldest_pending_age_s: float | None
    last_push_ok: str | None
    last_pull_ok: str | None
    last_error: str | None
    last_push_error: str | None
    last_pull_error: str | None
    cursor: str | None
    config_version: int
    alert: dict[str, Any] | None = Field(description="Needs a person: {code, message, since}.")
    quarantined: list[dict[str, Any]] = Field(
        description="Events the cloud stored without applying them: check them in the backoffice."
    )


class SyncRunResult(BaseModel):
    started: bool
    done: bool | None = Field(description="With ?wait=N: whether push and pull finished in time.")
    status: SyncStatusModel


async def sync_status(request: web.Request) -> web.Response:
    data = await request.app[SYNC].describe()
    return web.json_response(text=SyncStatusModel.model_validate(data).model_dump_json())


async def sync_run(request: web.Request) -> web.Response:
    service = request.app[SYNC]
    if not service.cloud.enabled:
        raise ApiError(409, "sync.not_configured", "No [cloud] section with a url in the config.")
    try:
        wait = min(float(request.query.get("wait", "0")), MAX_WAIT_S)
    except ValueError:
        raise ApiError(400, "sync.bad_wait", "wait is a number of seconds.") from None
    done = await service.run_now(wait)
    result = SyncRunResult(
        started=True,
        done=done if wait > 0 else None,
        status=SyncStatusModel.model_validate(await service.describe()),
    )
    return web.json_response(text=result.model_dump_json(), status=202 if wait <= 0 else 200)


def routes() -> list[RouteSpec]:
    return [
        RouteSpec(
            "GET",
            "/api/v1/sync",
            sync_status,
            "Sync status: pending events, last success and error each way, alert, quarantine.",
            Role.CASHIER,
            response_model=SyncStatusModel,
            tag="sync",
        ),
        RouteSpec(
            "POST",
            "/api/v1/sync/run",
            sync_run,
            "Start a push and a pull now (?wait=N: wait up to N s for both to finish).",
            Role.TECHNICIAN,
            response_model=SyncRunResult,
            status=202,
            errors=(409,),
            tag="sync",
        ),
    ]
