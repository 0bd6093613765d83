"""ci_access/__main__.py run as its own Pulumi project under the mocks, as `pulumi up` would run it."""

from __future__ import annotations

import json
import runpy
from typing import Any

import pytest
import yaml

from ci_access.permissions import deploy_policy, permissions_boundary, preview_policy, split_policy
from ci_access.scope import StackScope
from ci_access.stacks import read_stack_file
from offline.engine import ACCOUNT_ID, REPO_ROOT, Registration, run_callable

CI_ACCESS = REPO_ROOT / "ci_access"
PROJECT = "rustlambda-ci-access"
REPOSITORY = "octo-org/rustlambda"
PROVIDER_ARN = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/token.actions.githubusercontent.com"
EXISTING_ARN = "arn:aws:iam::210987654321:oidc-provider/token.actions.githubusercontent.com"
SUB = "token.actions.githubusercontent.com:sub"


def run(config: dict[str, Any]) -> tuple[dict[str, Registration], dict[str, Any]]:
    namespaced = {f"{PROJECT}:{key}": value for key, value in config.items()}

    def program() -> None:
        runpy.run_path(str(CI_ACCESS / "__main__.py"), run_name="__main__")

    registrations, outputs = run_callable(program, "ci", namespaced, project=PROJECT)
    return {r.name: r for r in registrations if r.type != "pulumi:pulumi:Stack"}, outputs


def trusted(role: Registration) -> list[str]:
    trust = json.loads(role.inputs["assumeRolePolicy"])
    return list(trust["Statement"][0]["Condition"]["StringEquals"][SUB])


def attached_policies(resources: dict[str, Registration], role: str) -> list[str]:
    """The documents of the managed policies attached to a role, in order."""
    return [resources[f"{role}-policy-{i}"].inputs["policy"] for i in (1, 2, 3)]


def scope(stack: str) -> StackScope:
    return StackScope("rustlambda", stack, ACCOUNT_ID, read_stack_file(stack).region)


def test_the_project_file_declares_its_config_with_defaults() -> None:
    project = yaml.safe_load((CI_ACCESS / "Pulumi.yaml").read_text())
    assert project["name"] == PROJECT
    assert project["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": "../.venv"}}
    config = project["config"]
    assert {key: (value["type"], value.get("default")) for key, value in config.items()} == {
        "githubRepository": ("string", None),
        "stacks": ("array", ["dev", "prod"]),
        "previewStacks": ("array", []),
        "stateBackend": ("string", "pulumi-cloud"),
        "existingOidcProviderArn": ("string", ""),
    }
    assert all(value["description"] for value in config.values())


def test_the_program_creates_a_boundary_and_a_deploy_role_per_stack_and_one_preview_role() -> None:
    resources, outputs = run({"githubRepository": REPOSITORY})
    custom = {name: r.type for name, r in resources.items() if r.custom and not r.type.startswith("pulumi:providers")}
    roles = ("github-deploy-dev", "github-deploy-prod", "github-preview")
    assert custom == {
        "github-oidc-provider": "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
        "github-boundary-dev": "aws:iam/policy:Policy",
        "github-boundary-prod": "aws:iam/policy:Policy",
        **{role: "aws:iam/role:Role" for role in roles},
        **{f"{role}-policy-{i}": "aws:iam/policy:Policy" for role in roles for i in (1, 2, 3)},
        **{
            f"{role}-policy-{i}-attachment": "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
            for role in roles
            for i in (1, 2, 3)
        },
    }
    assert sorted(outputs) == ["deployRoleArns", "permissionsBoundaryArns", "previewRoleArn", "providerArn"]
    assert outputs["deployRoleArns"] == {
        "dev": f"arn:aws:iam::{ACCOUNT_ID}:role/github-deploy-rustlambda-dev",
        "prod": f"arn:aws:iam::{ACCOUNT_ID}:role/github-deploy-rustlambda-prod",
    }
    assert outputs["previewRoleArn"] == f"arn:aws:iam::{ACCOUNT_ID}:role/github-preview-rustlambda"
    # Each role is trusted by exactly one GitHub environment of the repository.
    assert trusted(resources["github-deploy-dev"]) == ["repo:octo-org/rustlambda:environment:dev"]
    assert trusted(resources["github-deploy-prod"]) == ["repo:octo-org/rustlambda:environment:prod"]
    assert trusted(resources["github-preview"]) == ["repo:octo-org/rustlambda:environment:preview"]
    assert resources["github-deploy-dev"].inputs["name"] == "github-deploy-rustlambda-dev"


