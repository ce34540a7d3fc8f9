"""JSON responses from wire models."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel


def model_response(model: BaseModel, status: int = 200) -> web.Response:
    """The model as JSON, serialised once by pydantic."""
    return web.json_response(text=model.model_dump_json(), status=status)
