"""Pulumi's secret markers, kept for the policies to see.

The engine sends an analyzer every value that Pulumi tracks as secret wrapped in a marker
(`{"4dabf1...": "1b4706...", "value": ...}`): values from `config.require_secret`, secret outputs
of any provider (a RandomPassword's result, an RDS master password, a StackReference's secret
outputs) and everything computed from them, since secretness spreads through `apply`. pulumi-policy
removes the markers while it decodes an Analyze request, before any policy runs, and offers no
hook to keep them (its `proxy_secrets` mode serves remediations only, and hides the markers behind
proxies that also drop the unknown-value checks the policies rely on).

`install()` wraps the decoding step the SDK calls for validations: it rewrites each secret marker
into the same value with a marked type (`SecretStr`, a `str`; `SecretFloat`, a `float`) and then
runs the SDK's own decoding. Every policy keeps reading ordinary strings and numbers; a policy that
cares asks `is_secret(value)`. Booleans cannot be subclassed and stay unmarked (no check needs a
secret boolean). Remediations (`proxy_secrets=True`) keep the SDK's behaviour unchanged.

The same step also decodes each request's properties once instead of once per policy: the SDK runs
`MessageToDict`, `deserialize_properties` and `unknown_checking_proxy` on the same protobuf message
for every policy of the pack, which was two thirds of the pack's time at 20 policies. Results are
kept per thread (gRPC serves requests on a thread pool), keyed by the message object and holding a
reference to it, so that an id cannot be reused while its entry lives. Policies only read the
proxies (common.plain copies them), so sharing one proxy between policies is safe.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi_policy.deserialize as sdk_deserialize
import pulumi_policy.policy as sdk_policy
import pulumi_policy.proxy as sdk_proxy
from google.protobuf import json_format

from .id_cache import IdCache

SIGNATURE_KEY = sdk_deserialize.SPECIAL_SIG_KEY
SECRET_SIGNATURE = sdk_deserialize.SPECIAL_SECRET_SIG


class SecretStr(str):
    """A string value that Pulumi marks secret."""

    __slots__ = ()


class SecretFloat(float):
    """A number that Pulumi marks secret (numbers travel as floats on the wire)."""

    __slots__ = ()


def is_secret(value: object) -> bool:
    """Whether Pulumi marked this value (or the value it was part of) secret."""
    return isinstance(value, SecretStr | SecretFloat)


def _marked(value: Any) -> Any:
    """The value inside a secret marker, with every string and number in it marked."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return SecretStr(value)
    if isinstance(value, float | int):
        return SecretFloat(value)
    if isinstance(value, list):
        return [_marked(v) for v in value]
    if isinstance(value, dict):
        if value.get(SIGNATURE_KEY) == SECRET_SIGNATURE:
            return _marked(value.get("value"))
        return {k: _marked(v) for k, v in value.items()}
    return value


def _keep_markers(value: Any) -> Any:
    """A copy of wire-format properties with each secret marker replaced by its marked value."""
    if isinstance(value, list):
        return [_keep_markers(v) for v in value]
    if isinstance(value, dict):
        if value.get(SIGNATURE_KEY) == SECRET_SIGNATURE and "value" in value:
            return _marked(value["value"])
        return {k: _keep_markers(v) for k, v in value.items()}
    return value


_sdk_deserialize_properties: Callable[..., dict[str, Any]] = sdk_deserialize.deserialize_properties
_sdk_unknown_checking_proxy: Callable[[dict[str, Any]], Any] = sdk_proxy.unknown_checking_proxy
# Entries kept per thread before the cache starts over (an AnalyzeStack request decodes each of its
# resources once per stack policy).
MAX_CACHED = 4096


# Per thread: message -> its dict, dict -> decoded, decoded -> proxy.
_decoded = IdCache(MAX_CACHED)


class _JsonFormat:
    """Stands in for google.protobuf.json_format inside pulumi_policy.policy: MessageToDict of a
    message already converted on this thread returns the same dict."""

    def __getattr__(self, name: str) -> Any:
        return getattr(json_format, name)

    @staticmethod
    def MessageToDict(message: Any, **kwargs: Any) -> Any:  # json_format's own name
        if kwargs:
            return json_format.MessageToDict(message, **kwargs)
        cached = _decoded.get(message)
        return cached if cached is not None else _decoded.put(message, json_format.MessageToDict(message))


def deserialize_keeping_markers(props: dict[str, Any], proxy_secrets: bool = False) -> dict[str, Any]:
    """The SDK's `deserialize_properties`, with secret values marked instead of unwrapped (and done
    once per request's properties)."""
    if proxy_secrets:
        return _sdk_deserialize_properties(props, proxy_secrets)
    cached: dict[str, Any] | None = _decoded.get(props)
    if cached is None:
        cached = _decoded.put(props, _sdk_deserialize_properties(_keep_markers(props)))
    return cached


def unknown_checking_proxy_once(props: dict[str, Any]) -> Any:
    """The SDK's `unknown_checking_proxy`, built once per decoded properties."""
    cached = _decoded.get(props)
    return cached if cached is not None else _decoded.put(props, _sdk_unknown_checking_proxy(props))


def install() -> None:
    """Make pulumi-policy's Analyze and AnalyzeStack decode secret values as marked values.

    Fails loudly if the SDK no longer decodes through `deserialize_properties`, so that an SDK
    upgrade cannot silently turn the secret checks off."""
    current = getattr(sdk_policy, "deserialize_properties", None)
    if current is deserialize_keeping_markers:
        return
    if current is not _sdk_deserialize_properties:
        raise RuntimeError(
            "pulumi_policy.policy no longer decodes resource properties with pulumi_policy.deserialize."
            "deserialize_properties; the pack cannot see Pulumi's secret markers with this pulumi-policy version"
        )
    sdk_policy.deserialize_properties = deserialize_keeping_markers  # type: ignore[attr-defined]
    sdk_policy.unknown_checking_proxy = unknown_checking_proxy_once  # type: ignore[attr-defined]
    sdk_policy.json_format = _JsonFormat()  # type: ignore[attr-defined]
