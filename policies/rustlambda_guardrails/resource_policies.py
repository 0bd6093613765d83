"""Trust policies and resource policies (buckets, queues, topics, secrets, keys, repositories, REST
APIs, log destinations, file systems, backup vaults, layers) open to everyone: `Principal: "*"`,
`{"AWS": "*"}`, an account wildcard, or `NotPrincipal` with Allow, unless the conditions stop the
actor this policy is about: a principal of another account and organization, calling directly or
through an AWS service acting for a resource it owns (actors.py). Whether a condition stops it is
the condition evaluator's answer (conditions.py), so operators mean what AWS makes them mean:
`StringEquals aws:PrincipalOrgID` stops it, `...IfExists` and negated operators on an Allow do not,
`arn:aws:s3:::*` as a source ARN does not (the attacker owns a bucket too), and a Deny for everyone
that the actor's request meets (`Deny` unless `aws:PrincipalOrgID` is ours) closes the Allow
statements whose actions it covers.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .actors import OTHER_ACCOUNT_CALLER, OTHER_ACCOUNT_SERVICE
from .common import escape, exempt_config, is_unknown, judged_at_update, string_list
from .conditions import admits, forces
from .iam_documents import (
    LAYER_PERMISSION_TYPES,
    RESOURCE_POLICY_PROPERTY,
    Statement,
    judged_resource,
    sentence,
    statements,
)

POLICY_NAME = "iam-resource-policy-no-public-principal"
ACTORS = (OTHER_ACCOUNT_CALLER, OTHER_ACCOUNT_SERVICE)


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


def _lets_in(statement: Statement) -> bool:
    """Whether the statement's conditions let an actor of another account through."""
    condition = statement.body.get("Condition")
    return any(admits(condition, actor) for actor in ACTORS)


def _covers(deny: Statement, actions: list[str]) -> bool:
    patterns = [p.lower() for p in deny.strings("Action")]
    return bool(actions) and all(any(fnmatch.fnmatchcase(a.lower(), p) for p in patterns) for a in actions)


def _open_statements(document: object, label: str, deferred: list[str]) -> list[tuple[Statement, str]]:
    found = list(statements(label, document, deferred))
    guards = [s for s in found if s.effect == "Deny" and _principal_is_everyone(s)]
    opened: list[tuple[Statement, str]] = []
    for statement in found:
        if statement.effect != "Allow":
            continue
        how = _principal_is_everyone(statement)
        if how is None or not _lets_in(statement):
            continue
        condition = statement.body.get("Condition")
        # Closed when, for every actor this statement lets in, a Deny that always applies to it covers its actions.
        if all(
            any(forces(guard.body.get("Condition"), actor) and _covers(guard, statement.strings("Action"))
                for guard in guards)
            for actor in ACTORS
            if admits(condition, actor)
        ):  # fmt: skip
            continue
        opened.append((statement, how))
    return opened


def _validate_public_principals(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    judged = judged_resource(args, POLICY_NAME)
    if judged is None:
        return
    props, name = judged
    if args.resource_type in LAYER_PERMISSION_TYPES:
        _judge_layer_permission(props, name, report_violation)
        return
    prop, kind = RESOURCE_POLICY_PROPERTY[args.resource_type]
    deferred: list[str] = []
    for statement, how in _open_statements(props.get(prop), f"{kind} ({prop})", deferred):
        actions = statement.strings("Action") or ["(NotAction)"]
        fix = (
            "name the trusted principals (an account, role or service) instead"
            if kind == "trust policy"
            else "name the principals that need access, or add a condition with a positive operator (StringEquals, "
            "ArnEquals; not ...IfExists) on aws:PrincipalOrgID, aws:PrincipalAccount, aws:SourceArn or "
            "aws:SourceAccount"
        )
        report_violation(
            f"{sentence(statement.label)} of {name} allows {', '.join(actions)} to everyone ({how}) with no condition "
            f"that keeps out principals of other accounts: {fix}.{escape(name)}",
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
            f"set principal to an account id, or set organizationId.{escape(name)}",
            None,
        )


public_principals = ResourceValidationPolicy(
    name=POLICY_NAME,
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
