"""Read a JSON body into a typed model: size, depth and shape checked, each with its own error."""

from __future__ import annotations

import json
from typing import Any, NoReturn, TypeVar

import msgspec
from aiohttp import web

from bridge.api.errors import ApiError
from bridge.wire import WireError, convert

M = TypeVar("M")


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
        value = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        _explain_malformed(raw, max_depth)
    except RecursionError:
        raise _too_deep(max_depth) from None
    except UnicodeDecodeError as exc:
        raise ApiError(
            400, "body.not_utf8", f"The body is not UTF-8: {exc.reason} at byte {exc.start}."
        ) from None
    if json_depth(value) > max_depth:
        raise _too_deep(max_depth)
    return value


def _too_deep(max_depth: int) -> ApiError:
    return ApiError(
        400,
        "body.too_deep",
        f"JSON is nested deeper than {max_depth} levels.",
        {"max_depth": max_depth},
    )


def _explain_malformed(raw: bytes, max_depth: int) -> NoReturn:
    """The standard parser's line and column for a body msgspec refused (only on that path)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(
            400, "body.not_utf8", f"The body is not UTF-8: {exc.reason} at byte {exc.start}."
        ) from None
    try:
        json.loads(text)  # msgspec refused it, so this raises too (unless it holds a NaN)
    except RecursionError:
        raise _too_deep(max_depth) from None
    except json.JSONDecodeError as exc:
        raise ApiError(
            400,
            "body.malformed_json",
            f"Malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}.",
            {"line": exc.lineno, "column": exc.colno},
        ) from None
    raise ApiError(400, "body.malformed_json", "Malformed JSON (NaN and Infinity are not JSON).")


async def read_model(request: web.Request, model: type[M], max_depth: int) -> M:
    """The body as ``model``: 415 if not JSON, 400 if malformed, 422 if the shape is wrong."""
    if request.content_type != "application/json":
        raise ApiError(
            415,
            "body.unsupported_type",
            f"Send the body as application/json, not {request.content_type or 'nothing'}.",
        )
    value = parse_json(await request.read(), max_depth)
    return validate(value, model)


def validate(value: Any, model: type[M] | Any) -> M:
    """Parsed JSON as ``model``, or a 422 naming the field at fault."""
    try:
        return convert(value, model)
    except WireError as exc:
        raise invalid_body(exc) from None


def invalid_body(exc: WireError) -> ApiError:
    problems = [p.as_dict() for p in exc.problems]
    return ApiError(422, "body.invalid", str(exc), {"problems": problems})
