"""cloudsplaining (a maintained IAM scanner) on every role of the pipeline and of the program.

By default cloudsplaining judges only grants without resource or condition constraints: it must
find no privilege-escalation path in the deploy, preview and function roles, nor in the
boundaries. In its strict mode (every statement, constraints ignored) it lists the paths a role
that deploys Lambda functions has in principle; the test pins that list, and
tests/ci_access/test_permissions.py proves each is closed: every role write needs the stack's
permissions boundary, which grants no IAM, and roles are passed to Lambda only.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from cloudsplaining.scan.policy_document import PolicyDocument
from cloudsplaining.shared.exclusions import DEFAULT_EXCLUSIONS

from tests.ci_access.policies import STACKS, STATE, bootstrap_roles, boundary
from tests.program.plans import Plan


def merged(documents: list[str]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [s for d in documents for s in json.loads(d)["Statement"]]}


def escalations(policy: dict[str, Any], strict: bool = False) -> list[str]:
    document = PolicyDocument(
        policy, exclusions=DEFAULT_EXCLUSIONS, flag_conditional_statements=strict, flag_resource_arn_statements=strict
    )
    return sorted(finding["type"] for finding in document.allows_privilege_escalation)


def every_role(dev: Plan, prod: Plan) -> dict[str, dict[str, Any]]:
    roles = {name: merged(list(p.identity)) for name, p in bootstrap_roles(STATE).items()}
    roles.update({f"boundary-{s}": json.loads(boundary(s)) for s in STACKS})
    for stack, plan in (("dev", dev), ("prod", prod)):
        for r in plan.of_type("aws:iam/rolePolicy:RolePolicy"):
            roles[f"{stack}:{r['name']}"] = json.loads(r["inputs"]["policy"])
    return roles


def test_cloudsplaining_finds_no_privilege_escalation_in_any_role(dev: Plan, prod: Plan) -> None:
    findings = {name: escalations(policy) for name, policy in every_role(dev, prod).items()}
    print(json.dumps(findings, indent=1))
    # ci_access's roles, the boundaries, the functions' roles of both stacks and prod's CodeDeploy role.
    assert len(findings) == 3 + 2 + 10 + 1
    assert {name: found for name, found in findings.items() if found} == {}


# The paths strict mode sees in a deploy role, each closed by the boundary (test_permissions.py).
DEPLOY_ROLE_PATHS = [
    "AttachRolePolicy",
    "AttachRolePolicyThenUpdateAssumeRolePolicy",
    "EditExistingLambdaFunctionWithRole",
    "PassExistingRoleToNewLambdaThenAddPermission",
    "PassExistingRoleToNewLambdaThenInvoke",
    "PassExistingRoleToNewLambdaThenTriggerWithExistingDynamo",
    "PutRolePolicy",
    "PutRolePolicyThenUpdateAssumeRolePolicy",
    "UpdateAndInvokeLambdaFunction",
    "UpdateLambdaFunctionAndAddPermission",
    "UpdateRolePolicyToAssumeIt",
]


@pytest.mark.parametrize("name", ["deploy-dev", "deploy-prod", "preview", "boundary-dev", "boundary-prod"])
def test_in_strict_mode_only_the_deploy_roles_have_paths_and_only_these(name: str, dev: Plan, prod: Plan) -> None:
    found = escalations(every_role(dev, prod)[name], strict=True)
    print(name, found)
    assert found == (DEPLOY_ROLE_PATHS if name.startswith("deploy-") else [])
