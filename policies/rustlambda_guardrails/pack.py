"""The pack: every policy, in the order the engine reports them, and `serve()` for __main__.py."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, Policy, PolicyPack

from . import cloudformation, env_secrets, iam, iam_database, lambda_, layers, logs, resource_policies, secret_markers

NAME = "rustlambda-guardrails"

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
    iam.no_wildcard_actions,
    iam.resource_scope,
    iam.privilege_escalation,
    iam.no_admin_policies,
    resource_policies.public_principals,
    logs.log_group_retention,
]
STACK_POLICIES: list[Policy] = [
    env_secrets.secret_provenance,
    layers.function_layer_architecture,
    logs.function_log_group_retention,
]
POLICIES: list[Policy] = [
    *RESOURCE_POLICIES,
    cloudformation.template_policy([p for p in RESOURCE_POLICIES if p is not lambda_.function_code_architecture]),
    *STACK_POLICIES,
]


def serve() -> None:
    """Serve the pack to the engine (blocks until the engine stops the process)."""
    secret_markers.install()
    iam_database.load()  # about 0.5 s, once per pack process, before the first request rather than during it
    PolicyPack(name=NAME, enforcement_level=EnforcementLevel.MANDATORY, policies=POLICIES)
