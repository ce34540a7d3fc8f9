"""Serves the technician page, the JS client and the demo POS, with a strict Content-Security-Policy.

Files come from this package (no build step on the till). Only names of a fixed shape are served,
so no request can walk out of the package directory.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from importlib import resources

from aiohttp import web

from bridge import keys
from bridge.api.routing import RouteSpec

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
# The client is loaded by POS pages on other origins: CORS (added by the edge middleware for
# allowlisted origins only) and CORP let them; it holds no secrets.
CLIENT_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Resource-Policy": "cross-origin",
    "Cache-Control": "no-cache",
}
CONTENT_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".html": "text/html",
    ".ts": "text/plain",
}
_NAME = re.compile(r"^(?:[a-z0-9_-]+/)?[a-z0-9_-]+\.(?:js|css|html)$")


class PageAssets:
    """Every page file, read once at start-up off the event loop, so no request touches the disk."""

    FOLDERS = ("static", "client", "demo")

    def __init__(self) -> None:
        self._files: dict[str, bytes] = {}

    def load_blocking(self) -> None:
        root = resources.files("bridge.web")
        files: dict[str, bytes] = {}
        for folder in self.FOLDERS:
            pending = [(folder, root.joinpath(folder))]
            while pending:
                prefix, node = pending.pop()
                for entry in node.iterdir():
                    if entry.is_dir():
                        pending.append((f"{prefix}/{entry.name}", entry))
                    elif entry.is_file():
                        files[f"{prefix}/{entry.name}"] = entry.read_bytes()
        self._files = files

    def get(self, *parts: str) -> bytes | None:
        return self._files.get("/".join(parts))


PAGE_ASSETS = web.AppKey("page_assets", PageAssets)


async def page_assets_ctx(app: web.Application) -> AsyncIterator[None]:
    await asyncio.to_thread(app[PAGE_ASSETS].load_blocking)
    yield


def _file(request: web.Request, folder: str, name: str, headers: dict[str, str]) -> web.Response:
    if not _NAME.match(name):
        raise web.HTTPNotFound()
    body = request.app[PAGE_ASSETS].get(folder, *name.split("/"))
    if body is None:
        raise web.HTTPNotFound()
    suffix = name[name.rindex(".") :]
    return web.Response(
        body=body, content_type=CONTENT_TYPES[suffix], charset="utf-8", headers=headers
    )


async def index(request: web.Request) -> web.Response:
    return _file(request, "static", "index.html", SECURITY_HEADERS)


async def static(request: web.Request) -> web.Response:
    return _file(request, "static", request.match_info["name"], SECURITY_HEADERS)


async def client_js(request: web.Request) -> web.Response:
    return _file(request, "client", "client.js", CLIENT_HEADERS)


async def client_dts(request: web.Request) -> web.Response:
    body = request.app[PAGE_ASSETS].get("client", "client.d.ts")
    assert body is not None, "client.d.ts ships with the package"
    return web.Response(
        body=body, content_type="application/typescript", charset="utf-8", headers=CLIENT_HEADERS
    )


def _demo_enabled(request: web.Request) -> None:
    if not request.app[keys.CONFIG].settings.demo.enabled:
        raise web.HTTPNotFound()


async def demo_index(request: web.Request) -> web.Response:
    _demo_enabled(request)
    return _file(request, "demo", "index.html", SECURITY_HEADERS)


async def demo_file(request: web.Request) -> web.Response:
    _demo_enabled(request)
    return _file(request, "demo", request.match_info["name"], SECURITY_HEADERS)


async def demo_redirect(request: web.Request) -> web.Response:
    _demo_enabled(request)
    raise web.HTTPFound("/demo/")


def routes() -> list[RouteSpec]:
    def page(path: str, handler: object, summary: str) -> RouteSpec:
        return RouteSpec("GET", path, handler, summary, None, tag="pages", in_openapi=False)  # type: ignore[arg-type]

    return [
        page("/", index, "The technician page."),
        page("/static/{name:[a-z0-9_/.-]+}", static, "Technician page files."),
        page("/client.js", client_js, "The JS client (an ES module) for POS pages."),
        page("/client.d.ts", client_dts, "TypeScript declarations of the JS client."),
        page("/demo", demo_redirect, "The demo POS (when [demo] enabled)."),
        page("/demo/", demo_index, "The demo POS (when [demo] enabled)."),
        page("/demo/{name:[a-z0-9_/.-]+}", demo_file, "Demo POS files."),
    ]
