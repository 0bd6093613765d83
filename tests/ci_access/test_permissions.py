"""ci_access's roles and boundaries, judged by an IAM policy evaluator (tests/iam): no
escalation, stacks apart, previews read-only, and the over-broad grants of issue 12 closed. The
attacks of the threat model (docs/security.md) have files of their own: test_created_roles.py,
test_conditions.py, test_github_oidc.py, test_previews.py, test_state_backend.py, test_accounts.py."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ci_access.permissions import (
    MANAGED_POLICY_MAX_CHARS,
    StateBackend,
    deploy_policy,
    policy_size,
    split_policy,
)
from ci_access.scope import StackScope, deploy_role_name, preview_role_name, validate_stacks
from ci_access.stacks import StackFile
from model.naming import codedeploy_role_name, permissions_boundary_arn
from offline.engine import ACCOUNT_ID
from tests.ci_access.plan_requests import stack_scope
from tests.ci_access.policies import STACKS, STATE, bootstrap_roles, boundary, deploy, operator, preview, scope
from tests.iam.evaluator import Decision, Policy, Request, describe_actions, evaluate

# The region the stacks deploy to (their stack files'), as the roles are built for it.
REGION = stack_scope("dev")[0].region
AT = f"{REGION}:{ACCOUNT_ID}"
OTHER_ACCOUNT = "210987654321"
ROLE_WRITES = ("iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:UpdateAssumeRolePolicy")
ALL_ROLE_CHANGES = (
    *ROLE_WRITES,
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
    "iam:DeleteRole",
)
MANAGED_POLICY = "arn:aws:iam::aws:policy/AWSLambdaManagedEC2ResourceOperator"


def role_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT_ID}:role/{name}"


def from_function(stack: str, crate: str = "http-api") -> dict[str, str]:
    """The request context of a call one of the stack's functions makes (Lambda adds the key)."""
    return {"lambda:SourceFunctionArn": f"arn:aws:lambda:{AT}:function:rustlambda-{stack}-{crate}"}


def decide(policies: dict[str, Policy], requests: list[Request]) -> list[Decision]:
    return evaluate(policies, requests)


def allowed(policy: Policy, action: str, resource: str, context: dict[str, Any] | None = None) -> bool:
    return decide({"p": policy}, [Request("p", action, [resource], context or {})])[0].allowed


# No escalation.


def test_no_allow_grants_a_role_write_without_a_permissions_boundary_condition() -> None:
    """Literally: every Allow statement of every ci_access role that names one of the four actions
    carries an iam:PermissionsBoundary condition."""
    for name, policy in bootstrap_roles(STATE).items():
        for document in policy.identity:
            for statement in json.loads(document)["Statement"]:
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                if statement["Effect"] == "Allow" and set(actions) & set(ROLE_WRITES):
                    keys = {k for values in statement.get("Condition", {}).values() for k in values}
                    assert "iam:PermissionsBoundary" in keys, (name, statement["Sid"])


def test_no_role_write_is_allowed_without_the_stacks_own_boundary() -> None:
    roles = bootstrap_roles(STATE)
    targets = [role_arn(f"rustlambda-{s}-{n}") for s in STACKS for n in ("x", "x-role", "operator")] + [
        role_arn("admin"),
        *(role_arn(deploy_role_name("rustlambda", s)) for s in STACKS),
        *(role_arn(preview_role_name("rustlambda", s)) for s in STACKS),
        *(role_arn(codedeploy_role_name("rustlambda", s)) for s in STACKS),
    ]
    boundaries: list[dict[str, Any]] = [
        {},
        {"iam:PermissionsBoundary": f"arn:aws:iam::{ACCOUNT_ID}:policy/anything"},
        {"iam:PermissionsBoundary": permissions_boundary_arn(OTHER_ACCOUNT, "rustlambda", "dev")},
    ]
    requests = [
        Request(name, action, [target], {**context, "iam:PolicyARN": MANAGED_POLICY})
        for name in roles
        for action in ALL_ROLE_CHANGES
        for target in targets
        for context in boundaries
    ]
    decisions = decide(roles, requests)
    assert [(r.policy, r.action, r.resources[0]) for r, d in zip(requests, decisions, strict=True) if d.allowed] == []


