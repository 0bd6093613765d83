"""IAM policies through the real protocol: wildcard actions in every kind of policy document (JSON
strings and objects, both providers), resource scope, privilege escalation, administrator managed
policies through every attachment form, public principals, and unknown values at preview."""

from __future__ import annotations

import json
from typing import Any

import pytest

from offline.analyzer import PolicyPackClient
from tests.policies.resources import ACCOUNT, UNKNOWN, escape, preview_notice, run

WILDCARD = "iam-policy-no-wildcard-actions"
ADMIN = "iam-principal-no-admin-policies"
SCOPE = "iam-policy-resource-scope"
ESCALATION = "iam-policy-privilege-escalation"
PUBLIC = "iam-resource-policy-no-public-principal"
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
        f"{label} of {resource} allows {action!r}, every action {scope}: list the exact actions needed instead."
        + escape(resource),
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
            {"Sid": "Admin", "Effect": "Allow", "Action": "*", "Resource": TABLE},
            [wildcard("Policy statement 'Admin'", "rp", "*", "of every service")],
            id="star",
        ),
        pytest.param(
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:*"], "Resource": "arn:aws:s3:::rustlambda-dev-data/*"},
            [wildcard("Policy statement 3", "rp", "s3:*", "of s3")],
            id="service-star",
        ),
        pytest.param(
            {"Effect": "Allow", "Action": "s3:GetObject*", "Resource": "arn:aws:s3:::rustlambda-dev-data/*"},
            [],
            id="read-only-prefix-wildcards-pass",
        ),
        pytest.param(
            {"Effect": "Allow", "Action": "iam:Attach*", "Resource": f"arn:aws:iam::{ACCOUNT}:role/app"},
            [
                (
                    WILDCARD,
                    "Policy statement 3 of rp allows 'iam:Attach*', 3 actions, among them permissions management "
                    "'iam:AttachGroupPolicy', 'iam:AttachRolePolicy', 'iam:AttachUserPolicy': list the exact actions "
                    "needed instead." + escape("rp"),
                    "mandatory",
                )
            ],
            id="prefix-wildcard-reaching-permissions-management",
        ),
        pytest.param(
            {"Sid": "AllBut", "Effect": "Allow", "NotAction": ["iam:*"], "Resource": TABLE},
            [
                (
                    WILDCARD,
                    "Policy statement 'AllBut' of rp allows every action except 'iam:*' (NotAction with Allow): "
                    "list the exact actions needed in Action instead." + escape("rp"),
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
    star = {"Sid": "Everything", "Effect": "Allow", "Action": "*", "Resource": TABLE}
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
        wildcard(
            "Inline policy 'bad' (inlinePolicies[1].policy) statement 'Everything'", "role", "*", "of every service"
        )
    ]
    assert run(pack, NATIVE_ROLE_POLICY, "nrp", {"roleName": "r", "policyDocument": document(star)}) == [
        wildcard("PolicyDocument statement 'Everything'", "nrp", "*", "of every service")
    ]
    native_role = {"policies": [{"policyName": "app", "policyDocument": document({**star, "Action": "dynamodb:*"})}]}
    assert run(pack, NATIVE_ROLE, "nr", native_role) == [
        wildcard(
            "Inline policy 'app' (policies[0].policyDocument) statement 'Everything'", "nr", "dynamodb:*", "of dynamodb"
        )
    ]


def test_unknown_documents_are_judged_at_update(pack: PolicyPackClient) -> None:
    # A document built from outputs of resources not yet created is unknown as a whole at preview.
    assert run(pack, ROLE_POLICY, "rp", {"role": "r", "policy": UNKNOWN}) == [
        preview_notice(WILDCARD, "the actions of policy of rp"),
        preview_notice(SCOPE, "the resources of policy of rp"),
        preview_notice(ESCALATION, "the statements policy of rp"),
    ]
    # Unknown ARNs inside a document do not stop its actions from being judged; its scope waits.
    unknown_resource = document({"Sid": "Queue", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": UNKNOWN})
    assert run(pack, ROLE_POLICY, "rp", {"role": "r", "policy": json.dumps(unknown_resource)}) == [
        preview_notice(SCOPE, "the resources of policy statement 'Queue' of rp")
    ]
    # Known wildcards are reported at preview; an unknown action is deferred, not passed.
    mixed = document(
        {"Sid": "Star", "Effect": "Allow", "Action": "*", "Resource": TABLE},
        {"Sid": "Later", "Effect": "Allow", "Action": [UNKNOWN], "Resource": TABLE},
    )
    assert run(pack, NATIVE_ROLE_POLICY, "nrp", {"policyDocument": mixed}) == [
        wildcard("PolicyDocument statement 'Star'", "nrp", "*", "of every service"),
        preview_notice(WILDCARD, "the actions of policyDocument statement 'Later' of nrp"),
    ]


def attachment(policy: str, partition: str = "aws") -> dict[str, Any]:
    return {"role": "rustlambda-prod-operator", "policyArn": f"arn:{partition}:iam::aws:policy/{policy}"}


def admin(resource: str, prop: str, holder: str, policy: str, arn: str) -> tuple[str, str, str]:
    return (
        ADMIN,
        f"{resource} ({prop}) gives {holder} the AWS managed policy {policy} ({arn}), which amounts to administrator "
        "access: attach a policy that lists the exact actions and resources needed instead."
        + escape(holder if ", " not in holder else resource),
        "mandatory",
    )


ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"


def test_admin_policies(pack: PolicyPackClient) -> None:
    operator = "arn:aws:iam::aws:policy/AWSLambdaManagedEC2ResourceOperator"
    assert run(pack, ATTACHMENT, "att", attachment("AWSLambdaManagedEC2ResourceOperator")) == []
    assert run(pack, ROLE, "role", {"name": "r", "managedPolicyArns": [operator]}) == []
    # A customer managed policy of the same name is not AWS's.
    own = {"role": "r", "policyArn": f"arn:aws:iam::{ACCOUNT}:policy/AdministratorAccess"}
    assert run(pack, ATTACHMENT, "att", own) == []

    assert run(pack, ATTACHMENT, "att", attachment("AdministratorAccess")) == [
        admin("att", "policyArn", "rustlambda-prod-operator", "AdministratorAccess", ADMIN_ARN)
    ]
    assert run(pack, ATTACHMENT, "att", attachment("PowerUserAccess", "aws-cn")) == [
        admin(
            "att",
            "policyArn",
            "rustlambda-prod-operator",
            "PowerUserAccess",
            "arn:aws-cn:iam::aws:policy/PowerUserAccess",
        )
    ]
    assert run(pack, ROLE, "role", {"name": "r", "managedPolicyArns": [operator, ADMIN_ARN]}) == [
        admin("role", "managedPolicyArns", "r", "AdministratorAccess", ADMIN_ARN)
    ]
    assert run(pack, NATIVE_ROLE, "nr", {"roleName": "nr", "managedPolicyArns": [ADMIN_ARN]}) == [
        admin("nr", "managedPolicyArns", "nr", "AdministratorAccess", ADMIN_ARN)
    ]
    assert run(pack, ATTACHMENT, "att", {"role": "r", "policyArn": UNKNOWN}) == [
        preview_notice(ADMIN, "policyArn of att")
    ]


@pytest.mark.parametrize(
    ("type_", "props", "prop", "holder", "policy"),
    [
        ("aws:iam/userPolicyAttachment:UserPolicyAttachment", {"user": "ops"}, "policyArn", "ops", "IAMFullAccess"),
        (
            "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
            {"group": "devs"},
            "policyArn",
            "devs",
            "AdministratorAccess-Amplify",
        ),
        (
            "aws:iam/policyAttachment:PolicyAttachment",
            {"users": ["ops"], "roles": ["r"]},
            "policyArn",
            "r, ops",
            "AdministratorAccess",
        ),
        (
            "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive",
            {"groupName": "devs"},
            "policyArns",
            "devs",
            "PowerUserAccess",
        ),
        ("aws-native:iam:User", {"userName": "ops"}, "managedPolicyArns", "ops", "AdministratorAccess"),
        ("aws-native:iam:Group", {"groupName": "devs"}, "managedPolicyArns", "devs", "IAMFullAccess"),
    ],
)
def test_admin_policies_through_every_attachment(
    pack: PolicyPackClient, type_: str, props: dict[str, Any], prop: str, holder: str, policy: str
) -> None:
    arn = f"arn:aws:iam::aws:policy/{policy}"
    value: Any = [arn] if prop.endswith("s") else arn
    assert run(pack, type_, "att", {**props, prop: value}) == [admin("att", prop, holder, policy, arn)]


def test_admin_policies_config(pack: PolicyPackClient) -> None:
    pack.configure(
        {ADMIN: {"additionalDeniedPolicies": ["SecretsManagerReadWrite"], "exemptResources": ["break-glass"]}}
    )
    try:
        assert run(pack, ATTACHMENT, "att", attachment("SecretsManagerReadWrite")) == [
            admin(
                "att",
                "policyArn",
                "rustlambda-prod-operator",
                "SecretsManagerReadWrite",
                "arn:aws:iam::aws:policy/SecretsManagerReadWrite",
            )
        ]
        assert run(pack, ATTACHMENT, "att", {"role": "break-glass", "policyArn": ADMIN_ARN}) == []
    finally:
        pack.configure({})


# --- resource scope and escalation ------------------------------------------------------------------


def test_resource_scope(pack: PolicyPackClient) -> None:
    stars = {"Sid": "Wide", "Effect": "Allow", "Action": ["dynamodb:GetItem", "s3:ListAllMyBuckets"], "Resource": "*"}
    assert run(pack, ROLE_POLICY, "rp", role_policy(stars)) == [
        (
            SCOPE,
            "Policy statement 'Wide' of rp allows 'dynamodb:GetItem' on '*', every resource of their kind, though AWS "
            "lets each be limited to specific resources: set Resource to the ARNs the principal needs (or require an "
            "aws:ResourceTag, aws:ResourceAccount or aws:ResourceOrgID with a positive operator such as StringEquals). "
            "Actions AWS cannot scope to a resource, and the network-interface actions of AWS's "
            "AWSLambdaVPCAccessExecutionRole (what a VPC-attached function needs), may stay on '*'." + escape("rp"),
            "mandatory",
        )
    ]
    pass_role = {
        "Sid": "Pass",
        "Effect": "Allow",
        "Action": "iam:PassRole",
        "Resource": f"arn:aws:iam::{ACCOUNT}:role/*",
    }
    assert run(pack, ROLE_POLICY, "rp", role_policy(pass_role)) == [
        (
            SCOPE,
            f"Policy statement 'Pass' of rp allows iam:PassRole on 'arn:aws:iam::{ACCOUNT}:role/*', so the holder can "
            "hand any role (an administrator's too) to a service it controls: set Resource to the ARNs of the roles "
            "it needs." + escape("rp"),
            "mandatory",
        )
    ]
    not_resource = {"Sid": "Rest", "Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::audit/*"}
    assert run(pack, ROLE_POLICY, "rp", role_policy(not_resource)) == [
        (
            SCOPE,
            "Policy statement 'Rest' of rp allows its actions on every resource except 'arn:aws:s3:::audit/*' "
            "(NotResource with Allow): list the resources in Resource instead." + escape("rp"),
            "mandatory",
        )
    ]
    tagged = {**stars, "Condition": {"StringEquals": {"aws:ResourceTag/team": "orders"}}}
    assert run(pack, ROLE_POLICY, "rp", role_policy(tagged)) == []
    pack.configure({SCOPE: {"exemptResources": ["rp"]}})
    try:
        assert run(pack, ROLE_POLICY, "rp", role_policy(stars)) == []
    finally:
        pack.configure({})


def test_privilege_escalation(pack: PolicyPackClient) -> None:
    combination: list[dict[str, Any]] = [
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": f"arn:aws:iam::{ACCOUNT}:role/app-*"},
        {
            "Effect": "Allow",
            "Action": ["lambda:CreateFunction", "lambda:InvokeFunction"],
            "Resource": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:app-*",
        },
    ]
    assert run(pack, MANAGED_POLICY, "mp", {"policy": json.dumps(document(*combination))}) == [
        (
            ESCALATION,
            "mp allows, on resources named by wildcards, combinations of actions that let the holder raise its own "
            "privileges (PassExistingRoleToNewLambdaThenInvoke: iam:PassRole, lambda:CreateFunction, "
            "lambda:InvokeFunction): limit these actions to exact resource ARNs, or require a permissions boundary "
            "(iam:PermissionsBoundary condition with StringEquals)." + escape("mp"),
            "mandatory",
        )
    ]
    exact = [{**s, "Resource": s["Resource"].replace("app-*", "app-worker")} for s in combination]
    assert run(pack, MANAGED_POLICY, "mp", {"policy": json.dumps(document(*exact))}) == []


# --- public principals ------------------------------------------------------------------------------


def test_public_principals(pack: PolicyPackClient) -> None:
    open_trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}],
    }
    assert run(pack, ROLE, "role", {"name": "open", "assumeRolePolicy": json.dumps(open_trust)}) == [
        (
            PUBLIC,
            "Trust policy (assumeRolePolicy) statement 1 of open allows sts:AssumeRole to everyone (Principal '*') "
            "with no condition that keeps out principals of other accounts: name the trusted principals (an account, "
            "role or service) instead." + escape("open"),
            "mandatory",
        )
    ]
    queue = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sqs:SendMessage", "Resource": "*"}],
    }
    assert run(pack, "aws:sqs/queuePolicy:QueuePolicy", "qp", {"policy": json.dumps(queue)}) == [
        (
            PUBLIC,
            "Queue policy (policy) statement 1 of qp allows sqs:SendMessage to everyone (Principal {'AWS': '*'}) with "
            "no condition that keeps out principals of other accounts: name the principals that need access, or add "
            "a condition with a positive operator (StringEquals, ArnEquals; not ...IfExists) on aws:PrincipalOrgID, "
            "aws:PrincipalAccount, aws:SourceArn or aws:SourceAccount." + escape("qp"),
            "mandatory",
        )
    ]
    narrowed = json.loads(json.dumps(queue))
    narrowed["Statement"][0]["Condition"] = {"ArnEquals": {"aws:SourceArn": f"arn:aws:sns:us-east-1:{ACCOUNT}:t"}}
    assert run(pack, "aws:sqs/queuePolicy:QueuePolicy", "qp", {"policy": json.dumps(narrowed)}) == []
    pack.configure({PUBLIC: {"exemptResources": ["qp"]}})
    try:
        assert run(pack, "aws:sqs/queuePolicy:QueuePolicy", "qp", {"policy": json.dumps(queue)}) == []
    finally:
        pack.configure({})
