"""The pack: every policy, in the order the engine reports them, and `serve()` for __main__.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi_policy.policy as sdk_policy
import yaml
from pulumi_policy import EnforcementLevel, Policy, PolicyPack

from . import (
    cloudformation,
    env_secrets,
    iam,
    iam_database,
    iam_principals,
    lambda_,
    layers,
    logs,
    managed_policies,
    provenance,
    resource_policies,
    secret_markers,
    secret_routes,
    trust,
)

NAME = "rustlambda-guardrails"
PULUMI_POLICY_FILE = Path(__file__).resolve().parent.parent / "PulumiPolicy.yaml"

# The resource policies, which also judge resources declared inside CloudFormation templates.
RESOURCE_POLICIES: list[Policy] = [
    lambda_.function_runtime,
    lambda_.function_architecture,
    lambda_.package_type,
    lambda_.function_code_architecture,
    lambda_.capacity_provider_architecture,
    lambda_.permission_source_arn,
    lambda_.public_invoke,
    lambda_.function_url_auth,
    lambda_.event_source_mapping_batch_failures,
    layers.layer_compatibility,
    layers.archive_credentials,
    env_secrets.no_secrets_in_env,
    secret_routes.plaintext_secrets,
    iam.no_wildcard_actions,
    iam.resource_scope,
    iam.privilege_escalation,
    iam.no_admin_policies,
    resource_policies.public_principals,
    trust.federated_trust,
    logs.log_group_retention,
]
STACK_POLICIES: list[Policy] = [
    provenance.secret_provenance,
    iam_principals.principal_escalation,
    layers.function_layer_architecture,
    logs.function_log_group_retention,
]
POLICIES: list[Policy] = [
    *RESOURCE_POLICIES,
    cloudformation.template_policy(
        [p for p in RESOURCE_POLICIES if p not in (lambda_.function_code_architecture, layers.archive_credentials)]
    ),
    *STACK_POLICIES,
]


def version() -> str:
    """The pack's version, as PulumiPolicy.yaml declares it (what `pulumi policy publish` uses)."""
    declared: Any = yaml.safe_load(PULUMI_POLICY_FILE.read_text()).get("version")
    if not isinstance(declared, str | int | float) or not str(declared):
        raise RuntimeError(f"{PULUMI_POLICY_FILE} declares no version")
    return str(declared)


def report_own_version() -> None:
    """pulumi-policy's PolicyPack serves version 0.0.1 whatever PulumiPolicy.yaml says (the CLI
    reads the file, but the pack's own messages, such as "can't run policy ... from policy pack
    'rustlambda-guardrails@v0.0.1'", and GetAnalyzerInfo carry the SDK's). The analyzer servicer
    PolicyPack builds is given the declared version instead; fails at start if the SDK's layout
    changed, rather than report a wrong version."""
    servicer = getattr(sdk_policy, "_PolicyAnalyzerServicer", None)
    if servicer is None:
        raise RuntimeError("pulumi_policy.policy has no _PolicyAnalyzerServicer: cannot report the pack's version")
    if getattr(servicer, "reports_declared_version", False):
        return
    declared = version()

    class DeclaredVersionServicer(servicer):  # type: ignore[misc, valid-type]
        reports_declared_version = True

        def __init__(self, name: str, _sdk_version: str, *args: Any, **kwargs: Any) -> None:
            super().__init__(name, declared, *args, **kwargs)

    setattr(sdk_policy, "_PolicyAnalyzerServicer", DeclaredVersionServicer)  # noqa: B010  (an SDK-internal name)


def serve() -> None:
    """Serve the pack to the engine (blocks until the engine stops the process)."""
    secret_markers.install()
    report_own_version()
    # Data read once per pack process, before the first request rather than during it.
    iam_database.load()  # about 0.5 s
    managed_policies.load()  # about 0.2 s
    PolicyPack(name=NAME, enforcement_level=EnforcementLevel.MANDATORY, policies=POLICIES)
