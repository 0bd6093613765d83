"""Helpers the policy modules share: plain copies of a resource's properties that keep unknown
values visible, deferring a judgement to the update, and wording for messages.

pulumi-policy hands a policy its properties behind a proxy that raises `UnknownValueError` as soon
as an unknown value (an output of a resource not yet created, at preview) is read. The pack then
reports the policy, at advisory level, as "can't run policy ... during preview". Policies here read
`plain(args.props)` instead: unknowns stay in place as their sentinel strings, so a policy judges
everything that is known, reports those violations, and only then defers what it could not judge
with `judged_at_update` (the same advisory diagnostic, with a message saying what is deferred).
At update every value is known and the policy runs in full.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NoReturn

from pulumi_policy import PolicyConfigSchema, ResourceValidationArgs
from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
    _DictProxy,
)

from .id_cache import IdCache

UNKNOWNS = frozenset(
    {
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_STRING_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_OBJECT_VALUE,
    }
)


def is_unknown(value: object) -> bool:
    return isinstance(value, str) and value in UNKNOWNS


def contains_unknown(value: object) -> bool:
    """Whether an unknown sentinel is the value, sits anywhere inside it, or inside a string of it
    (a JSON document rendered from unknown parts)."""
    if isinstance(value, str):
        return any(sentinel in value for sentinel in UNKNOWNS)
    if isinstance(value, Mapping):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, Sequence):
        return any(contains_unknown(v) for v in value)
    return False


# Per thread, the plain copy of the last proxies copied: every policy of the pack copies the same
# request's properties (one proxy per request, secret_markers), so the copy is made once.
_copies = IdCache(max_entries=4096)


def plain(value: Any) -> Any:
    """A copy of pulumi-policy's proxied properties as plain dicts and lists, with each unknown value
    kept as its sentinel string instead of raised. Other values (archives, assets) pass through.
    The copy of a proxy is shared by the policies that ask for it: treat it as read-only."""
    if isinstance(value, _DictProxy):
        cached = _copies.get(value)
        return cached if cached is not None else _copies.put(value, _plain(value))
    return _plain(value)


def _plain(value: Any) -> Any:
    if isinstance(value, str | bytes):
        return value
    if isinstance(value, Mapping):
        result: dict[str, Any] = {}
        for key in value:
            try:
                item = value[key]
            except UnknownValueError as e:
                item = e.unknown_type_sentinel
            result[key] = plain(item)
        return result
    if isinstance(value, Sequence):
        items: list[Any] = []
        for index in range(len(value)):
            try:
                item = value[index]
            except UnknownValueError as e:
                item = e.unknown_type_sentinel
            items.append(plain(item))
        return items
    return value


# Why a value is unknown, and how a program gets it judged in the preview instead.
UNKNOWN_AT_PREVIEW = (
    "(unknown during preview: an output of a resource being created; built from names, the account and the "
    "region, which a preview knows, it would be judged in the preview)"
)


def judged_at_update(what: str) -> NoReturn:
    """Defers the rest of a policy's judgement: the pack reports it as an advisory diagnostic ("can't
    run policy ... during preview: <what> ..."), never as a pass, and the engine runs the policy again
    at update with every value known."""
    error = UnknownValueError(UNKNOWN_STRING_VALUE, [])
    error.message = f"{what} can only be judged at update {UNKNOWN_AT_PREVIEW}"
    raise error


def not_applicable(args: ResourceValidationArgs, reason: str) -> NoReturn:
    """Marks the policy as not applicable to this resource (the pack reports it with the reason)."""
    args.not_applicable(reason)
    raise AssertionError("ResourceValidationArgs.not_applicable returns only by raising")


def quoted(values: Iterable[object]) -> str:
    """['a', 'b'] -> "'a', 'b'" (for messages)."""
    return ", ".join(repr(v) for v in values)


def one_of(values: Sequence[object]) -> str:
    """For "set X to ..." messages: "'a'" for one value, "one of 'a', 'b'" for several."""
    return repr(values[0]) if len(values) == 1 else f"one of {quoted(values)}"


def string_list(value: Any) -> list[str]:
    """A config or property value that should be a list of strings (a lone string counts as one)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def string_list_property(default: Sequence[str], description: str) -> dict[str, Any]:
    """A config property that is a list of strings."""
    return {"type": "array", "items": {"type": "string"}, "default": list(default), "description": description}


def string_list_config(key: str, default: Sequence[str], description: str) -> PolicyConfigSchema:
    """The config schema of a policy whose one setting, `key`, is a list of strings."""
    return PolicyConfigSchema(properties={key: string_list_property(default, description)})


# --- exemptions -------------------------------------------------------------------------------------
#
# Every check is mandatory by default; the escape names the resource it exempts (its Pulumi resource
# name, its URN, or its AWS name), never a switch that turns the check off for every resource.

EXEMPT_KEY = "exemptResources"
EXEMPT_PROPERTY = {
    "type": "array",
    "items": {"type": "string"},
    "default": [],
    "description": (
        "Resources this policy does not judge, each by its Pulumi resource name, URN or AWS name "
        "(say why next to each entry in your policy config)."
    ),
}


def exempt_config(**extra: dict[str, Any]) -> PolicyConfigSchema:
    """The config schema of a policy whose escape is `exemptResources` (plus any `extra` properties)."""
    return PolicyConfigSchema(properties={EXEMPT_KEY: EXEMPT_PROPERTY, **extra})


def is_exempt(config: Mapping[str, Any], *names: object) -> bool:
    """Whether one of a resource's names (resource name, URN, AWS name) is listed in exemptResources."""
    listed = set(string_list(config.get(EXEMPT_KEY)))
    return any(isinstance(n, str) and n in listed for n in names)


def escape(name: str, key: str = EXEMPT_KEY) -> str:
    """The end of a violation message: the escape that exempts this one resource."""
    return f" If it is intended, add {name!r} to this policy's {key}."
