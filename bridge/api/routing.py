"""Route specs: one declaration feeds the router, the auth middleware and the OpenAPI document."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bridge.auth.roles import Role

#: A wire model class (a msgspec Struct) or a union of them, e.g. the document types.
Model = Any

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class RouteSpec:
    method: str
    path: str
    handler: Handler
    summary: str
    role: (
        Role | None
    )  # None: no bearer token (health, pages, pairing claim, WebSocket auths in-band)
    request_model: Model | None = None
    response_model: Model | None = None
    status: int = 200
    errors: tuple[int, ...] = field(default=())
    tag: str = "api"
    in_openapi: bool = True
