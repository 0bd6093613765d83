"""The GitHub Actions pipeline as the files say it runs (actionlint and zizmor check the rest in
scripts/test): deploys only after CI passed, previews in their own environment, credentials by
OIDC only, one region setting, the toolchain held still, the pins kept moving."""

from __future__ import annotations

import os
import re
import subprocess
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


# Issue 12, point 6: deploys wait for CI; issue 21: build once, promote by digest.


def test_deploys_run_only_after_ci_succeeded_on_a_push_to_main() -> None:
    deploy = load(WORKFLOWS / "deploy.yml")
    assert triggers(deploy) == {"workflow_run": {"workflows": ["CI"], "types": ["completed"], "branches": ["main"]}}
    assert load(WORKFLOWS / "ci.yml")["name"] == "CI"
    jobs = deploy["jobs"]
    condition = " ".join(jobs["build"]["if"].split())
    assert condition == (
        "github.event.workflow_run.conclusion == 'success' && github.event.workflow_run.event == 'push' && "
        "github.event.workflow_run.head_repository.full_name == github.repository"
    )
    # Every other job needs the build, so none runs when its condition is false.
    assert (jobs["attest"]["needs"], jobs["dev"]["needs"], jobs["prod"]["needs"]) == (
        "build",
        ["build", "attest"],
        ["build", "dev"],
    )
    for stack in ("dev", "prod"):
        assert jobs[stack]["uses"] == "./.github/workflows/deploy-stack.yml"
        assert jobs[stack]["with"] == {
            "stack": stack,
            "sha": "${{ github.event.workflow_run.head_sha }}",
            # Prod deploys the bytes dev deployed and smoke-tested: one artifact, one digest.
            "manifest-sha256": "${{ needs.build.outputs.manifest-sha256 }}",
        }


def test_the_build_job_can_get_no_credential_and_attesting_runs_nothing_of_the_repository() -> None:
    jobs = load(WORKFLOWS / "deploy.yml")["jobs"]
    build, attest = jobs["build"], jobs["attest"]
    assert build["permissions"] == {"contents": "read"}
    assert "environment" not in build
    run = "\n".join(str(step.get("run", "")) for step in steps(build))
    assert 'scripts/build-functions --force --commit "$SHA" ${FEATURES:+--features "$FEATURES"}' in run
    assert '.venv/bin/python -m model.artifacts verify build/lambda/manifest.json --commit "$SHA"' in run
    upload = steps(build)[-1]
    assert upload["uses"].startswith("actions/upload-artifact@")
    assert (upload["with"]["name"], upload["with"]["path"]) == ("lambda-build", "build/lambda/")
    # The attesting job signs (id-token) but checks out and runs no repository code, and has no
    # environment, so no deploy role and no Pulumi token trusts its OIDC token.
    assert attest["permissions"] == {"contents": "read", "id-token": "write", "attestations": "write"}
    assert "environment" not in attest
    assert [str(step.get("uses", "run")).split("@")[0] for step in steps(attest)] == [
        "actions/download-artifact",
        "run",
        "actions/attest-build-provenance",
    ]
    assert steps(attest)[1]["run"] == 'echo "$MANIFEST_SHA256  build/lambda/manifest.json" | sha256sum --check --strict'
    assert steps(attest)[2]["with"]["subject-path"].split() == [
        "build/lambda/manifest.json",
        "build/lambda/*.zip",
        "build/lambda/layers/*.zip",
    ]


def test_every_job_with_an_oidc_token_runs_in_an_environment_or_only_attests() -> None:
    """An OIDC token outside a GitHub environment is good for no deploy role and no Pulumi token
    (their trust names the environment), so the only other job holding one signs attestations."""
    holders = []
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for name, job in load(path)["jobs"].items():
            if (job.get("permissions") or {}).get("id-token") == "write":
                where = job.get("environment") or ("(called)" if "uses" in job else None)
                holders.append((path.name, name, where))
    assert holders == [
        (
            "ci.yml",
            "pulumi-preview",
            "preview-${{ matrix.stack }}",
        ),
        ("deploy-stack.yml", "deploy", "${{ inputs.stack }}"),
        ("deploy.yml", "attest", None),
        ("deploy.yml", "dev", "(called)"),
        ("deploy.yml", "prod", "(called)"),
    ]


