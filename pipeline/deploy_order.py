"""Refuses to deploy a commit older than the one last deployed to a stack.

The program exports `deployedCommit`, the commit of the build it shipped (components/build.py reads
it from the promoted build's manifest). Before `pulumi up`, the deploy job saves the stack's outputs
(`pulumi stack output --json`) and runs

    python -m pipeline.deploy_order --stack prod --outputs outputs.json --commit <sha>

The deploy goes on when the stack records no commit (its first deploy, or a stack only ever deployed
from a laptop), or when the recorded commit is the new one or one of its ancestors (git merge-base
--is-ancestor). Re-running an old deploy run, or deploying a commit beside the deployed one, fails
naming both commits. It needs the repository's history: the deploy job checks out with
`fetch-depth: 0`, and a recorded commit the history lacks is refused too.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

OUTPUT = "deployedCommit"
COMMIT = re.compile(r"^[0-9a-f]{40}$")


class DeployOrderError(RuntimeError):
    """The deploy would move the stack back, or sideways; the message names both commits."""


def deployed_commit(outputs: Mapping[str, Any]) -> str | None:
    """The commit the stack's outputs record, or None if they record none."""
    value = outputs.get(OUTPUT)
    if value is None:
        return None
    if not isinstance(value, str) or not COMMIT.match(value):
        raise DeployOrderError(f"the stack's output {OUTPUT}={value!r} is not a commit: the state was edited by hand")
    return value


def is_ancestor(repo: Path, ancestor: str, commit: str) -> bool:
    """git merge-base --is-ancestor; raises when git knows neither answer (a commit it lacks)."""
    result = subprocess.run(
        ["git", "merge-base", "--is-ancestor", ancestor, commit], cwd=repo, capture_output=True, text=True
    )
    if result.returncode in (0, 1):
        return result.returncode == 0
    raise DeployOrderError(
        f"git cannot order {ancestor[:12]} and {commit[:12]} ({result.stderr.strip()}): "
        "check out the full history (actions/checkout fetch-depth: 0)"
    )


def check_order(repo: Path, stack: str, deployed: str | None, commit: str) -> str:
    """Why the deploy of `commit` may go on; raises DeployOrderError when it may not."""
    if not COMMIT.match(commit):
        raise DeployOrderError(f"--commit {commit!r} is not a commit: set the 40 hex digits of the commit to deploy")
    if deployed is None:
        return f"{stack} records no deployed commit: deploying {commit[:12]}"
    if deployed == commit:
        return f"{stack} already runs {commit[:12]}: deploying it again"
    if is_ancestor(repo, deployed, commit):
        return f"{stack} runs {deployed[:12]}, an ancestor of {commit[:12]}: deploying"
    raise DeployOrderError(
        f"refusing to deploy {commit} to {stack}: the stack runs {deployed}, which is not an ancestor of it "
        "(an older commit, or one beside the deployed history). Deploy a commit that contains the "
        "deployed one (push it to main), or roll back with a new commit that reverts the change"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Refuse a deploy older than the stack's last one.")
    parser.add_argument("--stack", required=True)
    parser.add_argument("--outputs", type=Path, required=True, help="`pulumi stack output --json` of the stack")
    parser.add_argument("--commit", required=True, help="the commit about to be deployed")
    parser.add_argument("--repo", type=Path, default=Path.cwd(), help="the repository's checkout")
    args = parser.parse_args(argv)
    try:
        outputs = json.loads(args.outputs.read_text() or "{}")
        if not isinstance(outputs, dict):
            raise DeployOrderError(f"{args.outputs} is not a JSON object of stack outputs")
        print(check_order(args.repo, args.stack, deployed_commit(outputs), args.commit))
    except (DeployOrderError, json.JSONDecodeError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
