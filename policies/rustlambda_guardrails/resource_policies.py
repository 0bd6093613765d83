"""Trust policies and resource policies (buckets, queues, topics, secrets, keys, repositories,
layers) open to everyone: `Principal: "*"`, `{"AWS": "*"}`, an account wildcard, or `NotPrincipal`
with Allow, without a condition that narrows who can call.

A condition narrows when a positive operator (StringEquals, ArnLike, IpAddress, ...) pins a key that
names the caller or its origin (aws:PrincipalOrgID, aws:PrincipalAccount, aws:SourceArn,
aws:SourceAccount, aws:SourceVpce, aws:SourceIp, ...) to values that are not all wildcards. An
`...IfExists` operator does not narrow (a caller without the key passes). A Deny statement for
everyone with a negated operator on such a key (`Deny` unless `aws:PrincipalOrgID` is ours) narrows
the Allow statements whose actions it covers.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .common import exempt_config, is_exempt, is_unknown, judged_at_update, plain, string_list
from .iam_documents import RESOURCE_POLICY_PROPERTY, Statement, resource_label, sentence, statements

NARROWING_KEYS = frozenset(
    {
        "aws:principalorgid", "aws:principalorgpaths", "aws:principalaccount", "aws:principalarn",
        "aws:sourcearn", "aws:sourceaccount", "aws:sourceowner", "aws:sourceorgid", "aws:sourceorgpaths",
        "aws:sourcevpc", "aws:sourcevpce", "aws:sourceip", "aws:userid", "aws:principalservicename",
        "kms:calleraccount", "lambda:functionarn",
    }
)  # fmt: skip
POSITIVE_OPERATORS = ("stringequals", "stringlike", "arnequals", "arnlike", "ipaddress", "stringequalsignorecase")
NEGATED_OPERATORS = ("stringnotequals", "stringnotlike", "arnnotequals", "arnnotlike", "notipaddress")


def _principal_is_everyone(statement: Statement) -> str | None:
    """How a statement opens itself to everyone ("Principal '*'", ...), or None."""
    if statement.body.get("NotPrincipal") is not None:
        return "NotPrincipal (everyone but the listed principals)"
    principal = statement.body.get("Principal")
    if principal == "*":
        return "Principal '*'"
    if isinstance(principal, Mapping):
        for kind, value in principal.items():
            for entry in string_list(value):
                if entry == "*" or (entry.startswith("arn:") and ":*:" in entry):
                    return f"Principal {{{kind!r}: {entry!r}}}"
    return None


def _narrowing(statement: Statement, operators: tuple[str, ...]) -> bool:
    condition = statement.body.get("Condition")
    if not isinstance(condition, Mapping):
        return False
    for operator, block in condition.items():
        op = str(operator).lower()
        base = op.split(":")[-1]
        if not isinstance(block, Mapping) or base.endswith("ifexists") or base not in operators:
            continue
        for key, values in block.items():
            pinned = [v for v in string_list(values) if v.strip("*?") != ""]
            if str(key).lower() in NARROWING_KEYS and pinned:
                return True
    return False


def _covers(deny: Statement, actions: list[str]) -> bool:
    patterns = [p.lower() for p in deny.strings("Action")]
    return bool(actions) and all(any(fnmatch.fnmatchcase(a.lower(), p) for p in patterns) for a in actions)


def _open_statements(document: object, label: str, deferred: list[str]) -> list[tuple[Statement, str]]:
    found = list(statements(label, document, deferred))
    guards = [s for s in found if s.effect == "Deny" and _principal_is_everyone(s) and _narrowing(s, NEGATED_OPERATORS)]
    opened: list[tuple[Statement, str]] = []
    for statement in found:
        if statement.effect != "Allow":
            continue
        how = _principal_is_everyone(statement)
        if how is None or _narrowing(statement, POSITIVE_OPERATORS):
            continue
        if any(_covers(guard, statement.strings("Action")) for guard in guards):
            continue
        opened.append((statement, how))
    return opened


def _validate_public_principals(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    guarded = RESOURCE_POLICY_PROPERTY.get(args.resource_type)
    if guarded is None:
        return
    prop, kind = guarded
    props = plain(args.props)
    name = resource_label(args.resource_type, props, args.name)
    if is_exempt(args.get_config(), args.name, args.urn, name):
        return
    if args.resource_type == "aws:lambda/layerVersionPermission:LayerVersionPermission":
        _judge_layer_permission(props, name, report_violation)
        return
    deferred: list[str] = []
    for statement, how in _open_statements(props.get(prop), f"{kind} ({prop})", deferred):
        actions = statement.strings("Action") or ["(NotAction)"]
        fix = (
            "name the trusted principals (an account, role or service) instead"
            if kind == "trust policy"
            else "name the principals that need access, or add a condition on aws:PrincipalOrgID, "
            "aws:PrincipalAccount, aws:SourceArn or aws:SourceAccount"
        )
        report_violation(
            f"{sentence(statement.label)} of {name} allows {', '.join(actions)} to everyone ({how}) with no condition "
            f"that narrows who can call: {fix}.",
            None,
        )
    if deferred:
        judged_at_update(f"the {kind} of {name}")


def _judge_layer_permission(props: Mapping[str, Any], name: str, report_violation: ReportViolation) -> None:
    principal = props.get("principal")
    if is_unknown(principal):
        judged_at_update(f"the principal of layer permission {name}")
    if principal == "*" and not props.get("organizationId"):
        report_violation(
            f"Layer permission {name} lets every AWS account use the layer (principal '*' without organizationId): "
            "set principal to an account id, or set organizationId.",
            None,
        )


public_principals = ResourceValidationPolicy(
    name="iam-resource-policy-no-public-principal",
    description=(
        "Checks whether trust policies and resource policies (buckets, queues, topics, secrets, keys, repositories, "
        "layers) allow everyone ('*') without a condition that narrows who can call."
    ),
    validate=_validate_public_principals,
    config_schema=exempt_config(),
    remediation_steps=(
        "Name the principals, or add a condition on aws:PrincipalOrgID, aws:PrincipalAccount, aws:SourceArn, "
        "aws:SourceAccount or aws:SourceVpce. A resource that is public on purpose (a website bucket) can be "
        "exempted by name with exemptResources."
    ),
)
