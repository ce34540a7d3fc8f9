"""The OpenAPI document, generated from the route specs and their wire models (msgspec)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from bridge import __version__
from bridge.api.models import ErrorResponse
from bridge.api.routing import RouteSpec
from bridge.api.ws_hub import AuthFrame, SubscribeFrame
from bridge.config.models import Settings
from drivers.printer.receipt import BLOCK_TYPES

_ERROR_TEXT = {
    400: "Malformed request",
    401: "No or bad token",
    403: "Forbidden role or origin",
    404: "Not found",
    409: "Conflict",
    413: "Body too large",
    415: "Body is not JSON",
    422: "Valid JSON, wrong shape",
    429: "Rate limited",
    503: "Device unavailable",
}


def build_openapi(specs: list[RouteSpec]) -> dict[str, Any]:
    import msgspec

    from bridge.wire import schema_hook

    # The receipt's blocks are told apart by their main key, so Receipt refers to their schemas
    # by name (drivers.printer.receipt.OPENAPI_REF_TEMPLATE) and they are listed here.
    models: list[Any] = [ErrorResponse, Settings, AuthFrame, SubscribeFrame, *BLOCK_TYPES]
    for spec in specs:
        for model in (spec.request_model, spec.response_model):
            if model is not None and model not in models:
                models.append(model)
    refs, components = msgspec.json.schema_components(
        models, schema_hook=schema_hook, ref_template="#/components/schemas/{name}"
    )
    ref = dict(zip(models, refs, strict=True))
    paths: dict[str, dict[str, Any]] = {}
    for spec in specs:
        if not spec.in_openapi:
            continue
        op: dict[str, Any] = {"summary": spec.summary, "tags": [spec.tag], "responses": {}}
        if spec.role is not None:
            op["security"] = [{"bearer": []}]
            op["description"] = f"Role: {spec.role.value} or above."
        params = [part[1:-1] for part in spec.path.split("/") if part.startswith("{")]
        if params:
            op["parameters"] = [
                {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
                for p in params
            ]
        if spec.request_model is not None:
            op["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": ref[spec.request_model]}},
            }
        ok: dict[str, Any] = {"description": "OK"}
        if spec.response_model is not None:
            ok["content"] = {"application/json": {"schema": ref[spec.response_model]}}
        op["responses"][str(spec.status)] = ok
        codes = set(spec.errors)
        if spec.request_model is not None:
            codes |= {400, 413, 415, 422}
        if spec.role is not None:
            codes |= {401, 403}
        for code in sorted(codes):
            op["responses"][str(code)] = {
                "description": _ERROR_TEXT.get(code, "Error"),
                "content": {"application/json": {"schema": ref[ErrorResponse]}},
            }
        paths.setdefault(spec.path, {})[spec.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "tillbridge local API",
            "version": __version__,
            "description": "The till's hardware and offline store on 127.0.0.1. Events: WebSocket "
            "/api/v1/events (first frame AuthFrame, then SubscribeFrame). The config file's schema is "
            "the Settings component.",
        },
        "servers": [{"url": "http://127.0.0.1:7357"}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


class OpenApiDocument:
    """Built on first request: the schema machinery costs memory and start time few tills need."""

    def __init__(self, specs: list[RouteSpec]) -> None:
        self._specs = specs
        self._body: bytes | None = None

    def body(self) -> bytes:
        if self._body is None:
            self._body = json.dumps(build_openapi(self._specs), ensure_ascii=False).encode()
        return self._body


async def openapi_handler(request: web.Request) -> web.Response:
    return web.Response(body=request.app[OPENAPI_DOC].body(), content_type="application/json")


OPENAPI_DOC = web.AppKey("openapi_doc", OpenApiDocument)
