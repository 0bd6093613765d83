"""CiRoles: the IAM roles GitHub Actions assumes (OIDC), one per purpose.

Owns: the account's OIDC provider for GitHub Actions (unless an existing one is passed in: an
account has at most one per URL); per managed stack, its permissions boundary (a managed policy,
ci_access.permissions.permissions_boundary) and its deploy role, trusted only by the GitHub
environment of the same name; and one preview role, trusted only by the `preview` environment,
that can read (never change) the stacks it previews. Each role's permissions are managed policies
(ci_access.permissions, split in POLICY_PARTS parts). No role can change itself, another role of
ci_access or a boundary: their names lie outside every stack's prefix.
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
    preview_role_name,
    validate_project,
    validate_stacks,
)
from ci_access.stacks import StackFile
from model.naming import permissions_boundary_name

PREVIEW_ENVIRONMENT = "preview"


def _state_backend(values: list[Any]) -> permissions.StateBackend:
    bucket_arn, key_arns = values
    return permissions.StateBackend(str(bucket_arn), {str(k): str(v) for k, v in dict(key_arns).items()})


def _scope(project: str, settings: StackFile, account_id: str) -> StackScope:
    return StackScope(project, settings.stack, account_id, settings.region)


def _boundary_document(project: str, settings: StackFile, account_id: str) -> str:
    return permissions.permissions_boundary(_scope(project, settings, account_id))


def _deploy_document(project: str, settings: StackFile, values: list[Any]) -> str:
    account_id, state = values
    return permissions.deploy_policy(_scope(project, settings, str(account_id)), settings, state)


def _preview_document(project: str, stacks: Sequence[StackFile], values: list[Any]) -> str:
    account_id, state = values
    return permissions.preview_policy([(_scope(project, s, str(account_id)), s) for s in stacks], state)


def _part(index: int, documents: list[str]) -> str:
    return documents[index]


@dataclass(frozen=True)
class StateBackendArns:
    """A self-managed Pulumi backend the roles use: its bucket and each stack's KMS key."""

    bucket_arn: pulumi.Input[str]
    key_arns: Mapping[str, pulumi.Input[str]]


@dataclass(frozen=True)
class CiRolesArgs:
    repository: str  # "owner/name", as GitHub spells it (the sub claim is compared exactly)
    project: str  # the managed project: every resource of stack S is named `<project>-S-...`
    account_id: pulumi.Input[str]
    stacks: Sequence[StackFile]  # one deploy role each, scoped to the stack's region
    preview_stacks: Sequence[str]  # the stacks pull requests preview (their secrets included)
    existing_provider_arn: str | None = None
    state: StateBackendArns | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


class CiRoles(pulumi.ComponentResource):
    provider_arn: pulumi.Output[str]
    deploy_role_arns: dict[str, pulumi.Output[str]]
    preview_role_arn: pulumi.Output[str]
    boundary_arns: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: CiRolesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("rustlambda:index:CiRoles", name, None, opts)
        # Validate everything before registering any child.
        validate_project(args.project)
        stack_names = validate_stacks([s.stack for s in args.stacks])
        if not args.preview_stacks or set(args.preview_stacks) - set(stack_names):
            raise ValueError(
                f"preview_stacks {list(args.preview_stacks)!r} is invalid: list some of the stacks {list(stack_names)}"
            )
        if PREVIEW_ENVIRONMENT in stack_names:
            raise ValueError(f"stacks may not include {PREVIEW_ENVIRONMENT!r}: it is the preview role's environment")
        subjects = {s: github_oidc.environment_subject(args.repository, s) for s in stack_names}
        preview_subject = github_oidc.environment_subject(args.repository, PREVIEW_ENVIRONMENT)
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
            pulumi.Output.all(args.state.bucket_arn, pulumi.Output.all(**args.state.key_arns)).apply(_state_backend)
            if args.state is not None
            else pulumi.Output.from_input(None)
        )
        self.deploy_role_arns = {}
        self.boundary_arns = {}
        for settings in args.stacks:
            stack = settings.stack
            boundary = aws.iam.Policy(
                f"{name}-boundary-{stack}",
                name=permissions_boundary_name(args.project, stack),
                description=f"Permissions boundary of every role of the {args.project} stack {stack}",
                policy=pulumi.Output.from_input(args.account_id).apply(
                    functools.partial(_boundary_document, args.project, settings)
                ),
                tags=tags,
                opts=child,
            )
            self.boundary_arns[stack] = boundary.arn
            role = self._role(
                f"{name}-deploy-{stack}",
                deploy_role_name(args.project, stack),
                f"GitHub Actions deploys of the {args.project} stack {stack} from {args.repository}",
                [subjects[stack]],
                pulumi.Output.all(args.account_id, state).apply(
                    functools.partial(_deploy_document, args.project, settings)
                ),
                tags,
            )
            self.deploy_role_arns[stack] = role.arn

        previewed = [s for s in args.stacks if s.stack in args.preview_stacks]
        preview = self._role(
            f"{name}-preview",
            preview_role_name(args.project),
            f"GitHub Actions previews (read-only) of {args.project} from {args.repository}",
            [preview_subject],
            pulumi.Output.all(args.account_id, state).apply(
                functools.partial(_preview_document, args.project, previewed)
            ),
            tags,
        )
        self.preview_role_arn = preview.arn
        self.register_outputs(
            {
                "provider_arn": self.provider_arn,
                "deploy_role_arns": self.deploy_role_arns,
                "preview_role_arn": self.preview_role_arn,
                "boundary_arns": self.boundary_arns,
            }
        )

    def _role(
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
            part = aws.iam.Policy(
                f"{name}-policy-{index + 1}",
                name=f"{role_name}-{index + 1}",
                description=f"{description} ({index + 1}/{permissions.POLICY_PARTS})",
                policy=parts.apply(functools.partial(_part, index)),
                tags=tags,
                opts=child,
            )
            aws.iam.RolePolicyAttachment(
                f"{name}-policy-{index + 1}-attachment", role=role.name, policy_arn=part.arn, opts=child
            )
        return role
