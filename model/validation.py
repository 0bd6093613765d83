"""Readable validation errors for the typed models (the function contract, the stack config).

pydantic reports each error as a location, a type and its own English ("Input should be greater
than or equal to 128"). Users read these at program start, so each one is rendered here as
`<path>=<value> is invalid: set <what the field accepts>`, where what the field accepts comes from
the model itself: its literal values, its numeric bounds, its description. Written by hand because
pydantic has no such renderer; everything it says is read from the models' field information.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import annotated_types
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

DICT_KEY = "[key]"  # pydantic's location step for a dict key that failed validation


@dataclass(frozen=True)
class _Place:
    """Where a location leads: the path users write, and what is expected there."""

    path: str
    annotation: Any
    field: FieldInfo | None


def describe(error: ValidationError, root: type[BaseModel]) -> list[str]:
    """One line per problem, in the order pydantic found them. Unknown keys of one object are
    grouped into one line; a list's "too short" is left out when one of its items is invalid (the
    item's own line says what to fix)."""
    details = error.errors(include_url=False)
    lines: list[str] = []
    unknown: dict[str, tuple[list[str], list[str]]] = {}
    for detail in details:
        loc = detail["loc"]
        if detail["type"] == "extra_forbidden":
            parent = _place(root, loc[:-1])
            keys, _ = unknown.setdefault(parent.path, ([], _keys(parent.annotation)))
            keys.append(str(loc[-1]))
        elif detail["type"] == "too_short" and any(
            len(d["loc"]) > len(loc) and d["loc"][: len(loc)] == loc for d in details
        ):
            continue
        else:
            lines.append(_line(_place(root, loc), detail))
    for path, (keys, allowed) in unknown.items():
        lines.append(f"{path or '(root)'} has unknown keys {sorted(keys)}: allowed keys are {', '.join(allowed)}")
    return lines


def _line(place: _Place, detail: ErrorDetails) -> str:
    kind, ctx = detail["type"], detail.get("ctx") or {}
    if kind == "value_error":
        # Our own cross-field rules: a model's message names its keys relative to the model, as
        # `key=value is invalid: ...`; the model's place goes in front.
        message = str(ctx["error"])
        return f"{place.path}.{message}" if place.path else message
    if kind == "union_tag_invalid":
        discriminator = str(ctx.get("discriminator", "type")).strip("'")
        expected = str(ctx.get("expected_tags", "")).replace("'", "")
        return f"{place.path}.{discriminator}={ctx.get('tag')!r} is invalid: set one of {expected}"
    if kind == "union_tag_not_found":
        discriminator = str(ctx.get("discriminator", "type")).strip("'")
        tags = ", ".join(str(_tag(m)) for m in typing.get_args(_unwrap(place.annotation)[0]))
        return f"{place.path} has no {discriminator}: set {discriminator} to one of {tags}"
    if kind == "missing":
        return f"{place.path} is not set: set {expectation(place.annotation, place.field)}"
    if kind == "too_short":
        return f"{place.path} is empty: set at least {ctx.get('min_length', 1)}"
    if detail["loc"][-1] == DICT_KEY:
        mapping = place.path.rsplit(".", 1)[0]
        return f"{mapping} has the key {detail['input']!r}, which is invalid: use {expectation(place.annotation, None)}"
    accepts = expectation(place.annotation, place.field)
    return f"{place.path}={detail['input']!r} is invalid: set {accepts if accepts else detail['msg']}"


def expectation(annotation: Any, field: FieldInfo | None) -> str:
    """What a value accepts, in words ("one of a, b", "a whole number from 1 to 900", "true or
    false") followed by its description in parentheses; a value without such constraints is
    described by its description alone (written to complete "set ..."). Empty when nothing is
    known."""
    annotation, metadata = _unwrap(annotation)
    if field is not None:
        metadata = [*metadata, *field.metadata, field]
    description = next((m.description for m in metadata if isinstance(m, FieldInfo) and m.description), None)
    accepts = None
    if typing.get_origin(annotation) is typing.Literal:
        accepts = "one of " + ", ".join(str(v) for v in typing.get_args(annotation))
    elif annotation is bool:
        accepts = "true or false"
    elif annotation is int:
        low = next((m.ge for m in metadata if isinstance(m, annotated_types.Ge)), None)
        high = next((m.le for m in metadata if isinstance(m, annotated_types.Le)), None)
        accepts = "a whole number" + (f" from {low} to {high}" if low is not None and high is not None else "")
    elif annotation is str and description is None:
        accepts = "a string"
    elif _is_model(annotation):
        accepts = "a table with the keys " + ", ".join(_keys(annotation))
    if accepts is None:
        return description or ""
    return f"{accepts} ({description})" if description else accepts


def _unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    """`Annotated[T, ...] | None` -> (T, the Annotated metadata)."""
    metadata: list[Any] = []
    while True:
        if typing.get_origin(annotation) is typing.Annotated:
            for item in annotation.__metadata__:
                # A Field(...) keeps its constraints (Ge, Le, ...) in its own metadata.
                metadata += [item, *item.metadata] if isinstance(item, FieldInfo) else [item]
            annotation = typing.get_args(annotation)[0]
        elif typing.get_origin(annotation) in (typing.Union, types.UnionType) and type(None) in typing.get_args(
            annotation
        ):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation, metadata
            annotation = members[0]
        else:
            return annotation, metadata


def _place(root: type[BaseModel], loc: Sequence[int | str]) -> _Place:
    """Follows a location through the models. pydantic puts the tag of a tagged union's member in
    locations (`stack.trigger.s3.bucket`) and marks a failed dict key with a `[key]` step after it;
    users write neither, so both are followed but left out of the path."""
    parts: list[str] = []
    field: FieldInfo | None = None
    current: Any = root
    for index, step in enumerate(loc):
        if step == DICT_KEY:
            continue
        current, _ = _unwrap(current)
        if field is not None and field.discriminator and _is_union(current):
            current = next((m for m in typing.get_args(current) if _tag(m) == step), None)
            field = None
            continue
        parts.append(str(step))
        if _is_model(current):
            field = _field(current, str(step))
            current = field.annotation if field is not None else None
        elif typing.get_origin(current) in (list, tuple):
            args = typing.get_args(current)
            current, field = (args[0] if args else None), None
        elif typing.get_origin(current) is dict:
            key_type, value_type = typing.get_args(current)
            failed_key = tuple(loc[index + 1 : index + 2]) == (DICT_KEY,)
            current, field = (key_type if failed_key else value_type), None
        else:
            current, field = None, None
    return _Place(".".join(parts), current, field)


def _keys(annotation: Any) -> list[str]:
    """The keys an object accepts (aliases, in declaration order), for "allowed keys are" lines."""
    model, _ = _unwrap(annotation)
    return [f.alias or name for name, f in model.model_fields.items()] if _is_model(model) else []


def _field(model: type[BaseModel], key: str) -> FieldInfo | None:
    return next((f for name, f in model.model_fields.items() if (f.alias or name) == key), None)


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType)


def _tag(model: Any) -> object:
    if not _is_model(model) or "type" not in model.model_fields:
        return None
    literal = model.model_fields["type"].annotation
    return typing.get_args(literal)[0] if typing.get_origin(literal) is typing.Literal else None
