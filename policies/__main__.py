"""The policy pack: assembles the policies of each service module (nothing else lives here)."""

import sys
from pathlib import Path

# The engine runs `python -m pulumi.policy <engine> <pack dir>` in the project's directory, which
# puts that directory on sys.path; this makes `policies.*` importable when run from elsewhere too.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack

from policies import env_secrets, iam, lambda_, logs

PolicyPack(
    name="rustlambda-guardrails",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[
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
    ],
)
