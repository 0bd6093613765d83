"""CodeDeployApplication: the stack's CodeDeploy application for gradual releases, and the service
role CodeDeploy uses to shift the functions' `live` aliases and to read their alarms.

Created only when a function of the stack releases gradually (canary or linear); each such
function gets its own deployment group (components/release.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from model import iam


@dataclass(frozen=True)
class CodeDeployApplicationArgs:
    name_prefix: str  # `<project>-<stack>`: the application, the role and what it may shift
    account_id: pulumi.Input[str]
    region: pulumi.Input[str]
    # The stack's permissions boundary (ci_access/): every role the stack creates carries it.
    permissions_boundary: pulumi.Input[str]
    tags: Mapping[str, str] = field(default_factory=dict)


class CodeDeployApplication(pulumi.ComponentResource):
    application: aws.codedeploy.Application
    role: aws.iam.Role
    role_policy: aws.iam.RolePolicy

    def __init__(self, name: str, args: CodeDeployApplicationArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("rustlambda:index:CodeDeployApplication", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.application = aws.codedeploy.Application(
            f"{name}-application",
            name=args.name_prefix,
            compute_platform="Lambda",
            tags=dict(args.tags),
            opts=child,
        )
        self.role = aws.iam.Role(
            f"{name}-role",
            name=f"{args.name_prefix}-codedeploy",
            assume_role_policy=pulumi.Output.from_input(args.account_id).apply(iam.codedeploy_trust_policy),
            description=f"CodeDeploy's role for the gradual releases of {args.name_prefix}",
            permissions_boundary=args.permissions_boundary,
            tags=dict(args.tags),
            opts=child,
        )
        self.role_policy = aws.iam.RolePolicy(
            f"{name}-policy",
            role=self.role.id,
            policy=pulumi.Output.all(args.account_id, args.region).apply(
                lambda values: iam.document(iam.codedeploy_statements(str(values[0]), str(values[1]), args.name_prefix))
            ),
            opts=child,
        )
        self.register_outputs({"application": self.application.name, "role_arn": self.role.arn})
