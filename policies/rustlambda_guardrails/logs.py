"""CloudWatch Logs policies: function log groups expire their logs, whatever their names."""

from __future__ import annotations

from pulumi_policy import (
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from .common import (
    escape,
    exempt_config,
    is_exempt,
    is_unknown,
    judged_at_update,
    plain,
    string_list,
    string_list_property,
)
from .lambda_ import FUNCTION_TYPES, resource_function_name

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
    if is_exempt(args.get_config(), args.name, args.urn, name):
        return
    if any(str(name).startswith(prefix) for prefix in prefixes):
        report_violation(
            f"Log group {name} sets no retentionInDays, so CloudWatch keeps its logs forever: set retentionInDays "
            f"(e.g. 14, 30 or 90).{escape(str(name))}",
            None,
        )


log_group_retention = ResourceValidationPolicy(
    name="logs-log-group-retention",
    description="Checks whether every Lambda function's log group sets a retention period.",
    validate=_validate_retention,
    remediation_steps="Set retentionInDays on the log group (e.g. 14, 30 or 90).",
    config_schema=exempt_config(
        logGroupPrefixes=string_list_property(
            DEFAULT_PREFIXES, "Name prefixes of the log groups that must set retentionInDays."
        )
    ),
)


# --- logs-function-log-group-retention (stack) --------------------------------------------------
#
# A function can log to a group of any name (loggingConfig.logGroup), which the prefix rule above
# does not see. This stack policy finds each function's group in the stack, by name or through the
# engine's property dependencies on loggingConfig, and requires its retention. A group created
# outside the stack (by another stack, or by Lambda itself on first write) cannot be seen here.


def _group_name(resource: PolicyResource) -> object:
    props = plain(resource.props)
    names = LOG_GROUP_NAME_PROPERTIES.get(resource.resource_type, ())
    return next((props[p] for p in names if props.get(p)), None)


def _validate_function_groups(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    groups = [r for r in args.resources if r.resource_type in LOG_GROUP_NAME_PROPERTIES]
    by_name = {name: g for g in groups if isinstance(name := _group_name(g), str) and not is_unknown(name)}
    for function in args.resources:
        if function.resource_type not in FUNCTION_TYPES:
            continue
        props = plain(function.props)
        name = resource_function_name(function)
        if is_exempt(args.get_config(), function.name, function.urn, name):
            continue
        logging = props.get("loggingConfig")
        target = logging.get("logGroup") if isinstance(logging, dict) else None
        candidates = [by_name[target]] if isinstance(target, str) and target in by_name else []
        candidates += [g for g in function.property_dependencies.get("loggingConfig", []) if g in groups]
        for group in candidates[:1]:
            retention = plain(group.props).get("retentionInDays")
            if retention or is_unknown(retention):
                continue
            report_violation(
                f"Function {name} logs to {_group_name(group) or group.name} (loggingConfig.logGroup), which sets no "
                "retentionInDays, so CloudWatch keeps its logs forever: set retentionInDays on that log group "
                f"(e.g. 14, 30 or 90).{escape(name)}",
                function.urn,
            )


function_log_group_retention = StackValidationPolicy(
    name="logs-function-log-group-retention",
    description="Checks whether the log group each Lambda function logs to (loggingConfig.logGroup) sets a retention.",
    validate=_validate_function_groups,
    config_schema=exempt_config(),
    remediation_steps="Declare the function's log group in the stack with retentionInDays.",
)
