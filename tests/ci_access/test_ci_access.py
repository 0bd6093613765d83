"""ci_access/__main__.py run as its own Pulumi project under the mocks, as `pulumi up` would run it."""

from __future__ import annotations

import json
import runpy
from typing import Any

import pytest
import yaml

from ci_access.permissions import (
    codedeploy_role_policy,
    deploy_policy,
    operator_boundary,
    permissions_boundary,
    preview_policy,
    split_policy,
)
from ci_access.scope import StackScope
from ci_access.stacks import read_stack_file
from offline.engine import ACCOUNT_ID, REPO_ROOT, Registration, run_callable

CI_ACCESS = REPO_ROOT / "ci_access"
PROJECT = "rustlambda-ci-access"
REPOSITORY = "octo-org/rustlambda"
PROVIDER_ARN = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/token.actions.githubusercontent.com"
EXISTING_ARN = "arn:aws:iam::210987654321:oidc-provider/token.actions.githubusercontent.com"
ADMIN = f"arn:aws:iam::{ACCOUNT_ID}:role/administrators"
SUB = "token.actions.githubusercontent.com:sub"


def run(config: dict[str, Any]) -> tuple[dict[str, Registration], dict[str, Any]]:
    namespaced = {f"{PROJECT}:{key}": value for key, value in config.items()}

    def program() -> None:
        runpy.run_path(str(CI_ACCESS / "__main__.py"), run_name="__main__")

    registrations, outputs = run_callable(program, "ci", namespaced, project=PROJECT)
    return {r.name: r for r in registrations if r.type != "pulumi:pulumi:Stack"}, outputs


def trusted(role: Registration) -> list[str]:
    condition = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Condition"]
    return list((condition.get("StringLike") or condition["StringEquals"])[SUB])


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
        "previewStacks": ("array", ["dev"]),
        "deployBranch": ("string", "main"),
        "stateBackend": ("string", "pulumi-cloud"),
        "stateAdministrators": ("array", []),
        "lambdaServiceLinkedRole": ("boolean", True),
        "existingOidcProviderArn": ("string", ""),
    }
    assert all(value["description"] for value in config.values())


def test_the_program_creates_per_stack_boundaries_and_roles_and_the_account_settings() -> None:
    resources, outputs = run({"githubRepository": REPOSITORY})
    custom = {name: r.type for name, r in resources.items() if r.custom and not r.type.startswith("pulumi:providers")}
    github_roles = [f"github-{kind}-{stack}" for kind in ("deploy", "preview") for stack in ("dev", "prod")]
    assert custom == {
        "github-oidc-provider": "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
        "github-boundary-dev": "aws:iam/policy:Policy",
        "github-boundary-prod": "aws:iam/policy:Policy",
        # prod runs Managed Instances: its operator role has a boundary of its own.
        "github-operator-boundary-prod": "aws:iam/policy:Policy",
        **{role: "aws:iam/role:Role" for role in github_roles},
        **{f"{role}-policy-{i}": "aws:iam/policy:Policy" for role in github_roles for i in (1, 2, 3)},
        **{
            f"{role}-policy-{i}-attachment": "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
            for role in github_roles
            for i in (1, 2, 3)
        },
        "github-codedeploy-dev": "aws:iam/role:Role",
        "github-codedeploy-prod": "aws:iam/role:Role",
        "github-codedeploy-dev-policy": "aws:iam/rolePolicy:RolePolicy",
        "github-codedeploy-prod-policy": "aws:iam/rolePolicy:RolePolicy",
        "account-log-delivery-eu-west-1": "aws:cloudwatch/logResourcePolicy:LogResourcePolicy",
        "account-lambda-service-linked-role": "aws:iam/serviceLinkedRole:ServiceLinkedRole",
    }
    assert sorted(outputs) == [
        "codedeployRoleArns",
        "deployRoleArns",
        "operatorBoundaryArns",
        "permissionsBoundaryArns",
        "previewRoleArns",
        "providerArn",
    ]
    role = f"arn:aws:iam::{ACCOUNT_ID}:role"
    assert outputs["deployRoleArns"] == {
        "dev": f"{role}/github-deploy-rustlambda-dev",
        "prod": f"{role}/github-deploy-rustlambda-prod",
    }
    assert outputs["previewRoleArns"] == {
        "dev": f"{role}/github-preview-rustlambda-dev",
        "prod": f"{role}/github-preview-rustlambda-prod",
    }
    assert outputs["codedeployRoleArns"] == {
        "dev": f"{role}/codedeploy-rustlambda-dev",
        "prod": f"{role}/codedeploy-rustlambda-prod",
    }
    # Each GitHub role is trusted by one workflow file in one environment (test_github_oidc.py).
    workflow = f"job_workflow_ref:{REPOSITORY}/.github/workflows"
    assert trusted(resources["github-deploy-dev"]) == [
        f"repo:{REPOSITORY}:environment:dev:{workflow}/deploy-stack.yml@refs/heads/main"
    ]
    assert trusted(resources["github-preview-dev"]) == [
        f"repo:{REPOSITORY}:environment:preview-dev:{workflow}/ci.yml@*"
    ]
    assert trusted(resources["github-preview-prod"]) == [
        f"repo:{REPOSITORY}:environment:preview-prod:{workflow}/ci.yml@refs/heads/main"
    ]
    assert resources["github-deploy-dev"].inputs["name"] == "github-deploy-rustlambda-dev"
    # A session of a GitHub role lasts an hour at most: a leaked one expires with it.
    assert {role: resources[role].inputs["maxSessionDuration"] for role in github_roles} == {
        role: 3600 for role in github_roles
    }
    assert resources["account-lambda-service-linked-role"].inputs["awsServiceName"] == "lambda.amazonaws.com"


