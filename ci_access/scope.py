"""Where one stack of the managed project lives, and the names ci_access gives the CI's identities.

Every resource the program creates is named after its stack, `<project>-<stack>-...` (functions,
roles, queues, tables, alarms, buckets, log groups `/aws/lambda/<project>-<stack>-...`), except its
secrets, `<project>-<stack>/<name>`, and its capacity provider, `<project>-<stack>` itself; HTTP
APIs and VPC endpoints have generated ids, so they are told apart by the `project` and `stack` tags
the program puts on every resource. A stack's scope is that name prefix in one account and region.

Names ci_access gives what it creates, all outside every stack's prefix (no deploy role can
change them; `validate_stacks` refuses stack names that would make one prefix cover another):
- `github-deploy-<project>-<stack>`: the role that deploys one stack;
- `github-preview-<project>-<stack>`: the read-only role that previews one stack;
- `permissions-boundary-<project>-<stack>`: the managed policy every function role of that stack
  must carry as its permissions boundary, and `...-operator`, the boundary of its Managed
  Instances operator role. The program sets them on the roles it creates, from the account id and
  these names (model.naming): no stack config is needed;
- `codedeploy-<project>-<stack>`: CodeDeploy's service role for the stack's gradual releases.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from model.naming import codedeploy_role_arn, operator_boundary_arn, permissions_boundary_arn

# A Pulumi project name here is also the first part of every resource name.
_PROJECT = re.compile(r"^[a-z0-9][a-z0-9-]{0,30}$")
# Stack names become part of resource names (queues, roles: letters, digits, hyphens).
_STACK = re.compile(r"^[a-z0-9][a-z0-9-]{0,19}$")
_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")


# A stack's GitHub environment is its name; its preview's is `preview-<stack>`.
PREVIEW_ENVIRONMENT_PREFIX = "preview-"


def preview_environment(stack: str) -> str:
    """The GitHub environment whose jobs may preview `stack`."""
    return f"{PREVIEW_ENVIRONMENT_PREFIX}{stack}"


def deploy_role_name(project: str, stack: str) -> str:
    return f"github-deploy-{project}-{stack}"


def preview_role_name(project: str, stack: str) -> str:
    return f"github-preview-{project}-{stack}"


def validate_project(project: str) -> str:
    if not _PROJECT.match(project):
        raise ValueError(
            f"project {project!r} is invalid: set the stack project's name "
            "(lowercase letters, digits and hyphens, at most 31 characters)"
        )
    return project


def validate_stacks(stacks: Sequence[str]) -> tuple[str, ...]:
    """Stack names whose prefixes are disjoint: `dev` and `dev-eu` are refused together, since
    `<project>-dev-*` would also match every resource of `dev-eu`."""
    if not stacks:
        raise ValueError("stacks is empty: list the stacks ci_access creates deploy roles for, e.g. [dev, prod]")
    for stack in stacks:
        if not _STACK.match(stack):
            raise ValueError(
                f"stacks entry {stack!r} is invalid: use lowercase letters, digits and hyphens (at most 20)"
            )
    clashing = [s for s in stacks if s.startswith(PREVIEW_ENVIRONMENT_PREFIX)]
    if clashing:
        raise ValueError(
            f"stacks {clashing!r} are invalid: a stack's GitHub environment is its name, and "
            f"`{PREVIEW_ENVIRONMENT_PREFIX}<stack>` names the preview environments; rename them"
        )
    for stack in stacks:
        for other in stacks:
            if other != stack and other.startswith(f"{stack}-"):
                raise ValueError(
                    f"stacks {stack!r} and {other!r} overlap: the prefix of {stack!r} would cover "
                    f"{other!r}'s resources; rename one of them"
                )
    if len(set(stacks)) != len(stacks):
        raise ValueError(f"stacks {list(stacks)!r} lists a stack twice")
    return tuple(stacks)


@dataclass(frozen=True)
class StackScope:
    """One stack of the project in one account and region: what its deploy role may reach."""

    project: str
    stack: str
    account_id: str
    region: str

    def __post_init__(self) -> None:
        validate_project(self.project)
        validate_stacks([self.stack])
        if not _ACCOUNT.match(self.account_id):
            raise ValueError(f"account_id {self.account_id!r} is invalid: set a 12-digit AWS account id")
        if not _REGION.match(self.region):
            raise ValueError(f"region {self.region!r} is invalid: set an AWS region such as eu-west-1")

    @property
    def prefix(self) -> str:
        """What every name of the stack starts with, followed by `-` (or `/` for secrets)."""
        return f"{self.project}-{self.stack}"

    @property
    def at(self) -> str:
        """The `region:account` part of a regional ARN."""
        return f"{self.region}:{self.account_id}"

    @property
    def tags(self) -> dict[str, str]:
        """The tags the program puts on every resource of the stack."""
        return {"project": self.project, "stack": self.stack}

    @property
    def functions(self) -> str:
        """The ARN pattern of the stack's functions (`*` also covers their versions and aliases)."""
        return f"arn:aws:lambda:{self.at}:function:{self.prefix}-*"

    @property
    def boundary_arn(self) -> str:
        """The boundary of the stack's function roles."""
        return permissions_boundary_arn(self.account_id, self.project, self.stack)

    @property
    def operator_boundary_arn(self) -> str:
        return operator_boundary_arn(self.account_id, self.project, self.stack)

    @property
    def codedeploy_role_arn(self) -> str:
        return codedeploy_role_arn(self.account_id, self.project, self.stack)
