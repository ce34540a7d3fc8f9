"""HTTP routes of the print queue (local-api.md, Printing)."""

from __future__ import annotations

import re

import msgspec
from aiohttp import web

from bridge import keys
from bridge.api.errors import ApiError
from bridge.api.json_body import read_model
from bridge.api.responses import model_response as _json
from bridge.api.routing import RouteSpec
from bridge.api.security import PRINCIPAL
from bridge.auth.roles import Role
from bridge.printing import models
from bridge.printing.jobs import Job
from bridge.printing.queue import DrawerKickRefused, PrintQueueError

_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


def _job(job: Job, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    response = _json(models.JobResponse(job=models.JobView(**job.to_wire())), status)
    response.headers.update(headers or {})
    return response


def _api_error(exc: PrintQueueError) -> ApiError:
    details = {"job": exc.job.to_wire()} if exc.job is not None else {}
    headers: dict[str, str] = {}
    if isinstance(exc, DrawerKickRefused) and exc.retry_after_s is not None:
        headers["Retry-After"] = str(max(1, round(exc.retry_after_s + 0.49)))
        details["retry_after_s"] = round(exc.retry_after_s, 1)
    return ApiError(exc.status, exc.code, str(exc), details, headers=headers)


async def submit_job(request: web.Request) -> web.Response:
    app = request.app
    key = request.headers.get("Idempotency-Key")
    if key is not None and not _KEY.match(key):
        raise ApiError(
            400,
            "job.bad_idempotency_key",
            "Idempotency-Key must be 1-200 printable ASCII characters, e.g. a UUID.",
        )
    body = await read_model(
        request, models.PrintRequest, app[keys.CONFIG].settings.server.max_json_depth
    )
    try:
        job, created = await app[keys.PRINT_QUEUE].submit(
            request.match_info["printer_id"],
            body,
            key,
            request[PRINCIPAL],
            request.headers.get("Origin"),
        )
    except PrintQueueError as exc:
        raise _api_error(exc) from None
    return _job(job, 202, None if created else {"Idempotent-Replayed": "true"})


async def get_job(request: web.Request) -> web.Response:
    try:
        job = await request.app[keys.PRINT_QUEUE].get(request.match_info["job_id"])
    except PrintQueueError as exc:
        raise _api_error(exc) from None
    return _job(job)


async def list_jobs(request: web.Request) -> web.Response:
    app = request.app
    limit = app[keys.CONFIG].settings.printing.recent_jobs
    try:
        jobs = await app[keys.PRINT_QUEUE].recent(request.match_info["printer_id"], limit)
    except PrintQueueError as exc:
        raise _api_error(exc) from None
    return _json(models.JobList(jobs=[models.JobView(**job.to_wire()) for job in jobs]))


async def cancel_job(request: web.Request) -> web.Response:
    try:
        job = await request.app[keys.PRINT_QUEUE].cancel(request.match_info["job_id"])
    except PrintQueueError as exc:
        raise _api_error(exc) from None
    return _job(job)


async def reprint_job(request: web.Request) -> web.Response:
    try:
        job = await request.app[keys.PRINT_QUEUE].reprint(
            request.match_info["job_id"], request[PRINCIPAL]
        )
    except PrintQueueError as exc:
        raise _api_error(exc) from None
    return _job(job, 202)


async def test_print(request: web.Request) -> web.Response:
    try:
        job, preview = await request.app[keys.PRINT_QUEUE].test_print(
            request.match_info["printer_id"], request[PRINCIPAL]
        )
    except PrintQueueError as exc:
        raise _api_error(exc) from None
    view = models.JobView(**job.to_wire())
    return _json(models.TestPrintResponse(job=view, preview=preview), 202)


async def set_condition(request: web.Request) -> web.Response:
    app = request.app
    body = await read_model(
        request, models.ConditionRequest, app[keys.CONFIG].settings.server.max_json_depth
    )
    printer_id = request.match_info["printer_id"]
    try:
        status = app[keys.PRINT_QUEUE].set_condition(printer_id, **msgspec.structs.asdict(body))
    except PrintQueueError as exc:
        raise _api_error(exc) from None
    return _json(models.ConditionResponse(printer=printer_id, status=status))


def routes() -> list[RouteSpec]:
    T, C = Role.TECHNICIAN, Role.CASHIER
    return [
        RouteSpec(
            "POST",
            "/api/v1/printers/{printer_id}/jobs",
            submit_job,
            "Queue a receipt or raw job; a repeated Idempotency-Key returns the first job.",
            C,
            models.PrintRequest,
            models.JobResponse,
            status=202,
            errors=(400, 403, 404, 409, 422, 429),
            tag="printing",
        ),
        RouteSpec(
            "GET",
            "/api/v1/printers/{printer_id}/jobs",
            list_jobs,
            "Recent jobs of one printer, newest first.",
            C,
            response_model=models.JobList,
            errors=(404,),
            tag="printing",
        ),
        RouteSpec(
            "GET",
            "/api/v1/jobs/{job_id}",
            get_job,
            "One print job.",
            C,
            response_model=models.JobResponse,
            errors=(404,),
            tag="printing",
        ),
        RouteSpec(
            "POST",
            "/api/v1/jobs/{job_id}/cancel",
            cancel_job,
            "Cancel a queued or waiting job.",
            C,
            response_model=models.JobResponse,
            errors=(404, 409),
            tag="printing",
        ),
        RouteSpec(
            "POST",
            "/api/v1/jobs/{job_id}/reprint",
            reprint_job,
            "Print a failed (e.g. uncertain) job again, as a new job referring to it.",
            T,
            response_model=models.JobResponse,
            status=202,
            errors=(404, 409),
            tag="printing",
        ),
        RouteSpec(
            "POST",
            "/api/v1/printers/{printer_id}/test",
            test_print,
            "Print a test receipt in every script; returns the job and its text read back.",
            T,
            response_model=models.TestPrintResponse,
            status=202,
            errors=(404,),
            tag="printing",
        ),
        RouteSpec(
            "POST",
            "/api/v1/printers/{printer_id}/condition",
            set_condition,
            "Put a simulated printer out of paper, cover open or offline, and back.",
            T,
            models.ConditionRequest,
            models.ConditionResponse,
            errors=(404, 409, 503),
            tag="printing",
        ),
    ]
