"""IAM policies through the real protocol: wildcard actions in every kind of policy document (JSON
strings and objects, both providers), administrator managed policies, and unknown values at preview."""

from __future__ import annotations

import json
from typing import Any

import pytest

from offline.analyzer import PolicyPackClient
from tests.policies.resources import ACCOUNT, UNKNOWN, preview_notice, run

WILDCARD = "iam-policy-no-wildcard-actions"
ADMIN = "iam-role-no-admin-policies"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
MANAGED_POLICY = "aws:iam/policy:Policy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
NATIVE_ROLE = "aws-native:iam:Role"
NATIVE_ROLE_POLICY = "aws-native:iam:RolePolicy"
TABLE = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/rustlambda-dev-items"


def statements() -> list[dict[str, Any]]:
    """The statements the project's components write (exact actions, exact ARNs; X-Ray on *)."""
    return [
        {
            "Sid": "TableItems",
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:PutItem"],
            "Resource": [TABLE],
        },
        {
            "Sid": "XRayTracing",
            "Effect": "Allow",
            "Action": ["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
            "Resource": ["*"],
        },
    ]


def document(*extra: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [*statements(), *extra]}


def role_policy(*extra: dict[str, Any]) -> dict[str, Any]:
    return {"role": "rustlambda-dev-http-api-role", "policy": json.dumps(document(*extra))}


def wildcard(label: str, resource: str, action: str, scope: str) -> tuple[str, str, str]:
    return (
        WILDCARD,
        f"{label} of {resource} allows {action!r}, every action {scope}: list the exact actions needed instead.",
        "mandatory",
    )


def test_happy_documents_pass(pack: PolicyPackClient) -> None:
    assert run(pack, ROLE_POLICY, "rp", role_policy()) == []
    assert run(pack, MANAGED_POLICY, "mp", {"policy": json.dumps(document())}) == []
    assert run(pack, ROLE, "role", {"inlinePolicies": [{"name": "app", "policy": json.dumps(document())}]}) == []
    assert run(pack, NATIVE_ROLE_POLICY, "nrp", {"roleName": "r", "policyDocument": document()}) == []
    assert run(pack, NATIVE_ROLE, "nr", {"policies": [{"policyName": "app", "policyDocument": document()}]}) == []
    # A wildcard in a Deny takes permissions away.
    deny = {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    assert run(pack, ROLE_POLICY, "rp", role_policy(deny)) == []


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        pytest.param(
            {"Sid": "Admin", "Effect": "Allow", "Action": "*", "Resource": "*"},
            [wildcard("Policy statement 'Admin'", "rp", "*", "of every service")],
            id="star",
        ),
        pytest.param(
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:*"], "Resource": "*"},
            [wildcard("Policy statement 3", "rp", "s3:*", "of s3")],
            id="service-star",
        ),
        pytest.param(
            {"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"},
            [],
            id="prefix-wildcards-are-not-in-scope",
        ),
        pytest.param(
            {"Sid": "AllBut", "Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"},
            [
                (
                    WILDCARD,
                    "Policy statement 'AllBut' of rp allows every action except 'iam:*' (NotAction with Allow): "
                    "list the exact actions needed in Action instead.",
                    "mandatory",
                )
            ],
            id="not-action",
        ),
    ],
)
def test_role_policy_changes(pack: PolicyPackClient, extra: dict[str, Any], expected: list[Any]) -> None:
    assert run(pack, ROLE_POLICY, "rp", role_policy(extra)) == expected


def test_every_document_kind(pack: PolicyPackClient) -> None:
    star = {"Sid": "Everything", "Effect": "Allow", "Action": "*", "Resource": "*"}
    single = {"Version": "2012-10-17", "Statement": star}  # one statement, not a list
    assert run(pack, MANAGED_POLICY, "mp", {"policy": json.dumps(single)}) == [
        wildcard("Policy statement 'Everything'", "mp", "*", "of every service")
    ]
    role = {
        "inlinePolicies": [
            {"name": "ok", "policy": json.dumps(document())},
            {"name": "bad", "policy": json.dumps(single)},
        ]
    }
    assert run(pack, ROLE, "role", role) == [
        wildcard("Inline policy 'bad' statement 'Everything'", "role", "*", "of every service")
    ]
    assert run(pack, NATIVE_ROLE_POLICY, "nrp", {"roleName": "r", "policyDocument": document(star)}) == [
        wildcard("PolicyDocument statement 'Everything'", "nrp", "*", "of every service")
    ]
    native_role = {"policies": [{"policyName": "app", "policyDocument": document({**star, "Action": "dynamodb:*"})}]}
    assert run(pack, NATIVE_ROLE, "nr", native_role) == [
        wildcard("Inline policy 'app' statement 'Everything'", "nr", "dynamodb:*", "of dynamodb")
    ]