def test_a_stack_deploys_the_builds_bytes_after_checking_them_and_never_builds() -> None:
    job = load(WORKFLOWS / "deploy-stack.yml")["jobs"]["deploy"]
    assert job["environment"] == "${{ inputs.stack }}"
    assert job["concurrency"] == {"group": "deploy-${{ inputs.stack }}", "cancel-in-progress": False}
    checkout = steps(job)[0]
    assert checkout["with"] == {"ref": "${{ inputs.sha }}", "fetch-depth": 0, "persist-credentials": False}
    names = [str(step.get("uses") or step.get("id") or step["run"]).split("@")[0] for step in steps(job)]
    assert names == [
        "actions/checkout",
        "actions/download-artifact",
        'echo "$MANIFEST_SHA256  build/lambda/manifest.json" | sha256sum --check --strict\n'
        + steps(job)[2]["run"].split("\n", 1)[1],
        "scripts/setup-runtime",
        '.venv/bin/python -m model.artifacts verify build/lambda/manifest.json --commit "$SHA"',
        "./.github/actions/pulumi-cli",
        "./.github/actions/pulumi-login",
        steps(job)[7]["run"],
        'pulumi up --yes --diff --policy-pack policies --stack "$STACK"',
        'scripts/smoke-test --stack "$STACK"',
    ]
    attestation = steps(job)[2]["run"]
    assert '--signer-workflow "$REPO/.github/workflows/deploy.yml"' in attestation
    assert '--source-digest "$SHA" --deny-self-hosted-runners' in attestation
    assert "build/lambda/manifest.json build/lambda/*.zip build/lambda/layers/*.zip" in attestation
    assert "python -m pipeline.deploy_order" in steps(job)[7]["run"]
    assert steps(job)[8]["env"]["RUSTLAMBDA_PREBUILT_MANIFEST"] == "build/lambda/manifest.json"
    # cargo only reads the contracts (`cargo metadata --no-deps`), with the runner's toolchain.
    assert steps(job)[8]["env"]["RUSTUP_TOOLCHAIN"] == "stable"
    login = steps(job)[6]["with"]
    assert (login["role-to-assume"], login["pulumi-team"]) == (
        "${{ vars.AWS_DEPLOY_ROLE_ARN }}",
        "${{ vars.PULUMI_TEAM }}",
    )
    # Runtime packages only: no toolchain, no compiler, no npm, no dev lockfile, no build.
    ran = "\n".join(f"{step.get('uses', '')}\n{step.get('run', '')}" for step in steps(job))
    for tool in ("actions/toolchain", "scripts/setup\n", "npm", "cargo", "rustup", "go install", "uv ",
                 "requirements-dev", "build-functions"):  # fmt: skip
        assert tool not in ran, tool


def test_the_deploy_set_up_installs_the_runtime_lockfile_with_hashes_only() -> None:
    script = (REPO_ROOT / "scripts" / "setup-runtime").read_text()
    installs = [line.strip() for line in script.splitlines() if "pip install" in line]
    pip = ".venv/bin/python -m pip install --quiet --disable-pip-version-check"
    assert installs == [
        f"{pip} --require-hashes --no-deps -r requirements.txt",
        f"{pip} --no-deps --no-build-isolation --no-index -e .",
    ]


# Issue 21: PR previews of dev only by default, other stacks in reviewer-gated environments.


def test_pull_requests_preview_dev_only_unless_asked_and_other_stacks_in_their_own_environment() -> None:
    job = load(WORKFLOWS / "ci.yml")["jobs"]["pulumi-preview"]
    assert job["strategy"]["matrix"]["stack"] == "${{ fromJSON(vars.PREVIEW_STACKS || '[\"dev\"]') }}".replace("\\", "")
    # Each stack previews in its own environment (ci_access.scope.preview_environment).
    assert job["environment"] == "preview-${{ matrix.stack }}"
    assert job["permissions"] == {"contents": "read", "id-token": "write", "pull-requests": "write"}
    login = next(s for s in steps(job) if s.get("id") == "login")
    assert login["with"]["role-to-assume"] == "${{ vars.AWS_PREVIEW_ROLE_ARN }}"
    assert login["with"]["pulumi-team"] == "${{ vars.PULUMI_TEAM }}"
    preview = next(s for s in steps(job) if str(s.get("uses", "")).startswith("pulumi/actions@"))
    assert preview["with"]["command"] == "preview"


