"""Release: how a new version of one function takes its `live` alias's traffic.

Every `pulumi up` that publishes a new version of the function (its code or configuration changed)
runs the release step, `scripts/release` (the `release` package), on the machine running `pulumi
up`, with its AWS credentials, through a pulumi-command `local.Command`. The step's settings are the
command's environment, the new version among them: a new version UPDATES the command (pulumi-command
runs `update` on an environment change; `triggers` would replace it instead), so a preview shows the
step as an update with the version it will release. At preview nothing runs.

The step (release/step.py) refuses a version CodeDeploy rolled back (until the code or the
configuration changes, or `functions.<name>.retryVersion` names it), refuses to start while a
deployment of the group is active, waits for the version to be Active, gives it its capacity
(provisioned concurrency, or its scaling config on Managed Instances) and waits for it, runs the
pre-traffic check, checks the rollback alarms, then moves the alias: at once for `all-at-once`, or
through a CodeDeploy deployment (`canary`, `linear`) that rolls back when one of the function's
alarms fires. It waits for the deployment, and after a rollback for CodeDeploy's separate rollback
deployment, before it reports; on its own timeout it stops the deployment with a rollback. Then it
retires what the old versions held and deletes versions beyond the retention.

Owns: the function's CodeDeploy deployment group (gradual styles) and the release step.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from pulumi_command import local

from components.codedeploy import CodeDeployApplication
from model.stack_config import FunctionSettings

RELEASE_COMMAND = "./scripts/release"
# CodeDeploy rolls back when the deployment fails or one of the group's alarms fires.
ROLLBACK_EVENTS = ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]


@dataclass(frozen=True)
class ReleaseArgs:
    crate: str
    function_name: pulumi.Input[str]
    alias_name: pulumi.Input[str]
    version: pulumi.Input[str]
    settings: FunctionSettings
    region: pulumi.Input[str]
    # The function's alarms: CodeDeploy's rollback triggers, and what the step checks before a shift.
    alarm_names: Sequence[pulumi.Input[str]] = ()
    # The stack's CodeDeploy application and service role (gradual styles only).
    codedeploy: CodeDeployApplication | None = None


def capacity_environment(settings: FunctionSettings) -> dict[str, str]:
    """What each version gets before it takes traffic: provisioned concurrency on standard Lambda, or
    its scaling config on Managed Instances."""
    placement = settings.managed_instances
    if placement is not None:
        return {
            "RELEASE_PLACEMENT": "managed-instances",
            "RELEASE_MIN_ENVIRONMENTS": str(placement.min_environments),
            "RELEASE_MAX_ENVIRONMENTS": str(placement.max_environments),
        }
    environment = {"RELEASE_PLACEMENT": "standard"}
    if settings.provisioned_concurrency is not None:
        environment["RELEASE_PROVISIONED_CONCURRENCY"] = str(settings.provisioned_concurrency)
    return environment


class Release(pulumi.ComponentResource):
    deployment_group: aws.codedeploy.DeploymentGroup | None
    step: local.Command

    def __init__(self, name: str, args: ReleaseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("rustlambda:index:Release", name, None, opts)
        deployment = args.settings.deployment
        self.deployment_group = None
        environment: dict[str, pulumi.Input[str]] = {
            "RELEASE_CRATE": args.crate,
            "RELEASE_FUNCTION": args.function_name,
            "RELEASE_ALIAS": args.alias_name,
            "RELEASE_VERSION": args.version,
            "RELEASE_STYLE": deployment.style,
            "RELEASE_REGION": args.region,
            "RELEASE_RETAIN_VERSIONS": str(deployment.retain_versions),
            "RELEASE_ALARMS": pulumi.Output.all(*args.alarm_names).apply(lambda names: json.dumps(sorted(names))),
            **capacity_environment(args.settings),
        }
        if args.settings.retry_version is not None:
            environment["RELEASE_RETRY_VERSION"] = str(args.settings.retry_version)
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
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[self.deployment_group] if self.deployment_group is not None else []
            ),
        )
        self.register_outputs({"stdout": self.step.stdout})
