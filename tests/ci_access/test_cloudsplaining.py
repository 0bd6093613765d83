"""cloudsplaining (a maintained IAM scanner) on every policy ci_access makes, and on the program's
roles.

By default cloudsplaining judges only grants without resource or condition constraints: it must
find no privilege-escalation path in any role or boundary. In its strict mode it flags every
statement, constraints ignored: each finding there is one the threat model justifies, and the test
holds the findings to docs/security.md's table ("cloudsplaining in strict mode") exactly, so a
finding that appears or goes away fails until the table says why.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import pytest
from cloudsplaining.scan.policy_document import PolicyDocument
from cloudsplaining.shared.exclusions import DEFAULT_EXCLUSIONS

from ci_access.permissions import StateBackend
from offline.engine import REPO_ROOT
from tests.ci_access.policies import STACKS, STATE, bootstrap_roles, boundary, operator
from tests.program.plans import Plan

SECURITY_DOC = REPO_ROOT / "docs" / "security.md"
TABLE_HEADING = "### cloudsplaining in strict mode"
# cloudsplaining's finding types, as its report names them.
FINDINGS = {
    "allows_privilege_escalation": "Privilege escalation",
    "allows_data_exfiltration_actions": "Data exfiltration",
    "credentials_exposure": "Credentials exposure",
    "permissions_management_without_constraints": "Resource exposure",
    "infrastructure_modification": "Infrastructure modification",
    "service_wildcard": "Service wildcard",
}
# The table's roles, and the example's policies of each: a stack with Managed Instances adds the
# rows of "deploy, Managed Instances" to those of "deploy".
KINDS = {
    "deploy-dev": ("deploy",),
    "deploy-prod": ("deploy", "deploy, Managed Instances"),
    "preview-dev": ("preview",),
    "preview-prod": ("preview",),
    "codedeploy-dev": ("CodeDeploy",),
    "codedeploy-prod": ("CodeDeploy",),
    "boundary-dev": ("function boundary",),
    "boundary-prod": ("function boundary",),
    "operator-prod": ("operator boundary",),
}

Findings = dict[str, set[str]]


def merged(documents: list[str]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [s for d in documents for s in json.loads(d)["Statement"]]}


def ci_access_policies(state: StateBackend | None) -> dict[str, dict[str, Any]]:
    """Every policy ci_access makes, by name: the roles' (merged) and the boundaries."""
    policies = {name: merged(list(p.identity)) for name, p in bootstrap_roles(state).items()}
    policies.update({f"boundary-{s}": json.loads(boundary(s)) for s in STACKS})
    policies["operator-prod"] = json.loads(operator("prod"))
    return policies


def scan(policy: Mapping[str, Any], strict: bool) -> Findings:
    document = PolicyDocument(
        dict(policy),
        exclusions=DEFAULT_EXCLUSIONS,
        flag_conditional_statements=strict,
        flag_resource_arn_statements=strict,
    )
    found: Findings = {}
    for attribute, label in FINDINGS.items():
        items = getattr(document, attribute)
        names = {i["type"] for i in items} if attribute == "allows_privilege_escalation" else set(items)
        if names:
            found[label] = names
    return found


def documented() -> dict[tuple[str, str], set[str]]:
    """docs/security.md's table: (role, finding) -> the items it justifies. Privilege escalation
    lists cloudsplaining's paths; the others `service: Action, Action; service: ...`."""
    text = SECURITY_DOC.read_text()
    assert TABLE_HEADING in text, f"docs/security.md has no section {TABLE_HEADING!r}"
    lines = text.split(TABLE_HEADING, 1)[1].splitlines()
    end = next((i for i, line in enumerate(lines) if line.startswith("#")), len(lines))
    rows = [line for line in lines[:end] if line.startswith("| ")]
    table: dict[tuple[str, str], set[str]] = {}
    for row in rows[2:]:  # the header and its separator
        role, finding, items, why = (cell.strip() for cell in row.strip().strip("|").split("|"))
        assert why, f"docs/security.md: the {finding} of the {role} role says not why it stays"
        if finding == "Privilege escalation":
            table[(role, finding)] = {i.strip() for i in items.split(",")}
        else:
            table[(role, finding)] = {
                f"{service.strip()}:{action.strip()}"
                for group in items.split(";")
                for service, actions in [group.split(":", 1)]
                for action in actions.split(",")
            }
    return table


def expected_findings(table: dict[tuple[str, str], set[str]], name: str) -> Findings:
    found: Findings = {}
    for kind in KINDS[name]:
        for (role, finding), items in table.items():
            if role == kind:
                found.setdefault(finding, set()).update(items)
    return found


def every_role(dev: Plan, prod: Plan) -> dict[str, dict[str, Any]]:
    roles = ci_access_policies(STATE)
    for stack, plan in (("dev", dev), ("prod", prod)):
        for r in plan.of_type("aws:iam/rolePolicy:RolePolicy"):
            roles[f"{stack}:{r['name']}"] = json.loads(r["inputs"]["policy"])
    return roles


def test_cloudsplaining_finds_no_privilege_escalation_in_any_role(dev: Plan, prod: Plan) -> None:
    findings = {name: scan(policy, strict=False) for name, policy in every_role(dev, prod).items()}
    print(json.dumps({name: sorted(f) for name, f in findings.items()}, indent=1))
    # ci_access's roles and boundaries, and the functions' roles of both stacks.
    assert len(findings) == len(KINDS) + 10
    assert {name: f["Privilege escalation"] for name, f in findings.items() if "Privilege escalation" in f} == {}


@pytest.mark.parametrize("name", sorted(KINDS))
def test_in_strict_mode_every_finding_is_one_the_threat_model_justifies(name: str) -> None:
    """With the self-managed backend (its state grants are the most a role gets)."""
    found = scan(ci_access_policies(STATE)[name], strict=True)
    expected = expected_findings(documented(), name)
    print(name, json.dumps({k: sorted(v) for k, v in found.items()}, indent=1))
    assert {k: sorted(v) for k, v in found.items()} == {k: sorted(v) for k, v in expected.items()}


@pytest.mark.parametrize("name", sorted(KINDS))
def test_with_pulumi_cloud_the_strict_findings_are_fewer(name: str) -> None:
    with_state, without = (scan(ci_access_policies(s)[name], strict=True) for s in (STATE, None))
    assert all(items <= with_state.get(finding, set()) for finding, items in without.items())


def test_the_table_names_only_known_roles_and_findings() -> None:
    table = documented()
    roles = {kind for kinds in KINDS.values() for kind in kinds}
    assert {role for role, _ in table} <= roles
    assert {finding for _, finding in table} <= set(FINDINGS.values())
    # Every row's items are spelled like AWS's actions (service:Action).
    assert all(
        re.fullmatch(r"[a-z0-9-]+:[A-Za-z0-9]+", item)
        for (_, finding), items in table.items()
        if finding != "Privilege escalation"
        for item in items
    )
