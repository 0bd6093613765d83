"""bootstrap/__main__.py run as its own Pulumi project under the mocks, as `pulumi up` would run it."""

from __future__ import annotations

import json
import runpy
from pathlib import Path
from typing import Any

import pytest
import yaml

from bootstrap.deploy_role import deploy_policy
from offline.engine import ACCOUNT_ID, REGION, REPO_ROOT, Registration, run_callable

BOOTSTRAP = REPO_ROOT / "bootstrap"
PROJECT = "rustlambda-bootstrap"
PROVIDER_ARN = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/token.actions.githubusercontent.com"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/github-deploy-rustlambda"
EXISTING_ARN = "arn:aws:iam::210987654321:oidc-provider/token.actions.githubusercontent.com"


def run(config: dict[str, Any]) -> tuple[list[Registration], dict[str, Any]]:
    namespaced = {f"{PROJECT}:{key}": value for key, value in config.items()}

    def program() -> None:
        runpy.run_path(str(BOOTSTRAP / "__main__.py"), run_name="__main__")

    return run_callable(program, "ci", namespaced, project=PROJECT)


def by_name(registrations: list[Registration]) -> dict[str, Registration]:
    return {r.name: r for r in registrations if r.type != "pulumi:pulumi:Stack"}


def subjects(role: Registration) -> list[str]:
    trust = json.loads(role.inputs["assumeRolePolicy"])
    return list(trust["Statement"][0]["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"])


def test_the_project_file_declares_its_config_with_defaults() -> None:
    project = yaml.safe_load((BOOTSTRAP / "Pulumi.yaml").read_text())
    assert project["name"] == PROJECT
    assert project["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": "../.venv"}}
    config = project["config"]
    assert {key: (value["type"], value.get("default")) for key, value in config.items()} == {
        "githubRepository": ("string", None),
        "branches": ("array", ["main"]),
        "environments": ("array", ["dev", "prod"]),
        "allowPullRequests": ("boolean", False),
        "existingOidcProviderArn": ("string", ""),
    }
    assert config["branches"]["items"] == {"type": "string"}
    assert config["environments"]["items"] == {"type": "string"}
    assert all(value["description"] for value in config.values())


def test_the_program_creates_the_provider_and_the_role_and_exports_their_arns() -> None:
    registrations, outputs = run({"githubRepository": "octo-org/rustlambda"})
    resources = by_name(registrations)
    assert {name: r.type for name, r in resources.items()} == {
        "github-deploy": "rustlambda:index:GithubDeployRole",
        "github-deploy-oidc-provider": "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
        "github-deploy-role": "aws:iam/role:Role",
        "github-deploy-policy": "aws:iam/rolePolicy:RolePolicy",
    }
    assert outputs == {"roleArn": ROLE_ARN, "providerArn": PROVIDER_ARN}
    # The defaults: branch main, environments dev and prod, no pull requests.
    assert subjects(resources["github-deploy-role"]) == [
        "repo:octo-org/rustlambda:environment:dev",
        "repo:octo-org/rustlambda:environment:prod",
        "repo:octo-org/rustlambda:ref:refs/heads/main",
    ]
    # The role manages the main project's resources, in the caller's account and region.
    policy = json.loads(resources["github-deploy-policy"].inputs["policy"])
    assert policy == json.loads(deploy_policy(ACCOUNT_ID, REGION, "rustlambda"))
    assert resources["github-deploy-role"].inputs["tags"] == {"project": "rustlambda", "purpose": "ci-deploy"}


def test_the_config_sets_branches_environments_pull_requests_and_the_existing_provider() -> None:
    registrations, outputs = run(
        {
            "githubRepository": "octo-org/rustlambda",
            "branches": ["release"],
            "environments": ["prod"],
            "allowPullRequests": True,
            "existingOidcProviderArn": EXISTING_ARN,
        }
    )
    resources = by_name(registrations)
    assert "github-deploy-oidc-provider" not in resources
    assert subjects(resources["github-deploy-role"]) == [
        "repo:octo-org/rustlambda:environment:prod",
        "repo:octo-org/rustlambda:pull_request",
        "repo:octo-org/rustlambda:ref:refs/heads/release",
    ]
    assert outputs == {"roleArn": ROLE_ARN, "providerArn": EXISTING_ARN}


def test_the_repository_is_required() -> None:
    with pytest.raises(Exception, match="githubRepository"):
        run({})


def test_a_branches_value_that_is_not_a_list_is_refused() -> None:
    with pytest.raises(ValueError, match="branches"):
        run({"githubRepository": "octo-org/rustlambda", "branches": {"main": True}})


def test_the_module_docstring_says_how_to_run_it() -> None:
    text = Path(BOOTSTRAP / "__main__.py").read_text()
    for step in ("cd bootstrap", "pulumi stack init ci", "pulumi config set githubRepository owner/name", "pulumi up"):
        assert step in text
