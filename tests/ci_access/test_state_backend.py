"""The self-managed state backend: SSE-KMS with a key of its own, and a bucket policy that denies
every other reader (docs/security.md, "A dev-stack operator" and "A leaked CI token")."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ci_access.state_backend import state_bucket_policy, validate_principals
from offline.engine import ACCOUNT_ID
from tests.ci_access.policies import STATE, bootstrap_roles
from tests.ci_access.test_ci_access import ADMIN, REPOSITORY, run
from tests.iam.evaluator import Policy, Request, evaluate

ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role"
CI_PRINCIPALS = [
    f"{ROLE}/github-{kind}-rustlambda-{stack}" for kind in ("deploy", "preview") for stack in ("dev", "prod")
]
BUCKET_POLICY = state_bucket_policy(STATE.bucket_arn, CI_PRINCIPALS, [ADMIN])
EVERYTHING = Policy(
    [json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})]
)
PROD_STATE = f"{STATE.bucket_arn}/.pulumi/stacks/rustlambda/prod.json"
DEV_STATE = f"{STATE.bucket_arn}/.pulumi/stacks/rustlambda/dev.json"
TLS = {"aws:SecureTransport": "true"}


def decide(cases: list[tuple[str, str, str, str, dict[str, Any]]]) -> list[str]:
    """(identity policy, principal, action, resource, context) -> each decision, with the bucket policy."""
    policies = {**bootstrap_roles(STATE), "everything": EVERYTHING}
    requests = [
        Request(policy, action, [resource], {**TLS, **context}, principal=principal, resource_policy=BUCKET_POLICY)
        for policy, principal, action, resource, context in cases
    ]
    return [d.decision for d in evaluate(policies, requests)]


def test_an_account_principal_with_s3_everything_reads_and_writes_no_state() -> None:
    """Attack: an engineer or a workload of the account with s3:* on * (e.g. an admin-like role
    that is not a state administrator) reading or tampering with prod's state."""
    someone = f"{ROLE}/data-platform"
    cases: list[tuple[str, str, str, str, dict[str, Any]]] = [
        ("everything", someone, action, PROD_STATE, {})
        for action in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject")
    ]
    cases += [("everything", someone, "s3:PutBucketPolicy", STATE.bucket_arn, {})]
    assert decide(cases) == ["ExplicitlyDenied"] * 4


def test_the_ci_roles_reach_their_own_stacks_state_and_the_administrators_all() -> None:
    cases = [
        ("deploy-dev", f"{ROLE}/github-deploy-rustlambda-dev", "s3:PutObject", DEV_STATE, {}),
        ("preview-prod", f"{ROLE}/github-preview-rustlambda-prod", "s3:GetObject", PROD_STATE, {}),
        # The bucket lets the CI roles in; their own policies keep each to its stack.
        ("deploy-dev", f"{ROLE}/github-deploy-rustlambda-dev", "s3:GetObject", PROD_STATE, {}),
        ("preview-dev", f"{ROLE}/github-preview-rustlambda-dev", "s3:GetObject", PROD_STATE, {}),
        ("everything", ADMIN, "s3:GetObject", PROD_STATE, {}),
        ("everything", ADMIN, "s3:PutBucketPolicy", STATE.bucket_arn, {}),
        # No CI role changes the bucket's policy or encryption.
        ("everything", f"{ROLE}/github-deploy-rustlambda-prod", "s3:PutBucketPolicy", STATE.bucket_arn, {}),
        ("everything", f"{ROLE}/github-deploy-rustlambda-prod", "s3:PutEncryptionConfiguration", STATE.bucket_arn, {}),
        # TLS only, for everyone.
        ("everything", ADMIN, "s3:GetObject", PROD_STATE, {"aws:SecureTransport": "false"}),
    ]
    assert decide(cases) == [
        "Allowed",
        "Allowed",
        "ImplicitlyDenied",
        "ImplicitlyDenied",
        "Allowed",
        "Allowed",
        "ExplicitlyDenied",
        "ExplicitlyDenied",
        "ExplicitlyDenied",
    ]


def test_the_program_encrypts_the_bucket_with_its_key_and_puts_the_policy_on_it() -> None:
    resources, _ = run({"githubRepository": REPOSITORY, "stateBackend": "s3", "stateAdministrators": [ADMIN]})
    (rule,) = resources["pulumi-state-encryption"].inputs["rules"]
    assert rule == {
        "applyServerSideEncryptionByDefault": {
            "sseAlgorithm": "aws:kms",
            "kmsMasterKeyId": rule["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"],
        },
        "bucketKeyEnabled": True,
    }
    assert (
        resources["pulumi-state-bucket-key"].urn in resources["pulumi-state-encryption"].property_dependencies["rules"]
    )
    bucket_arn = "arn:aws:s3:::rustlambda-pulumi-state-20261127"
    expected = state_bucket_policy(bucket_arn, CI_PRINCIPALS, [ADMIN])
    assert resources["pulumi-state-policy"].inputs["policy"] == expected


@pytest.mark.parametrize(
    ("arns", "message"),
    [
        ([], "stateAdministrators is empty"),
        (["arn:aws:iam::123456789012:root"], "stateAdministrators entry 'arn:aws:iam::123456789012:root' is invalid"),
        (["arn:aws:sts::123456789012:assumed-role/admin/me"], "is invalid: set an IAM role or user ARN"),
    ],
)
def test_state_administrators_are_iam_roles_or_users(arns: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_principals("stateAdministrators", arns)


def test_an_sso_role_may_be_named_by_a_pattern() -> None:
    sso = f"{ROLE}/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_AdministratorAccess_*"
    assert validate_principals("stateAdministrators", [sso]) == (sso,)
