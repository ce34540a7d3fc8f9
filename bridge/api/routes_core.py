"""Health, devices, simulated scans, pairing and tokens."""

from __future__ import annotations

import time

from aiohttp import web

from bridge import __version__, keys
from bridge.api import models
from bridge.api.errors import ApiError
from bridge.api.json_body import read_model
from bridge.api.responses import model_response as json
from bridge.api.routing import RouteSpec
from bridge.api.security import PRINCIPAL
from bridge.auth.pairing import PairingLocked
from bridge.auth.roles import Role
from bridge.devices.manager import NotSimulated, UnknownDevice
from drivers.base import DeviceNotReady

STARTED = web.AppKey("started_monotonic", float)


async def health(request: web.Request) -> web.Response:
    app = request.app
    slots = app[keys.DEVICES].slots()
    return json(
        models.Health(
            version=__version__,
            instance_id=app[keys.STORE].instance_id,
            uptime_s=round(time.monotonic() - app[STARTED], 3),
            devices_online=sum(slot.online for slot in slots),
            devices_total=len(slots),
        )
    )


async def list_devices(request: web.Request) -> web.Response:
    slots = request.app[keys.DEVICES].slots()
    return json(models.DeviceList(devices=[models.DeviceInfo(**slot.describe()) for slot in slots]))


async def inject_scan(request: web.Request) -> web.Response:
    body = await read_model(
        request, models.ScanInjection, request.app[keys.CONFIG].settings.server.max_json_depth
    )
    device_id = request.match_info["device_id"]
    try:
        request.app[keys.DEVICES].simulate_scan(device_id, body.code, body.symbology)
    except UnknownDevice:
        raise ApiError(
            404, "scanner.not_found", f"No scanner named {device_id!r} in the config."
        ) from None
    except NotSimulated as exc:
        raise ApiError(
            409,
            "scanner.not_simulated",
            f"{device_id!r} is a real scanner ({exc}); scan with it instead.",
        ) from None
    except DeviceNotReady as exc:
        raise ApiError(503, exc.code, str(exc)) from None
    return json(models.ScanAccepted(device=device_id), status=202)


async def create_pairing_code(request: web.Request) -> web.Response:
    code, ttl = request.app[keys.PAIRING].issue()
    return json(models.PairingCode(code=code, expires_in_s=ttl), status=201)


async def claim_pairing(request: web.Request) -> web.Response:
    body = await read_model(
        request, models.PairingClaim, request.app[keys.CONFIG].settings.server.max_json_depth
    )
    try:
        ok = request.app[keys.PAIRING].redeem(body.code)
    except PairingLocked as exc:
        raise ApiError(
            429,
            "pairing.locked",
            "Too many wrong codes; pairing is locked. Wait, then ask the technician for a new code.",
            {"retry_after_s": round(exc.retry_after)},
            headers={"Retry-After": str(max(1, round(exc.retry_after)))},
        ) from None
    if not ok:
        raise ApiError(403, "pairing.bad_code", "That pairing code is wrong, used or expired.")
    issued = await request.app[keys.TOKENS].create(Role.CASHIER, body.name, source="pairing")
    return json(models.PairingResult(token=issued.token), status=201)


async def list_tokens(request: web.Request) -> web.Response:
    tokens = await request.app[keys.TOKENS].list()
    return json(
        models.TokenList(
            tokens=[
                models.TokenEntry(
                    id=t.id,
                    name=t.name,
                    role=t.role.value,
                    source=t.source,
                    created_at=t.created_at,
                    expires_at=t.expires_at,
                    revoked_at=t.revoked_at,
                    active=t.active,
                )
                for t in tokens
            ]
        )
    )


async def revoke_token(request: web.Request) -> web.Response:
    token_id = request.match_info["token_id"]
    if token_id == request[PRINCIPAL].id:
        raise ApiError(
            409, "token.self_revoke", "Revoke your own session by logging out, not here."
        )
    if not await request.app[keys.TOKENS].revoke(token_id):
        raise ApiError(404, "token.not_found", f"No live token with id {token_id!r}.")
    return json(models.Revoked(revoked=True))


def routes() -> list[RouteSpec]:
    T, C = Role.TECHNICIAN, Role.CASHIER
    return [
        RouteSpec(
            "GET",
            "/health",
            health,
            "Liveness and basic figures; no token needed.",
            None,
            response_model=models.Health,
            tag="health",
        ),
        RouteSpec(
            "GET",
            "/api/v1/devices",
            list_devices,
            "Every configured device and its state.",
            C,
            response_model=models.DeviceList,
            tag="devices",
        ),
        RouteSpec(
            "POST",
            "/api/v1/scanners/{device_id}/scans",
            inject_scan,
            "Inject a scan into a simulated scanner.",
            T,
            models.ScanInjection,
            models.ScanAccepted,
            status=202,
            errors=(404, 409, 503),
            tag="devices",
        ),
        RouteSpec(
            "POST",
            "/api/v1/pairing/codes",
            create_pairing_code,
            "Make a one-time pairing code for a POS.",
            T,
            None,
            models.PairingCode,
            status=201,
            tag="auth",
        ),
        RouteSpec(
            "POST",
            "/api/v1/pairing",
            claim_pairing,
            "Trade a pairing code for a cashier token.",
            None,
            models.PairingClaim,
            models.PairingResult,
            status=201,
            errors=(403, 429),
            tag="auth",
        ),
        RouteSpec(
            "GET",
            "/api/v1/tokens",
            list_tokens,
            "List API tokens (never their secrets).",
            T,
            response_model=models.TokenList,
            tag="auth",
        ),
        RouteSpec(
            "DELETE",
            "/api/v1/tokens/{token_id}",
            revoke_token,
            "Revoke a token.",
            T,
            response_model=models.Revoked,
            errors=(404, 409),
            tag="auth",
        ),
    ]
