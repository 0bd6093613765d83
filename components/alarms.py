"""Alarms: the SNS topic alarms notify, and each function's CloudWatch alarms.

AlarmTopic owns the stack's alarm topic (or adopts an existing one by ARN, creating nothing).
FunctionAlarms owns one function's alarms, which are also its release's rollback triggers:
- on the traffic through the `live` alias (dimensions FunctionName + Resource `<function>:live`):
  errors, throttles, and p99 duration against the function's timeout;
- on the version this update published, as it serves through the alias during a canary (FunctionName
  + Resource + ExecutedVersion): errors and p99 duration, so a 10% canary's failures are not diluted
  by the old version's traffic;
- the depth of every queue its failed events land in (a dead-letter queue, an asynchronous
  invocation's on-failure queue): no failure path fills up unnoticed.

Why these dimensions (CloudWatch's "Types of metrics for Lambda functions"): `FunctionName` alone
aggregates every version and alias, so the release step's own pre-traffic invocation of the new
version (`Resource = <function>:<version>`, no ExecutedVersion) would count there; it never counts
under the alias. Periods are one minute, and each alarm looks back at most as far as the shortest
traffic step of the function's deployment (a 5-minute canary, a linear step of 1 to 10 minutes), so
it fires while the step that caused it still runs. Every alarm notifies the topic on ALARM and on OK,
and treats missing data as not breaching (an idle function is fine).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from model.stack_config import AlarmSettings

PERIOD_SECONDS = 60
# A failure queue's depth is a backlog, not a release signal: five-minute periods, as SQS's own
# console graphs it.
QUEUE_PERIOD_SECONDS = 300
# At most this many one-minute periods, and never more than the deployment's shortest step: one
# breaching minute raises the alarm, which then stays up while it is inside the window, so CodeDeploy
# cannot miss it between two of its checks.
MAX_EVALUATION_PERIODS = 3
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


def evaluation_periods(interval_minutes: int) -> int:
    """How many one-minute periods an alarm evaluates: its window fits the shortest traffic step."""
    return max(1, min(MAX_EVALUATION_PERIODS, interval_minutes))


@dataclass(frozen=True)
class FunctionAlarmsArgs:
    function_name: pulumi.Input[str]
    alias_name: pulumi.Input[str]
    # The version this update published: the canary alarms watch it as it serves through the alias.
    version: pulumi.Input[str]
    timeout_seconds: int
    # The shortest traffic step of the function's deployment (DeploymentSettings.interval_minutes).
    interval_minutes: int
    settings: AlarmSettings
    topic_arn: pulumi.Input[str]
    tags: Mapping[str, str] = field(default_factory=dict)
    # The names of the queues the function's failed events land in (its failure paths).
    failure_queue_names: Sequence[pulumi.Input[str]] = ()


class FunctionAlarms(pulumi.ComponentResource):
    errors: aws.cloudwatch.MetricAlarm
    throttles: aws.cloudwatch.MetricAlarm
    duration_p99: aws.cloudwatch.MetricAlarm
    version_errors: aws.cloudwatch.MetricAlarm
    version_duration_p99: aws.cloudwatch.MetricAlarm
    # One per failure queue, in the order given.
    failure_queue_depths: list[aws.cloudwatch.MetricAlarm]
    # The alarms about the function itself (not its queues' backlog): the release's rollback triggers.
    function_alarms: list[aws.cloudwatch.MetricAlarm]

    def __init__(self, name: str, args: FunctionAlarmsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("rustlambda:index:FunctionAlarms", name, None, opts)
        settings = args.settings
        function_name = pulumi.Output.from_input(args.function_name)
        periods = evaluation_periods(args.interval_minutes)

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
            period: int = PERIOD_SECONDS,
            evaluation_periods: int = periods,
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
                period=period,
                evaluation_periods=evaluation_periods,
                datapoints_to_alarm=1,
                comparison_operator=COMPARISON,
                threshold=threshold,
                treat_missing_data=TREAT_MISSING_DATA,
                alarm_actions=[args.topic_arn],
                ok_actions=[args.topic_arn],
                tags=dict(args.tags),
                opts=pulumi.ResourceOptions(parent=self),
            )

        resource = pulumi.Output.concat(function_name, ":", args.alias_name)
        through_alias = {"FunctionName": function_name, "Resource": resource}
        new_version = {**through_alias, "ExecutedVersion": pulumi.Output.from_input(args.version)}
        window = "a minute" if periods == 1 else f"any minute of {periods}"
        self.errors = alarm(
            "errors",
            function_name.apply(lambda f: f"{f}-errors"),
            function_name.apply(lambda f: f"{f}: {settings.errors} or more errors through live in {window}"),
            "AWS/Lambda",
            "Errors",
            through_alias,
            float(settings.errors),
            statistic="Sum",
        )
        self.throttles = alarm(
            "throttles",
            function_name.apply(lambda f: f"{f}-throttles"),
            function_name.apply(
                lambda f: f"{f}: {settings.throttles} or more throttled invocations through live in {window}"
            ),
            "AWS/Lambda",
            "Throttles",
            through_alias,
            float(settings.throttles),
            statistic="Sum",
        )
        percent = settings.duration_p99_percent_of_timeout
        threshold_ms = duration_threshold_ms(args.timeout_seconds, percent)
        self.duration_p99 = alarm(
            "duration-p99",
            function_name.apply(lambda f: f"{f}-duration-p99"),
            function_name.apply(
                lambda f: (
                    f"{f}: p99 duration through live at {percent}% or more of its {args.timeout_seconds} s "
                    f"timeout in {window}"
                )
            ),
            "AWS/Lambda",
            "Duration",
            through_alias,
            threshold_ms,
            extended_statistic="p99",
        )
        self.version_errors = alarm(
            "new-version-errors",
            function_name.apply(lambda f: f"{f}-new-version-errors"),
            function_name.apply(
                lambda f: f"{f}: {settings.errors} or more errors of the newest version through live in {window}"
            ),
            "AWS/Lambda",
            "Errors",
            new_version,
            float(settings.errors),
            statistic="Sum",
        )
        self.version_duration_p99 = alarm(
            "new-version-duration-p99",
            function_name.apply(lambda f: f"{f}-new-version-duration-p99"),
            function_name.apply(
                lambda f: (
                    f"{f}: p99 duration of the newest version through live at {percent}% or more of its "
                    f"{args.timeout_seconds} s timeout in {window}"
                )
            ),
            "AWS/Lambda",
            "Duration",
            new_version,
            threshold_ms,
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
                    period=QUEUE_PERIOD_SECONDS,
                    evaluation_periods=1,
                )
            )
        self.function_alarms = [
            self.errors,
            self.throttles,
            self.duration_p99,
            self.version_errors,
            self.version_duration_p99,
        ]
        alarms = [*self.function_alarms, *self.failure_queue_depths]
        self.register_outputs({"alarm_names": [a.name for a in alarms]})
