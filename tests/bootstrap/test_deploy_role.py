"""GithubDeployRole: its policy documents as pure functions, and the component under Pulumi's mocks."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pulumi
import pytest

from bootstrap.deploy_role import (
    UNSCOPABLE_ACTIONS,
    GithubDeployRole,
    GithubDeployRoleArgs,
    deploy_policy,
    deploy_statements,
    github_trust_policy,
    subjects,
)
from offline.engine import ACCOUNT_ID, REGION, Registration, run_callable

REPO = "octo-org/rustlambda"
PROVIDER_ARN = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/token.actions.githubusercontent.com"
EXISTING_ARN = "arn:aws:iam::210987654321:oidc-provider/token.actions.githubusercontent.com"
HAPPY = GithubDeployRoleArgs(
    repository=REPO,
    branches=("main",),
    environments=("prod",),
    account_id=ACCOUNT_ID,
    region=REGION,
    project="rustlambda",
    tags={"project": "rustlambda"},
)
COMPONENT_URN = "urn:pulumi:dev::rustlambda::pulumi:pulumi:Stack$rustlambda:index:GithubDeployRole::ci"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/github-deploy-rustlambda"
TRUST_MAIN_AND_PROD = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Federated": PROVIDER_ARN},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {
                    "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                    "token.actions.githubusercontent.com:sub": [
                        "repo:octo-org/rustlambda:environment:prod",
                        "repo:octo-org/rustlambda:ref:refs/heads/main",
                    ],
                }
            },
        }
    ],
}


def run(args: GithubDeployRoleArgs) -> tuple[dict[str, Registration], dict[str, Any]]:
    def program() -> None:
        component = GithubDeployRole("ci", args)
        pulumi.export("roleArn", component.role_arn)
        pulumi.export("providerArn", component.provider_arn)

    registrations, outputs = run_callable(program, "dev", {})
    return {r.name: r for r in registrations if r.parent == COMPONENT_URN}, outputs


def statements(policy: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in policy["Statement"]}


def actions(statement: dict[str, Any]) -> list[str]:
    value = statement["Action"]
    return [value] if isinstance(value, str) else list(value)


# The pure policy documents.


def test_the_trust_policy_allows_exactly_main_and_the_prod_environment() -> None:
    allowed = subjects(REPO, ["main"], ["prod"], pull_requests=False)
    assert json.loads(github_trust_policy(PROVIDER_ARN, allowed)) == TRUST_MAIN_AND_PROD


def test_pull_requests_add_only_the_pull_request_subject() -> None:
    assert subjects(REPO, ["main"], [], pull_requests=True) == [
        "repo:octo-org/rustlambda:pull_request",
        "repo:octo-org/rustlambda:ref:refs/heads/main",
    ]


def test_subjects_list_every_branch_and_environment_once() -> None:
    assert subjects(REPO, ["main", "release/v1", "main"], ["dev", "prod"], pull_requests=False) == [
        "repo:octo-org/rustlambda:environment:dev",
        "repo:octo-org/rustlambda:environment:prod",
        "repo:octo-org/rustlambda:ref:refs/heads/main",
        "repo:octo-org/rustlambda:ref:refs/heads/release/v1",
    ]


@pytest.mark.parametrize(
    "repository", ["rustlambda", "octo-org/", "/rustlambda", "octo org/rustlambda", "a/b/c", "-octo/x", "octo/.."]
)
def test_a_repository_not_of_the_form_owner_name_is_refused(repository: str) -> None:
    with pytest.raises(ValueError, match="repository"):
        subjects(repository, ["main"], [], pull_requests=False)


@pytest.mark.parametrize(("branches", "environments", "key"), [(["*"], [], "branches"), ([], ["pr?d"], "environments")])
def test_wildcards_are_refused(branches: list[str], environments: list[str], key: str) -> None:
    with pytest.raises(ValueError, match=key):
        subjects(REPO, branches, environments, pull_requests=False)


def test_no_branch_and_no_environment_is_refused() -> None:
    with pytest.raises(ValueError, match="branches and environments"):
        subjects(REPO, [], [], pull_requests=True)


def test_no_statement_allows_a_wildcard_action() -> None:
    for statement in deploy_statements(ACCOUNT_ID, REGION, "rustlambda"):
        for action in actions(statement):
            service, _, name = action.partition(":")
            assert service and name, action
            assert "*" not in action and "?" not in action, action


def test_only_the_named_statements_use_the_wildcard_resource() -> None:
    wildcard = {s["Sid"]: s for s in deploy_statements(ACCOUNT_ID, REGION, "rustlambda") if "*" in s["Resource"]}
    assert sorted(wildcard) == ["AccountWideActions", "LambdaCreateEventSourceMappings"]
    assert wildcard["AccountWideActions"] == {
        "Sid": "AccountWideActions",
        "Effect": "Allow",
        "Action": sorted(UNSCOPABLE_ACTIONS),
        "Resource": ["*"],
    }
    assert sorted(UNSCOPABLE_ACTIONS) == [
        "cloudwatch:DescribeAlarms",
        "ec2:DescribePrefixLists",
        "ec2:DescribeRouteTables",
        "ec2:DescribeVpcEndpoints",
        "logs:CreateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:DescribeResourcePolicies",
        "logs:GetLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:UpdateLogDelivery",
    ]
    # Creating a mapping is limited to the project's functions by the one key AWS offers for it.
    assert wildcard["LambdaCreateEventSourceMappings"]["Condition"] == {
        "ArnLike": {"lambda:FunctionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:rustlambda-*"}
    }


def test_resources_are_scoped_to_the_project_prefix() -> None:
    by_sid = statements(json.loads(deploy_policy(ACCOUNT_ID, REGION, "rustlambda")))
    at = f"{REGION}:{ACCOUNT_ID}"
    assert {sid: s["Resource"] for sid, s in by_sid.items()} == {
        "LambdaFunctions": [f"arn:aws:lambda:{at}:function:rustlambda-*"],
        "LambdaCapacityProviders": [f"arn:aws:lambda:{at}:capacity-provider:rustlambda-*"],
        "LambdaCreateEventSourceMappings": ["*"],
        "LambdaEventSourceMappings": [f"arn:aws:lambda:{at}:event-source-mapping:*"],
        "LambdaReadEventSourceMappings": [f"arn:aws:lambda:{at}:event-source-mapping:*"],
        "IamRoles": [f"arn:aws:iam::{ACCOUNT_ID}:role/rustlambda-*"],
        "IamAttachStackPolicies": [f"arn:aws:iam::{ACCOUNT_ID}:role/rustlambda-*"],
        "IamPassRolesToLambda": [f"arn:aws:iam::{ACCOUNT_ID}:role/rustlambda-*"],
        "LogGroups": [
            f"arn:aws:logs:{at}:log-group:/aws/apigateway/rustlambda-*",
            f"arn:aws:logs:{at}:log-group:/aws/lambda/rustlambda-*",
        ],
        "SqsQueues": [f"arn:aws:sqs:{at}:rustlambda-*"],
        "S3Buckets": ["arn:aws:s3:::rustlambda-*"],
        "DynamoDbTables": [f"arn:aws:dynamodb:{at}:table/rustlambda-*"],
        "Secrets": [f"arn:aws:secretsmanager:{at}:secret:rustlambda-*"],
        "EventRules": [f"arn:aws:events:{at}:rule/rustlambda-*"],
        "HttpApis": [f"arn:aws:apigateway:{REGION}::/apis", f"arn:aws:apigateway:{REGION}::/apis/*"],
        "HttpApiTags": [f"arn:aws:apigateway:{REGION}::/tags/*"],
        "Alarms": [f"arn:aws:cloudwatch:{at}:alarm:rustlambda-*"],
        "SnsTopics": [f"arn:aws:sns:{at}:rustlambda-*"],
        "VpcEndpointCreate": [f"arn:aws:ec2:{at}:vpc-endpoint/*"],
        "VpcEndpointTagOnCreate": [f"arn:aws:ec2:{at}:vpc-endpoint/*"],
        "VpcEndpointManage": [f"arn:aws:ec2:{at}:vpc-endpoint/*"],
        "VpcEndpointNetwork": [f"arn:aws:ec2:{at}:route-table/*", f"arn:aws:ec2:{at}:vpc/*"],
        "DescribeLogGroups": [f"arn:aws:logs:{at}:log-group:*"],
        "AccountWideActions": ["*"],
    }
    assert {s["Effect"] for s in by_sid.values()} == {"Allow"}


def test_roles_are_passed_to_lambda_only_and_only_the_stacks_managed_policy_is_attachable() -> None:
    by_sid = statements(json.loads(deploy_policy(ACCOUNT_ID, REGION, "rustlambda")))
    assert by_sid["IamPassRolesToLambda"]["Action"] == ["iam:PassRole"]
    assert by_sid["IamPassRolesToLambda"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}
    }
    assert by_sid["IamAttachStackPolicies"]["Action"] == ["iam:AttachRolePolicy", "iam:DetachRolePolicy"]
    assert by_sid["IamAttachStackPolicies"]["Condition"] == {
        "ArnEquals": {"iam:PolicyARN": ["arn:aws:iam::aws:policy/AWSLambdaManagedEC2ResourceOperator"]}
    }
    granted = {a for s in by_sid.values() for a in actions(s)}
    assert "iam:PassRole" not in actions(by_sid["IamRoles"])
    assert {"iam:AttachRolePolicy", "iam:CreatePolicy", "iam:CreateOpenIDConnectProvider"} & set(
        actions(by_sid["IamRoles"])
    ) == set()
    assert "lambda:PassCapacityProvider" in granted
    assert not any(
        a.startswith(("s3:GetObject", "s3:PutObject", "s3:DeleteObject", "dynamodb:GetItem")) for a in granted
    )


def test_vpc_endpoints_are_changed_only_when_tagged_with_the_project() -> None:
    by_sid = statements(json.loads(deploy_policy(ACCOUNT_ID, REGION, "rustlambda")))
    assert by_sid["VpcEndpointCreate"]["Condition"] == {"StringEquals": {"aws:RequestTag/project": "rustlambda"}}
    assert by_sid["VpcEndpointManage"]["Condition"] == {"StringEquals": {"aws:ResourceTag/project": "rustlambda"}}
    assert by_sid["VpcEndpointTagOnCreate"]["Condition"] == {"StringEquals": {"ec2:CreateAction": "CreateVpcEndpoint"}}


def test_the_policy_follows_account_region_and_project() -> None:
    text = deploy_policy("210987654321", "eu-west-1", "other")
    assert "123456789012" not in text and REGION not in text and "rustlambda" not in text
    by_sid = statements(json.loads(text))
    assert by_sid["LambdaFunctions"]["Resource"] == ["arn:aws:lambda:eu-west-1:210987654321:function:other-*"]
    assert by_sid["IamRoles"]["Resource"] == ["arn:aws:iam::210987654321:role/other-*"]


# The component under mocks.


def test_the_component_creates_the_provider_the_role_and_its_policy() -> None:
    children, outputs = run(HAPPY)
    assert {name: r.type for name, r in children.items()} == {
        "ci-oidc-provider": "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
        "ci-role": "aws:iam/role:Role",
        "ci-policy": "aws:iam/rolePolicy:RolePolicy",
    }
    assert children["ci-oidc-provider"].inputs == {
        "url": "https://token.actions.githubusercontent.com",
        "clientIdLists": ["sts.amazonaws.com"],
        "tags": {"project": "rustlambda"},
    }
    assert outputs == {"roleArn": ROLE_ARN, "providerArn": PROVIDER_ARN}


def test_the_role_trusts_the_new_provider_for_main_and_prod() -> None:
    children, _ = run(HAPPY)
    role = children["ci-role"]
    assert {k: v for k, v in role.inputs.items() if k != "assumeRolePolicy"} == {
        "name": "github-deploy-rustlambda",
        "description": "GitHub Actions deploys of rustlambda from octo-org/rustlambda",
        "maxSessionDuration": 3600.0,
        "tags": {"project": "rustlambda"},
    }
    assert json.loads(role.inputs["assumeRolePolicy"]) == TRUST_MAIN_AND_PROD
    assert role.property_dependencies["assumeRolePolicy"] == [children["ci-oidc-provider"].urn]


def test_the_role_policy_is_the_deploy_policy() -> None:
    children, _ = run(HAPPY)
    policy = children["ci-policy"]
    assert policy.inputs["role"] == "ci-role-id"
    assert json.loads(policy.inputs["policy"]) == json.loads(deploy_policy(ACCOUNT_ID, REGION, "rustlambda"))
    assert policy.property_dependencies["role"] == [children["ci-role"].urn]


def test_an_existing_provider_is_reused_and_none_is_created() -> None:
    children, outputs = run(dataclasses.replace(HAPPY, existing_provider_arn=EXISTING_ARN))
    assert sorted(children) == ["ci-policy", "ci-role"]
    trust = json.loads(children["ci-role"].inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Federated": EXISTING_ARN}
    assert outputs == {"roleArn": ROLE_ARN, "providerArn": EXISTING_ARN}


def test_pull_requests_reach_the_trust_policy() -> None:
    children, _ = run(dataclasses.replace(HAPPY, environments=(), pull_requests=True))
    trust = json.loads(children["ci-role"].inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"] == [
        "repo:octo-org/rustlambda:pull_request",
        "repo:octo-org/rustlambda:ref:refs/heads/main",
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"repository": "octo-org"}, "repository"),
        (
            {"existing_provider_arn": "arn:aws:iam::123456789012:oidc-provider/accounts.google.com"},
            "existing_provider_arn",
        ),
        ({"project": "Rust Lambda"}, "project"),
        # The role's own name, github-deploy-github, would fall under the `github-` prefix it manages.
        ({"project": "github"}, "project"),
    ],
)
def test_invalid_arguments_are_refused_naming_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        run(dataclasses.replace(HAPPY, **change))
