"""One line for a config validation error, in the terms of the file the user wrote.

pydantic locates an error in the validated model: list indexes where the user
wrote one mapping (`auth.jwt.0.audience` for `auth: {jwt: {audience: …}}`), the
transport tag of an upstream as a path segment, and "Unable to extract tag using
discriminator" when the tag's key is misspelt. Here the location is walked
through the raw data instead, unknown keys are named with the closest known key,
and a missing `transport:` points at the misspelt key that stood for it.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from authz_mcp.config.model import Config

Loc = tuple[int | str, ...]


def describe(error: ValidationError, data: Any, source: str) -> str:
    details = error.errors()
    # An unknown key explains the other errors it causes (a required key "missing", a tag
    # not found), so it is named first.
    details.sort(key=lambda detail: detail["type"] != "extra_forbidden")
    first = details[0]
    loc = tuple(first["loc"])
    where = written_path(loc, data)
    kind = first["type"]
    if kind == "extra_forbidden":
        return f"{source}: unknown key {where}{_suggestion(str(loc[-1]), allowed_keys(loc[:-1]))}"
    if kind == "union_tag_not_found":
        return f"{source}: {_missing_tag(loc, data, where)}"
    if kind == "union_tag_invalid":
        tags = _tags(loc)
        value = _at(data, loc)
        tag = value.get("transport") if isinstance(value, Mapping) else None
        return (
            f"{source}: {where}.transport: {tag!r} is not one of {', '.join(tags)}"
            f"{_suggestion(str(tag), tags)}"
        )
    if kind == "missing":
        parent = written_path(loc[:-1], data)
        return f"{source}: {parent}: missing key {loc[-1]!r}"
    return f"{source}: {where}: {_message(first)}"


def written_path(loc: Loc, data: Any) -> str:
    """`loc` as the user wrote it: indexes into what they wrote as a single mapping, and
    the transport tags pydantic inserts, are dropped."""
    parts: list[str] = []
    node = data
    for part in loc:
        written = not isinstance(part, int) or isinstance(node, list)
        if isinstance(node, Mapping) and part not in node and node.get("transport") == part:
            written = False
        if written:
            parts.append(str(part))
        node = _child(node, part)
    return ".".join(parts) or "<root>"


def allowed_keys(loc: Loc) -> list[str]:
    """The keys the model accepts at `loc` (a mapping's location in pydantic's terms)."""
    current: Any = Config
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return []
            current = field.annotation
        elif get_origin(current) in (tuple, list):
            current = get_args(current)[0]
        elif get_origin(current) in (dict, Mapping):
            current = get_args(current)[1]
        elif _members(current):
            chosen = [model for model in _members(current) if part in _tag_values(model)]
            if not chosen:
                return []
            current = chosen[0]
        else:
            return []
    models = _members(_unwrap(current))
    return sorted({key for model in models for key in model.model_fields})


def _missing_tag(loc: Loc, data: Any, where: str) -> str:
    value = _at(data, loc)
    known = allowed_keys(loc)
    if isinstance(value, Mapping):
        unknown = [str(key) for key in value if key not in known]
        if unknown:
            return f"unknown key {where}.{unknown[0]}{_suggestion(unknown[0], known)}"
    return f"{where}: missing key 'transport' (one of {', '.join(_tags(loc))})"


def _tags(loc: Loc) -> list[str]:
    """The transport tags accepted for the upstream at `loc`."""
    upstream_types = _members(_unwrap(get_args(Config.model_fields["upstreams"].annotation)[1]))
    return [tag for model in upstream_types for tag in _tag_values(model)]


def _tag_values(model: type[BaseModel]) -> tuple[str, ...]:
    field = model.model_fields.get("transport")
    if field is None or get_origin(field.annotation) is not Literal:
        return ()
    return tuple(str(value) for value in get_args(field.annotation))


def _members(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if get_origin(annotation) in (Union, types.UnionType):
        return [
            member
            for member in get_args(annotation)
            if isinstance(member, type) and issubclass(member, BaseModel)
        ]
    return []


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
            continue
        if origin in (Union, types.UnionType):
            members = [member for member in get_args(annotation) if member is not type(None)]
            if len(members) == 1:
                annotation = members[0]
                continue
        return annotation


def _at(data: Any, loc: Loc) -> Any:
    node = data
    for part in loc:
        node = _child(node, part)
    return node


def _child(node: Any, part: int | str) -> Any:
    if isinstance(part, int):
        if isinstance(node, list):
            return node[part] if 0 <= part < len(node) else None
        return node  # the one mapping written where a list is accepted
    if isinstance(node, Mapping):
        if part in node:
            return node[part]
        if node.get("transport") == part:
            return node  # the tag pydantic inserts after an upstream's name
    return None


def _suggestion(key: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _message(detail: ErrorDetails) -> str:
    message = detail["msg"]
    # pydantic prefixes messages from our own validators.
    return message.removeprefix("Value error, ")