def test_unknown_documents_are_judged_at_update(pack: PolicyPackClient) -> None:
    # A document built from outputs of resources not yet created is unknown as a whole at preview.
    assert run(pack, ROLE_POLICY, "rp", {"role": "r", "policy": UNKNOWN}) == [
        preview_notice(WILDCARD, "the actions of policy of rp")
    ]
    # Unknown ARNs inside a document do not stop its actions from being judged.
    unknown_resource = document({"Sid": "Queue", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": UNKNOWN})
    assert run(pack, ROLE_POLICY, "rp", {"role": "r", "policy": json.dumps(unknown_resource)}) == []
    # Known wildcards are reported at preview; an unknown action is deferred, not passed.
    mixed = document(
        {"Sid": "Star", "Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Sid": "Later", "Effect": "Allow", "Action": [UNKNOWN], "Resource": "*"},
    )
    assert run(pack, NATIVE_ROLE_POLICY, "nrp", {"policyDocument": mixed}) == [
        wildcard("PolicyDocument statement 'Star'", "nrp", "*", "of every service"),
        preview_notice(WILDCARD, "the actions of policyDocument statement 'Later' of nrp"),
    ]


def attachment(policy: str, partition: str = "aws") -> dict[str, Any]:
    return {"role": "rustlambda-prod-operator", "policyArn": f"arn:{partition}:iam::aws:policy/{policy}"}


def admin(resource: str, holder: str, policy: str, arn: str) -> tuple[str, str, str]:
    return (
        ADMIN,
        f"{resource} gives {holder} the AWS managed policy {policy} ({arn}): attach a policy that lists the exact "
        "actions the role needs instead.",
        "mandatory",
    )


def test_admin_policies(pack: PolicyPackClient) -> None:
    operator = "arn:aws:iam::aws:policy/AWSLambdaManagedEC2ResourceOperator"
    assert run(pack, ATTACHMENT, "att", attachment("AWSLambdaManagedEC2ResourceOperator")) == []
    assert run(pack, ROLE, "role", {"name": "r", "managedPolicyArns": [operator]}) == []
    # A customer managed policy of the same name is not AWS's.
    own = {"role": "r", "policyArn": f"arn:aws:iam::{ACCOUNT}:policy/AdministratorAccess"}
    assert run(pack, ATTACHMENT, "att", own) == []

    assert run(pack, ATTACHMENT, "att", attachment("AdministratorAccess")) == [
        admin(
            "att", "role rustlambda-prod-operator", "AdministratorAccess", "arn:aws:iam::aws:policy/AdministratorAccess"
        )
    ]
    assert run(pack, ATTACHMENT, "att", attachment("PowerUserAccess", "aws-cn")) == [
        admin("att", "role rustlambda-prod-operator", "PowerUserAccess", "arn:aws-cn:iam::aws:policy/PowerUserAccess")
    ]
    admin_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
    assert run(pack, ROLE, "role", {"name": "r", "managedPolicyArns": [operator, admin_arn]}) == [
        admin("role", "role r", "AdministratorAccess", admin_arn)
    ]
    assert run(pack, NATIVE_ROLE, "nr", {"roleName": "nr", "managedPolicyArns": [admin_arn]}) == [
        admin("nr", "role nr", "AdministratorAccess", admin_arn)
    ]
    assert run(pack, ATTACHMENT, "att", {"role": "r", "policyArn": UNKNOWN}) == [
        preview_notice(ADMIN, "policyArn of att")
    ]


def test_denied_managed_policies_are_configurable(pack: PolicyPackClient) -> None:
    iam_full = "arn:aws:iam::aws:policy/IAMFullAccess"
    pack.configure({ADMIN: {"deniedManagedPolicies": ["IAMFullAccess"]}})
    try:
        assert run(pack, ATTACHMENT, "att", attachment("AdministratorAccess")) == []
        assert run(pack, ATTACHMENT, "att", attachment("IAMFullAccess")) == [
            admin("att", "role rustlambda-prod-operator", "IAMFullAccess", iam_full)
        ]
    finally:
        pack.configure({})
