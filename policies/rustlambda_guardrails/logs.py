"""CloudWatch Logs policies: function log groups expire their logs."""

from __future__ import annotations

from pulumi_policy import (
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from .common import is_unknown, judged_at_update, plain, string_list, string_list_config

# The property that holds the log group's name, per provider (pulumi-aws also has namePrefix).
LOG_GROUP_NAME_PROPERTIES = {
    "aws:cloudwatch/logGroup:LogGroup": ("name", "namePrefix"),
    "aws-native:logs:LogGroup": ("logGroupName",),
}
DEFAULT_PREFIXES = ["/aws/lambda/"]


def _validate_retention(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    name_properties = LOG_GROUP_NAME_PROPERTIES.get(args.resource_type)
    if name_properties is None:
        return
    props = plain(args.props)
    retention = props.get("retentionInDays")
    if is_unknown(retention) or retention:
        return  # set (0 is "never expire" in pulumi-aws; unknown means set from an output)
    name = next((props[p] for p in name_properties if props.get(p)), None)
    if name is None:
        return  # an autonamed group is no function's group (Lambda writes to /aws/lambda/<function>)
    if is_unknown(name):
        judged_at_update(f"the name of log group {args.name}")
    prefixes = string_list(args.get_config().get("logGroupPrefixes", DEFAULT_PREFIXES))
    if any(str(name).startswith(prefix) for prefix in prefixes):
        report_violation(
            f"Log group {name} sets no retentionInDays, so CloudWatch keeps its logs forever: set retentionInDays "
            "(e.g. 14, 30 or 90).",
            None,
        )


log_group_retention = ResourceValidationPolicy(
    name="logs-log-group-retention",
    description="Checks whether every Lambda function's log group sets a retention period.",
    validate=_validate_retention,
    config_schema=string_list_config(
        "logGroupPrefixes", DEFAULT_PREFIXES, "Name prefixes of the log groups that must set retentionInDays."
    ),
)
