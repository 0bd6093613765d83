"""The real program's plans (dev and prod, from offline.engine under the mock monitor) through the
pack, as `pulumi preview --policy-pack policies` would send them: Analyze per resource, then one
AnalyzeStack. They pass with no diagnostics, in a preview of a stack that does not exist yet (with the
real engine's unknowns: every check judged) and with every value known; a deliberately broken
variant fails on exactly what was broken."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from rustlambda_guardrails.secret_detection import find_secret

from offline.analyzer import Diagnostic, PolicyPackClient, registrations_to_resources
from tests.policies.resources import escape
from tests.program.plans import Plan, run_plan


def allowed(function: str, key: str) -> str:
    return f" If the value is no secret, list {key!r} under {function!r} in this policy's allowedKeys."


UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d"
SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270"


def analyze_plan(pack: PolicyPackClient, registrations: list[dict[str, Any]]) -> list[Diagnostic]:
    resources = registrations_to_resources(registrations)
    diagnostics: list[Diagnostic] = []
    for r in resources:
        diagnostics += pack.analyze(r.type, r.name, r.urn, r.properties, r.parent)
    return diagnostics + pack.analyze_stack(resources)


# `dev` and `prod` (every value known) are the session's plans (tests/conftest.py).


@pytest.fixture(scope="module")
def dev_new(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    return run_plan("dev", tmp_path_factory.mktemp("dev-new"), mode="preview", new_stack=True)


@pytest.fixture(scope="module")
def prod_new(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    return run_plan("prod", tmp_path_factory.mktemp("prod-new"), mode="preview", new_stack=True)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_program_passes(pack: PolicyPackClient, request: pytest.FixtureRequest, stack: str) -> None:
    plan: Plan = request.getfixturevalue(stack)
    assert len(plan.of_type("aws:lambda/function:Function")) == 5
    diagnostics = analyze_plan(pack, plan.registrations)
    assert [d for d in diagnostics if d.enforcement_level == "mandatory"] == []
    assert diagnostics == []  # no advisory notices either: every value is known


def unknown_inputs(plan: Plan) -> list[str]:
    """Names of the resources with an unknown value among their inputs."""
    return sorted({r["name"] for r in plan.registrations if UNKNOWN in json.dumps(r["inputs"])})


@pytest.mark.parametrize("stack", ["dev_new", "prod_new"])
def test_a_preview_of_a_new_stack_judges_every_check(
    pack: PolicyPackClient, request: pytest.FixtureRequest, stack: str
) -> None:
    """What a pull request's preview of a new stack (or of new functions) sees: outputs of resources
    being created are unknown, yet every check is judged, because the program builds every ARN,
    name and document from what a preview knows (names, account, region)."""
    plan: Plan = request.getfixturevalue(stack)
    assert len(plan.of_type("aws:lambda/function:Function")) == 5
    # The engine does model the unknowns: ARNs, URLs, versions, ids of the resources being created.
    assert "http-api-fn-live-alias" in unknown_inputs(plan)  # the alias's version is the new function's
    functions = {r["name"]: r["inputs"] for r in plan.of_type("aws:lambda/function:Function")}
    assert functions["s3-processor-fn-function"]["role"] == UNKNOWN
    diagnostics = analyze_plan(pack, plan.registrations)
    not_judged = [(d.policy_name, d.violation) for d in diagnostics if "can't run policy" in d.violation]
    assert not_judged == []
    assert diagnostics == []


def test_a_broken_variant_fails_on_exactly_what_was_broken(pack: PolicyPackClient, dev: Plan) -> None:
    registrations = copy.deepcopy(dev.registrations)
    http_api = next(r for r in registrations if r["name"] == "http-api-fn-function")
    inputs = http_api["inputs"]
    inputs["architectures"] = ["x86_64"]
    inputs["runtime"] = "python3.12"
    password = "hunter2-" + "xyz-7Qp2"
    inputs["environment"]["variables"]["DB_PASSWORD"] = password
    # A value from config.require_secret under an innocent name, as the engine sends it.
    inputs["environment"]["variables"]["UPSTREAM"] = {SECRET_SIGNATURE: SECRET_VALUE, "value": "bluehorse"}
    finding = find_secret("DB_PASSWORD", password)
    assert finding is not None

    name = "rustlambda-dev-http-api"
    diagnostics = analyze_plan(pack, registrations)
    assert {(d.policy_name, d.violation, d.enforcement_level) for d in diagnostics} == {
        (
            "lambda-function-runtime",
            f"Function {name} uses the runtime 'python3.12': set runtime to 'provided.al2023'.{escape(name)}",
            "mandatory",
        ),
        (
            "lambda-function-architecture",
            f"Function {name} has architectures ['x86_64']: set architectures to ['arm64'].{escape(name)}",
            "mandatory",
        ),
        (
            "lambda-function-no-secrets-in-env",
            f"Function {name}, environment.variables.DB_PASSWORD: {finding.reason}.{allowed(name, 'DB_PASSWORD')}",
            "mandatory",
        ),
        (
            "lambda-function-no-secrets-in-env",
            f"Function {name}, environment.variables.UPSTREAM: the value is marked secret (by Pulumi: "
            "config.require_secret, a secret output or an apply over one; or a NoEcho CloudFormation parameter), so "
            "it would sit in plain text in the function's configuration: store it in Secrets Manager and pass its ARN "
            f"in the env var instead.{allowed(name, 'UPSTREAM')}",
            "mandatory",
        ),
        # The telemetry extension's layer is built for arm64 only: x86_64 would mix architectures.
        (
            "lambda-function-layer-architecture",
            f"Function {name} runs on x86_64 but its layer rustlambda-dev-telemetry-extension (layers) is built for "
            f"['arm64'], so the function would mix architectures: use a layer built for x86_64.{escape(name)}",
            "mandatory",
        ),
        # The zip still holds the arm64 build: declaring x86_64 also mismatches the binary.
        (
            "lambda-function-code-architecture",
            f"The bootstrap of function {name} (build/lambda/http-api.zip) is built for arm64, but the function runs "
            "on x86_64: build it for x86_64-unknown-linux-gnu (or set architectures to match the binary)."
            + escape(name),
            "mandatory",
        ),
    }
    assert len(diagnostics) == 6