def test_the_roles_get_the_policies_of_their_stacks_in_the_stack_files_regions() -> None:
    resources, _ = run({"githubRepository": REPOSITORY})
    for stack in ("dev", "prod"):
        expected = split_policy(deploy_policy(scope(stack), read_stack_file(stack)))
        assert attached_policies(resources, f"github-deploy-{stack}") == expected
        boundary = resources[f"github-boundary-{stack}"].inputs
        assert boundary["name"] == f"permissions-boundary-rustlambda-{stack}"
        assert boundary["policy"] == permissions_boundary(scope(stack))
    previewed = [(scope(s), read_stack_file(s)) for s in ("dev", "prod")]
    assert attached_policies(resources, "github-preview") == split_policy(preview_policy(previewed))
    # The region is the stack file's (eu-west-1), not the account's default.
    assert (
        "arn:aws:lambda:eu-west-1:123456789012:function:rustlambda-dev-*"
        in attached_policies(resources, "github-deploy-dev")[0]
        + attached_policies(resources, "github-deploy-dev")[1]
        + attached_policies(resources, "github-deploy-dev")[2]
    )


def test_preview_stacks_limit_the_preview_role() -> None:
    resources, _ = run({"githubRepository": REPOSITORY, "previewStacks": ["dev"]})
    expected = split_policy(preview_policy([(scope("dev"), read_stack_file("dev"))]))
    assert attached_policies(resources, "github-preview") == expected


def test_the_s3_backend_adds_the_state_bucket_a_key_per_stack_and_their_grants() -> None:
    resources, outputs = run({"githubRepository": REPOSITORY, "stateBackend": "s3"})
    assert resources["pulumi-state-bucket"].inputs["bucketPrefix"] == "rustlambda-pulumi-state-"
    assert resources["pulumi-state-key-dev-alias"].inputs["name"] == "alias/rustlambda-pulumi-dev"
    assert resources["pulumi-state-key-prod-alias"].inputs["name"] == "alias/rustlambda-pulumi-prod"
    assert resources["pulumi-state-key-dev"].inputs["enableKeyRotation"] is True
    assert outputs["secretsProviders"] == {
        "dev": "awskms://alias/rustlambda-pulumi-dev?region=eu-west-1",
        "prod": "awskms://alias/rustlambda-pulumi-prod?region=eu-west-1",
    }
    assert outputs["backendUrl"] == "s3://rustlambda-pulumi-state-20261127?region=eu-west-1"
    # The roles' policies name the bucket and the keys, known once they exist (pure tests of the
    # state grants: tests/ci_access/test_permissions.py).
    policy = resources["github-deploy-dev-policy-1"]
    assert {resources["pulumi-state-bucket"].urn, resources["pulumi-state-key-dev"].urn} <= set(
        policy.property_dependencies["policy"]
    )


def test_an_existing_provider_is_reused_and_none_is_created() -> None:
    resources, outputs = run({"githubRepository": REPOSITORY, "existingOidcProviderArn": EXISTING_ARN})
    assert "github-oidc-provider" not in resources
    assert outputs["providerArn"] == EXISTING_ARN
    trust = json.loads(resources["github-deploy-dev"].inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Federated": EXISTING_ARN}


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({}, "githubRepository"),
        ({"githubRepository": "octo-org"}, "repository 'octo-org' is invalid"),
        ({"githubRepository": REPOSITORY, "stacks": {"dev": True}}, "config stacks="),
        ({"githubRepository": REPOSITORY, "stacks": ["dev", "dev-eu"]}, "overlap"),
        ({"githubRepository": REPOSITORY, "stacks": ["qa"]}, "no stack file Pulumi.qa.yaml"),
        ({"githubRepository": REPOSITORY, "previewStacks": ["qa"]}, "preview_stacks"),
        ({"githubRepository": REPOSITORY, "stateBackend": "gcs"}, "stateBackend='gcs' is invalid"),
        ({"githubRepository": REPOSITORY, "existingOidcProviderArn": "arn:aws:iam::1:x"}, "existing_provider_arn"),
    ],
)
def test_invalid_config_is_refused_naming_the_key(config: dict[str, Any], message: str) -> None:
    with pytest.raises(Exception, match=message):
        run(config)


def test_the_module_docstring_says_how_to_run_it() -> None:
    text = (CI_ACCESS / "__main__.py").read_text()
    for step in ("cd ci_access", "pulumi stack init ci", "pulumi config set githubRepository owner/name", "pulumi up"):
        assert step in text
