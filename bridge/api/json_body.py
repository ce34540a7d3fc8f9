"""Read a JSON body into a typed model: size, depth and shape checked, each with its own error."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from bridge.api.errors import ApiError

M = TypeVar("M", bound=BaseModel)


def json_depth(value: Any) -> int:
    """Nesting depth of parsed JSON, without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in node)
    return deepest


def parse_json(raw: bytes, max_depth: int) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(
            400, "body.not_utf8", f"The body is not UTF-8: {exc.reason} at byte {exc.start}."
        ) from None
    try:
        value = json.loads(text)
    except RecursionError:
        raise ApiError(
            400,
            "body.too_deep",
            f"JSON is nested deeper than {max_depth} levels.",
            {"max_depth": max_depth},
        ) from None
    except json.JSONDecodeError as exc:
        raise ApiError(
            400,
            "body.malformed_json",
            f"Malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}.",
            {"line": exc.lineno, "column": exc.colno},
        ) from None
    if json_depth(value) > max_depth:
        raise ApiError(
            400,
            "body.too_deep",
            f"JSON is nested deeper than {max_depth} levels.",
            {"max_depth": max_depth},
        )
    return value


def validation_details(exc: ValidationError) -> list[dict[str, Any]]:
    problems = []
    for error in exc.errors(include_url=False, include_input=False):
        problems.append(
            {
                "field": ".".join(str(part) for part in error["loc"]) or "<body>",
                "problem": error["msg"].removeprefix("Value error, "),
                "type": error["type"],
            }
        )
    return problems


async def read_model(request: web.Request, model: type[M], max_depth: int) -> M:
    """The body as ``model``: 415 if not JSON, 400 if malformed, 422 if the shape is wrong."""
    if request.content_type != "application/json":
        raise ApiError(
            415,
            "body.unsupported_type",
            f"Send the body as application/json, not {request.content_type or 'nothing'}.",
        )
    value = parse_json(await request.read(), max_depth)
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        problems = validation_details(exc)
        first = problems[0]
        raise ApiError(
            422,
            "body.invalid",
            f"{first['field']}: {first['problem']}"
            + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""),
            {"problems": problems},
        ) from None
