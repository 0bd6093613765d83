"""Log group retention through the real protocol, for both providers."""

from __future__ import annotations

from offline.analyzer import PolicyPackClient
from tests.policies.resources import UNKNOWN, preview_notice, run

RETENTION = "logs-log-group-retention"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
NATIVE_LOG_GROUP = "aws-native:logs:LogGroup"
FOREVER = (
    "Log group {name} sets no retentionInDays, so CloudWatch keeps its logs forever: set retentionInDays "
    "(e.g. 14, 30 or 90). If it is intended, add '{name}' to this policy's exemptResources."
)


def test_function_log_groups_set_retention(pack: PolicyPackClient) -> None:
    name = "/aws/lambda/rustlambda-dev-http-api"
    assert run(pack, LOG_GROUP, "logs", {"name": name, "retentionInDays": 7.0}) == []
    assert run(pack, NATIVE_LOG_GROUP, "logs", {"logGroupName": name, "retentionInDays": 7.0}) == []
    # Other log groups are out of scope unless configured.
    assert run(pack, LOG_GROUP, "logs", {"name": "/aws/apigateway/rustlambda-dev-http-api"}) == []

    expected = [(RETENTION, FOREVER.format(name=name), "mandatory")]
    assert run(pack, LOG_GROUP, "logs", {"name": name}) == expected
    assert run(pack, LOG_GROUP, "logs", {"name": name, "retentionInDays": 0.0}) == expected  # 0: never expire
    assert run(pack, NATIVE_LOG_GROUP, "logs", {"logGroupName": name}) == expected
    assert run(pack, LOG_GROUP, "logs", {"namePrefix": "/aws/lambda/job-"}) == [
        (RETENTION, FOREVER.format(name="/aws/lambda/job-"), "mandatory")
    ]
    assert run(pack, LOG_GROUP, "logs", {"name": UNKNOWN}) == [preview_notice(RETENTION, "the name of log group logs")]


def test_prefixes_are_configurable(pack: PolicyPackClient) -> None:
    name = "/aws/apigateway/rustlambda-dev-http-api"
    pack.configure({RETENTION: {"logGroupPrefixes": ["/aws/lambda/", "/aws/apigateway/"]}})
    try:
        assert run(pack, LOG_GROUP, "logs", {"name": name}) == [(RETENTION, FOREVER.format(name=name), "mandatory")]
    finally:
        pack.configure({})
