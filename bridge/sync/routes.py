"""GET /api/v1/sync (status) and POST /api/v1/sync/run (sync now, technician)."""

from __future__ import annotations

from typing import Annotated

from aiohttp import web

from bridge.api.errors import ApiError
from bridge.api.responses import model_response
from bridge.api.routing import RouteSpec
from bridge.auth.roles import Role
from bridge.sync.service import SyncService
from bridge.wire import Meta, Wire, convert

SYNC = web.AppKey("sync", SyncService)
MAX_WAIT_S = 120.0


class SyncAlert(Wire):
    code: Annotated[str, Meta(description="e.g. sync.credentials, sync.seq_conflict.")]
    message: str
    since: str


class SkippedChange(Wire):
    kind: str
    key: str
    version: int
    error: str
    at: str


class QuarantinedEvent(Wire):
    seq: int
    id: str
    type: str
    reason: str | None
    reported_at: str


class SyncStatusModel(Wire):
    """Every key SyncService.describe() gives: an undeclared one fails here, not in a client."""

    enabled: bool
    running: bool
    push_state: Annotated[str, Meta(description="starting, idle, pushing, retrying or stopped.")]
    pull_state: Annotated[str, Meta(description="starting, online, retrying or snapshot.")]
    pending: Annotated[int, Meta(description="Events not yet acknowledged by the cloud.")]
    oldest_pending_age_s: float | None
    last_push_ok: str | None
    last_pull_ok: str | None
    last_error: str | None
    last_push_error: str | None
    last_pull_error: str | None
    last_reconciliation: str | None
    next_retry_s: float | None
    cursor: str | None
    config_version: int
    lock_held: Annotated[bool, Meta(description="Whether this process holds the sync lock.")]
    alert: Annotated[SyncAlert | None, Meta(description="Needs a person.")]
    skipped: Annotated[
        list[SkippedChange],
        Meta(description="Pulled changes this till could not use (the feed went on), newest last."),
    ]
    quarantined: Annotated[
        list[QuarantinedEvent],
        Meta(
            description="Events the cloud stored without applying them: check them in the backoffice."
        ),
    ]


class SyncRunResult(Wire):
    started: bool
    done: Annotated[
        bool | None, Meta(description="With ?wait=N: whether push and pull finished in time.")
    ]
    status: SyncStatusModel


async def _status(service: SyncService) -> SyncStatusModel:
    return convert(await service.describe(), SyncStatusModel)


async def sync_status(request: web.Request) -> web.Response:
    return model_response(await _status(request.app[SYNC]))


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
        started=True, done=done if wait > 0 else None, status=await _status(service)
    )
    return model_response(result, status=202 if wait <= 0 else 200)


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
