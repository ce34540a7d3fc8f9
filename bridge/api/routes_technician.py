"""Technician routes: PIN login and logout, re-detect a device, recent logs, the support bundle."""

from __future__ import annotations

import json
import platform
import re
import sqlite3
import sys
from datetime import UTC, datetime, timedelta
from importlib import metadata
from typing import Annotated, Any

from aiohttp import web

from bridge import __version__, keys
from bridge.api.errors import ApiError
from bridge.api.json_body import read_model
from bridge.api.responses import model_response
from bridge.api.routing import RouteSpec
from bridge.api.security import PRINCIPAL
from bridge.auth.pin import PinLocked
from bridge.auth.roles import Role
from bridge.config.loader import config_data
from bridge.wire import Meta, Wire

PIN_SOURCE = "pin"
SUPPORT_LOG_LINES = 500
_SECRET_KEY = re.compile(r"secret|token|password|passphrase|private|key|pin|credential", re.I)
_VERSIONED = (
    "aiohttp",
    "msgspec",
    "structlog",
    "aiosqlite",
    "python-escpos",
    "pyserial",
    "pyusb",
    "evdev",
)


class LoginRequest(Wire):
    pin: Annotated[
        str, Meta(min_length=1, max_length=64, description="The technician PIN (4-12 digits).")
    ]


class LoginResult(Wire, kw_only=True):
    token: Annotated[
        str, Meta(description="A technician token; keep it in sessionStorage, never a cookie.")
    ]
    role: str = "technician"
    expires_at: str | None


class LoggedOut(Wire):
    revoked: bool


class Redetect(Wire):
    device: str
    state: Annotated[str, Meta(description="The device's state when the retry was asked for.")]


class LogList(Wire):
    lines: Annotated[
        list[dict[str, Any]], Meta(description="Oldest first: time, level, logger, event, fields.")
    ]


async def login(request: web.Request) -> web.Response:
    app = request.app
    settings = app[keys.CONFIG].settings
    body = await read_model(request, LoginRequest, settings.server.max_json_depth)
    guard = app[keys.PIN_GUARD]
    async with guard.lock:
        try:
            guard.check()
            if not await app[keys.PINS].is_set():
                raise ApiError(
                    409,
                    "login.no_pin",
                    "No technician PIN is set on this till; run `tillbridge pin set` there, "
                    "or use the login link it prints at start.",
                )
            if not await app[keys.PINS].verify(body.pin):
                guard.failed()
                raise ApiError(401, "login.bad_pin", "Wrong PIN.")
        except PinLocked as exc:
            retry = max(1, round(exc.retry_after))
            raise ApiError(
                429,
                "login.locked",
                f"Too many wrong PINs; PIN login is locked for {retry} s.",
                {"retry_after_s": retry},
                headers={"Retry-After": str(retry)},
            ) from None
        guard.succeeded()
    issued = await app[keys.TOKENS].create(
        Role.TECHNICIAN,
        "technician PIN login",
        source=PIN_SOURCE,
        ttl=timedelta(seconds=settings.auth.technician_session_ttl_s),
    )
    result = LoginResult(token=issued.token, expires_at=issued.info.expires_at)
    return model_response(result, 201)


async def logout(request: web.Request) -> web.Response:
    revoked = await request.app[keys.TOKENS].revoke(request[PRINCIPAL].id)
    return model_response(LoggedOut(revoked=revoked))


async def redetect(request: web.Request) -> web.Response:
    device_id = request.match_info["device_id"]
    devices = request.app[keys.DEVICES]
    slot = devices.get(device_id)
    if slot is None:
        raise ApiError(404, "device.not_found", f"No device named {device_id!r} in the config.")
    if not devices.redetect(device_id):
        raise ApiError(
            409,
            "device.disabled",
            f"{device_id!r} is disabled ({slot.error['message'] if slot.error else slot.state}); "
            "fix its config section and restart tillbridge.",
        )
    return model_response(Redetect(device=device_id, state=slot.state))


async def logs(request: web.Request) -> web.Response:
    try:
        limit = int(request.query.get("limit", "200"))
    except ValueError:
        raise ApiError(400, "logs.bad_limit", "limit must be a whole number.") from None
    limit = max(1, min(limit, SUPPORT_LOG_LINES))
    lines = request.app[keys.LOG_RING].recent(limit)
    return model_response(LogList(lines=lines))


async def support_bundle(request: web.Request) -> web.Response:
    app = request.app
    loaded = app[keys.CONFIG]
    now = datetime.now(UTC)
    bundle = {
        "generated_at": now.isoformat(timespec="seconds"),
        "instance_id": app[keys.STORE].instance_id,
        "versions": _versions(),
        "config": {
            "source": str(loaded.source),
            "settings": mask_secrets(config_data(loaded.settings)),
        },
        "devices": [slot.describe() for slot in app[keys.DEVICES].slots()],
        "sync": await _sync_state(request),
        "logs": app[keys.LOG_RING].recent(SUPPORT_LOG_LINES),
    }
    name = f"tillbridge-support-{now.strftime('%Y%m%dT%H%M%SZ')}.json"
    return web.Response(
        text=json.dumps(bundle, indent=2, ensure_ascii=False, default=str),
        content_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def mask_secrets(value: Any, key: str = "") -> Any:
    """The config with every secret-looking value replaced, so a bundle can be mailed."""
    if isinstance(value, dict):
        return {k: mask_secrets(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_secrets(v, key) for v in value]
    if _SECRET_KEY.search(key) and value not in (None, "", [], {}) and not isinstance(value, bool):
        return "***"
    return value


def _versions() -> dict[str, str]:
    found = {
        "tillbridge": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
    }
    for name in _VERSIONED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


async def _sync_state(request: web.Request) -> dict[str, Any]:
    """What `GET /api/v1/sync` says, through its own handler, if this build has one."""
    for spec in request.app[keys.ROUTE_SPECS].values():
        if spec.method == "GET" and spec.path == "/api/v1/sync":
            try:
                response = await spec.handler(request)
                return json.loads(response.text or "{}")  # type: ignore[attr-defined]
            except Exception as exc:  # the bundle is most needed when things are broken
                return {"available": True, "error": f"{type(exc).__name__}: {exc}"}
    return {"available": False, "message": "sync is not part of this build"}


def routes() -> list[RouteSpec]:
    T, C = Role.TECHNICIAN, Role.CASHIER
    return [
        RouteSpec(
            "POST",
            "/api/v1/login",
            login,
            "Trade the technician PIN for a short-lived technician token (locks after wrong PINs).",
            None,
            LoginRequest,
            LoginResult,
            status=201,
            errors=(401, 409, 429),
            tag="auth",
        ),
        RouteSpec(
            "POST",
            "/api/v1/logout",
            logout,
            "Revoke the token this request carries.",
            C,
            response_model=LoggedOut,
            tag="auth",
        ),
        RouteSpec(
            "POST",
            "/api/v1/devices/{device_id}/redetect",
            redetect,
            "Retry opening a device now instead of at the end of its backoff.",
            T,
            response_model=Redetect,
            errors=(404, 409),
            tag="devices",
        ),
        RouteSpec(
            "GET",
            "/api/v1/logs",
            logs,
            "The last log lines kept in memory (?limit=, at most 500).",
            T,
            response_model=LogList,
            tag="diagnostics",
        ),
        RouteSpec(
            "GET",
            "/api/v1/support-bundle",
            support_bundle,
            "A JSON file for support: versions, config with secrets masked, devices, sync, logs.",
            T,
            tag="diagnostics",
        ),
    ]