def test_with_its_boundary_a_deploy_role_changes_only_its_own_stacks_function_roles() -> None:
    roles = bootstrap_roles()
    requests, expected = [], []
    for stack in STACKS:
        for target_stack in STACKS:
            for action in (*ROLE_WRITES, "iam:PutRolePermissionsBoundary", "iam:DeleteRole"):
                context = {
                    "iam:PermissionsBoundary": scope(target_stack).boundary_arn,
                    "iam:PolicyARN": MANAGED_POLICY,
                }
                requests.append(
                    Request(f"deploy-{stack}", action, [role_arn(f"rustlambda-{target_stack}-fn-role")], context)
                )
                # A function role has no managed policy to attach.
                expected.append(stack == target_stack and action != "iam:AttachRolePolicy")
    assert [d.allowed for d in decide(roles, requests)] == expected


def test_only_the_operator_role_gets_a_managed_policy_and_only_its_own() -> None:
    operator = role_arn("rustlambda-prod-operator")
    with_boundary = {"iam:PermissionsBoundary": scope("prod").operator_boundary_arn}
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    cases: list[tuple[str, str, dict[str, Any], bool]] = [
        ("deploy-prod", operator, {**with_boundary, "iam:PolicyARN": MANAGED_POLICY}, True),
        ("deploy-prod", operator, {**with_boundary, "iam:PolicyARN": admin}, False),
        # The function boundary on the operator role, the operator boundary on a function role: no.
        (
            "deploy-prod",
            operator,
            {"iam:PermissionsBoundary": scope("prod").boundary_arn, "iam:PolicyARN": MANAGED_POLICY},
            False,
        ),
        ("deploy-prod", role_arn("rustlambda-prod-fn-role"), {**with_boundary, "iam:PolicyARN": MANAGED_POLICY}, False),
        # dev runs no Managed Instances: it has no operator role to attach anything to.
        (
            "deploy-dev",
            role_arn("rustlambda-dev-operator"),
            {"iam:PermissionsBoundary": scope("dev").operator_boundary_arn, "iam:PolicyARN": MANAGED_POLICY},
            False,
        ),
    ]
    requests = [Request(p, "iam:AttachRolePolicy", [r], c) for p, r, c, _ in cases]
    assert [d.allowed for d in decide(bootstrap_roles(), requests)] == [c[3] for c in cases]


def test_no_deploy_role_can_change_a_boundary_a_bootstrap_policy_or_a_boundary_on_a_role() -> None:
    roles = bootstrap_roles(STATE)
    policies = [scope(s).boundary_arn for s in STACKS] + [
        *(scope(s).operator_boundary_arn for s in STACKS),
        *(f"arn:aws:iam::{ACCOUNT_ID}:policy/{deploy_role_name('rustlambda', s)}-1" for s in STACKS),
        *(f"arn:aws:iam::{ACCOUNT_ID}:policy/{preview_role_name('rustlambda', s)}-1" for s in STACKS),
    ]
    actions = (
        "iam:CreatePolicyVersion",
        "iam:SetDefaultPolicyVersion",
        "iam:DeletePolicy",
        "iam:DeletePolicyVersion",
        "iam:TagPolicy",
        "iam:CreatePolicy",
    )
    requests = [Request(name, a, [p]) for name in roles for a in actions for p in policies]
    requests += [
        Request(
            name,
            "iam:DeleteRolePermissionsBoundary",
            [role_arn("rustlambda-dev-fn")],
            {"iam:PermissionsBoundary": scope("dev").boundary_arn},
        )
        for name in roles
    ]
    assert [r.action for r, d in zip(requests, decide(roles, requests), strict=True) if d.allowed] == []


