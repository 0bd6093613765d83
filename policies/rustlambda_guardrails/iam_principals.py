"""iam-principal-privilege-escalation (stack): one verdict per role, user or group, on every
document that reaches it, judged together.

A principal's permissions are the union of its documents: inline policies (on the principal or as
RolePolicy/UserPolicy/GroupPolicy resources), customer managed policies of the stack attached by any
attachment resource or `managedPolicyArns`, AWS managed policies by ARN (their documents from
managed_policies), and, for a user, its groups' documents. iam-policy-privilege-escalation judges
each document alone; this policy reports the escalation methods (cloudsplaining's, as there) that
only the combination grants, naming the documents that combine, and those an AWS managed policy
grants, which no other policy sees.

Links between a document and its principal follow the engine's property dependencies (a
RolePolicy's `role` built from the Role) and, failing that, the principal's name. What it cannot
see: documents outside the stack other than AWS managed policies, permissions boundaries and
service control policies (which may take the combination away again), Deny statements.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs, StackValidationPolicy

from . import iam_database, managed_policies
from .common import escape, exempt_config, is_exempt, is_unknown, plain, string_list
from .iam import ADMIN_EQUIVALENT_POLICIES, broad_actions, describe_methods
from .iam_documents import INLINE_DOCUMENTS, allow_statements

POLICY_NAME = "iam-principal-privilege-escalation"
# Principal resources: type -> (kind, name property).
PRINCIPALS = {
    "aws:iam/role:Role": ("role", "name"),
    "aws:iam/user:User": ("user", "name"),
    "aws:iam/group:Group": ("group", "name"),
    "aws-native:iam:Role": ("role", "roleName"),
    "aws-native:iam:User": ("user", "userName"),
    "aws-native:iam:Group": ("group", "groupName"),
}
# Inline documents as resources of their own: type -> (principal kind, principal property, document property).
INLINE_RESOURCES = {
    "aws:iam/rolePolicy:RolePolicy": ("role", "role", "policy"),
    "aws:iam/userPolicy:UserPolicy": ("user", "user", "policy"),
    "aws:iam/groupPolicy:GroupPolicy": ("group", "group", "policy"),
    "aws-native:iam:RolePolicy": ("role", "roleName", "policyDocument"),
    "aws-native:iam:UserPolicy": ("user", "userName", "policyDocument"),
    "aws-native:iam:GroupPolicy": ("group", "groupName", "policyDocument"),
}
# Attachments: type -> (policy ARN property, ((principal kind, principal property), ...)).
ATTACHMENTS = {
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ("policyArn", (("role", "role"),)),
    "aws:iam/userPolicyAttachment:UserPolicyAttachment": ("policyArn", (("user", "user"),)),
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": ("policyArn", (("group", "group"),)),
    "aws:iam/policyAttachment:PolicyAttachment": (
        "policyArn",
        (("role", "roles"), ("user", "users"), ("group", "groups")),
    ),
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive": ("policyArns", (("role", "roleName"),)),
    "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive": ("policyArns", (("user", "userName"),)),
    "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive": (
        "policyArns",
        (("group", "groupName"),),
    ),
}
# Customer managed policies: type -> (name property, document property).
MANAGED = {
    "aws:iam/policy:Policy": ("name", "policy"),
    "aws-native:iam:ManagedPolicy": ("managedPolicyName", "policyDocument"),
}
# aws-native managed policies list their principals themselves.
MANAGED_PRINCIPALS = (("role", "roles"), ("user", "users"), ("group", "groups"))
MEMBERSHIPS = {
    "aws:iam/userGroupMembership:UserGroupMembership": ("user", "groups"),
    "aws:iam/groupMembership:GroupMembership": ("group", "users"),
}


@dataclass
class Principal:
    kind: str
    name: str
    urn: str | None
    documents: list[tuple[str, object, bool]] = field(default_factory=list)  # (label, document, AWS managed)
    groups: set[str] = field(default_factory=set)  # keys of the groups a user belongs to


def _last_segment(reference: str) -> str:
    """A principal's or policy's name from a name or an ARN (`arn:aws:iam::1:role/path/name` -> `name`)."""
    return reference.rsplit("/", 1)[-1] if reference.startswith("arn:") else reference


class Stack:
    def __init__(self, resources: Sequence[PolicyResource]) -> None:
        self.principals: dict[str, Principal] = {}
        self.by_urn: dict[str, str] = {}
        self.by_name: dict[tuple[str, str], str] = {}
        self.managed: dict[str, PolicyResource] = {}
        for r in resources:
            if r.resource_type in PRINCIPALS:
                kind, prop = PRINCIPALS[r.resource_type]
                name = plain(r.props).get(prop)
                label = name if isinstance(name, str) and not is_unknown(name) else r.name
                key = r.urn
                self.principals[key] = Principal(kind, label, r.urn)
                self.by_urn[r.urn] = key
                self.by_name[(kind, label)] = key
            elif r.resource_type in MANAGED:
                name = plain(r.props).get(MANAGED[r.resource_type][0])
                self.managed[r.urn] = r
                if isinstance(name, str) and not is_unknown(name):
                    self.managed[f"name:{name}"] = r

    def principal(self, kind: str, reference: object, dependencies: Sequence[PolicyResource]) -> Principal | None:
        for dependency in dependencies:
            key = self.by_urn.get(dependency.urn)
            if key is not None and self.principals[key].kind == kind:
                return self.principals[key]
        if not isinstance(reference, str) or is_unknown(reference) or not reference:
            return None
        name = _last_segment(reference)
        key = self.by_name.get((kind, name))
        if key is None:  # outside the stack: its documents here still combine
            key = f"{kind}:{name}"
            self.by_name[(kind, name)] = key
            self.principals[key] = Principal(kind, name, None)
        return self.principals[key]

    def managed_document(self, arn: str, dependencies: Sequence[PolicyResource]) -> tuple[str, object, bool] | None:
        document = managed_policies.document(arn)
        if document is not None:
            return f"AWS managed policy {managed_policies.name_of(arn)}", document, True
        # By name where the ARN is known (a list of ARNs depends on all its policies); else the one
        # stack policy the property was built from.
        found = None if is_unknown(arn) else self.managed.get(f"name:{_last_segment(arn)}")
        candidates = [d for d in dependencies if d.urn in self.managed]
        if found is None and len(candidates) == 1:
            found = candidates[0]
        if found is None:
            return None
        name_prop, document_prop = MANAGED[found.resource_type]
        props = plain(found.props)
        return f"managed policy {props.get(name_prop) or found.name}", props.get(document_prop), False


def _deps(resource: PolicyResource, prop: str) -> list[PolicyResource]:
    return list(resource.property_dependencies.get(prop, []))


def collect(resources: Sequence[PolicyResource]) -> dict[str, Principal]:
    """Every principal of the stack (or named by it) with the documents that reach it."""
    stack = Stack(resources)
    for r in resources:
        props = plain(r.props)
        if r.resource_type in PRINCIPALS:
            _own_documents(stack, r, props, stack.principals[r.urn])
        elif r.resource_type in INLINE_RESOURCES:
            kind, prop, document_prop = INLINE_RESOURCES[r.resource_type]
            holder = stack.principal(kind, props.get(prop), _deps(r, prop))
            if holder is not None:
                name = props.get("name") or props.get("policyName") or r.name
                holder.documents.append((f"inline policy {name}", props.get(document_prop), False))
        elif r.resource_type in ATTACHMENTS:
            arn_prop, holders = ATTACHMENTS[r.resource_type]
            for arn in string_list(props.get(arn_prop)):
                document = stack.managed_document(arn, _deps(r, arn_prop))
                if document is None:
                    continue
                for kind, prop in holders:
                    for reference in _references(props.get(prop)):
                        holder = stack.principal(kind, reference, _deps(r, prop))
                        if holder is not None and document not in holder.documents:
                            holder.documents.append(document)
        elif r.resource_type == "aws-native:iam:ManagedPolicy":
            document = (
                f"managed policy {props.get('managedPolicyName') or r.name}",
                props.get("policyDocument"),
                False,
            )
            for kind, prop in MANAGED_PRINCIPALS:
                for reference in _references(props.get(prop)):
                    holder = stack.principal(kind, reference, _deps(r, prop))
                    if holder is not None:
                        holder.documents.append(document)
        elif r.resource_type in MEMBERSHIPS:
            _membership(stack, r, props)
    return stack.principals


def _references(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else [value]


def _own_documents(stack: Stack, r: PolicyResource, props: Mapping[str, Any], principal: Principal) -> None:
    inline = INLINE_DOCUMENTS.get(r.resource_type)
    if inline is not None:
        list_prop, name_key, document_key = inline
        entries = props.get(list_prop)
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, Mapping):
                principal.documents.append((f"inline policy {entry.get(name_key)}", entry.get(document_key), False))
    for arn in string_list(props.get("managedPolicyArns")):
        document = stack.managed_document(arn, _deps(r, "managedPolicyArns"))
        if document is not None:
            principal.documents.append(document)
    if r.resource_type == "aws-native:iam:User":
        for group in string_list(props.get("groups")):
            member_of = stack.principal("group", group, _deps(r, "groups"))
            if member_of is not None:
                principal.groups.add(_key(member_of))


def _membership(stack: Stack, r: PolicyResource, props: Mapping[str, Any]) -> None:
    if r.resource_type == "aws:iam/userGroupMembership:UserGroupMembership":
        users = [stack.principal("user", props.get("user"), _deps(r, "user"))]
        groups = [stack.principal("group", g, _deps(r, "groups")) for g in string_list(props.get("groups"))]
    else:
        groups = [stack.principal("group", props.get("group"), _deps(r, "group"))]
        users = [stack.principal("user", u, _deps(r, "users")) for u in string_list(props.get("users"))]
    for user in users:
        for group in groups:
            if user is not None and group is not None:
                user.groups.add(_key(group))


def _key(principal: Principal) -> str:
    return principal.urn or f"{principal.kind}:{principal.name}"


def _documents(principal: Principal, principals: Mapping[str, Principal]) -> Iterator[tuple[str, object, bool]]:
    yield from principal.documents
    for group in sorted(principal.groups):
        member_of = principals.get(group)
        if member_of is not None:
            for label, document, aws_managed in member_of.documents:
                yield f"{label} (of group {member_of.name})", document, aws_managed


def combined_findings(
    principal: Principal, principals: Mapping[str, Principal]
) -> list[tuple[list[str], list[tuple[str, list[str]]]]]:
    """(the documents that combine, the escalation methods they grant together) for findings no
    single stack document grants."""
    granted: list[tuple[str, set[str], bool]] = []
    for label, document, aws_managed in _documents(principal, principals):
        actions: set[str] = set()
        for statement in allow_statements(label, document, []):
            actions |= broad_actions(statement)
        if actions:
            granted.append((label, actions, aws_managed))
    union = set().union(*(a for _, a, _ in granted))
    findings: dict[tuple[str, ...], list[tuple[str, list[str]]]] = {}
    for method, needed in iam_database.escalation_methods().items():
        if not needed <= union:
            continue
        if any(
            needed <= actions and (not aws_managed or _denied_elsewhere(label))
            for label, actions, aws_managed in granted
        ):
            # One stack document grants it (iam-policy-privilege-escalation reports that document), or an
            # administrator policy does (iam-principal-no-admin-policies reports its attachment).
            continue
        sources = tuple(sorted({label for label, actions, _ in granted if actions & needed}))
        findings.setdefault(sources, []).append((method, sorted(needed)))
    return [(list(sources), methods) for sources, methods in sorted(findings.items())]


def _denied_elsewhere(label: str) -> bool:
    name = label.removeprefix("AWS managed policy ").split(" ")[0]
    return label.startswith("AWS managed policy ") and any(
        fnmatch.fnmatchcase(name, p) for p in ADMIN_EQUIVALENT_POLICIES
    )


def _validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    config = args.get_config()
    principals = collect(args.resources)
    for principal in principals.values():
        if is_exempt(config, principal.name, principal.urn):
            continue
        for sources, methods in combined_findings(principal, principals):
            spelled = [(m, [_spelling(a) for a in actions]) for m, actions in methods]
            together = "together" if len(sources) > 1 else "on its own"
            report_violation(
                f"The {principal.kind} {principal.name} gets, from {', '.join(sources)} {together}, actions on "
                f"resources named by wildcards that let it raise its own privileges ({describe_methods(spelled)}): "
                "limit these actions to exact resource ARNs, require a permissions boundary "
                "(iam:PermissionsBoundary with StringEquals), or split them between principals."
                f"{escape(principal.name)}",
                principal.urn,
            )


def _spelling(action: str) -> str:
    found = iam_database.lookup(action)
    return found.name if found is not None else action


principal_escalation = StackValidationPolicy(
    name=POLICY_NAME,
    description=(
        "Checks whether any role, user or group gets a privilege-escalation combination of actions from its "
        "documents together (inline, attached customer and AWS managed policies, its groups'), which no single "
        "document grants."
    ),
    validate=_validate,
    config_schema=exempt_config(),
    remediation_steps=(
        "Scope the combined actions to exact ARNs, require a permissions boundary, or give the actions to different "
        "principals. A principal reviewed otherwise is named in exemptResources."
    ),
)
