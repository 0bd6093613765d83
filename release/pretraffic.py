"""The pre-traffic check: the new version is invoked before any traffic moves to it.

A function the smoke test knows (release/smoke.py: http-api's health route, lmi-worker's lookup)
gets the smoke test's event and check. Any other gets an empty JSON object as its event: every
function of the workspace answers one with its structured error (an event it does not accept) and
does nothing else, so the call has no side effects and proves what matters here: the version
starts (its init ran: env settings read, SDK clients built) and its handler answers. What fails
the check is Lambda's own report that the runtime did not answer: an errorType of `Runtime.*` or
`Sandbox.*` (init failed, the process exited, it timed out, it ran out of memory) or a response
that is not JSON at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from release import smoke

PROBE_EVENT: dict[str, Any] = {}
# Lambda's error types for a runtime that did not answer: Runtime.ExitError, Runtime.InitError,
# Runtime.OutOfMemory, Sandbox.Timedout, ...
RUNTIME_ERROR_PREFIXES = ("Runtime.", "Sandbox.")


class PreTrafficFailure(Exception):
    """The new version did not start or answer; the message says what Lambda reported."""


@dataclass(frozen=True)
class Probe:
    function: str
    version: str
    response: str


def invoke(lambda_client: Any, function: str, version: str) -> Probe:
    """Invokes `function:version` once with the probe event."""
    answer = lambda_client.invoke(
        FunctionName=function, Qualifier=version, InvocationType="RequestResponse", Payload=json.dumps(PROBE_EVENT)
    )
    return Probe(function, version, answer["Payload"].read().decode("utf-8", "replace"))


def check_version(lambda_client: Any, crate: str, function: str, version: str) -> None:
    """The smoke test's check of `version` where it has one for `crate`, else the probe's."""
    if crate in smoke.CHECKS:
        try:
            smoke.invoke(lambda_client, crate, function, qualifier=version)
        except smoke.SmokeFailure as failure:
            raise PreTrafficFailure(f"version {version} of {function} failed the smoke test: {failure}") from None
        return
    check(invoke(lambda_client, function, version))


def check(probe: Probe) -> None:
    """Raises PreTrafficFailure unless the version's runtime answered."""
    where = f"version {probe.version} of {probe.function}"
    try:
        body = json.loads(probe.response)
    except json.JSONDecodeError:
        raise PreTrafficFailure(f"{where} answered something that is not JSON: {probe.response[:500]!r}") from None
    error_type = body.get("errorType") if isinstance(body, dict) else None
    if isinstance(error_type, str) and error_type.startswith(RUNTIME_ERROR_PREFIXES):
        message = body.get("errorMessage", "")
        raise PreTrafficFailure(f"{where} did not start or answer: {error_type}: {message}")
