"""The bootstrap program: the role GitHub Actions assumes to deploy this repository's stacks.

A separate Pulumi project, run once per AWS account by someone with IAM admin rights; the main
project's stacks are then deployed from CI with the role it exports. It owns no resources of its
own beyond bootstrap.deploy_role.GithubDeployRole (the OIDC provider, unless one exists, and the
role with its permissions), for the account and region it runs in:

    cd bootstrap
    pulumi stack init ci
    pulumi config set aws:region eu-west-1            # the region the stacks deploy to
    pulumi config set githubRepository owner/name
    pulumi up

Optional: `pulumi config set --path 'branches[0]' main`, `--path 'environments[0]' prod`,
`allowPullRequests true`, and `existingOidcProviderArn arn:aws:iam::<account>:oidc-provider/
token.actions.githubusercontent.com` when the account already has GitHub's provider. Give the
workflow the exported roleArn (aws-actions/configure-aws-credentials, `role-to-assume`) and
`permissions: id-token: write`.
"""

from pathlib import Path

import pulumi
import pulumi_aws as aws
import yaml  # PyYAML comes with the Pulumi SDK

from bootstrap.deploy_role import GithubDeployRole, GithubDeployRoleArgs

REPO_ROOT = Path(__file__).resolve().parent.parent

# The role manages the resources of the main project, which are all named after it.
MANAGED_PROJECT = str(yaml.safe_load((REPO_ROOT / "Pulumi.yaml").read_text())["name"])


def names(config: pulumi.Config, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """A list-of-strings config value; the default repeats Pulumi.yaml's, for runs without the CLI's."""
    value = config.get_object(key)
    if value is None:
        return default
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"config {key}={value!r} is invalid: set a list of names, e.g. --path '{key}[0]' ...")
    return tuple(value)


config = pulumi.Config()
deploy = GithubDeployRole(
    "github-deploy",
    GithubDeployRoleArgs(
        repository=config.require("githubRepository"),
        branches=names(config, "branches", ("main",)),
        environments=names(config, "environments", ("dev", "prod")),
        pull_requests=config.get_bool("allowPullRequests") or False,
        existing_provider_arn=config.get("existingOidcProviderArn") or None,
        account_id=aws.get_caller_identity_output().account_id,
        region=aws.get_region_output().region,
        project=MANAGED_PROJECT,
        tags={"project": MANAGED_PROJECT, "purpose": "ci-deploy"},
    ),
)

pulumi.export("roleArn", deploy.role_arn)
pulumi.export("providerArn", deploy.provider_arn)
