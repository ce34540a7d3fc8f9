"""Serves the technician page and its static files with a strict Content-Security-Policy."""

from __future__ import annotations

from importlib import resources

from aiohttp import web

from bridge.api.routing import RouteSpec

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws://127.0.0.1:* ws://localhost:* ws://[::1]:*; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
STATIC_FILES = {"app.js": "text/javascript", "style.css": "text/css"}


def _asset(name: str) -> bytes:
    return resources.files("bridge.web").joinpath("static", name).read_bytes()


async def index(request: web.Request) -> web.Response:
    return web.Response(
        body=_asset("index.html"),
        content_type="text/html",
        charset="utf-8",
        headers=SECURITY_HEADERS,
    )


async def static(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in STATIC_FILES:
        raise web.HTTPNotFound()
    return web.Response(
        body=_asset(name),
        content_type=STATIC_FILES[name],
        charset="utf-8",
        headers=SECURITY_HEADERS,
    )


def routes() -> list[RouteSpec]:
    return [
        RouteSpec("GET", "/", index, "The technician page.", None, tag="pages", in_openapi=False),
        RouteSpec(
            "GET",
            "/static/{name}",
            static,
            "Technician page files.",
            None,
            tag="pages",
            in_openapi=False,
        ),
    ]
