"""Typed wire models: msgspec Structs, validated strictly, with errors that name the field at fault.

Every boundary (API bodies and responses, config, sync messages, cloud answers) declares its shape as
a Struct subclass of :class:`Wire` (unknown keys refused) or :class:`Lenient` (unknown keys ignored,
for peers that may be newer than us), and goes through the four functions here, so decimals, times
and error paths are treated the same everywhere. msgspec rather than pydantic: the daemon's whole
model layer costs well under a megabyte and no start-up time, where pydantic's cost 15 MB and 0.4 s
(issue 3), and decoding a sale is several times cheaper per request (issue 6).

Constraints go in ``Annotated[T, Meta(...)]``; cross-field rules in ``__post_init__`` raising
ValueError, which msgspec reports at the struct's path. A class whose required fields follow
fields with defaults (its own or its base's) declares ``kw_only=True``: msgspec does not inherit
that option, while ``forbid_unknown_fields`` is inherited. Defaults of WireDecimal fields are plain
``Decimal``s. ``msgspec.structs.replace`` is the copy-with-changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar

import msgspec
from msgspec import Meta, field

from bridge.decimals import DECIMAL_PATTERN, WireDecimal, parse_decimal

__all__ = [
    "Lenient",
    "Meta",
    "Problem",
    "Wire",
    "WireError",
    "convert",
    "decode_json",
    "encode_json",
    "field",
    "json_text",
    "schema_hook",
    "sorted_json",
    "to_builtins",
]

T = TypeVar("T")


class Wire(msgspec.Struct, forbid_unknown_fields=True):
    """A message we define: a key we do not know is an error (a typo must not pass silently)."""


class Lenient(msgspec.Struct):
    """A message from a peer that may be newer than us: keys we do not know are ignored."""


# The three hooks follow msgspec's protocol: NotImplementedError means "not a type of mine", and
# msgspec turns it into its own unsupported-type error naming the field.
def dec_hook(type_: type, obj: Any) -> Any:
    if type_ is WireDecimal:
        return parse_decimal(obj, WireDecimal)
    raise NotImplementedError(f"no decoder for {type_!r}")


def enc_hook(obj: Any) -> Any:
    if isinstance(obj, Decimal):  # a WireDecimal built in code rather than decoded
        return str(obj)
    raise NotImplementedError(f"cannot encode {type(obj).__name__}")


def schema_hook(type_: type) -> dict[str, Any]:
    if type_ is WireDecimal:
        return {"type": "string", "pattern": DECIMAL_PATTERN, "examples": ["10.50"]}
    raise NotImplementedError(f"no JSON schema for {type_!r}")


@cache
def _decoder(type_: Any) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(type_, dec_hook=dec_hook)


_ENCODER = msgspec.json.Encoder(enc_hook=enc_hook, decimal_format="string")
_SORTED_ENCODER = msgspec.json.Encoder(enc_hook=enc_hook, decimal_format="string", order="sorted")


def decode_json(raw: bytes | str, type_: type[T] | Any) -> T:
    """JSON text straight into ``type_``; raises :class:`WireError` naming the field at fault."""
    try:
        return _decoder(type_).decode(raw)
    except msgspec.ValidationError as exc:
        raise WireError.of(exc) from None
    except msgspec.DecodeError as exc:
        raise WireError([Problem("<body>", f"malformed JSON: {exc}", "malformed")]) from None


def convert(obj: Any, type_: type[T] | Any, *, from_attributes: bool = False) -> T:
    """Already-parsed data (TOML, a JSON column, a dict built in code) into ``type_``."""
    try:
        return msgspec.convert(obj, type_, dec_hook=dec_hook, from_attributes=from_attributes)
    except msgspec.ValidationError as exc:
        raise WireError.of(exc) from None


def to_builtins(obj: Any) -> Any:
    """Dicts, lists, strings and numbers, as the JSON encoding would have them."""
    return msgspec.to_builtins(obj, enc_hook=enc_hook)


def encode_json(obj: Any) -> bytes:
    return _ENCODER.encode(obj)


def json_text(obj: Any) -> str:
    """Compact JSON as text, for a database column: what ``json.dumps(obj, ensure_ascii=False,
    separators=(",", ":"))`` writes, several times faster (documents and outbox payloads)."""
    return _ENCODER.encode(obj).decode()


def sorted_json(obj: Any) -> bytes:
    """Compact JSON with keys sorted, byte for byte ``json.dumps(obj, sort_keys=True,
    ensure_ascii=False, separators=(",", ":")).encode()`` for JSON-shaped data without floats
    (request digests; tests/bridge/documents/test_request_hash.py pins them)."""
    return _SORTED_ENCODER.encode(obj)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a message: the dotted path of the field, what is wrong, its kind."""

    field: str
    problem: str
    type: str  # "missing", "unknown_field" or "invalid"

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "problem": self.problem, "type": self.type}


class WireError(ValueError):
    """A message has the wrong shape; ``problems`` says where and how."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        first = problems[0]
        super().__init__(f"{first.field}: {first.problem}")

    @classmethod
    def of(cls, exc: msgspec.ValidationError) -> WireError:
        return cls([problem_of(str(exc))])


_AT = re.compile(r" - at (?P<key>`key` in )?`\$(?P<path>[^`]*)`$")
_NAMED = re.compile(r"^Object (?:missing required|contains unknown) field `(?P<name>[^`]*)`$")


def problem_of(text: str) -> Problem:
    """msgspec's "Expected `int`, got `str` - at `$.lines[0].quantity`" as a Problem."""
    message, path, in_key = text, "", False
    # A struct that checks nested data itself (a receipt's blocks) raises with the inner path and
    # msgspec appends the outer one: "... - at `$.blocks[0].size` - at `$.receipt`".
    while (match := _AT.search(message)) is not None:
        message, path = message[: match.start()], path + match["path"]
        in_key = in_key or bool(match["key"])
    # msgspec names list indexes but not dict keys: "[...]" is any key of a mapping, shown as "*"
    parts = [p for p in re.split(r"\.|\[(\d+|\.\.\.)\]", path) if p]
    parts = ["*" if p == "..." else p for p in parts]
    if in_key:  # a mapping's key is at fault, not its value
        message += " (as a key)"
    kind = "invalid"
    named = _NAMED.match(message)
    if named is not None:
        parts.append(named["name"])
        if message.startswith("Object missing"):
            kind, message = "missing", "a value is required"
        else:
            kind, message = "unknown_field", "no such field"
    return Problem(".".join(parts) or "<body>", message, kind)
