"""CiRoles: the IAM roles GitHub Actions assumes (OIDC), and the roles ci_access keeps out of the
deploy roles' reach.

Owns: the account's OIDC provider for GitHub Actions (unless an existing one is passed in: an
account has at most one per URL); and per managed stack: the boundary of its function roles
(ci_access.permissions.permissions_boundary) and, with Managed Instances, of its operator role
(`operator_boundary`); its deploy role, trusted only by DEPLOY_WORKFLOW on the deploy branch in the
GitHub environment of the same name; its read-only preview role, trusted only by PREVIEW_WORKFLOW
in the environment `preview-<stack>` (on any ref for the stacks in `preview_stacks`, else on the
deploy branch only); and CodeDeploy's service role for its gradual releases. Each GitHub role's
permissions are managed policies (ci_access.permissions, split in POLICY_PARTS parts). No role
can change itself, another role of ci_access or a boundary: their names lie outside every stack's
prefix.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from ci_access import github_oidc, permissions
from ci_access.scope import (
    StackScope,
    deploy_role_name,
    preview_environment,
    preview_role_name,
    validate_project,
    validate_stacks,
)
from ci_access.stacks import StackFile
from model.naming import codedeploy_role_name, operator_boundary_name, permissions_boundary_name


def _state_backend(region: str, values: list[Any]) -> permissions.StateBackend:
    bucket_arn, bucket_key_arn, key_arns = values
    return permissions.StateBackend(
        str(bucket_arn), str(bucket_key_arn), region, {str(k): str(v) for k, v in dict(key_arns).items()}
    )


def scope_in(project: str, settings: StackFile, account_id: str) -> StackScope:
    """The stack's scope in `account_id`, which the stack file must allow (`aws:allowedAccountIds`)."""
    if settings.allowed_account_ids and account_id not in settings.allowed_account_ids:
        raise ValueError(
            f"Pulumi.{settings.stack}.yaml allows the accounts {list(settings.allowed_account_ids)} "
            f"(aws:allowedAccountIds), not {account_id}: run ci_access for {settings.stack!r} in one of "
            "them, or remove it from stacks here"
        )
    return StackScope(project, settings.stack, account_id, settings.region)


def _boundary_document(project: str, settings: StackFile, account_id: str) -> str:
    return permissions.permissions_boundary(scope_in(project, settings, account_id))


def _operator_boundary_document(project: str, settings: StackFile, account_id: str) -> str:
    return permissions.operator_boundary(scope_in(project, settings, account_id), settings)


def _deploy_document(project: str, settings: StackFile, values: list[Any]) -> str:
    account_id, state = values
    return permissions.deploy_policy(scope_in(project, settings, str(account_id)), settings, state)


def _preview_document(project: str, settings: StackFile, values: list[Any]) -> str:
    account_id, state = values
    return permissions.preview_policy(scope_in(project, settings, str(account_id)), settings, state)


def _codedeploy_trust(project: str, settings: StackFile, account_id: str) -> str:
    return permissions.codedeploy_trust_policy(scope_in(project, settings, account_id))


def _codedeploy_policy(project: str, settings: StackFile, account_id: str) -> str:
    return permissions.codedeploy_role_policy(scope_in(project, settings, account_id))


def _part(index: int, documents: list[str]) -> str:
    return documents[index]


@dataclass(frozen=True)
class StateBackendArns:
    """A self-managed Pulumi backend the roles use: its bucket, the bucket's encryption key and
    region, and each stack's KMS key for its secrets."""

    bucket_arn: pulumi.Input[str]
    bucket_key_arn: pulumi.Input[str]
    region: str
    key_arns: Mapping[str, pulumi.Input[str]]


@dataclass(frozen=True)
class CiRolesArgs:
    repository: str  # "owner/name", as GitHub spells it (the sub claim is compared exactly)
    project: str  # the managed project: every resource of stack S is named `<project>-S-...`
    account_id: pulumi.Input[str]
    stacks: Sequence[StackFile]  # one deploy and one preview role each, scoped to the stack's region
    preview_stacks: Sequence[str]  # the stacks pull requests may preview (any ref); others: the deploy branch only
    deploy_branch: str = "main"
    existing_provider_arn: str | None = None
    state: StateBackendArns | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


