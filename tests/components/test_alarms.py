"""AlarmTopic and FunctionAlarms under Pulumi's mocks: the topic, each alarm's exact inputs."""

from __future__ import annotations

import dataclasses
from typing import Any

import pulumi

from components.alarms import (
    AlarmTopic,
    AlarmTopicArgs,
    FunctionAlarms,
    FunctionAlarmsArgs,
    duration_threshold_ms,
)
from model.stack_config import AlarmSettings
from offline.engine import ACCOUNT_ID, REGION, Registration, run_callable

TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:rl-dev-alarms"
EXISTING_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:ops-pager"
HAPPY = FunctionAlarmsArgs(
    function_name="rl-dev-http-api",
    alias_name="live",
    version="7",
    timeout_seconds=10,
    interval_minutes=5,
    settings=AlarmSettings(),
    topic_arn=TOPIC_ARN,
    tags={"project": "rl"},
)


def common(topic_arn: str = TOPIC_ARN, evaluation_periods: float = 3.0) -> dict[str, Any]:
    return {
        "period": 60.0,
        "evaluationPeriods": evaluation_periods,
        "datapointsToAlarm": 1.0,
        "comparisonOperator": "GreaterThanOrEqualToThreshold",
        "treatMissingData": "notBreaching",
        "alarmActions": [topic_arn],
        "okActions": [topic_arn],
        "tags": {"project": "rl"},
    }


def run_alarms(args: FunctionAlarmsArgs) -> dict[str, Registration]:
    def program() -> None:
        FunctionAlarms("http", args)

    registrations, _ = run_callable(program, "dev", {})
    return children(registrations, "rustlambda:index:FunctionAlarms")


def children(registrations: list[Registration], component_type: str) -> dict[str, Registration]:
    (component,) = (r for r in registrations if r.type == component_type)
    return {r.name: r for r in registrations if r.parent == component.urn}


def run_topic(args: AlarmTopicArgs) -> tuple[list[Registration], dict[str, Any]]:
    def program() -> None:
        pulumi.export("arn", AlarmTopic("alarms", args).arn)

    return run_callable(program, "dev", {})


def test_the_topic_is_created_with_its_name_and_tags() -> None:
    registrations, outputs = run_topic(AlarmTopicArgs(topic_name="rl-dev-alarms", tags={"project": "rl"}))
    topic = children(registrations, "rustlambda:index:AlarmTopic")
    assert [(name, r.type) for name, r in topic.items()] == [("alarms-topic", "aws:sns/topic:Topic")]
    assert topic["alarms-topic"].inputs == {"name": "rl-dev-alarms", "tags": {"project": "rl"}}
    assert outputs == {"arn": TOPIC_ARN}


def test_an_existing_topic_arn_creates_no_topic() -> None:
    registrations, outputs = run_topic(AlarmTopicArgs(topic_name="rl-dev-alarms", existing_topic_arn=EXISTING_ARN))
    assert [r.type for r in registrations if r.type != "pulumi:pulumi:Stack"] == ["rustlambda:index:AlarmTopic"]
    assert outputs == {"arn": EXISTING_ARN}


FUNCTION_ALARMS = [
    "http-duration-p99",
    "http-errors",
    "http-new-version-duration-p99",
    "http-new-version-errors",
    "http-throttles",
]


def test_the_function_gets_alarms_on_the_alias_traffic_and_on_the_new_version() -> None:
    children = run_alarms(HAPPY)
    assert {name: r.type for name, r in children.items()} == {
        name: "aws:cloudwatch/metricAlarm:MetricAlarm" for name in FUNCTION_ALARMS
    }
    # Traffic through the alias only: a direct invoke of a version (the pre-traffic check) counts under
    # Resource=<function>:<version>, never here.
    alias = {"FunctionName": "rl-dev-http-api", "Resource": "rl-dev-http-api:live"}
    new_version = {**alias, "ExecutedVersion": "7"}
    assert children["http-errors"].inputs == {
        **common(),
        "name": "rl-dev-http-api-errors",
        "alarmDescription": "rl-dev-http-api: 1 or more errors through live in any minute of 3",
        "namespace": "AWS/Lambda",
        "metricName": "Errors",
        "statistic": "Sum",
        "dimensions": alias,
        "threshold": 1.0,
    }
    assert children["http-throttles"].inputs == {
        **common(),
        "name": "rl-dev-http-api-throttles",
        "alarmDescription": "rl-dev-http-api: 1 or more throttled invocations through live in any minute of 3",
        "namespace": "AWS/Lambda",
        "metricName": "Throttles",
        "statistic": "Sum",
        "dimensions": alias,
        "threshold": 1.0,
    }
    # 10 s timeout, 80 % of it: 8000 ms.
    assert children["http-duration-p99"].inputs == {
        **common(),
        "name": "rl-dev-http-api-duration-p99",
        "alarmDescription": "rl-dev-http-api: p99 duration through live at 80% or more of its 10 s timeout in any "
        "minute of 3",
        "namespace": "AWS/Lambda",
        "metricName": "Duration",
        "extendedStatistic": "p99",
        "dimensions": alias,
        "threshold": 8000.0,
    }
    # The version this update published, as it serves through the alias: a 10% canary is not diluted.
    assert children["http-new-version-errors"].inputs == {
        **common(),
        "name": "rl-dev-http-api-new-version-errors",
        "alarmDescription": "rl-dev-http-api: 1 or more errors of the newest version through live in any minute of 3",
        "namespace": "AWS/Lambda",
        "metricName": "Errors",
        "statistic": "Sum",
        "dimensions": new_version,
        "threshold": 1.0,
    }
    assert children["http-new-version-duration-p99"].inputs == {
        **common(),
        "name": "rl-dev-http-api-new-version-duration-p99",
        "alarmDescription": "rl-dev-http-api: p99 duration of the newest version through live at 80% or more of "
        "its 10 s timeout in any minute of 3",
        "namespace": "AWS/Lambda",
        "metricName": "Duration",
        "extendedStatistic": "p99",
        "dimensions": new_version,
        "threshold": 8000.0,
    }


