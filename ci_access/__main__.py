"""The ci_access program: the roles GitHub Actions assumes to preview and deploy this repository,
and what the stacks of one AWS account would otherwise change account-wide.

A separate Pulumi project, run once per AWS account by someone with IAM admin rights (with one
account per stage, once in each, listing that account's stacks); the main project's stacks are
then previewed and deployed from CI with the roles it exports. It owns ci_access.roles.CiRoles
(the OIDC provider unless one exists; per stack its boundaries, deploy role, preview role and
CodeDeploy's role), ci_access.account.AccountSettings (the access-log delivery policy, Lambda's
service-linked role) and, with `stateBackend: s3`, the self-managed Pulumi backend
ci_access.state_backend.PulumiStateBackend (an S3 bucket and a KMS key per stack):

    cd ci_access
    pulumi stack init ci
    pulumi config set githubRepository owner/name
    pulumi up

It reads each stack's region, network and allowed accounts from the main project's
`Pulumi.<stack>.yaml`: no region is set here. Its own regional resources (the state bucket and
keys) go to the first stack's region. Optional: `--path 'stacks[0]' dev` (default dev, prod),
`--path 'previewStacks[0]' dev` (the stacks pull requests may preview; default dev),
`deployBranch main`, `stateBackend s3` with `--path 'stateAdministrators[0]' <role ARN>`,
`lambdaServiceLinkedRole false` when the account already has Lambda's service-linked role, and
`existingOidcProviderArn arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com`
when the account already has GitHub's provider. Re-run `pulumi up` here after changing a stack's
region, network or accounts. docs/ci-access.md walks through it, GitHub's side included.
"""

import pulumi
import pulumi_aws as aws

from ci_access.account import AccountSettings, AccountSettingsArgs
from ci_access.roles import CiRoles, CiRolesArgs, StateBackendArns
from ci_access.scope import deploy_role_name, preview_role_name, validate_stacks
from ci_access.stacks import project_name, read_stack_file
from ci_access.state_backend import PulumiStateBackend, PulumiStateBackendArgs

# The roles manage the resources of the main project, which are all named after it.
MANAGED_PROJECT = project_name()
STATE_BACKENDS = ("pulumi-cloud", "s3")


def names(config: pulumi.Config, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """A list-of-strings config value; the default repeats Pulumi.yaml's, for runs without the CLI's."""
    value = config.get_object(key)
    if value is None or value == []:
        return default
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"config {key}={value!r} is invalid: set a list of names, e.g. --path '{key}[0]' ...")
    return tuple(value)


def ci_principals(account_id: str, stacks: tuple[str, ...]) -> list[str]:
    """The ARNs of the roles that use the state, from their names."""
    return [
        f"arn:aws:iam::{account_id}:role/{name}"
        for stack in stacks
        for name in (deploy_role_name(MANAGED_PROJECT, stack), preview_role_name(MANAGED_PROJECT, stack))
    ]


config = pulumi.Config()
repository = config.require("githubRepository")
stacks = validate_stacks(names(config, "stacks", ("dev", "prod")))
state_backend = config.get("stateBackend") or "pulumi-cloud"
if state_backend not in STATE_BACKENDS:
    raise ValueError(f"config stateBackend={state_backend!r} is invalid: set one of {', '.join(STATE_BACKENDS)}")
stack_files = [read_stack_file(stack) for stack in stacks]
tags = {"project": MANAGED_PROJECT, "purpose": "ci"}

# IAM is global; the state bucket and keys live in the first stack's region.
region = stack_files[0].region
provider = aws.Provider("aws", region=region)
in_region = pulumi.ResourceOptions(provider=provider)
account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(provider=provider)).account_id

state = None
if state_backend == "s3":
    state = PulumiStateBackend(
        "pulumi-state",
        PulumiStateBackendArgs(
            project=MANAGED_PROJECT,
            stacks=stacks,
            region=region,
            ci_principals=account_id.apply(lambda account: ci_principals(account, stacks)),
            administrators=names(config, "stateAdministrators", ()),
            tags=tags,
        ),
        opts=in_region,
    )
    pulumi.export("backendUrl", state.backend_url)
    pulumi.export("secretsProviders", state.secrets_providers)

roles = CiRoles(
    "github",
    CiRolesArgs(
        repository=repository,
        project=MANAGED_PROJECT,
        account_id=account_id,
        stacks=stack_files,
        preview_stacks=names(config, "previewStacks", ("dev",) if "dev" in stacks else ()),
        deploy_branch=config.get("deployBranch") or "main",
        existing_provider_arn=config.get("existingOidcProviderArn") or None,
        state=StateBackendArns(state.bucket_arn, state.bucket_key_arn, region, state.key_arns) if state else None,
        tags=tags,
    ),
    opts=in_region,
)
service_linked_role = config.get_bool("lambdaServiceLinkedRole")
AccountSettings(
    "account",
    AccountSettingsArgs(
        project=MANAGED_PROJECT,
        account_id=account_id,
        regions=[s.region for s in stack_files],
        lambda_service_linked_role=any(s.managed_instances for s in stack_files) and service_linked_role is not False,
    ),
    opts=in_region,
)

pulumi.export("deployRoleArns", roles.deploy_role_arns)
pulumi.export("previewRoleArns", roles.preview_role_arns)
pulumi.export("codedeployRoleArns", roles.codedeploy_role_arns)
pulumi.export("permissionsBoundaryArns", roles.boundary_arns)
pulumi.export("operatorBoundaryArns", roles.operator_boundary_arns)
pulumi.export("providerArn", roles.provider_arn)
