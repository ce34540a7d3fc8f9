"""The edge of the API: Host allowlist, Origin allowlist and CORS, bearer tokens, error rendering.

Every request passes the Host check first, including static files and the WebSocket upgrade,
so a DNS-rebound name never reaches a handler (security.md items 2-6, 8, 12).
"""

from __future__ import annotations

from collections.abc import Iterable

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler

from bridge.api.errors import HTTP_CODES, ApiError, error_response
from bridge.api.routing import RouteSpec
from bridge.auth.roles import Role
from bridge.auth.tokens import TokenInfo, TokenStore

log = structlog.get_logger(__name__)

PRINCIPAL = web.RequestKey("principal", TokenInfo)
ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
ALLOWED_HEADERS = "Authorization, Content-Type, Idempotency-Key"
PREFLIGHT_MAX_AGE = "600"


def local_port(request: web.Request) -> int | None:
    transport = request.transport
    if transport is None:
        return None
    sockname = transport.get_extra_info("sockname")
    return sockname[1] if sockname else None


def own_origins(port: int) -> frozenset[str]:
    return frozenset(
        {f"http://127.0.0.1:{port}", f"http://localhost:{port}", f"http://[::1]:{port}"}
    )


def allowed_hosts(port: int) -> frozenset[str]:
    return frozenset({f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"})


class OriginPolicy:
    """Which web origins may call the API, and which may open the events WebSocket."""

    def __init__(self, allowed: Iterable[str]) -> None:
        self.allowed = frozenset(allowed)

    def classify(self, origin: str | None, port: int) -> str:
        """'none' (not a browser), 'own' (our own page), 'listed', or 'foreign'."""
        if origin is None:
            return "none"
        if origin in own_origins(port):
            return "own"
        if origin in self.allowed:
            return "listed"
        return "foreign"


def edge_middleware(policy: OriginPolicy) -> web.middleware:  # type: ignore[valid-type]
    @web.middleware
    async def edge(request: web.Request, handler: Handler) -> web.StreamResponse:
        port = local_port(request)
        host = request.headers.get("Host")
        if port is None or host not in allowed_hosts(port):
            return error_response(
                403,
                "host.forbidden",
                "This API answers only to 127.0.0.1, localhost or [::1] with its own port.",
            )
        origin = request.headers.get("Origin")
        kind = policy.classify(origin, port)
        if kind == "foreign":
            return error_response(
                403,
                "origin.forbidden",
                f"Origin {origin} is not allowed; add it to server.allowed_origins on the till.",
            )
        if request.method == "OPTIONS" and origin is not None:
            response: web.StreamResponse = _preflight(request)
        else:
            response = await _render_errors(request, handler)
        if kind == "listed" and origin is not None and not response.prepared:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Vary"] = "Origin"
        return response

    return edge


def _preflight(request: web.Request) -> web.Response:
    headers = {
        "Access-Control-Allow-Methods": ALLOWED_METHODS,
        "Access-Control-Allow-Headers": ALLOWED_HEADERS,
        "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
    }
    if request.headers.get("Access-Control-Request-Private-Network", "").lower() == "true":
        headers["Access-Control-Allow-Private-Network"] = "true"
    return web.Response(status=204, headers=headers)


async def _render_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        return exc.response()
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code, message = HTTP_CODES.get(exc.status, (f"http.{exc.status}", exc.reason))
        return error_response(exc.status, code, message)
    except Exception:
        log.exception("api.unhandled_error", path=request.path, method=request.method)
        return error_response(500, "internal", "Something went wrong in the daemon; see its log.")


def auth_middleware(tokens: TokenStore, specs: dict[object, RouteSpec]) -> web.middleware:  # type: ignore[valid-type]
    @web.middleware
    async def auth(request: web.Request, handler: Handler) -> web.StreamResponse:
        spec = specs.get(request.match_info.route)
        if spec is None or spec.role is None:
            if (
                request.path.startswith("/api/")
                and spec is None
                and request.match_info.http_exception is None
            ):
                raise ApiError(401, "auth.missing_token", "Send Authorization: Bearer <token>.")
            return await handler(request)
        principal = await authenticate(tokens, request.headers.get("Authorization"))
        if not principal.role.allows(spec.role):
            raise ApiError(
                403,
                "auth.forbidden_role",
                f"This needs a {spec.role.value} token; yours is {principal.role.value}.",
                {"needed": spec.role.value, "have": principal.role.value},
            )
        request[PRINCIPAL] = principal
        return await handler(request)

    return auth


async def authenticate(tokens: TokenStore, header: str | None) -> TokenInfo:
    challenge = {"WWW-Authenticate": "Bearer"}
    if not header:
        raise ApiError(
            401, "auth.missing_token", "Send Authorization: Bearer <token>.", headers=challenge
        )
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise ApiError(
            401, "auth.bad_scheme", "Use Authorization: Bearer <token>.", headers=challenge
        )
    principal = await tokens.verify(value.strip())
    if principal is None:
        raise ApiError(
            401,
            "auth.invalid_token",
            "The token is unknown, revoked or expired; pair again or ask a technician for a new one.",
            headers=challenge,
        )
    return principal


def require_role(principal: TokenInfo, needed: Role) -> None:
    if not principal.role.allows(needed):
        raise ApiError(403, "auth.forbidden_role", f"This needs a {needed.value} token.")