def test_the_stacks_roles_are_passed_to_lambda_and_its_codedeploy_role_to_codedeploy_only() -> None:
    to_lambda = {"iam:PassedToService": "lambda.amazonaws.com"}
    to_codedeploy = {"iam:PassedToService": "codedeploy.amazonaws.com"}
    cases: list[tuple[str, str, dict[str, Any], bool]] = [
        ("deploy-dev", role_arn("rustlambda-dev-fn-role"), to_lambda, True),
        ("deploy-dev", role_arn("rustlambda-dev-fn-role"), {"iam:PassedToService": "ec2.amazonaws.com"}, False),
        ("deploy-dev", role_arn("admin"), to_lambda, False),
        ("deploy-dev", role_arn(codedeploy_role_name("rustlambda", "dev")), to_codedeploy, True),
        ("deploy-dev", role_arn(codedeploy_role_name("rustlambda", "dev")), to_lambda, False),
        ("deploy-dev", role_arn(codedeploy_role_name("rustlambda", "prod")), to_codedeploy, False),
        ("deploy-prod", role_arn("rustlambda-prod-operator"), to_lambda, True),
    ]
    requests = [Request(p, "iam:PassRole", [r], c) for p, r, c, _ in cases]
    assert [d.allowed for d in decide(bootstrap_roles(), requests)] == [c[3] for c in cases]


# The permissions boundary.


@pytest.mark.parametrize("action", ["iam:CreateRole", "iam:PutRolePolicy", "iam:PassRole", "iam:CreateAccessKey"])
def test_the_boundary_denies_iam(action: str) -> None:
    everything = Policy(
        [json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})],
        boundary("dev"),
    )
    decision = decide(
        {"p": everything},
        [
            Request(
                "p",
                action,
                [role_arn("rustlambda-dev-x"), f"arn:aws:iam::{ACCOUNT_ID}:user/someone"],
                from_function("dev"),
            )
        ],
    )[0]
    assert decision.decision == "ExplicitlyDenied"


def test_the_boundary_reaches_only_its_stacks_resources() -> None:
    everything = Policy(
        [json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})],
        boundary("dev"),
    )
    here = {"s3:ResourceAccount": ACCOUNT_ID}
    cases: list[tuple[str, str, dict[str, Any], bool]] = [
        ("dynamodb:GetItem", f"arn:aws:dynamodb:{AT}:table/rustlambda-dev-items", {}, True),
        ("dynamodb:GetItem", f"arn:aws:dynamodb:{AT}:table/rustlambda-prod-items", {}, False),
        ("s3:GetObject", "arn:aws:s3:::rustlambda-dev-uploads-1/incoming/a", here, True),
        (
            "s3:GetObject",
            "arn:aws:s3:::rustlambda-dev-uploads-1/incoming/a",
            {"s3:ResourceAccount": OTHER_ACCOUNT},
            False,
        ),
        ("s3:GetObject", "arn:aws:s3:::rustlambda-prod-uploads-1/incoming/a", here, False),
        ("secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:{AT}:secret:rustlambda-dev/key-AbCdEf", {}, True),
        ("secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:{AT}:secret:rustlambda-prod/key-AbCdEf", {}, False),
        ("sqs:SendMessage", f"arn:aws:sqs:{AT}:rustlambda-dev-q", {}, True),
        ("sqs:SendMessage", f"arn:aws:sqs:{AT}:rustlambda-prod-q", {}, False),
        ("lambda:InvokeFunction", f"arn:aws:lambda:{AT}:function:rustlambda-dev-x", {}, False),
        # The operator's grants are in a boundary of their own (test_created_roles.py).
        (
            "ec2:RunInstances",
            f"arn:aws:ec2:{AT}:instance/i-1",
            {"ec2:ManagedResourceOperator": "scaler.lambda.amazonaws.com"},
            False,
        ),
    ]
    requests = [Request("p", a, [r], {**c, **from_function("dev")}) for a, r, c, _ in cases]
    assert [d.allowed for d in decide({"p": everything}, requests)] == [c[3] for c in cases]


