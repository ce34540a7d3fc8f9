"""HTTP routes of the cash drawers (local-api.md, Cash drawer)."""

from __future__ import annotations

from typing import Annotated, Any

from aiohttp import web

from bridge import keys
from bridge.api.errors import ApiError
from bridge.api.json_body import read_model
from bridge.api.responses import model_response
from bridge.api.routing import RouteSpec
from bridge.api.security import PRINCIPAL
from bridge.auth.roles import Role
from bridge.drawers.service import DrawerRefused
from bridge.wire import Meta, Wire


class OpenRequest(Wire):
    reason: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=32,
            description="sale, refund, no_sale, float, ... ([drawers]).",
        ),
    ]
    document_id: (
        Annotated[str, Meta(max_length=64, description="The sale the drawer opens for.")] | None
    ) = None


class OpenResult(Wire):
    opened: bool
    drawer: str


class DrawerState(Wire):
    id: str
    open: Annotated[bool | None, Meta(description="null where the hardware cannot tell.")]
    online: bool
    driver: str
    open_for_s: Annotated[
        float | None, Meta(description="Seconds it has been open, as far as known.")
    ]
    status: dict[str, Any]


async def open_drawer(request: web.Request) -> web.Response:
    app = request.app
    body = await read_model(request, OpenRequest, app[keys.CONFIG].settings.server.max_json_depth)
    try:
        result = await app[keys.DRAWERS].open(
            request.match_info["drawer_id"],
            body.reason,
            body.document_id,
            request[PRINCIPAL],
            request.headers.get("Origin"),
        )
    except DrawerRefused as exc:
        refusal = exc.refusal
        headers = {}
        details: dict[str, Any] = {}
        if refusal.retry_after_s is not None:
            headers["Retry-After"] = str(max(1, round(refusal.retry_after_s + 0.49)))
            details["retry_after_s"] = round(refusal.retry_after_s, 1)
        raise ApiError(
            refusal.status, refusal.code, refusal.message, details, headers=headers
        ) from None
    return model_response(OpenResult(**result))


async def drawer_state(request: web.Request) -> web.Response:
    drawer_id = request.match_info["drawer_id"]
    try:
        state = await request.app[keys.DRAWERS].state(drawer_id)
    except LookupError:
        raise ApiError(404, "drawer.not_found", f"No drawer named {drawer_id!r}.") from None
    return model_response(DrawerState(**state))


def routes() -> list[RouteSpec]:
    return [
        RouteSpec(
            "POST",
            "/api/v1/drawers/{drawer_id}/open",
            open_drawer,
            "Open a cash drawer; policy-checked, rate-limited, and audited either way.",
            Role.CASHIER,
            OpenRequest,
            OpenResult,
            errors=(403, 404, 422, 429, 503),
            tag="drawers",
        ),
        RouteSpec(
            "GET",
            "/api/v1/drawers/{drawer_id}",
            drawer_state,
            "Whether the drawer is open (null where the hardware cannot tell).",
            Role.CASHIER,
            response_model=DrawerState,
            errors=(404,),
            tag="drawers",
        ),
    ]
