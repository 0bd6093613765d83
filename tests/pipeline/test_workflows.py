"""The GitHub Actions pipeline as the files say it runs (actionlint and zizmor check the rest in
scripts/test): deploys only after CI passed, previews in their own environment, credentials by
OIDC only, one region setting, the toolchain held still, the pins kept moving."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import yaml

from offline.engine import REPO_ROOT
from tests.pipeline.scripts import load_script

GITHUB = REPO_ROOT / ".github"
WORKFLOWS = GITHUB / "workflows"
SHA_PIN = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")


def load(path: Path) -> dict[Any, Any]:
    loaded: dict[Any, Any] = yaml.safe_load(path.read_text())
    return loaded


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    # PyYAML reads the key `on` as the boolean True.
    value: dict[str, Any] = workflow.get("on") or workflow[True]
    return value


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job.get("steps") or [])


def every_yaml_file() -> list[Path]:
    return sorted([*GITHUB.rglob("*.yml"), *GITHUB.rglob("*.yaml")])


# Issue 12, point 6: deploys wait for CI.


def test_deploys_run_only_after_ci_succeeded_on_a_push_to_main() -> None:
    deploy = load(WORKFLOWS / "deploy.yml")
    assert triggers(deploy) == {"workflow_run": {"workflows": ["CI"], "types": ["completed"], "branches": ["main"]}}
    assert load(WORKFLOWS / "ci.yml")["name"] == "CI"
    dev, prod = deploy["jobs"]["dev"], deploy["jobs"]["prod"]
    condition = " ".join(dev["if"].split())
    assert condition == (
        "github.event.workflow_run.conclusion == 'success' && github.event.workflow_run.event == 'push' && "
        "github.event.workflow_run.head_repository.full_name == github.repository"
    )
    assert prod["needs"] == "dev"
    for job, stack in ((dev, "dev"), (prod, "prod")):
        assert job["uses"] == "./.github/workflows/deploy-stack.yml"
        assert job["with"] == {"stack": stack, "sha": "${{ github.event.workflow_run.head_sha }}"}


def test_a_stack_deploys_the_tested_commit_in_its_own_environment_then_smoke_tests_it() -> None:
    job = load(WORKFLOWS / "deploy-stack.yml")["jobs"]["deploy"]
    assert job["environment"] == "${{ inputs.stack }}"
    assert job["concurrency"] == {"group": "deploy-${{ inputs.stack }}", "cancel-in-progress": False}
    checkout = steps(job)[0]
    assert checkout["with"] == {"ref": "${{ inputs.sha }}", "persist-credentials": False}
    login = next(s for s in steps(job) if s.get("id") == "login")
    assert login["with"]["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
    up = next(s for s in steps(job) if str(s.get("uses", "")).startswith("pulumi/actions@"))
    assert up["with"]["command"] == "up"
    assert up["with"]["stack-name"] == "${{ steps.login.outputs.stack-name }}"
    assert up["with"]["policyPacks"] == "policies"
    assert steps(job)[-1]["run"] == 'scripts/smoke-test --stack "$STACK"'


# Point 2: previews in their own environment, with the read-only role.


def test_pull_request_previews_run_in_the_preview_environment_with_the_preview_role() -> None:
    job = load(WORKFLOWS / "ci.yml")["jobs"]["pulumi-preview"]
    assert job["environment"] == "preview-${{ matrix.stack }}"
    assert job["permissions"] == {"contents": "read", "id-token": "write", "pull-requests": "write"}
    login = next(s for s in steps(job) if s.get("id") == "login")
    assert login["with"]["role-to-assume"] == "${{ vars.AWS_PREVIEW_ROLE_ARN }}"
    preview = next(s for s in steps(job) if str(s.get("uses", "")).startswith("pulumi/actions@"))
    assert (preview["with"]["command"], preview["with"]["refresh"]) == ("preview", True)


# Points 4 and 8: no long-lived Pulumi token, stack names qualified, one region setting.


def test_no_workflow_uses_a_stored_pulumi_token_or_a_region_variable() -> None:
    for path in every_yaml_file():
        text = path.read_text()
        assert "PULUMI_ACCESS_TOKEN" not in text, path
        assert "vars.AWS_REGION" not in text, path
        assert "secrets." not in text, path


def test_the_login_action_reads_region_and_qualified_name_from_the_stack_file_and_uses_oidc() -> None:
    action = load(GITHUB / "actions" / "pulumi-login" / "action.yml")
    run = action["runs"]["steps"]
    assert '"$py" -m ci_access.stacks region --stack "$STACK"' in run[0]["run"]
    assert '"$py" -m ci_access.stacks qualified-name --stack "$STACK" --organization "$organization"' in run[0]["run"]
    assert run[1]["uses"].startswith("aws-actions/configure-aws-credentials@")
    assert run[1]["with"]["aws-region"] == "${{ steps.stack.outputs.region }}"
    assert run[2]["uses"].startswith("pulumi/auth-actions@")
    # Pulumi Cloud by OIDC unless the repository names a self-managed backend.
    assert run[2]["if"] == "inputs.backend-url == ''"


# Every third-party action pinned by commit.


def test_every_third_party_action_is_pinned_to_a_commit_with_its_tag_in_a_comment() -> None:
    for path in every_yaml_file():
        for line in path.read_text().splitlines():
            match = re.match(r"^\s*(?:- )?uses: (\S+)(.*)$", line)
            if match is None or match.group(1).startswith("./"):
                continue
            assert SHA_PIN.match(match.group(1)), (path, line)
            assert re.match(r"^ # v\d+\.\d+\.\d+$", match.group(2)), (path, line)


# Point 8: the toolchain held still, the cache per job and following the sources.


def test_rust_toolchain_toml_pins_an_exact_release_at_least_the_workspaces_rust_version() -> None:
    toolchain = tomllib.loads((REPO_ROOT / "rust-toolchain.toml").read_text())["toolchain"]
    assert re.match(r"^\d+\.\d+\.\d+$", toolchain["channel"])
    assert toolchain["targets"] == ["aarch64-unknown-linux-gnu"]
    assert toolchain["components"] == ["rustfmt", "clippy"]
    workspace = tomllib.loads((REPO_ROOT / "functions" / "Cargo.toml").read_text())
    minimum = tuple(int(p) for p in workspace["workspace"]["package"]["rust-version"].split("."))
    assert tuple(int(p) for p in toolchain["channel"].split("."))[: len(minimum)] >= minimum


def test_the_arm64_builds_source_hash_follows_rust_toolchain_toml(tmp_path: Path) -> None:
    build = load_script("build_functions")
    workspace = tmp_path / "functions"
    (workspace / "src").mkdir(parents=True)
    (workspace / "src" / "main.rs").write_text("fn main() {}\n")
    pinned = tmp_path / "rust-toolchain.toml"
    pinned.write_text('[toolchain]\nchannel = "1.95.0"\n')
    before = build.source_hash(workspace, "rustc 1.95.0")
    pinned.write_text('[toolchain]\nchannel = "1.96.0"\n')
    assert build.source_hash(workspace, "rustc 1.95.0") != before
    assert build.toolchain_file(build.WORKSPACE) == REPO_ROOT / "rust-toolchain.toml"


def test_ci_installs_the_pinned_toolchain_and_keys_its_cache_per_job_and_sources() -> None:
    action = load(GITHUB / "actions" / "toolchain" / "action.yml")
    by_name = {s["name"]: s for s in action["runs"]["steps"]}
    rust = next(s for name, s in by_name.items() if name.startswith("Rust"))
    assert "rustup toolchain install --no-self-update" in rust["run"]
    assert "stable" not in rust["run"]
    cache = by_name["Cache (cargo target dirs, venv, tools, cargo registry)"]["with"]
    assert cache["key"].startswith("rustlambda-${{ github.job }}${{ inputs.cache-scope }}-")
    assert "hashFiles('rust-toolchain.toml', 'functions/Cargo.lock'" in cache["key"]
    assert cache["key"].endswith("hashFiles('functions/**/*.rs', 'functions/**/Cargo.toml') }}")


# Point 8: Dependabot and code owners.


def test_dependabot_keeps_the_actions_cargo_pip_and_npm_pins_moving() -> None:
    config = load(GITHUB / "dependabot.yml")
    updates = {u["package-ecosystem"]: u.get("directories") or [u["directory"]] for u in config["updates"]}
    assert updates == {
        "github-actions": ["/", "/.github/actions/*"],
        "cargo": ["/functions", "/bench/hello"],
        "pip": ["/"],
        "npm": ["/tests/iam"],
    }


# Point 8: the README's deploy steps set the machine up first.


def test_the_readmes_deploy_steps_run_setup_before_pulumi() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme[readme.index("## Deploying for real") : readme.index("### GitHub Actions")]
    assert section.index("scripts/setup") < section.index("pulumi preview")
    assert "--secrets-provider" in section and 'pulumi login "s3://' in section