# Points 4 and 8: no long-lived Pulumi token, stack names qualified, one region setting.


def test_no_workflow_uses_a_stored_pulumi_token_or_a_region_variable() -> None:
    for path in every_yaml_file():
        text = path.read_text()
        assert "PULUMI_ACCESS_TOKEN" not in text, path
        assert "vars.AWS_REGION" not in text, path
        assert "secrets." not in text, path
        # The token type is the login action's, fixed: no variable can turn it into an org token.
        assert "PULUMI_TOKEN_TYPE" not in text, path


def test_the_login_action_reads_region_and_qualified_name_from_the_stack_file_and_uses_oidc() -> None:
    action = load(GITHUB / "actions" / "pulumi-login" / "action.yml")
    run = action["runs"]["steps"]
    assert '"$py" -m ci_access.stacks region --stack "$STACK"' in run[0]["run"]
    assert '"$py" -m ci_access.stacks qualified-name --stack "$STACK" --organization "$organization"' in run[0]["run"]
    assert run[1]["uses"].startswith("aws-actions/configure-aws-credentials@")
    assert run[1]["with"]["aws-region"] == "${{ steps.stack.outputs.region }}"
    assert run[2]["uses"].startswith("pulumi/auth-actions@")
    # Pulumi Cloud by OIDC unless the repository names a self-managed backend; a team token only.
    assert run[2]["if"] == "inputs.backend-url == ''"
    assert run[2]["with"] == {
        "organization": "${{ inputs.pulumi-organization }}",
        "requested-token-type": "urn:pulumi:token-type:access_token:team",
        "scope": "team:${{ inputs.pulumi-team }}",
    }
    assert run[3]["run"] == 'pulumi login ${BACKEND_URL:+"$BACKEND_URL"}'
    assert run[4]["if"] == "inputs.backend-url == ''"
    assert run[4]["run"] == (
        'pulumi whoami --json | "$GITHUB_WORKSPACE/.venv/bin/python" -m pipeline.pulumi_token --team "$TEAM"'
    )


def run_action_step(script: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """A composite action's `run` as GitHub runs it (bash -e -o pipefail), with `env` and the runner's
    files in `tmp_path`."""
    runner = {
        "GITHUB_WORKSPACE": str(REPO_ROOT),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_PATH": str(tmp_path / "path"),
        "GITHUB_ENV": str(tmp_path / "env"),
        "RUNNER_TEMP": str(tmp_path),
    }
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", script],
        env={**os.environ, **runner, **env}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_the_login_fails_closed_without_a_team_for_pulumi_cloud(tmp_path: Path) -> None:
    step = load(GITHUB / "actions" / "pulumi-login" / "action.yml")["runs"]["steps"][0]
    base = {"STACK": "prod", "ORGANIZATION": "my-org", "BACKEND_URL": ""}
    refused = run_action_step(step["run"], {**base, "TEAM": ""}, tmp_path)
    assert (refused.returncode, refused.stdout) == (
        1,
        "::error::set the variable PULUMI_TEAM of this GitHub environment to the Pulumi Cloud team that may use the "
        "prod stack (organization and personal tokens are refused)\n",
    )
    assert not (tmp_path / "output").exists()
    accepted = run_action_step(step["run"], {**base, "TEAM": "rustlambda-prod"}, tmp_path)
    assert accepted.returncode == 0, accepted.stderr
    assert (tmp_path / "output").read_text() == "region=eu-west-1\nname=my-org/rustlambda/prod\n"
    # A self-managed backend needs no team: its state is the AWS role's to read.
    backend = run_action_step(step["run"], {**base, "TEAM": "", "BACKEND_URL": "s3://state?region=eu-west-1"}, tmp_path)
    assert backend.returncode == 0, backend.stderr


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