class CiRoles(pulumi.ComponentResource):
    provider_arn: pulumi.Output[str]
    deploy_role_arns: dict[str, pulumi.Output[str]]
    preview_role_arns: dict[str, pulumi.Output[str]]
    boundary_arns: dict[str, pulumi.Output[str]]
    operator_boundary_arns: dict[str, pulumi.Output[str]]
    codedeploy_role_arns: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: CiRolesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("rustlambda:index:CiRoles", name, None, opts)
        # Validate everything before registering any child.
        validate_project(args.project)
        stack_names = validate_stacks([s.stack for s in args.stacks])
        if set(args.preview_stacks) - set(stack_names):
            raise ValueError(
                f"preview_stacks {list(args.preview_stacks)!r} is invalid: list some of the stacks {list(stack_names)}"
            )
        deploy_ref = github_oidc.branch_ref(args.deploy_branch)
        deploy_subjects = {
            s: github_oidc.workflow_subject(args.repository, s, github_oidc.DEPLOY_WORKFLOW, deploy_ref)
            for s in stack_names
        }
        preview_subjects = {
            s: github_oidc.workflow_subject(
                args.repository,
                preview_environment(s),
                github_oidc.PREVIEW_WORKFLOW,
                github_oidc.ANY_REF if s in args.preview_stacks else deploy_ref,
            )
            for s in stack_names
        }
        if args.existing_provider_arn is not None:
            github_oidc.validate_provider_arn(args.existing_provider_arn)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)

        if args.existing_provider_arn is None:
            provider = aws.iam.OpenIdConnectProvider(
                f"{name}-oidc-provider",
                url=github_oidc.GITHUB_OIDC_URL,
                client_id_lists=[github_oidc.STS_AUDIENCE],
                # No thumbprints: IAM verifies GitHub's certificate against its own trusted CAs.
                tags=tags,
                opts=child,
            )
            self.provider_arn = provider.arn
        else:
            self.provider_arn = pulumi.Output.from_input(args.existing_provider_arn)

        state: pulumi.Output[permissions.StateBackend | None] = (
            pulumi.Output.all(
                args.state.bucket_arn, args.state.bucket_key_arn, pulumi.Output.all(**args.state.key_arns)
            ).apply(functools.partial(_state_backend, args.state.region))
            if args.state is not None
            else pulumi.Output.from_input(None)
        )
        account_id = pulumi.Output.from_input(args.account_id)
        self.deploy_role_arns, self.preview_role_arns, self.codedeploy_role_arns = {}, {}, {}
        self.boundary_arns, self.operator_boundary_arns = {}, {}
        for settings in args.stacks:
            stack = settings.stack
            boundary = self._policy(
                f"{name}-boundary-{stack}",
                permissions_boundary_name(args.project, stack),
                f"Permissions boundary of every function role of the {args.project} stack {stack}",
                account_id.apply(functools.partial(_boundary_document, args.project, settings)),
                tags,
            )
            self.boundary_arns[stack] = boundary.arn
            if settings.managed_instances:
                operator = self._policy(
                    f"{name}-operator-boundary-{stack}",
                    operator_boundary_name(args.project, stack),
                    f"Permissions boundary of the operator role of the {args.project} stack {stack}",
                    account_id.apply(functools.partial(_operator_boundary_document, args.project, settings)),
                    tags,
                )
                self.operator_boundary_arns[stack] = operator.arn
            self.deploy_role_arns[stack] = self._github_role(
                f"{name}-deploy-{stack}",
                deploy_role_name(args.project, stack),
                f"GitHub Actions deploys of the {args.project} stack {stack} from {args.repository}",
                [deploy_subjects[stack]],
                pulumi.Output.all(account_id, state).apply(functools.partial(_deploy_document, args.project, settings)),
                tags,
            ).arn
            self.preview_role_arns[stack] = self._github_role(
                f"{name}-preview-{stack}",
                preview_role_name(args.project, stack),
                f"GitHub Actions previews (read-only) of the {args.project} stack {stack} from {args.repository}",
                [preview_subjects[stack]],
                pulumi.Output.all(account_id, state).apply(
                    functools.partial(_preview_document, args.project, settings)
                ),
                tags,
            ).arn
            codedeploy = aws.iam.Role(
                f"{name}-codedeploy-{stack}",
                name=codedeploy_role_name(args.project, stack),
                description=f"CodeDeploy's role for the gradual releases of the {args.project} stack {stack}",
                assume_role_policy=account_id.apply(functools.partial(_codedeploy_trust, args.project, settings)),
                max_session_duration=3600,
                tags=tags,
                opts=child,
            )
            aws.iam.RolePolicy(
                f"{name}-codedeploy-{stack}-policy",
                role=codedeploy.id,
                policy=account_id.apply(functools.partial(_codedeploy_policy, args.project, settings)),
                opts=child,
            )
            self.codedeploy_role_arns[stack] = codedeploy.arn
        self.register_outputs(
            {
                "provider_arn": self.provider_arn,
                "deploy_role_arns": self.deploy_role_arns,
                "preview_role_arns": self.preview_role_arns,
                "boundary_arns": self.boundary_arns,
                "operator_boundary_arns": self.operator_boundary_arns,
                "codedeploy_role_arns": self.codedeploy_role_arns,
            }
        )

    def _github_role(
        self,
        name: str,
        role_name: str,
        description: str,
        allowed_subjects: Sequence[str],
        policy: pulumi.Output[str],
        tags: dict[str, str],
    ) -> aws.iam.Role:
        """A role trusted by the given GitHub subjects, with `policy` as POLICY_PARTS managed policies."""
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            name,
            name=role_name,
            description=description,
            assume_role_policy=self.provider_arn.apply(
                lambda arn: github_oidc.github_trust_policy(arn, allowed_subjects)
            ),
            max_session_duration=3600,
            tags=tags,
            opts=child,
        )
        parts = policy.apply(permissions.split_policy)
        for index in range(permissions.POLICY_PARTS):
            part = self._policy(
                f"{name}-policy-{index + 1}",
                f"{role_name}-{index + 1}",
                f"{description} ({index + 1}/{permissions.POLICY_PARTS})",
                parts.apply(functools.partial(_part, index)),
                tags,
            )
            aws.iam.RolePolicyAttachment(
                f"{name}-policy-{index + 1}-attachment", role=role.name, policy_arn=part.arn, opts=child
            )
        return role

    def _policy(
        self, name: str, policy_name: str, description: str, document: pulumi.Output[str], tags: dict[str, str]
    ) -> aws.iam.Policy:
        return aws.iam.Policy(
            name,
            name=policy_name,
            description=description,
            policy=document,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