def test_the_roles_get_the_policies_of_their_stacks_in_the_stack_files_regions() -> None:
    resources, _ = run({"githubRepository": REPOSITORY})
    for stack in ("dev", "prod"):
        expected = split_policy(deploy_policy(scope(stack), read_stack_file(stack)))
        assert attached_policies(resources, f"github-deploy-{stack}") == expected
        previewed = split_policy(preview_policy(scope(stack), read_stack_file(stack)))
        assert attached_policies(resources, f"github-preview-{stack}") == previewed
        boundary = resources[f"github-boundary-{stack}"].inputs
        assert boundary["name"] == f"permissions-boundary-rustlambda-{stack}"
        assert boundary["policy"] == permissions_boundary(scope(stack))
        codedeploy = resources[f"github-codedeploy-{stack}-policy"].inputs
        assert codedeploy["policy"] == codedeploy_role_policy(scope(stack))
    operator = resources["github-operator-boundary-prod"].inputs
    assert operator["name"] == "permissions-boundary-rustlambda-prod-operator"
    assert operator["policy"] == operator_boundary(scope("prod"), read_stack_file("prod"))
    # The region is the stack file's (eu-west-1), not the account's default.
    assert "arn:aws:lambda:eu-west-1:123456789012:function:rustlambda-dev-*" in "".join(
        attached_policies(resources, "github-deploy-dev")
    )


def test_preview_stacks_decide_which_preview_roles_accept_pull_requests() -> None:
    resources, _ = run({"githubRepository": REPOSITORY, "previewStacks": ["dev", "prod"]})
    assert trusted(resources["github-preview-prod"]) == [
        f"repo:{REPOSITORY}:environment:preview-prod:job_workflow_ref:{REPOSITORY}/.github/workflows/ci.yml@*"
    ]


def test_the_deploy_branch_is_the_one_the_deploy_roles_accept() -> None:
    resources, _ = run({"githubRepository": REPOSITORY, "deployBranch": "release"})
    assert trusted(resources["github-deploy-prod"]) == [
        f"repo:{REPOSITORY}:environment:prod:job_workflow_ref:{REPOSITORY}/.github/workflows/"
        "deploy-stack.yml@refs/heads/release"
    ]


def test_an_account_that_has_lambdas_service_linked_role_keeps_it() -> None:
    resources, _ = run({"githubRepository": REPOSITORY, "lambdaServiceLinkedRole": False})
    assert "account-lambda-service-linked-role" not in resources
    # Without Managed Instances in the account's stacks, none is created either.
    resources, _ = run({"githubRepository": REPOSITORY, "stacks": ["dev"]})
    assert "account-lambda-service-linked-role" not in resources


def test_the_s3_backend_adds_the_state_bucket_its_key_a_key_per_stack_and_their_grants() -> None:
    resources, outputs = run({"githubRepository": REPOSITORY, "stateBackend": "s3", "stateAdministrators": [ADMIN]})
    assert resources["pulumi-state-bucket"].inputs["bucketPrefix"] == "rustlambda-pulumi-state-"
    assert resources["pulumi-state-bucket-key-alias"].inputs["name"] == "alias/rustlambda-pulumi-state"
    assert resources["pulumi-state-key-dev-alias"].inputs["name"] == "alias/rustlambda-pulumi-dev"
    assert resources["pulumi-state-key-prod-alias"].inputs["name"] == "alias/rustlambda-pulumi-prod"
    assert resources["pulumi-state-key-dev"].inputs["enableKeyRotation"] is True
    assert outputs["secretsProviders"] == {
        "dev": "awskms://alias/rustlambda-pulumi-dev?region=eu-west-1",
        "prod": "awskms://alias/rustlambda-pulumi-prod?region=eu-west-1",
    }
    assert outputs["backendUrl"] == "s3://rustlambda-pulumi-state-20261127?region=eu-west-1"
    # The roles' policies name the bucket and the keys, known once they exist (pure tests of the
    # state grants: test_permissions.py; of the bucket: test_state_backend.py).
    policies = [resources[f"github-deploy-dev-policy-{i}"] for i in (1, 2, 3)]
    assert {
        resources["pulumi-state-bucket"].urn,
        resources["pulumi-state-bucket-key"].urn,
        resources["pulumi-state-key-dev"].urn,
    } <= {urn for policy in policies for urn in policy.property_dependencies["policy"]}


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
        ({"githubRepository": REPOSITORY, "stacks": ["dev", "preview-dev"]}, r"stacks \['preview-dev'\] are invalid"),
        ({"githubRepository": REPOSITORY, "deployBranch": "feature/*"}, "deployBranch 'feature/\\*' is invalid"),
        ({"githubRepository": REPOSITORY, "stateBackend": "gcs"}, "stateBackend='gcs' is invalid"),
        ({"githubRepository": REPOSITORY, "stateBackend": "s3"}, "stateAdministrators is empty: list the IAM roles"),
        (
            {"githubRepository": REPOSITORY, "stateBackend": "s3", "stateAdministrators": ["admin"]},
            "stateAdministrators entry 'admin' is invalid: set an IAM role or user ARN",
        ),
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
