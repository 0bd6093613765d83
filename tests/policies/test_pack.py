"""The pack as the engine sees it: GetAnalyzerInfo, and Configure (enforcement levels, config)."""

from __future__ import annotations

from pathlib import Path

import pytest

from offline.analyzer import PolicyPackClient, PolicyPackError
from tests.policies.resources import FUNCTION, function, run

POLICIES = {
    "lambda-function-runtime": "resource",
    "lambda-function-architecture": "resource",
    "lambda-function-code-architecture": "resource",
    "lambda-capacity-provider-architecture": "resource",
    "lambda-permission-source-arn": "resource",
    "lambda-function-url-auth": "resource",
    "lambda-event-source-mapping-batch-failures": "resource",
    "lambda-function-no-secrets-in-env": "resource",
    "lambda-function-secret-provenance": "stack",
    "iam-policy-no-wildcard-actions": "resource",
    "iam-role-no-admin-policies": "resource",
    "logs-log-group-retention": "resource",
}
RUNTIME = "lambda-function-runtime"
PYTHON_RUNTIME = "Function rustlambda-dev-http-api uses the runtime 'python3.12': set runtime to 'provided.al2023'."


def test_info_lists_every_policy_with_its_level(pack: PolicyPackClient) -> None:
    info = pack.info()
    assert info.name == "rustlambda-guardrails"
    assert {p.name: (p.policy_type, p.enforcement_level) for p in info.policies} == {
        name: (kind, "mandatory") for name, kind in POLICIES.items()
    }
    assert [p.name for p in info.policies if not p.description.startswith("Checks whether")] == []


def test_info_lists_config_defaults(pack: PolicyPackClient) -> None:
    defaults = {
        p.name: {key: schema["default"] for key, schema in p.config_schema.items()}
        for p in pack.info().policies
        if p.config_schema
    }
    assert defaults == {
        "lambda-function-runtime": {"allowedRuntimes": ["provided.al2023"]},
        "lambda-function-code-architecture": {"projectDir": ""},
        "lambda-function-url-auth": {"allowedPublicFunctions": []},
        "lambda-function-no-secrets-in-env": {"allowedKeys": []},
        "lambda-function-secret-provenance": {"additionalSecretTypes": []},
        "iam-role-no-admin-policies": {"deniedManagedPolicies": ["AdministratorAccess", "PowerUserAccess"]},
        "logs-log-group-retention": {"logGroupPrefixes": ["/aws/lambda/"]},
    }


def test_enforcement_levels_are_configurable(pack: PolicyPackClient, archives: dict[str, Path]) -> None:
    props = function(archives["arm64"])
    props["runtime"] = "python3.12"
    assert run(pack, FUNCTION, "fn", props) == [(RUNTIME, PYTHON_RUNTIME, "mandatory")]
    try:
        pack.configure({RUNTIME: {"enforcementLevel": "disabled"}})
        assert run(pack, FUNCTION, "fn", props) == []
        pack.configure({RUNTIME: {"enforcementLevel": "advisory"}})
        assert run(pack, FUNCTION, "fn", props) == [(RUNTIME, PYTHON_RUNTIME, "advisory")]
        # Config without a level keeps the policy's default level.
        pack.configure({RUNTIME: {"allowedRuntimes": ["provided.al2023", "provided.al2"]}})
        props["runtime"] = "provided.al2"
        assert run(pack, FUNCTION, "fn", props) == []
        props["runtime"] = "python3.12"
        assert run(pack, FUNCTION, "fn", props) == [
            (
                RUNTIME,
                "Function rustlambda-dev-http-api uses the runtime 'python3.12': "
                "set runtime to one of 'provided.al2023', 'provided.al2'.",
                "mandatory",
            )
        ]
    finally:
        pack.configure({})


def test_configuring_an_unknown_policy_fails(pack: PolicyPackClient) -> None:
    with pytest.raises(PolicyPackError, match="the pack has no policy 'lambda-function-runtimes'"):
        pack.configure({"lambda-function-runtimes": {"enforcementLevel": "disabled"}})
