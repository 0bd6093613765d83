"""The `schedule` trigger: an EventBridge rule on a schedule expression, its target (the function),
the permission that lets EventBridge invoke the function for this rule only (source ARN), and the
queue its failed events land in (EventBridge invokes asynchronously)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.alias import InvokeTarget
from components.triggers.base import TriggerPlan, TriggerScope, async_failure_queue, known_queue_arn
from model.contract import ScheduleTrigger


@dataclass(frozen=True)
class ScheduleRuleArgs:
    rule_name: str
    expression: str
    function_name: pulumi.Input[str]
    # What the rule invokes (the live alias's ARN) and the qualifier its permission names.
    target_arn: pulumi.Input[str]
    qualifier: pulumi.Input[str]


class ScheduleRule(pulumi.ComponentResource):
    """The rule, its permission and target (type token from its first name, kept so stacks keep
    their URNs)."""

    rule: aws.cloudwatch.EventRule

    def __init__(self, name: str, args: ScheduleRuleArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("rustlambda:index:ScheduleTrigger", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.rule = aws.cloudwatch.EventRule(
            f"{name}-rule", name=args.rule_name, schedule_expression=args.expression, opts=child
        )
        permission = aws.lambda_.Permission(
            f"{name}-permission",
            action="lambda:InvokeFunction",
            function=args.function_name,
            principal="events.amazonaws.com",
            source_arn=self.rule.arn,
            qualifier=args.qualifier,
            opts=child,
        )
        aws.cloudwatch.EventTarget(
            f"{name}-target",
            rule=self.rule.name,
            arn=args.target_arn,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[permission]),
        )
        self.register_outputs({"rule_arn": self.rule.arn})


class ScheduleKind:
    type: str = "schedule"
    # The failure queue, where an operator redrives failed events from.
    exports: tuple[str, ...] = ("queueUrls",)

    def prepare(self, trigger: ScheduleTrigger, scope: TriggerScope) -> TriggerPlan:
        failures = async_failure_queue(scope)

        def attach(target: InvokeTarget) -> Mapping[str, pulumi.Output[str]]:
            ScheduleRule(
                f"{scope.name}-schedule",
                ScheduleRuleArgs(
                    rule_name=scope.function_name,
                    expression=trigger.expression,
                    function_name=target.function_name,
                    target_arn=target.arn,
                    qualifier=target.qualifier,
                ),
                scope.child,
            )
            return {"queueUrls": failures.queue.url}

        return TriggerPlan(
            on_failure_queue_arn=known_queue_arn(scope, failures.queue.name),
            failure_queue_names=[failures.queue.name],
            attach=attach,
        )


KIND = ScheduleKind()
