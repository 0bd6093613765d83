"""ScheduleTrigger: an EventBridge rule on a schedule expression, its target (the function), and
the permission that lets EventBridge invoke the function for this rule only (source ARN)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class ScheduleTriggerArgs:
    rule_name: str
    expression: str
    function_name: pulumi.Input[str]
    target_arn: pulumi.Input[str]


class ScheduleTrigger(pulumi.ComponentResource):
    rule: aws.cloudwatch.EventRule

    def __init__(self, name: str, args: ScheduleTriggerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
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
            opts=child,
        )
        aws.cloudwatch.EventTarget(
            f"{name}-target",
            rule=self.rule.name,
            arn=args.target_arn,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[permission]),
        )
        self.register_outputs({"rule_arn": self.rule.arn})
