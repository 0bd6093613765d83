"""Alarms: the SNS topic alarms notify, and each function's CloudWatch alarms.

AlarmTopic owns the stack's alarm topic (or adopts an existing one by ARN, creating nothing).
FunctionAlarms owns one function's alarms: errors, throttles, p99 duration against the function's
timeout, and the depth of every queue its failed events land in (a dead-letter queue, an
asynchronous invocation's on-failure queue): no failure path fills up unnoticed. Every alarm
notifies the topic on ALARM and on OK, and treats missing data as not breaching (an idle function is
fine).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from model.stack_config import AlarmSettings

PERIOD_SECONDS = 300
COMPARISON = "GreaterThanOrEqualToThreshold"
TREAT_MISSING_DATA = "notBreaching"


@dataclass(frozen=True)
class AlarmTopicArgs:
    topic_name: str
    existing_topic_arn: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


class AlarmTopic(pulumi.ComponentResource):
    topic: aws.sns.Topic | None
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: AlarmTopicArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("rustlambda:index:AlarmTopic", name, None, opts)
        if args.existing_topic_arn is not None:
            self.topic = None
            self.arn = pulumi.Output.from_input(args.existing_topic_arn)
        else:
            # Not encrypted with the AWS-managed alias/aws/sns key: CloudWatch cannot publish to a
            # topic under that key (its key policy cannot grant cloudwatch.amazonaws.com).
            self.topic = aws.sns.Topic(
                f"{name}-topic",
                name=args.topic_name,
                tags=dict(args.tags),
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.arn = self.topic.arn
        self.register_outputs({"arn": self.arn})


def duration_threshold_ms(timeout_seconds: int, percent_of_timeout: int) -> float:
    """The p99 duration threshold: a share of the function's timeout, in milliseconds."""
    return timeout_seconds * 1000 * percent_of_timeout / 100


@dataclass(frozen=True)
class FunctionAlarmsArgs:
    function_name: pulumi.Input[str]
    timeout_seconds: int
    settings: AlarmSettings
    topic_arn: pulumi.Input[str]
    tags: Mapping[str, str] = field(default_factory=dict)
    # The names of the queues the function's failed events land in (its failure paths).
    failure_queue_names: Sequence[pulumi.Input[str]] = ()


class FunctionAlarms(pulumi.ComponentResource):
    errors: aws.cloudwatch.MetricAlarm
    throttles: aws.cloudwatch.MetricAlarm
    duration_p99: aws.cloudwatch.MetricAlarm
    # One per failure queue, in the order given.
    failure_queue_depths: list[aws.cloudwatch.MetricAlarm]
    function_alarms: list[aws.cloudwatch.MetricAlarm]

    def __init__(self, name: str, args: FunctionAlarmsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("rustlambda:index:FunctionAlarms", name, None, opts)
        settings = args.settings
        function_name = pulumi.Output.from_input(args.function_name)

        def alarm(
            role: str,
            alarm_name: pulumi.Input[str],
            description: pulumi.Input[str],
            namespace: str,
            metric_name: str,
            dimensions: Mapping[str, pulumi.Input[str]],
            threshold: float,
            statistic: str | None = None,
            extended_statistic: str | None = None,
        ) -> aws.cloudwatch.MetricAlarm:
            return aws.cloudwatch.MetricAlarm(
                f"{name}-{role}",
                name=alarm_name,
                alarm_description=description,
                namespace=namespace,
                metric_name=metric_name,
                dimensions=dict(dimensions),
                statistic=statistic,
                extended_statistic=extended_statistic,
                period=PERIOD_SECONDS,
                evaluation_periods=1,
                datapoints_to_alarm=1,
                comparison_operator=COMPARISON,
                threshold=threshold,
                treat_missing_data=TREAT_MISSING_DATA,
                alarm_actions=[args.topic_arn],
                ok_actions=[args.topic_arn],
                tags=dict(args.tags),
                opts=pulumi.ResourceOptions(parent=self),
            )

        lambda_dimensions = {"FunctionName": function_name}
        self.errors = alarm(
            "errors",
            function_name.apply(lambda f: f"{f}-errors"),
            function_name.apply(lambda f: f"{f}: {settings.errors} or more errors in 5 minutes"),
            "AWS/Lambda",
            "Errors",
            lambda_dimensions,
            float(settings.errors),
            statistic="Sum",
        )
        self.throttles = alarm(
            "throttles",
            function_name.apply(lambda f: f"{f}-throttles"),
            function_name.apply(lambda f: f"{f}: {settings.throttles} or more throttled invocations in 5 minutes"),
            "AWS/Lambda",
            "Throttles",
            lambda_dimensions,
            float(settings.throttles),
            statistic="Sum",
        )
        percent = settings.duration_p99_percent_of_timeout
        self.duration_p99 = alarm(
            "duration-p99",
            function_name.apply(lambda f: f"{f}-duration-p99"),
            function_name.apply(
                lambda f: f"{f}: p99 duration at {percent}% or more of its {args.timeout_seconds} s timeout"
            ),
            "AWS/Lambda",
            "Duration",
            lambda_dimensions,
            duration_threshold_ms(args.timeout_seconds, percent),
            extended_statistic="p99",
        )
        self.failure_queue_depths = []
        for index, name_input in enumerate(args.failure_queue_names):
            queue_name = pulumi.Output.from_input(name_input)
            self.failure_queue_depths.append(
                alarm(
                    # The first keeps the resource name the dead-letter queue's alarm always had.
                    "dlq-depth" if index == 0 else f"dlq-depth-{index + 1}",
                    queue_name.apply(lambda q: f"{q}-depth"),
                    queue_name.apply(lambda q: f"{q}: {settings.dlq_depth} or more failed events waiting"),
                    "AWS/SQS",
                    "ApproximateNumberOfMessagesVisible",
                    {"QueueName": queue_name},
                    float(settings.dlq_depth),
                    statistic="Maximum",
                )
            )
        # The alarms about the function itself (not its queues' backlog): a release's rollback triggers.
        self.function_alarms = [self.errors, self.throttles, self.duration_p99]
        alarms = [*self.function_alarms, *self.failure_queue_depths]
        self.register_outputs({"alarm_names": [a.name for a in alarms]})
