"""The pack: every policy, in the order the engine reports them, and `serve()` for __main__.py."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, Policy, PolicyPack

from . import env_secrets, iam, lambda_, logs, secret_markers

NAME = "rustlambda-guardrails"

POLICIES: list[Policy] = [
    lambda_.function_runtime,
    lambda_.function_architecture,
    lambda_.function_code_architecture,
    lambda_.capacity_provider_architecture,
    lambda_.permission_source_arn,
    lambda_.function_url_auth,
    lambda_.event_source_mapping_batch_failures,
    env_secrets.no_secrets_in_env,
    env_secrets.secret_provenance,
    iam.no_wildcard_actions,
    iam.no_admin_policies,
    logs.log_group_retention,
]


def serve() -> None:
    """Serve the pack to the engine (blocks until the engine stops the process)."""
    secret_markers.install()
    PolicyPack(name=NAME, enforcement_level=EnforcementLevel.MANDATORY, policies=POLICIES)
