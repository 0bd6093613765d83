"""IAM policies: no wildcard actions in policy documents, no administrator managed policies on roles.

Policy documents come as JSON strings (pulumi-aws `policy`, `inlinePolicies[].policy`) or as
objects (aws-native `policyDocument`, `policies[].policyDocument`); both are read. At preview a
document built from outputs of resources not yet created is unknown as a whole, or holds unknown
values inside: every action that is known is judged, and a document or action that is unknown is
reported as "can only be judged at update" (advisory), never passed in silence. Unknown values
elsewhere (a statement's Resource ARN) do not stop the actions from being judged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import (
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from .common import (
    contains_unknown,
    is_unknown,
    judged_at_update,
    plain,
    quoted,
    string_list,
    string_list_config,
)

# Resources with one document in a property.
SINGLE_DOCUMENT_PROPERTY = {
    "aws:iam/policy:Policy": "policy",
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/userPolicy:UserPolicy": "policy",
    "aws:iam/groupPolicy:GroupPolicy": "policy",
    "aws-native:iam:ManagedPolicy": "policyDocument",
    "aws-native:iam:RolePolicy": "policyDocument",
    "aws-native:iam:UserPolicy": "policyDocument",
    "aws-native:iam:GroupPolicy": "policyDocument",
}
# Resources with a list of named inline documents: (list property, name key, document key).
INLINE_DOCUMENTS = {
    "aws:iam/role:Role": ("inlinePolicies", "name", "policy"),
    "aws-native:iam:Role": ("policies", "policyName", "policyDocument"),
    "aws-native:iam:User": ("policies", "policyName", "policyDocument"),
    "aws-native:iam:Group": ("policies", "policyName", "policyDocument"),
}
# Resources that attach managed policies to a role: (property, is it a list).
MANAGED_POLICY_PROPERTY = {
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ("policyArn", False),
    "aws:iam/policyAttachment:PolicyAttachment": ("policyArn", False),
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive": ("policyArns", True),
    "aws:iam/role:Role": ("managedPolicyArns", True),
    "aws-native:iam:Role": ("managedPolicyArns", True),
}
DEFAULT_DENIED_MANAGED_POLICIES = ["AdministratorAccess", "PowerUserAccess"]
# An AWS managed policy: account `aws`, any partition, any path.
AWS_MANAGED_POLICY_ARN = re.compile(r"^arn:[a-z-]+:iam::aws:policy/(?:.+/)?(?P<name>[^/]+)$")


def _documents(resource_type: str, props: Mapping[str, Any]) -> Iterator[tuple[str, object]]:
    """(label for messages, document as given) for every policy document of the resource."""
    single = SINGLE_DOCUMENT_PROPERTY.get(resource_type)
    if single is not None:
        yield single, props.get(single)
    inline = INLINE_DOCUMENTS.get(resource_type)
    if inline is not None:
        list_property, name_key, document_key = inline
        entries = props.get(list_property)
        if is_unknown(entries):
            judged_at_update(f"{list_property} (the whole list)")
        for index, entry in enumerate(entries or []):
            if is_unknown(entry):
                judged_at_update(f"{list_property}[{index}]")
            name = entry.get(name_key)
            label = (
                f"inline policy {name!r}"
                if isinstance(name, str) and not is_unknown(name)
                else f"{list_property}[{index}]"
            )
            yield label, entry.get(document_key)


def _statements(label: str, document: object, deferred: list[str]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(label, statement) of every statement of a document that is known; what is not goes to
    `deferred`."""
    if document is None or document == "":
        return
    if is_unknown(document):
        deferred.append(label)
        return
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError:
            if contains_unknown(document):
                deferred.append(label)
            return  # not a policy document: the provider rejects it, nothing to judge here
    if not isinstance(document, Mapping):
        return
    statements = document.get("Statement")
    if is_unknown(statements):
        deferred.append(label)
        return
    if isinstance(statements, Mapping):
        statements = [statements]
    for index, statement in enumerate(statements or []):
        if not isinstance(statement, Mapping):
            if is_unknown(statement):
                deferred.append(f"{label} statement {index + 1}")
            continue
        sid = statement.get("Sid")
        name = f"{label} statement {sid!r}" if isinstance(sid, str) and sid and not is_unknown(sid) else None
        yield name or f"{label} statement {index + 1}", statement