def test_an_alarms_window_fits_the_shortest_traffic_step() -> None:
    # A linear deployment moving 10% every minute: one-minute windows; all at once: one minute too.
    for minutes, periods in ((1, 1.0), (2, 2.0), (3, 3.0), (10, 3.0)):
        children = run_alarms(dataclasses.replace(HAPPY, interval_minutes=minutes))
        windows = {name: (r.inputs["period"] * r.inputs["evaluationPeriods"]) for name, r in children.items()}
        assert set(windows.values()) == {60.0 * periods}, minutes
        assert all(w <= minutes * 60 for w in windows.values())


def test_a_dead_letter_queue_adds_its_depth_alarm() -> None:
    children = run_alarms(dataclasses.replace(HAPPY, failure_queue_names=["rl-dev-s3-processor-dlq"]))
    assert sorted(children) == sorted(["http-dlq-depth", *FUNCTION_ALARMS])
    assert children["http-dlq-depth"].inputs == {
        **common(),
        "period": 300.0,
        "evaluationPeriods": 1.0,
        "name": "rl-dev-s3-processor-dlq-depth",
        "alarmDescription": "rl-dev-s3-processor-dlq: 1 or more failed events waiting",
        "namespace": "AWS/SQS",
        "metricName": "ApproximateNumberOfMessagesVisible",
        "statistic": "Maximum",
        "dimensions": {"QueueName": "rl-dev-s3-processor-dlq"},
        "threshold": 1.0,
    }


def test_the_settings_set_the_thresholds() -> None:
    settings = AlarmSettings(errors=5, throttles=3, duration_p99_percent_of_timeout=50, dlq_depth=10)
    args = dataclasses.replace(HAPPY, settings=settings, timeout_seconds=30, failure_queue_names=["q"])
    children = run_alarms(args)
    assert {name: r.inputs["threshold"] for name, r in children.items()} == {
        "http-errors": 5.0,
        "http-new-version-errors": 5.0,
        "http-throttles": 3.0,
        "http-duration-p99": 15000.0,
        "http-new-version-duration-p99": 15000.0,
        "http-dlq-depth": 10.0,
    }


def test_alarms_notify_the_created_topic_and_depend_on_it() -> None:
    def program() -> None:
        topic = AlarmTopic("alarms", AlarmTopicArgs(topic_name="rl-dev-alarms"))
        FunctionAlarms("http", dataclasses.replace(HAPPY, topic_arn=topic.arn))

    registrations, _ = run_callable(program, "dev", {})
    topic_urn = children(registrations, "rustlambda:index:AlarmTopic")["alarms-topic"].urn
    alarms = children(registrations, "rustlambda:index:FunctionAlarms")
    assert sorted(alarms) == FUNCTION_ALARMS
    for alarm in alarms.values():
        assert alarm.inputs["alarmActions"] == [TOPIC_ARN]
        assert alarm.inputs["okActions"] == [TOPIC_ARN]
        assert alarm.property_dependencies["alarmActions"] == [topic_urn]
        assert alarm.dependencies == [topic_urn]


def test_the_duration_threshold_is_a_share_of_the_timeout_in_milliseconds() -> None:
    assert duration_threshold_ms(10, 80) == 8000.0
    assert duration_threshold_ms(3, 100) == 3000.0
    assert duration_threshold_ms(1, 1) == 10.0
