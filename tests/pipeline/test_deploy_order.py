"""A deploy refuses a commit older than the one last deployed to the stack (pipeline/deploy_order.py),
run as the deploy job runs it: on the stack's saved outputs, in a checkout with history."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from offline.engine import REPO_ROOT


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout.strip()


def commit(repo: Path, content: str) -> str:
    (repo / "file").write_text(content)
    git(repo, "add", "file")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "-m", content)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """main: a -> b -> c, and a branch `side` from a: a -> s."""
    repo = tmp_path_factory.mktemp("history")
    git(repo, "init", "--quiet", "--initial-branch=main")
    commits = {name: commit(repo, name) for name in ("a", "b", "c")}
    git(repo, "checkout", "--quiet", "-b", "side", commits["a"])
    commits["s"] = commit(repo, "s")
    return repo, commits


def deploy_order(
    repo: Path, outputs: dict[str, object], commit: str, tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    saved = tmp_path / "outputs.json"
    saved.write_text(json.dumps(outputs))
    return subprocess.run(
        [sys.executable, "-m", "pipeline.deploy_order", "--stack", "prod", "--outputs", str(saved), "--commit", commit,
         "--repo", str(repo)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_re_running_an_old_deploy_is_refused_naming_both_commits(
    history: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    repo, c = history
    result = deploy_order(repo, {"deployedCommit": c["c"], "functionNames": {}}, c["b"], tmp_path)
    assert result.returncode == 1
    assert result.stderr == (
        f"error: refusing to deploy {c['b']} to prod: the stack runs {c['c']}, which is not an ancestor of it "
        "(an older commit, or one beside the deployed history). Deploy a commit that contains the deployed one "
        "(push it to main), or roll back with a new commit that reverts the change\n"
    )


def test_a_commit_beside_the_deployed_history_is_refused(history: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    repo, c = history
    result = deploy_order(repo, {"deployedCommit": c["b"]}, c["s"], tmp_path)
    assert result.returncode == 1
    assert f"refusing to deploy {c['s']} to prod: the stack runs {c['b']}" in result.stderr


def test_a_recorded_commit_the_history_lacks_is_refused(history: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    repo, c = history
    unknown = "0123456789abcdef0123456789abcdef01234567"
    result = deploy_order(repo, {"deployedCommit": unknown}, c["c"], tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: git cannot order {unknown[:12]} and {c['c'][:12]} (")
    assert result.stderr.endswith("check out the full history (actions/checkout fetch-depth: 0)\n")


def test_a_hand_edited_record_is_refused(history: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    repo, c = history
    result = deploy_order(repo, {"deployedCommit": "main"}, c["c"], tmp_path)
    assert (result.returncode, result.stderr) == (
        1,
        "error: the stack's output deployedCommit='main' is not a commit: the state was edited by hand\n",
    )


@pytest.mark.parametrize(
    ("recorded", "new", "message"),
    [
        (None, "c", "prod records no deployed commit: deploying {c}"),
        ("a", "c", "prod runs {a}, an ancestor of {c}: deploying"),
        ("c", "c", "prod already runs {c}: deploying it again"),
    ],
)
def test_a_newer_commit_the_same_one_or_a_first_deploy_goes_on(
    history: tuple[Path, dict[str, str]], tmp_path: Path, recorded: str | None, new: str, message: str
) -> None:
    repo, c = history
    outputs: dict[str, object] = {} if recorded is None else {"deployedCommit": c[recorded]}
    result = deploy_order(repo, outputs, c[new], tmp_path)
    assert (result.returncode, result.stdout) == (0, message.format(**{k: v[:12] for k, v in c.items()}) + "\n")
