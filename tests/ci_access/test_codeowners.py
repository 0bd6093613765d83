"""CODEOWNERS covers every file that runs with deploy credentials or shapes the roles
(docs/security.md, "Anyone who can push a branch"): a change to one needs the security owners'
review before it reaches main, and so before any deploy."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pathspec
import pytest

from offline.engine import REPO_ROOT

CODEOWNERS = REPO_ROOT / ".github" / "CODEOWNERS"
SECURITY = "@my-org/platform-security"
# What runs with deploy credentials (the workflows, the scripts and packages a deploy job runs or
# installs, the program and what it imports, the stacks' settings) or shapes the roles, their
# guardrails and the checks that prove them: gitignore-style patterns of the repository's paths.
GUARDED = (
    ".github/**",
    "scripts/**",
    "/requirements*.txt",
    "/*.lock",
    "/pylock*.toml",
    "/pyproject.toml",
    "/rust-toolchain.toml",
    "functions/Cargo.lock",
    "/Pulumi.yaml",
    "/Pulumi.*.yaml",
    "/__main__.py",
    "components/**",
    "model/**",
    "release/**",
    "policies/**",
    "ci_access/**",
    "tests/ci_access/**",
    "tests/iam/**",
    "tests/pipeline/**",
    "docs/security.md",
    "docs/ci-access.md",
)
# Files such a change would add: they must be covered before they exist.
FUTURE = (
    ".github/workflows/new.yml",
    "scripts/new-step",
    "requirements-deploy.txt",
    "requirements.lock",
    "uv.lock",
    "Pulumi.staging.yaml",
    "components/new.py",
    "components/triggers/new.py",
    "model/new.py",
    "release/new.py",
    "policies/new.py",
    "ci_access/new.py",
)


def rules() -> list[tuple[pathspec.PathSpec[pathspec.Pattern], list[str]]]:
    """CODEOWNERS' rules in order: a gitignore-style pattern and its owners."""
    parsed = []
    for line in CODEOWNERS.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        pattern, *owners = line.split()
        parsed.append((pathspec.PathSpec.from_lines("gitwildmatch", [pattern]), owners))
    return parsed


def owners_of(path: str) -> list[str]:
    """GitHub's rule: the last matching pattern decides."""
    owners: list[str] = []
    for spec, rule_owners in rules():
        if spec.match_file(path):
            owners = rule_owners
    return owners


def tracked_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    return listed.stdout.splitlines()


def test_every_guarded_file_of_the_repository_needs_the_security_owners() -> None:
    guarded = pathspec.PathSpec.from_lines("gitwildmatch", GUARDED)
    files = [f for f in tracked_files() if guarded.match_file(f)]
    assert len(files) > 100
    assert [f for f in files if SECURITY not in owners_of(f)] == []


@pytest.mark.parametrize("path", FUTURE)
def test_a_guarded_file_added_later_is_covered_too(path: str) -> None:
    assert SECURITY in owners_of(path)


@pytest.mark.parametrize("path", ["functions/http-api/src/main.rs", "bench/run.py", "README.md", "harness/moto.py"])
def test_other_files_need_no_security_review(path: str) -> None:
    """Function code runs with its own role, which the stack's boundary bounds; benchmarks, the
    test harness and docs run with no credentials."""
    assert owners_of(path) == []


def test_every_rule_names_an_owner_and_the_docs_name_the_file() -> None:
    assert all(owners for _, owners in rules())
    assert "CODEOWNERS" in (REPO_ROOT / "docs" / "security.md").read_text()
    assert Path(CODEOWNERS).is_file()
