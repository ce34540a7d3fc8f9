"""Every error of a raw value against a Struct type, not just the first.

msgspec stops at the first problem, which is right for a request body but wrong for a config file:
a technician fixing a till wants the whole list at once (``tillbridge check-config``). So this
walks the type field by field: unknown keys, missing keys, and each present value converted on its
own (recursing into nested Structs, optional Structs and ``dict[str, Struct]``). A Struct whose
fields are all fine is then converted whole, which runs its ``__post_init__`` cross-field checks;
such a check about one field starts its message with ``"<field>: "`` and is reported at that field.
msgspec's wording ("Expected `int` <= 65535") becomes the expected form ("an integer <= 65535").
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal

import msgspec

from bridge.wire import WireError, convert

NOT_GIVEN: Any = msgspec.UNSET


@dataclass(frozen=True, slots=True)
class FieldIssue:
    """One problem: where (key path), what kind, the expected form, the value found, known keys."""

    path: tuple[str, ...]
    kind: Literal["unknown", "missing", "invalid"]
    expected: str = ""
    found: Any = NOT_GIVEN
    known: tuple[str, ...] = ()


def struct_issues(raw: Any, type_: Any, path: tuple[str, ...] = ()) -> list[FieldIssue]:
    """Every problem converting ``raw`` to ``type_``; empty when ``convert(raw, type_)`` succeeds."""
    struct = _struct_in(type_)
    if struct is not None and isinstance(raw, dict):
        issues = _fields(raw, struct, path)
    elif _is_dict_of_structs(type_) and isinstance(raw, dict):
        item_type = typing.get_args(_strip(type_))[1]
        issues = [
            i
            for key, item in raw.items()
            for i in struct_issues(item, item_type, (*path, str(key)))
        ]
    else:
        issues = []
    if issues:
        return issues
    try:
        convert(raw, type_)
    except WireError as exc:
        return [_issue(exc, raw, type_, struct, path)]
    return []


def _fields(
    raw: dict[str, Any], struct: type[msgspec.Struct], path: tuple[str, ...]
) -> list[FieldIssue]:
    fields = msgspec.structs.fields(struct)
    names = tuple(f.encode_name for f in fields)
    issues = [
        FieldIssue((*path, str(key)), "unknown", known=names) for key in raw if key not in names
    ]
    for f in fields:
        if f.encode_name in raw:
            issues.extend(struct_issues(raw[f.encode_name], f.type, (*path, f.encode_name)))
        elif f.required:
            issues.append(
                FieldIssue((*path, f.encode_name), "missing", "a value (this key is required)")
            )
    return issues


def _issue(
    exc: WireError, raw: Any, type_: Any, struct: type[msgspec.Struct] | None, path: tuple[str, ...]
) -> FieldIssue:
    problem = exc.problems[0]
    where = () if problem.field == "<body>" else tuple(problem.field.split("."))
    message = problem.problem
    if struct is not None and not where:  # a __post_init__ check, perhaps naming its field
        name, sep, rest = message.partition(": ")
        if sep and name in {f.encode_name for f in msgspec.structs.fields(struct)}:
            where, message = (name,), rest
    found = _value_at(raw, where)
    if problem.type == "missing":
        return FieldIssue((*path, *where), "missing", "a value (this key is required)")
    if problem.type == "unknown_field":
        return FieldIssue((*path, *where), "unknown")
    expected = _expected(message, _type_at(type_, where))
    return FieldIssue((*path, *where), "invalid", expected, found)


def _type_at(type_: Any, where: tuple[str, ...]) -> Any:
    """The declared type of the value at ``where`` inside a ``type_`` (None when unsure)."""
    for part in where:
        type_ = _strip(type_)
        struct = _struct_in(type_)
        args = typing.get_args(type_)
        if struct is not None:
            type_ = next(
                (f.type for f in msgspec.structs.fields(struct) if f.encode_name == part), None
            )
        elif typing.get_origin(type_) in (list, tuple, set, frozenset) and args:
            type_ = args[0]
        elif typing.get_origin(type_) is dict and len(args) == 2:
            type_ = args[1]
        else:
            return None
    return type_


def _value_at(raw: Any, where: tuple[str, ...]) -> Any:
    for part in where:
        if isinstance(raw, dict) and part in raw:
            raw = raw[part]
        elif isinstance(raw, list) and part.isdigit() and int(part) < len(raw):
            raw = raw[int(part)]
        else:
            return NOT_GIVEN
    return raw


_EXPECTED = re.compile(r"^Expected (?P<what>.*?)(?:, got `[^`]*`)?$", re.DOTALL)


def _expected(message: str, type_: Any) -> str:
    """msgspec's message as the expected form: "Expected `int` <= 65535" -> "int <= 65535"."""
    if message.startswith("Invalid enum value"):
        shown = [repr(choice) for choice in _choices(type_)]
        if not shown:
            return "one of the allowed values"
        return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"
    match = _EXPECTED.match(message)
    if match is None:  # a __post_init__ message, in its own words
        return message.removeprefix("expected ")
    return _TYPE_NAME.sub(
        lambda m: " or ".join(_named(t) for t in m[1].split(" | ")), match["what"]
    )


_TYPE_NAME = re.compile(r"`([^`]*)`")
_NAMES = {
    "int": "an integer",
    "float": "a number",
    "str": "a string",
    "bool": "true or false",
    "array": "a list",
    "object": "a table",
    "null": "nothing",
}


def _named(type_name: str) -> str:
    return _NAMES.get(type_name, type_name)


def _choices(type_: Any) -> list[Any]:
    """The values a Literal (or a union with Literals) allows."""
    type_ = _strip(type_)
    if typing.get_origin(type_) is Literal:
        return list(typing.get_args(type_))
    if typing.get_origin(type_) in (typing.Union, types.UnionType):
        return [c for arg in typing.get_args(type_) for c in _choices(arg)]
    return []


def _strip(type_: Any) -> Any:
    """``Annotated[T, Meta(...)]`` -> ``T``."""
    while typing.get_origin(type_) is typing.Annotated:
        type_ = typing.get_args(type_)[0]
    return type_


def _struct_in(type_: Any) -> type[msgspec.Struct] | None:
    """The Struct a value of ``type_`` is, if it is one: ``S``, ``S | None``, ``Annotated[S, ...]``."""
    type_ = _strip(type_)
    if isinstance(type_, type) and issubclass(type_, msgspec.Struct):
        return type_
    if typing.get_origin(type_) in (typing.Union, types.UnionType):
        structs = [s for s in map(_struct_in, typing.get_args(type_)) if s is not None]
        return structs[0] if len(structs) == 1 else None
    return None


def _is_dict_of_structs(type_: Any) -> bool:
    type_ = _strip(type_)
    args = typing.get_args(type_)
    return typing.get_origin(type_) is dict and len(args) == 2 and _struct_in(args[1]) is not None
