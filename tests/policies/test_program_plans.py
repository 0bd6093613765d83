"""The real program's plans (dev and prod, from offline.engine under the mock monitor) through the
pack, as `pulumi preview --policy-pack policies` would send them: Analyze per resource, then one
AnalyzeStack. They pass with no diagnostics; a deliberately broken variant fails on exactly what was
broken."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from rustlambda_guardrails.secret_detection import find_secret

from offline.analyzer import Diagnostic, PolicyPackClient, registrations_to_resources
from tests.program.plans import Plan, run_plan

SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d"
SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270"


def analyze_plan(pack: PolicyPackClient, registrations: list[dict[str, Any]]) -> list[Diagnostic]:
    resources = registrations_to_resources(registrations)
    diagnostics: list[Diagnostic] = []
    for r in resources:
        diagnostics += pack.analyze(r.type, r.name, r.urn, r.properties, r.parent)
    return diagnostics + pack.analyze_stack(resources)


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    return run_plan("dev", tmp_path_factory.mktemp("dev"))


@pytest.fixture(scope="module")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    return run_plan("prod", tmp_path_factory.mktemp("prod"))


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_program_passes(pack: PolicyPackClient, request: pytest.FixtureRequest, stack: str) -> None:
    plan: Plan = request.getfixturevalue(stack)
    assert len(plan.of_type("aws:lambda/function:Function")) == 5
    diagnostics = analyze_plan(pack, plan.registrations)
    assert [d for d in diagnostics if d.enforcement_level == "mandatory"] == []
    assert diagnostics == []  # no advisory notices either: under the mocks every value is known


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
            f"Function {name} uses the runtime 'python3.12': set runtime to 'provided.al2023'.",
            "mandatory",
        ),
        (
            "lambda-function-architecture",
            f"Function {name} has architectures ['x86_64']: set architectures to ['arm64'].",
            "mandatory",
        ),
        (
            "lambda-function-no-secrets-in-env",
            f"Function {name}, environment.variables.DB_PASSWORD: {finding.reason}.",
            "mandatory",
        ),
        (
            "lambda-function-no-secrets-in-env",
            f"Function {name}, environment.variables.UPSTREAM: the value is marked secret (by Pulumi: "
            "config.require_secret, a secret output or an apply over one; or a NoEcho CloudFormation parameter), so "
            "it would sit in plain text in the function's configuration: store it in Secrets Manager and pass its ARN "
            "in the env var instead.",
            "mandatory",
        ),
        # The telemetry extension's layer is built for arm64 only: x86_64 would mix architectures.
        (
            "lambda-function-layer-architecture",
            f"Function {name} runs on x86_64 but its layer rustlambda-dev-telemetry-extension (layers) is built for "
            "['arm64'], so the function would mix architectures: use a layer built for x86_64.",
            "mandatory",
        ),
        # The zip still holds the arm64 build: declaring x86_64 also mismatches the binary.
        (
            "lambda-function-code-architecture",
            f"The bootstrap of function {name} (build/lambda/http-api.zip) is built for arm64, but the function runs "
            "on x86_64: build it for x86_64-unknown-linux-gnu (or set architectures to match the binary).",
            "mandatory",
        ),
    }
    assert len(diagnostics) == 6