def test_kms_decrypt_in_the_boundary_is_only_through_secrets_manager() -> None:
    everything = Policy(
        [json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})],
        boundary("dev"),
    )
    key = f"arn:aws:kms:{AT}:key/1234"
    # Secrets Manager decrypts on the function's behalf (a forward access session: aws:ViaAWSService).
    on_behalf = {"aws:ViaAWSService": "true"}
    requests = [
        Request("p", "kms:Decrypt", [key], {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com", **on_behalf}),
        Request("p", "kms:Decrypt", [key], {"kms:ViaService": f"s3.{REGION}.amazonaws.com", **on_behalf}),
        Request("p", "kms:Decrypt", [key], from_function("dev")),
    ]
    assert [d.allowed for d in decide({"p": everything}, requests)] == [True, False, False]


# Stacks apart, and the over-broad grants of issue 12 (point 5) closed.


def test_http_apis_are_created_with_the_stacks_tags_and_changed_only_while_they_carry_them() -> None:
    apis = f"arn:aws:apigateway:{REGION}::/apis"
    api = f"{apis}/abc123"
    dev_tags = {"aws:ResourceTag/project": "rustlambda", "aws:ResourceTag/stack": "dev"}
    prod_tags = {"aws:ResourceTag/project": "rustlambda", "aws:ResourceTag/stack": "prod"}
    request_dev = {"aws:RequestTag/project": "rustlambda", "aws:RequestTag/stack": "dev"}
    request_prod = {"aws:RequestTag/project": "rustlambda", "aws:RequestTag/stack": "prod"}
    tags_of_api = f"arn:aws:apigateway:{REGION}::/tags/arn%3Aaws%3Aapigateway%3A{REGION}%3A%3A%2Fapis%2Fabc123"
    cases: list[tuple[str, str, dict[str, Any], bool]] = [
        ("apigateway:POST", apis, request_dev, True),
        ("apigateway:POST", apis, request_prod, False),
        ("apigateway:POST", apis, {}, False),
        ("apigateway:PATCH", api, dev_tags, True),
        ("apigateway:DELETE", api, prod_tags, False),
        ("apigateway:GET", api, {}, False),
        ("apigateway:POST", tags_of_api, {**dev_tags, **request_dev}, True),
        # Re-tag a prod API as dev's, or a dev API as prod's: no.
        ("apigateway:POST", tags_of_api, {**prod_tags, **request_dev}, False),
        ("apigateway:POST", tags_of_api, {**dev_tags, **request_prod}, False),
        ("apigateway:DELETE", tags_of_api, {**dev_tags, "aws:TagKeys": ["cost-center"]}, True),
        ("apigateway:DELETE", tags_of_api, {**dev_tags, "aws:TagKeys": ["stack"]}, False),
    ]
    requests = [Request("deploy-dev", a, [r], c) for a, r, c, _ in cases]
    assert [d.allowed for d in decide(bootstrap_roles(), requests)] == [c[3] for c in cases]


def test_vpc_endpoints_only_in_the_configured_vpc_and_route_tables() -> None:
    settings = stack_scope("prod")[1]
    assert settings.vpc_id == "vpc-0a1b2c3d4e5f60718"
    request_tags = {"aws:RequestTag/project": "rustlambda", "aws:RequestTag/stack": "prod"}
    owner = {"aws:ResourceTag/project": "rustlambda", "aws:ResourceTag/stack": "prod"}
    dynamodb = {"ec2:VpceServiceName": f"com.amazonaws.{REGION}.dynamodb"}
    cases: list[tuple[str, str, dict[str, Any], bool]] = [
        ("ec2:CreateVpcEndpoint", f"arn:aws:ec2:{AT}:vpc/{settings.vpc_id}", {}, True),
        ("ec2:CreateVpcEndpoint", f"arn:aws:ec2:{AT}:vpc/vpc-other", {}, False),
        ("ec2:CreateVpcEndpoint", f"arn:aws:ec2:{AT}:route-table/{settings.route_table_ids[0]}", {}, True),
        ("ec2:ModifyVpcEndpoint", f"arn:aws:ec2:{AT}:route-table/rtb-other", {}, False),
        ("ec2:CreateVpcEndpoint", f"arn:aws:ec2:{AT}:vpc-endpoint/vpce-1", {**request_tags, **dynamodb}, True),
        ("ec2:CreateVpcEndpoint", f"arn:aws:ec2:{AT}:vpc-endpoint/vpce-1", dynamodb, False),
        ("ec2:ModifyVpcEndpoint", f"arn:aws:ec2:{AT}:vpc-endpoint/vpce-1", owner, True),
        ("ec2:DeleteVpcEndpoints", f"arn:aws:ec2:{AT}:vpc-endpoint/vpce-other", {}, False),
        ("ec2:DeleteTags", f"arn:aws:ec2:{AT}:vpc-endpoint/vpce-1", {**owner, "aws:TagKeys": ["stack"]}, False),
    ]
    requests = [Request("deploy-prod", a, [r], c) for a, r, c, _ in cases]
    assert [d.allowed for d in decide(bootstrap_roles(), requests)] == [c[3] for c in cases]
    # dev has no Managed Instances: its role has no VPC endpoint statement at all.
    assert "ec2:CreateVpcEndpoint" not in deploy_policy(*stack_scope("dev"))


def test_event_source_mappings_only_for_the_stacks_functions_and_never_tagged() -> None:
    mapping = f"arn:aws:lambda:{AT}:event-source-mapping:1234"
    dev_fn = {"lambda:FunctionArn": f"arn:aws:lambda:{AT}:function:rustlambda-dev-sqs-processor"}
    prod_fn = {"lambda:FunctionArn": f"arn:aws:lambda:{AT}:function:rustlambda-prod-sqs-processor"}
    cases: list[tuple[str, str, dict[str, Any], bool]] = [
        ("lambda:CreateEventSourceMapping", "*", dev_fn, True),
        ("lambda:CreateEventSourceMapping", "*", prod_fn, False),
        ("lambda:UpdateEventSourceMapping", mapping, dev_fn, True),
        ("lambda:DeleteEventSourceMapping", mapping, prod_fn, False),
        ("lambda:TagResource", mapping, dev_fn, False),
        ("lambda:UntagResource", mapping, dev_fn, False),
    ]
    requests = [Request("deploy-dev", a, [r], c) for a, r, c, _ in cases]
    assert [d.allowed for d in decide(bootstrap_roles(), requests)] == [c[3] for c in cases]


def test_buckets_only_in_this_account() -> None:
    bucket = "arn:aws:s3:::rustlambda-dev-uploads-abc"
    assert allowed(deploy("dev"), "s3:PutBucketPolicy", bucket, {"s3:ResourceAccount": ACCOUNT_ID})
    assert not allowed(deploy("dev"), "s3:PutBucketPolicy", bucket, {"s3:ResourceAccount": OTHER_ACCOUNT})
    assert not allowed(deploy("dev"), "s3:PutBucketPolicy", bucket, {})


def test_the_state_backend_separates_the_stacks_state_and_secrets() -> None:
    bucket = STATE.bucket_arn
    dev_state = f"{bucket}/.pulumi/stacks/rustlambda/dev.json"
    prod_state = f"{bucket}/.pulumi/stacks/rustlambda/prod.json"
    prod_lock = f"{bucket}/.pulumi/locks/organization/rustlambda/prod/abc.json"
    via_s3 = {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}
    cases: list[tuple[str, str, str, dict[str, Any], bool]] = [
        ("deploy-dev", "s3:PutObject", dev_state, {}, True),
        ("deploy-dev", "s3:GetObject", prod_state, {}, False),
        ("deploy-dev", "s3:PutObject", prod_lock, {}, False),
        ("deploy-dev", "kms:Decrypt", STATE.key_arns["dev"], {}, True),
        ("deploy-dev", "kms:Decrypt", STATE.key_arns["prod"], {}, False),
        ("deploy-prod", "s3:PutObject", prod_lock, {}, True),
        ("deploy-prod", "s3:ListBucket", bucket, {}, True),
        # The bucket's key: through S3 only, data keys for the deploy roles only.
        ("deploy-dev", "kms:GenerateDataKey", STATE.bucket_key_arn, via_s3, True),
        ("deploy-dev", "kms:Decrypt", STATE.bucket_key_arn, {}, False),
        ("preview-dev", "kms:Decrypt", STATE.bucket_key_arn, via_s3, True),
        ("preview-dev", "kms:GenerateDataKey", STATE.bucket_key_arn, via_s3, False),
        ("preview-prod", "s3:GetObject", prod_state, {}, True),
        ("preview-dev", "s3:GetObject", prod_state, {}, False),
        ("preview-dev", "s3:PutObject", dev_state, {}, False),
        ("preview-prod", "kms:Decrypt", STATE.key_arns["prod"], {}, True),
        ("preview-dev", "kms:Decrypt", STATE.key_arns["prod"], {}, False),
        ("preview-dev", "kms:Encrypt", STATE.key_arns["dev"], {}, False),
    ]
    requests = [Request(p, a, [r], c) for p, a, r, c, _ in cases]
    assert [d.allowed for d in decide(bootstrap_roles(STATE), requests)] == [c[4] for c in cases]


# The preview roles (their attacks: test_previews.py).


@pytest.mark.parametrize("stack", STACKS)
def test_a_preview_role_only_reads(stack: str) -> None:
    actions = sorted(
        {
            a
            for document in preview(stack, STATE).identity
            for s in json.loads(document)["Statement"]
            for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
        }
    )
    levels = describe_actions(actions)
    # AWS classes kms:Decrypt as a write; for the preview it reads its own stack's state (the
    # bucket's key) and config secrets (the stack's state key), nothing else.
    assert {a: i.access_level for a, i in levels.items() if i.access_level not in ("Read", "List")} == {
        "kms:Decrypt": "Write"
    }
    assert all(i.exists for i in levels.values())


def test_a_preview_role_covers_its_own_stack_only() -> None:
    dev = preview("dev")
    assert allowed(dev, "lambda:GetFunction", f"arn:aws:lambda:{AT}:function:rustlambda-dev-x")
    assert not allowed(dev, "lambda:GetFunction", f"arn:aws:lambda:{AT}:function:rustlambda-prod-x")


# Sizes and names.


@pytest.mark.parametrize("state", [None, STATE], ids=["pulumi-cloud", "s3"])
def test_every_policy_fits_iams_limits(state: StateBackend | None) -> None:
    documents = [d for s in STACKS for d in (*preview(s, state).identity, *deploy(s, state).identity)]
    assert all(policy_size(d) <= MANAGED_POLICY_MAX_CHARS for d in documents)
    assert all(policy_size(boundary(s)) <= MANAGED_POLICY_MAX_CHARS for s in STACKS)
    assert policy_size(operator("prod")) <= MANAGED_POLICY_MAX_CHARS


def test_splitting_keeps_every_statement_once() -> None:
    document = deploy_policy(*stack_scope("prod"), STATE)
    parts = split_policy(document)
    merged = sorted((s for p in parts for s in json.loads(p)["Statement"]), key=lambda s: s["Sid"])
    assert merged == sorted(json.loads(document)["Statement"], key=lambda s: s["Sid"])


def test_the_policy_follows_account_region_and_project() -> None:
    text = deploy_policy(StackScope("other", "qa", OTHER_ACCOUNT, "ap-southeast-2"), StackFile("qa", "ap-southeast-2"))
    assert ACCOUNT_ID not in text and REGION not in text and "rustlambda" not in text
    assert "arn:aws:lambda:ap-southeast-2:210987654321:function:other-qa-*" in text


@pytest.mark.parametrize(
    ("stacks", "message"),
    [
        (["dev", "dev-eu"], "stacks 'dev' and 'dev-eu' overlap"),
        ([], "stacks is empty"),
        (["Prod"], "stacks entry 'Prod' is invalid"),
        (["dev", "dev"], "lists a stack twice"),
    ],
)
def test_overlapping_or_invalid_stack_names_are_refused(stacks: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_stacks(stacks)


def test_the_bootstraps_names_lie_outside_every_stack_prefix() -> None:
    for name in (
        deploy_role_name("rustlambda", "dev"),
        preview_role_name("rustlambda", "dev"),
        codedeploy_role_name("rustlambda", "dev"),
        "permissions-boundary-rustlambda-dev",
    ):
        assert not name.startswith("rustlambda-")
    assert scope("dev").boundary_arn == f"arn:aws:iam::{ACCOUNT_ID}:policy/permissions-boundary-rustlambda-dev"
    assert (
        scope("prod").operator_boundary_arn
        == f"arn:aws:iam::{ACCOUNT_ID}:policy/permissions-boundary-rustlambda-prod-operator"
    )