def _sentence(label: str) -> str:
    return label[:1].upper() + label[1:]


def _wildcard_actions(actions: list[str]) -> list[str]:
    return [a for a in actions if a == "*" or (a.endswith(":*") and ":" not in a[:-2])]


def _validate_wildcards(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in SINGLE_DOCUMENT_PROPERTY and args.resource_type not in INLINE_DOCUMENTS:
        return
    props = plain(args.props)
    deferred: list[str] = []
    for document_label, document in _documents(args.resource_type, props):
        for label, statement in _statements(document_label, document, deferred):
            effect = statement.get("Effect")
            if is_unknown(effect):
                deferred.append(label)
                continue
            if effect != "Allow":
                continue  # a Deny with a wildcard takes permissions away
            action = statement.get("Action")
            not_action = statement.get("NotAction")
            if contains_unknown(action) or contains_unknown(not_action):
                deferred.append(label)
            actions = [a for a in string_list(action) if not is_unknown(a)]
            for wildcard in _wildcard_actions(actions):
                scope = "of every service" if wildcard == "*" else f"of {wildcard[:-2]}"
                report_violation(
                    f"{_sentence(label)} of {args.name} allows {wildcard!r}, every action {scope}: "
                    "list the exact actions needed instead.",
                    None,
                )
            if not_action is not None and not contains_unknown(not_action):
                report_violation(
                    f"{_sentence(label)} of {args.name} allows every action except {quoted(string_list(not_action))} "
                    "(NotAction with Allow): list the exact actions needed in Action instead.",
                    None,
                )
    if deferred:
        judged_at_update(f"the actions of {', '.join(deferred)} of {args.name}")


no_wildcard_actions = ResourceValidationPolicy(
    name="iam-policy-no-wildcard-actions",
    description="Checks whether IAM policy documents allow '*' or 'service:*' actions.",
    validate=_validate_wildcards,
)


def _holder(resource_type: str, props: Mapping[str, Any]) -> str:
    """Who gets the managed policies (for messages)."""
    if resource_type == "aws:iam/policyAttachment:PolicyAttachment":
        return "its roles, users and groups"
    # Role: name (pulumi-aws) or roleName (aws-native); attachments: role or roleName.
    role = props.get("role") or props.get("roleName") or props.get("name")
    return f"role {role}" if isinstance(role, str) and not is_unknown(role) else "the role"


def _validate_admin_policies(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    managed = MANAGED_POLICY_PROPERTY.get(args.resource_type)
    if managed is None:
        return
    prop, is_list = managed
    props = plain(args.props)
    denied = set(string_list(args.get_config().get("deniedManagedPolicies", DEFAULT_DENIED_MANAGED_POLICIES)))
    value = props.get(prop)
    if is_unknown(value):
        judged_at_update(f"{prop} of {args.name}")
    arns = string_list(value) if is_list else ([str(value)] if value else [])
    holder = _holder(args.resource_type, props)
    unknown = False
    for arn in arns:
        if is_unknown(arn):
            unknown = True
            continue
        match = AWS_MANAGED_POLICY_ARN.match(arn)
        if match and match.group("name") in denied:
            report_violation(
                f"{args.name} gives {holder} the AWS managed policy {match.group('name')} ({arn}): attach a policy "
                "that lists the exact actions the role needs instead.",
                None,
            )
    if unknown:
        judged_at_update(f"{prop} of {args.name}")


no_admin_policies = ResourceValidationPolicy(
    name="iam-role-no-admin-policies",
    description="Checks whether roles are given broad AWS managed policies such as AdministratorAccess.",
    validate=_validate_admin_policies,
    config_schema=string_list_config(
        "deniedManagedPolicies", DEFAULT_DENIED_MANAGED_POLICIES, "Names of AWS managed policies no role may be given."
    ),
)
