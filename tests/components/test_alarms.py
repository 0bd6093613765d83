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
    timeout_seconds=10,
    settings=AlarmSettings(),
    topic_arn=TOPIC_ARN,
    tags={"project": "rl"},
)


def common(topic_arn: str = TOPIC_ARN) -> dict[str, Any]:
    return {
        "period": 300.0,
        "evaluationPeriods": 1.0,
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


def test_the_function_gets_errors_throttles_and_p99_duration_alarms() -> None:
    children = run_alarms(HAPPY)
    assert {name: r.type for name, r in children.items()} == {
        "http-errors": "aws:cloudwatch/metricAlarm:MetricAlarm",
        "http-throttles": "aws:cloudwatch/metricAlarm:MetricAlarm",
        "http-duration-p99": "aws:cloudwatch/metricAlarm:MetricAlarm",
    }
    function = {"FunctionName": "rl-dev-http-api"}
    assert children["http-errors"].inputs == {
        **common(),
        "name": "rl-dev-http-api-errors",
        "alarmDescription": "rl-dev-http-api: 1 or more errors in 5 minutes",
        "namespace": "AWS/Lambda",
        "metricName": "Errors",
        "statistic": "Sum",
        "dimensions": function,
        "threshold": 1.0,
    }
    assert children["http-throttles"].inputs == {
        **common(),
        "name": "rl-dev-http-api-throttles",
        "alarmDescription": "rl-dev-http-api: 1 or more throttled invocations in 5 minutes",
        "namespace": "AWS/Lambda",
        "metricName": "Throttles",
        "statistic": "Sum",
        "dimensions": function,
        "threshold": 1.0,
    }
    # 10 s timeout, 80 % of it: 8000 ms.
    assert children["http-duration-p99"].inputs == {
        **common(),
        "name": "rl-dev-http-api-duration-p99",
        "alarmDescription": "rl-dev-http-api: p99 duration at 80% or more of its 10 s timeout",
        "namespace": "AWS/Lambda",
        "metricName": "Duration",
        "extendedStatistic": "p99",
        "dimensions": function,
        "threshold": 8000.0,
    }


def test_a_dead_letter_queue_adds_its_depth_alarm() -> None:
    children = run_alarms(dataclasses.replace(HAPPY, failure_queue_names=["rl-dev-s3-processor-dlq"]))
    assert sorted(children) == ["http-dlq-depth", "http-duration-p99", "http-errors", "http-throttles"]
    assert children["http-dlq-depth"].inputs == {
        **common(),
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
        "http-throttles": 3.0,
        "http-duration-p99": 15000.0,
        "http-dlq-depth": 10.0,
    }


def test_alarms_notify_the_created_topic_and_depend_on_it() -> None:
    def program() -> None:
        topic = AlarmTopic("alarms", AlarmTopicArgs(topic_name="rl-dev-alarms"))
        FunctionAlarms("http", dataclasses.replace(HAPPY, topic_arn=topic.arn))

    registrations, _ = run_callable(program, "dev", {})
    topic_urn = children(registrations, "rustlambda:index:AlarmTopic")["alarms-topic"].urn
    alarms = children(registrations, "rustlambda:index:FunctionAlarms")
    assert sorted(alarms) == ["http-duration-p99", "http-errors", "http-throttles"]
    for alarm in alarms.values():
        assert alarm.inputs["alarmActions"] == [TOPIC_ARN]
        assert alarm.inputs["okActions"] == [TOPIC_ARN]
        assert alarm.property_dependencies["alarmActions"] == [topic_urn]
        assert alarm.dependencies == [topic_urn]


def test_the_duration_threshold_is_a_share_of_the_timeout_in_milliseconds() -> None:
    assert duration_threshold_ms(10, 80) == 8000.0
    assert duration_threshold_ms(3, 100) == 3000.0
    assert duration_threshold_ms(1, 1) == 10.0
