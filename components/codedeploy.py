"""CodeDeployApplication: the stack's CodeDeploy application for gradual releases, run with the
service role ci_access/ creates for the stack (`codedeploy-<project>-<stack>`).

Created only when a function of the stack releases gradually (canary or linear); each such
function gets its own deployment group (components/release.py). The program does not create
CodeDeploy's role: a role the deploy role creates can be trusted by anyone (no IAM condition
limits what a trust policy says) and no condition key binds a service role's calls to CodeDeploy,
so ci_access creates it, trusted by CodeDeploy of this account only, and the deploy role may only
pass it to CodeDeploy (docs/security.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class CodeDeployApplicationArgs:
    name_prefix: str  # `<project>-<stack>`: the application's name
    # CodeDeploy's service role for the stack, created by ci_access/ (model.naming.codedeploy_role_arn).
    service_role_arn: pulumi.Input[str]
    tags: Mapping[str, str] = field(default_factory=dict)


class CodeDeployApplication(pulumi.ComponentResource):
    application: aws.codedeploy.Application
    role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: CodeDeployApplicationArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("rustlambda:index:CodeDeployApplication", name, None, opts)
        self.application = aws.codedeploy.Application(
            f"{name}-application",
            name=args.name_prefix,
            compute_platform="Lambda",
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.role_arn = pulumi.Output.from_input(args.service_role_arn)
        self.register_outputs({"application": self.application.name, "role_arn": self.role_arn})
