"""ManagedInstances under Pulumi's mocks: the operator role, the capacity provider, the endpoint."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pulumi
import pytest

from components.managed_instances import ManagedInstances, ManagedInstancesArgs, dynamodb_service_name
from model.stack_config import ManagedInstancesSettings
from offline.deployed import Deployed
from offline.engine import ACCOUNT_ID, REGION, Registration, run_callable

SETTINGS = ManagedInstancesSettings(
    enabled=True,
    subnet_ids=("subnet-0a", "subnet-0b", "subnet-0c"),
    security_group_ids=("sg-01",),
    vpc_id="vpc-01",
    route_table_ids=("rtb-0a", "rtb-0b"),
    max_vcpu=16,
    scaling_mode="Auto",
)
ITEMS_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/rl-dev-items"
BOUNDARY = f"arn:aws:iam::{ACCOUNT_ID}:policy/permissions-boundary-rl-dev"
HAPPY = ManagedInstancesArgs(
    provider_name="rl-dev",
    settings=SETTINGS,
    account_id=ACCOUNT_ID,
    region=REGION,
    tags={"project": "rl"},
    permissions_boundary=BOUNDARY,
    table_arns={"items": ITEMS_ARN},
    table_actions=("dynamodb:GetItem",),
)
COMPONENT_URN = "urn:pulumi:dev::rustlambda::pulumi:pulumi:Stack$rustlambda:index:ManagedInstances::lmi"
OPERATOR_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/rl-dev-operator"
PROVIDER_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:capacity-provider:rl-dev"


def run(args: ManagedInstancesArgs, deployed: Deployed | None = None) -> tuple[dict[str, Registration], dict[str, Any]]:
    def program() -> None:
        component = ManagedInstances("lmi", args)
        pulumi.export("arn", component.arn)
        pulumi.export("operatorRoleArn", component.operator_role_arn)

    registrations, outputs = run_callable(program, "dev", {}, deployed=deployed)
    return {r.name: r for r in registrations if r.parent == COMPONENT_URN}, outputs


def test_the_component_registers_the_role_its_policy_the_provider_and_the_endpoint() -> None:
    children, outputs = run(HAPPY)
    assert {name: r.type for name, r in children.items()} == {
        "lmi-operator-role": "aws:iam/role:Role",
        "lmi-operator-access": "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "lmi-provider": "aws:lambda/capacityProvider:CapacityProvider",
        "lmi-dynamodb-endpoint": "aws:ec2/vpcEndpoint:VpcEndpoint",
    }
    assert outputs == {"arn": PROVIDER_ARN, "operatorRoleArn": OPERATOR_ARN}


def test_only_lambda_of_this_account_may_assume_the_operator_role() -> None:
    role = run(HAPPY)[0]["lmi-operator-role"]
    assert {k: v for k, v in role.inputs.items() if k != "assumeRolePolicy"} == {
        "name": "rl-dev-operator",
        "description": "Lambda's operator role for the capacity provider rl-dev",
        # Within the stack's boundary, like every role the stack creates.
        "permissionsBoundary": BOUNDARY,
        "tags": {"project": "rl"},
    }
    assert json.loads(role.inputs["assumeRolePolicy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}},
            }
        ],
    }


def test_the_operator_role_gets_the_aws_managed_operator_policy() -> None:
    children, _ = run(HAPPY)
    access = children["lmi-operator-access"]
    assert access.inputs == {
        "role": "rl-dev-operator",
        "policyArn": "arn:aws:iam::aws:policy/AWSLambdaManagedEC2ResourceOperator",
    }
    assert access.property_dependencies["role"] == [children["lmi-operator-role"].urn]


def test_the_provider_runs_arm64_instances_in_the_configured_network() -> None:
    children, _ = run(HAPPY)
    provider = children["lmi-provider"]
    assert provider.inputs == {
        "name": "rl-dev",
        "vpcConfig": {"subnetIds": ["subnet-0a", "subnet-0b", "subnet-0c"], "securityGroupIds": ["sg-01"]},
        "permissionsConfig": {"capacityProviderOperatorRoleArn": OPERATOR_ARN},
        "instanceRequirements": [{"architectures": ["arm64"]}],
        "capacityProviderScalingConfigs": [{"maxVcpuCount": 16.0, "scalingMode": "Auto"}],
        "tags": {"project": "rl"},
    }
    # Created only once the operator role holds its policy.
    assert sorted(provider.dependencies) == sorted(
        [children["lmi-operator-role"].urn, children["lmi-operator-access"].urn]
    )


def test_the_scaling_settings_reach_the_provider() -> None:
    settings = SETTINGS.model_copy(update={"max_vcpu": 64})
    provider = run(dataclasses.replace(HAPPY, settings=settings))[0]["lmi-provider"]
    assert provider.inputs["capacityProviderScalingConfigs"] == [{"maxVcpuCount": 64.0, "scalingMode": "Auto"}]


def test_a_dynamodb_gateway_endpoint_serves_the_subnets_route_tables() -> None:
    endpoint = run(HAPPY)[0]["lmi-dynamodb-endpoint"]
    assert endpoint.inputs == {
        "vpcId": "vpc-01",
        "serviceName": f"com.amazonaws.{REGION}.dynamodb",
        "vpcEndpointType": "Gateway",
        "routeTableIds": ["rtb-0a", "rtb-0b"],
        "policy": endpoint.inputs["policy"],
        "tags": {"project": "rl"},
    }
    # This account's principals, the functions' tables and item actions only.
    assert json.loads(endpoint.inputs["policy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "StackTablesOnly",
                "Effect": "Allow",
                "Principal": "*",
                "Action": ["dynamodb:GetItem"],
                "Resource": [ITEMS_ARN],
                "Condition": {"StringEquals": {"aws:PrincipalAccount": ACCOUNT_ID}},
            }
        ],
    }


def test_without_tables_there_is_no_endpoint() -> None:
    children, _ = run(dataclasses.replace(HAPPY, table_arns={}, table_actions=()))
    assert [r.type for r in children.values() if r.type == "aws:ec2/vpcEndpoint:VpcEndpoint"] == []


def test_the_endpoint_follows_the_region() -> None:
    endpoint = run(dataclasses.replace(HAPPY, region="eu-west-1"))[0]["lmi-dynamodb-endpoint"]
    assert endpoint.inputs["serviceName"] == "com.amazonaws.eu-west-1.dynamodb"
    assert dynamodb_service_name("ap-southeast-2") == "com.amazonaws.ap-southeast-2.dynamodb"


def test_the_provider_name_names_the_provider_and_its_role() -> None:
    children, outputs = run(dataclasses.replace(HAPPY, provider_name="rl-prod"))
    assert children["lmi-provider"].inputs["name"] == "rl-prod"
    assert children["lmi-operator-role"].inputs["name"] == "rl-prod-operator"
    assert outputs["operatorRoleArn"] == f"arn:aws:iam::{ACCOUNT_ID}:role/rl-prod-operator"


@pytest.mark.parametrize("provider_name", ["", "rl dev", "rl.dev", "x" * 56])
def test_an_invalid_provider_name_is_refused(provider_name: str) -> None:
    with pytest.raises(ValueError, match="provider_name"):
        run(dataclasses.replace(HAPPY, provider_name=provider_name))


def test_disabled_settings_are_refused() -> None:
    with pytest.raises(ValueError, match=r"settings\.enabled"):
        run(dataclasses.replace(HAPPY, settings=ManagedInstancesSettings()))


def test_subnets_in_fewer_than_three_availability_zones_are_refused() -> None:
    zones = {"subnet-0a": f"{REGION}a", "subnet-0b": f"{REGION}b", "subnet-0c": f"{REGION}a"}
    with pytest.raises(Exception, match="subnetIds spans 2 Availability Zone") as error:
        run(HAPPY, Deployed(subnet_zones=zones))
    assert (
        f"config managedInstances.subnetIds spans 2 Availability Zone(s) ({REGION}a: subnet-0a, subnet-0c; "
        f"{REGION}b: subnet-0b): set subnets in at least 3 different zones"
    ) in str(error.value)
    children, _ = run(HAPPY, Deployed(subnet_zones={**zones, "subnet-0c": f"{REGION}c"}))
    assert "lmi-provider" in children
