"""JSON responses from wire models."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bridge.wire import encode_json


def model_response(model: Any, status: int = 200) -> web.Response:
    """The model (a Struct, or plain data) as JSON, encoded once by msgspec."""
    return web.Response(body=encode_json(model), status=status, content_type="application/json")
