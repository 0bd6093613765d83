"""The pre-traffic check: the new version is invoked before any traffic moves to it.

Every function answers the probe event `{"rustlambdaProbe": "<nonce>"}` the same way, from
`common::invocation::AnswerProbes`, without calling its handler: successfully, with the nonce, its
name and the version that answered. So the call has no side effect, returns no function error (it
moves none of the error alarms, which watch the alias's traffic anyway: a direct invoke of a version
counts under `Resource = <function>:<version>` only), and proves what matters here: the version
starts (its init ran: env settings read, SDK clients built), its runtime loop answers, and it is the
version asked for. A function the smoke test knows (release/smoke.py: http-api's health route,
lmi-worker's lookup) is also given the smoke test's event and check, which exercise its handler
without writing anything.

What fails the check: a function error of any type (Lambda's `Runtime.*` and `Sandbox.*` ones mean
it did not start or answer: init failed, the process exited, it timed out or ran out of memory), an
answer that is not the probe's, or an answer from another version.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from release import smoke

PROBE_KEY = "rustlambdaProbe"


class PreTrafficFailure(Exception):
    """The new version did not start or answer; the message says what Lambda reported."""


@dataclass(frozen=True)
class Probe:
    function: str
    version: str
    nonce: str
    function_error: str | None
    executed_version: str | None
    response: str


def probe_event(nonce: str) -> dict[str, str]:
    return {PROBE_KEY: nonce}


def invoke(lambda_client: Any, function: str, version: str) -> Probe:
    """Invokes `function:version` once with a probe event."""
    nonce = uuid.uuid4().hex
    answer = lambda_client.invoke(
        FunctionName=function,
        Qualifier=version,
        InvocationType="RequestResponse",
        Payload=json.dumps(probe_event(nonce)),
    )
    return Probe(
        function=function,
        version=version,
        nonce=nonce,
        function_error=answer.get("FunctionError"),
        executed_version=answer.get("ExecutedVersion"),
        response=answer["Payload"].read().decode("utf-8", "replace"),
    )


def check(probe: Probe) -> None:
    """Raises PreTrafficFailure unless the version answered the probe itself."""
    where = f"version {probe.version} of {probe.function}"
    try:
        body = json.loads(probe.response)
    except json.JSONDecodeError:
        body = None
    error = body if isinstance(body, dict) and "errorType" in body else None
    if probe.function_error is not None or error is not None:
        found = error or {"errorType": probe.function_error, "errorMessage": probe.response[:500]}
        raise PreTrafficFailure(
            f"{where} did not start or answer: {found.get('errorType')}: {found.get('errorMessage', '')}".rstrip(": ")
        )
    if body is None:
        raise PreTrafficFailure(f"{where} answered something that is not JSON: {probe.response[:500]!r}")
    if not isinstance(body, dict) or body.get("probe") != probe.nonce:
        raise PreTrafficFailure(
            f"{where} answered the probe with {probe.response[:500]!r}: rebuild it with the workspace's `common` "
            "(common::invocation answers the probe)"
        )
    answered = str(body.get("version") or probe.executed_version or "")
    if answered != probe.version:
        raise PreTrafficFailure(f"{where} was asked for, but version {answered} answered")


def check_version(lambda_client: Any, crate: str, function: str, version: str) -> None:
    """The probe, then the smoke test's check where it has one for `crate`."""
    check(invoke(lambda_client, function, version))
    if crate in smoke.CHECKS:
        try:
            smoke.invoke(lambda_client, crate, function, qualifier=version)
        except smoke.SmokeFailure as failure:
            raise PreTrafficFailure(f"version {version} of {function} failed the smoke test: {failure}") from None
