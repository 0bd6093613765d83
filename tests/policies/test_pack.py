"""The pack as the engine sees it: GetAnalyzerInfo, and Configure (enforcement levels, config)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from offline.analyzer import REPO_ROOT, PolicyPackClient, PolicyPackError
from tests.policies.resources import FUNCTION, function, run

POLICIES = {
    "lambda-function-runtime": "resource",
    "lambda-function-architecture": "resource",
    "lambda-function-package-type": "resource",
    "lambda-function-code-architecture": "resource",
    "lambda-capacity-provider-architecture": "resource",
    "lambda-permission-source-arn": "resource",
    "lambda-permission-public-invoke": "resource",
    "lambda-function-url-auth": "resource",
    "lambda-event-source-mapping-batch-failures": "resource",
    "lambda-layer-compatibility": "resource",
    "lambda-archive-no-credential-files": "resource",
    "lambda-function-no-secrets-in-env": "resource",
    "config-no-plaintext-secrets": "resource",
    "iam-policy-no-wildcard-actions": "resource",
    "iam-policy-resource-scope": "resource",
    "iam-policy-privilege-escalation": "resource",
    "iam-principal-no-admin-policies": "resource",
    "iam-resource-policy-no-public-principal": "resource",
    "iam-role-federated-trust": "resource",
    "logs-log-group-retention": "resource",
    "cloudformation-template-resources": "resource",
    "lambda-function-secret-provenance": "stack",
    "iam-principal-privilege-escalation": "stack",
    "lambda-function-layer-architecture": "stack",
    "logs-function-log-group-retention": "stack",
}
RUNTIME = "lambda-function-runtime"
PYTHON_RUNTIME = (
    "Function rustlambda-dev-http-api uses the runtime 'python3.12': set runtime to 'provided.al2023'."
    " If it is intended, add 'rustlambda-dev-http-api' to this policy's exemptResources."
)


def test_info_lists_every_policy_with_its_level(pack: PolicyPackClient) -> None:
    info = pack.info()
    assert info.name == "rustlambda-guardrails"
    # The pack's own version (PulumiPolicy.yaml's), not pulumi-policy's default 0.0.1.
    assert info.version == yaml.safe_load((REPO_ROOT / "policies" / "PulumiPolicy.yaml").read_text())["version"]
    assert info.version != "0.0.1"
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
    exempt: dict[str, list[str]] = {"exemptResources": []}
    assert defaults == {
        "lambda-function-runtime": {**exempt, "allowedRuntimes": ["provided.al2023"]},
        "lambda-function-architecture": exempt,
        "lambda-function-package-type": exempt,
        "lambda-function-code-architecture": {**exempt, "projectDir": ""},
        "lambda-capacity-provider-architecture": exempt,
        "lambda-permission-source-arn": exempt,
        "lambda-permission-public-invoke": {**exempt, "allowedPublicFunctions": []},
        "lambda-function-url-auth": {"allowedPublicFunctions": []},
        "lambda-event-source-mapping-batch-failures": exempt,
        "lambda-layer-compatibility": {**exempt, "allowedRuntimes": ["provided.al2023"]},
        "lambda-archive-no-credential-files": {**exempt, "projectDir": ""},
        "lambda-function-no-secrets-in-env": {"allowedKeys": {}},
        "config-no-plaintext-secrets": exempt,
        "iam-policy-no-wildcard-actions": exempt,
        "iam-policy-resource-scope": exempt,
        "iam-policy-privilege-escalation": exempt,
        "iam-principal-no-admin-policies": {**exempt, "additionalDeniedPolicies": []},
        "iam-resource-policy-no-public-principal": exempt,
        "iam-role-federated-trust": exempt,
        "logs-log-group-retention": {**exempt, "logGroupPrefixes": ["/aws/lambda/"]},
        "cloudformation-template-resources": exempt,
        "lambda-function-secret-provenance": {**exempt, "additionalSecretTypes": []},
        "iam-principal-privilege-escalation": exempt,
        "lambda-function-layer-architecture": exempt,
        "logs-function-log-group-retention": exempt,
    }


def test_every_policy_says_how_to_fix(pack: PolicyPackClient) -> None:
    """Every policy carries remediation steps (pulumi-policy's remediation field) for the CLI and
    Pulumi Cloud to show beside its violations."""
    from rustlambda_guardrails.pack import POLICIES as PACK_POLICIES

    assert [p.name for p in PACK_POLICIES if not p.remediation_steps] == []


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
                "set runtime to one of 'provided.al2023', 'provided.al2'. If it is intended, add "
                "'rustlambda-dev-http-api' to this policy's exemptResources.",
                "mandatory",
            )
        ]
    finally:
        pack.configure({})


def test_configuring_an_unknown_policy_fails(pack: PolicyPackClient) -> None:
    with pytest.raises(PolicyPackError, match="the pack has no policy 'lambda-function-runtimes'"):
        pack.configure({"lambda-function-runtimes": {"enforcementLevel": "disabled"}})
