"""Release: how a new version of one function takes its `live` alias's traffic.

Every `pulumi up` that publishes a new version of the function (its code or configuration changed)
runs the release step, `scripts/release` (the `release` package), on the machine running `pulumi
up`, with its AWS credentials, through a pulumi-command `local.Command` whose trigger is the
version. The step first invokes the new version (the pre-traffic check: a version that cannot
start never gets traffic), then moves the alias: at once for `all-at-once`, or through a CodeDeploy
deployment (`canary`, `linear`) that rolls back when one of the function's alarms fires; it waits
for the deployment and fails `pulumi up` with CodeDeploy's reason when it rolls back. At preview
nothing runs. The alias's version and weights belong to this step (the alias ignores changes to
them), so a later `up` never moves traffic behind a deployment's back, and after a rollback the
next `up` with fixed code releases from the version the alias is really on.

Owns: the function's CodeDeploy deployment group (gradual styles) and the release step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from pulumi_command import local

from components.codedeploy import CodeDeployApplication
from model.stack_config import DeploymentSettings

RELEASE_COMMAND = "./scripts/release"
# CodeDeploy rolls back when the deployment fails or one of the group's alarms fires.
ROLLBACK_EVENTS = ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]


@dataclass(frozen=True)
class ReleaseArgs:
    crate: str
    function_name: pulumi.Input[str]
    alias_name: pulumi.Input[str]
    version: pulumi.Input[str]
    deployment: DeploymentSettings
    region: pulumi.Input[str]
    # The function's alarms: CodeDeploy's rollback triggers.
    alarm_names: Sequence[pulumi.Input[str]] = ()
    # The stack's CodeDeploy application and service role (gradual styles only).
    codedeploy: CodeDeployApplication | None = None


class Release(pulumi.ComponentResource):
    deployment_group: aws.codedeploy.DeploymentGroup | None
    step: local.Command

    def __init__(self, name: str, args: ReleaseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("rustlambda:index:Release", name, None, opts)
        deployment = args.deployment
        self.deployment_group = None
        environment: dict[str, pulumi.Input[str]] = {
            "RELEASE_CRATE": args.crate,
            "RELEASE_FUNCTION": args.function_name,
            "RELEASE_ALIAS": args.alias_name,
            "RELEASE_VERSION": args.version,
            "RELEASE_STYLE": deployment.style,
            "RELEASE_REGION": args.region,
        }
        if deployment.gradual:
            codedeploy = args.codedeploy
            if codedeploy is None:
                raise ValueError(
                    f"Release {name}: a {deployment.style} release needs the stack's CodeDeploy application and role"
                )
            self.deployment_group = aws.codedeploy.DeploymentGroup(
                f"{name}-group",
                app_name=codedeploy.application.name,
                deployment_group_name=args.function_name,
                service_role_arn=codedeploy.role_arn,
                deployment_config_name=deployment.codedeploy_config,
                deployment_style=aws.codedeploy.DeploymentGroupDeploymentStyleArgs(
                    deployment_option="WITH_TRAFFIC_CONTROL", deployment_type="BLUE_GREEN"
                ),
                auto_rollback_configuration=aws.codedeploy.DeploymentGroupAutoRollbackConfigurationArgs(
                    enabled=True, events=ROLLBACK_EVENTS
                ),
                alarm_configuration=aws.codedeploy.DeploymentGroupAlarmConfigurationArgs(
                    enabled=True, alarms=list(args.alarm_names)
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            environment["RELEASE_CODEDEPLOY_APPLICATION"] = codedeploy.application.name
            environment["RELEASE_CODEDEPLOY_GROUP"] = self.deployment_group.deployment_group_name
            environment["RELEASE_DEPLOYMENT_CONFIG"] = deployment.codedeploy_config
            environment["RELEASE_STEP_MINUTES"] = str(deployment.minutes)
        self.step = local.Command(
            f"{name}-step",
            create=RELEASE_COMMAND,
            update=RELEASE_COMMAND,
            environment=environment,
            # A new version (and only that) releases again.
            triggers=[args.version],
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[self.deployment_group] if self.deployment_group is not None else []
            ),
        )
        self.register_outputs({"stdout": self.step.stdout})
