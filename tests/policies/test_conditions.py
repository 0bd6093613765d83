"""The pack's condition evaluator (policies' conditions.py): AWS's condition semantics, checked
against iam-simulate (the evaluator the CI roles' tests run, tests/iam) on the same blocks and
requests, and the actors each control stops (actors.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rustlambda_guardrails.actors import FOREIGN_RESOURCE, NO_BOUNDARY, OTHER_ACCOUNT_CALLER, OTHER_ACCOUNT_SERVICE
from rustlambda_guardrails.conditions import ABSENT, Probe, admits, forces

from tests.iam.evaluator import Policy, Request, evaluate

ORG = "o-a1b2c3d4e5"
# (condition block, request context): the evaluator's verdict must be iam-simulate's.
CASES: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({"StringEquals": {"aws:PrincipalOrgID": ORG}}, {"aws:PrincipalOrgID": ORG}),
    ({"StringEquals": {"aws:PrincipalOrgID": ORG}}, {"aws:PrincipalOrgID": "o-other00000"}),
    ({"StringEquals": {"aws:PrincipalOrgID": ORG}}, {}),
    ({"StringEqualsIfExists": {"aws:PrincipalOrgID": ORG}}, {}),
    ({"StringEqualsIfExists": {"aws:PrincipalOrgID": ORG}}, {"aws:PrincipalOrgID": "o-other00000"}),
    ({"StringNotEquals": {"aws:PrincipalOrgID": ORG}}, {}),
    ({"StringNotEquals": {"aws:PrincipalOrgID": ORG}}, {"aws:PrincipalOrgID": ORG}),
    ({"StringNotEquals": {"aws:PrincipalOrgID": ORG}}, {"aws:PrincipalOrgID": "o-other00000"}),
    ({"StringLike": {"aws:PrincipalTag/team": "pay*"}}, {"aws:PrincipalTag/team": "payments"}),
    ({"StringLike": {"aws:PrincipalTag/team": "pay?"}}, {"aws:PrincipalTag/team": "payments"}),
    ({"StringNotLike": {"aws:PrincipalTag/team": "pay*"}}, {"aws:PrincipalTag/team": "orders"}),
    ({"StringEqualsIgnoreCase": {"aws:PrincipalTag/team": "Orders"}}, {"aws:PrincipalTag/team": "orders"}),
    ({"StringEquals": {"aws:PrincipalTag/team": ["a", "orders"]}}, {"aws:PrincipalTag/team": "orders"}),
    ({"ArnLike": {"aws:SourceArn": "arn:aws:s3:::*"}}, {"aws:SourceArn": "arn:aws:s3:::anybody"}),
    (
        {"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:111122223333:*"}},
        {"aws:SourceArn": "arn:aws:sns:us-east-1:999988887777:t"},
    ),
    (
        {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:t"}},
        {"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:t"},
    ),
    ({"ArnNotLike": {"aws:SourceArn": "arn:aws:sns:*:111122223333:*"}}, {}),
    ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": "10.1.2.3"}),
    ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": "203.0.113.66"}),
    ({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": "203.0.113.66"}),
    ({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {}),
    ({"Null": {"aws:PrincipalOrgID": "true"}}, {}),
    ({"Null": {"aws:PrincipalOrgID": "false"}}, {}),
    ({"Null": {"aws:PrincipalOrgID": "false"}}, {"aws:PrincipalOrgID": ORG}),
    ({"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": "true"}),
    ({"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": "false"}),
    ({"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}, {"aws:MultiFactorAuthAge": "120"}),
    ({"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}, {"aws:MultiFactorAuthAge": "7200"}),
    ({"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}, {"aws:CurrentTime": "2026-12-06T00:00:00Z"}),
    ({"ForAnyValue:StringEquals": {"aws:TagKeys": ["a", "b"]}}, {"aws:TagKeys": ["b", "z"]}),
    ({"ForAnyValue:StringEquals": {"aws:TagKeys": ["a", "b"]}}, {}),
    ({"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}, {"aws:TagKeys": ["b", "z"]}),
    ({"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}, {"aws:TagKeys": ["a"]}),
    ({"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}, {}),
    (
        {"StringEquals": {"aws:PrincipalOrgID": ORG}, "Bool": {"aws:SecureTransport": "true"}},
        {"aws:PrincipalOrgID": ORG, "aws:SecureTransport": "false"},
    ),
    (
        {"StringEquals": {"aws:PrincipalOrgID": ORG, "aws:PrincipalTag/team": "orders"}},
        {"aws:PrincipalOrgID": ORG, "aws:PrincipalTag/team": "orders"},
    ),
]


def _keys(condition: dict[str, Any]) -> set[str]:
    return {key for block in condition.values() for key in block}


def test_the_evaluator_agrees_with_iam_simulate() -> None:
    policies = {
        f"case-{i}": Policy(
            identity=[
                json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": "s3:ListAllMyBuckets",
                                "Resource": "*",
                                "Condition": condition,
                            }
                        ],
                    }
                )
            ]
        )
        for i, (condition, _) in enumerate(CASES)
    }
    requests = [Request(f"case-{i}", "s3:ListAllMyBuckets", ["*"], context) for i, (_, context) in enumerate(CASES)]
    theirs = [d.allowed for d in evaluate(policies, requests)]
    ours = [
        admits(condition, Probe(fixed={key.lower(): context.get(key, ABSENT) for key in _keys(condition)}))
        for condition, context in CASES
    ]
    disagreements = [(CASES[i], theirs[i], ours[i]) for i in range(len(CASES)) if theirs[i] != ours[i]]
    assert disagreements == []
    assert theirs.count(True) >= 10 and theirs.count(False) >= 10  # both verdicts are exercised


@pytest.mark.parametrize(
    ("condition", "lets_in"),
    [
        pytest.param({"StringEquals": {"aws:PrincipalOrgID": ORG}}, False, id="org-pinned"),
        pytest.param({"StringEqualsIfExists": {"aws:PrincipalOrgID": ORG}}, True, id="if-exists-does-not-narrow"),
        pytest.param({"StringNotEquals": {"aws:PrincipalAccount": "111122223333"}}, True, id="negated-does-not-narrow"),
        pytest.param({"StringLike": {"aws:PrincipalOrgID": "*"}}, True, id="wildcard-org"),
        pytest.param({"ArnLike": {"aws:SourceArn": "arn:aws:s3:::*"}}, True, id="any-bucket-is-the-attackers"),
        pytest.param({"ArnLike": {"aws:SourceArn": "arn:aws:s3:::uploads-*"}}, True, id="bucket-name-prefix"),
        pytest.param({"ArnEquals": {"aws:SourceArn": "arn:aws:s3:::uploads"}}, False, id="exact-bucket"),
        pytest.param({"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:*:alerts"}}, True, id="any-account"),
        pytest.param({"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:111122223333:*"}}, False, id="our-account"),
        pytest.param({"StringEquals": {"aws:SourceAccount": "111122223333"}}, False, id="source-account"),
        pytest.param({"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}, True, id="every-address"),
        pytest.param({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, False, id="private-range"),
        pytest.param({"Bool": {"aws:SecureTransport": "true"}}, True, id="tls-narrows-nobody"),
        pytest.param({"StringEquals": {"sts:ExternalId": "shared-id"}}, True, id="external-id-is-the-callers-choice"),
    ],
)
def test_resource_policy_actors(condition: dict[str, Any], lets_in: bool) -> None:
    assert any(admits(condition, actor) for actor in (OTHER_ACCOUNT_CALLER, OTHER_ACCOUNT_SERVICE)) is lets_in


def test_a_deny_applies_only_when_the_actor_cannot_avoid_it() -> None:
    outside_org = {"StringNotEquals": {"aws:PrincipalOrgID": ORG}}
    assert forces(outside_org, OTHER_ACCOUNT_CALLER) and forces(outside_org, OTHER_ACCOUNT_SERVICE)
    # The caller chooses TLS: a Deny on insecure transport never stops it.
    assert not forces({"Bool": {"aws:SecureTransport": "false"}}, OTHER_ACCOUNT_CALLER)
    assert forces({"ArnNotLike": {"aws:SourceArn": "arn:aws:sns:*:111122223333:*"}}, OTHER_ACCOUNT_SERVICE)


@pytest.mark.parametrize(
    ("condition", "reaches"),
    [
        ({"StringEquals": {"aws:ResourceTag/team": "orders"}}, False),
        ({"StringEqualsIfExists": {"aws:ResourceTag/team": "orders"}}, True),
        ({"StringNotEquals": {"aws:ResourceTag/team": "other"}}, True),
        ({"StringEquals": {"dynamodb:ResourceTag/team": "orders"}}, False),
        ({"StringEquals": {"aws:ResourceAccount": "111122223333"}}, False),
        ({"StringEquals": {"aws:RequestTag/team": "orders"}}, True),
        ({"Null": {"aws:ResourceTag/team": "false"}}, False),
    ],
)
def test_identity_policy_resource_narrowing(condition: dict[str, Any], reaches: bool) -> None:
    assert admits(condition, FOREIGN_RESOURCE) is reaches


@pytest.mark.parametrize(
    ("condition", "without_boundary"),
    [
        ({"StringEquals": {"iam:PermissionsBoundary": "arn:aws:iam::1:policy/b"}}, False),
        ({"StringEqualsIfExists": {"iam:PermissionsBoundary": "arn:aws:iam::1:policy/b"}}, True),
        ({"StringNotEquals": {"iam:PermissionsBoundary": "arn:aws:iam::1:policy/other"}}, True),
        ({"ArnLike": {"iam:PermissionsBoundary": "arn:aws:iam::*:policy/b"}}, False),
    ],
)
def test_permissions_boundary_requirement(condition: dict[str, Any], without_boundary: bool) -> None:
    assert admits(condition, NO_BOUNDARY) is without_boundary
