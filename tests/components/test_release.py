"""Release and CodeDeployApplication under Pulumi's mocks: the release step's command and settings,
the deployment group of gradual styles (alarms as rollback triggers), run with ci_access's
CodeDeploy role (its policy: tests/ci_access/test_created_roles.py)."""

from __future__ import annotations

import json

import pytest

from components.codedeploy import CodeDeployApplication, CodeDeployApplicationArgs
from components.release import Release, ReleaseArgs
from model.naming import codedeploy_role_arn
from model.stack_config import DeploymentSettings, FunctionSettings, ManagedInstancesPlacement
from offline.engine import ACCOUNT_ID, REGION, Registration, run_callable

FUNCTION = "rl-prod-http-api"
CODEDEPLOY_ROLE = codedeploy_role_arn(ACCOUNT_ID, "rl", "prod")


def run(
    deployment: DeploymentSettings,
    with_codedeploy: bool = True,
    provisioned: int | None = None,
    placement: ManagedInstancesPlacement | None = None,
    retry: int | None = None,
) -> dict[str, Registration]:
    settings = FunctionSettings(
        memory=128,
        timeout=10,
        deployment=deployment,
        provisioned_concurrency=provisioned,
        managed_instances=placement,
        retry_version=retry,
    )

    def program() -> None:
        codedeploy = (
            CodeDeployApplication("codedeploy", CodeDeployApplicationArgs("rl-prod", CODEDEPLOY_ROLE))
            if with_codedeploy
            else None
        )
        Release(
            "http-api-release",
            ReleaseArgs(
                crate="http-api",
                function_name=FUNCTION,
                alias_name="live",
                version="7",
                settings=settings,
                region=REGION,
                alarm_names=[f"{FUNCTION}-errors", f"{FUNCTION}-duration-p99"],
                codedeploy=codedeploy,
            ),
        )

    registrations, _ = run_callable(program, "prod", {})
    return {r.name: r for r in registrations}


ALARMS = json.dumps(sorted([f"{FUNCTION}-errors", f"{FUNCTION}-duration-p99"]))


def test_all_at_once_runs_the_release_step_on_each_new_version_without_codedeploy() -> None:
    resources = run(DeploymentSettings(), with_codedeploy=False)
    step = resources["http-api-release-step"]
    assert step.type == "command:local:Command"
    # No `triggers`: pulumi-command replaces a command whose triggers change (and never runs `update`);
    # a new version changes the environment, which updates it: `update` runs.
    assert step.inputs == {
        "create": "./scripts/release",
        "update": "./scripts/release",
        "environment": {
            "RELEASE_CRATE": "http-api",
            "RELEASE_FUNCTION": FUNCTION,
            "RELEASE_ALIAS": "live",
            "RELEASE_VERSION": "7",
            "RELEASE_STYLE": "all-at-once",
            "RELEASE_REGION": REGION,
            "RELEASE_RETAIN_VERSIONS": "2",
            "RELEASE_ALARMS": ALARMS,
            "RELEASE_PLACEMENT": "standard",
        },
    }
    assert "http-api-release-group" not in resources


def test_each_version_gets_its_capacity_from_the_step() -> None:
    warm = run(DeploymentSettings(), with_codedeploy=False, provisioned=5, retry=6)
    environment = warm["http-api-release-step"].inputs["environment"]
    assert (environment["RELEASE_PROVISIONED_CONCURRENCY"], environment["RELEASE_RETRY_VERSION"]) == ("5", "6")
    placement = ManagedInstancesPlacement(
        max_concurrency=64, memory_gib_per_vcpu=2, min_environments=3, max_environments=8
    )
    on_provider = run(DeploymentSettings(retain_versions=1), with_codedeploy=False, placement=placement)
    environment = on_provider["http-api-release-step"].inputs["environment"]
    assert {
        k: v
        for k, v in environment.items()
        if k in ("RELEASE_PLACEMENT", "RELEASE_MIN_ENVIRONMENTS", "RELEASE_MAX_ENVIRONMENTS", "RELEASE_RETAIN_VERSIONS")
    } == {
        "RELEASE_PLACEMENT": "managed-instances",
        "RELEASE_MIN_ENVIRONMENTS": "3",
        "RELEASE_MAX_ENVIRONMENTS": "8",
        "RELEASE_RETAIN_VERSIONS": "1",
    }


def test_a_canary_release_deploys_through_a_group_that_rolls_back_on_the_functions_alarms() -> None:
    resources = run(DeploymentSettings(style="canary", minutes=10))
    group = resources["http-api-release-group"]
    assert group.inputs == {
        "appName": "rl-prod",
        "deploymentGroupName": FUNCTION,
        "serviceRoleArn": f"arn:aws:iam::{ACCOUNT_ID}:role/codedeploy-rl-prod",
        "deploymentConfigName": "CodeDeployDefault.LambdaCanary10Percent10Minutes",
        "deploymentStyle": {"deploymentOption": "WITH_TRAFFIC_CONTROL", "deploymentType": "BLUE_GREEN"},
        "autoRollbackConfiguration": {"enabled": True, "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]},
        "alarmConfiguration": {"enabled": True, "alarms": [f"{FUNCTION}-errors", f"{FUNCTION}-duration-p99"]},
    }
    step = resources["http-api-release-step"]
    assert step.inputs["environment"] == {
        "RELEASE_CRATE": "http-api",
        "RELEASE_FUNCTION": FUNCTION,
        "RELEASE_ALIAS": "live",
        "RELEASE_VERSION": "7",
        "RELEASE_STYLE": "canary",
        "RELEASE_REGION": REGION,
        "RELEASE_RETAIN_VERSIONS": "2",
        "RELEASE_ALARMS": ALARMS,
        "RELEASE_PLACEMENT": "standard",
        "RELEASE_CODEDEPLOY_APPLICATION": "rl-prod",
        "RELEASE_CODEDEPLOY_GROUP": FUNCTION,
        "RELEASE_DEPLOYMENT_CONFIG": "CodeDeployDefault.LambdaCanary10Percent10Minutes",
        "RELEASE_STEP_MINUTES": "10",
    }
    # The step waits for the group.
    assert group.urn in step.dependencies


def test_codedeploy_runs_with_ci_accesss_role_and_the_program_creates_no_role() -> None:
    resources = run(DeploymentSettings(style="linear", minutes=1))
    assert resources["codedeploy-application"].inputs == {"name": "rl-prod", "computePlatform": "Lambda", "tags": {}}
    assert [r.name for r in resources.values() if r.type.startswith("aws:iam/")] == []
    assert resources["http-api-release-group"].inputs["serviceRoleArn"] == CODEDEPLOY_ROLE
    assert resources["http-api-release-group"].inputs["deploymentConfigName"] == (
        "CodeDeployDefault.LambdaLinear10PercentEvery1Minute"
    )


def test_a_gradual_release_without_the_stacks_codedeploy_application_is_refused() -> None:
    with pytest.raises(ValueError, match="a canary release needs the stack's CodeDeploy application and role"):
        run(DeploymentSettings(style="canary"), with_codedeploy=False)
