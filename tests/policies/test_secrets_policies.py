"""Secrets in function configuration through the real protocol: literal credentials and values
marked secret in env vars and image commands (per resource, each judged by secret_detection). The
provenance stack policy has its own tests (test_provenance.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rustlambda_guardrails.secret_detection import find_secret

from offline.analyzer import PolicyPackClient
from tests.policies.resources import (
    ACCOUNT,
    FUNCTION,
    NATIVE_FUNCTION,
    UNKNOWN,
    function,
    native_function,
    run,
)

IN_ENV = "lambda-function-no-secrets-in-env"
PROVENANCE = "lambda-function-secret-provenance"
FN = "rustlambda-dev-http-api"
# Obviously fake credentials, assembled at run time so that no credential-shaped literal sits in the file.
AWS_EXAMPLE_KEY_ID = "AKIA" + "IOSFODNN7EXAMPLE"
DATABASE_URL = "postgres://app:" + "not-a-real-pw-42" + "@db.internal:5432/app"


def allowed_key(name: str, key: str) -> str:
    """The end of each message of this policy: its per-function escape."""
    return f" If the value is no secret, list {key!r} under {name!r} in this policy's allowedKeys."


def env_violation(name: str, key: str, value: str) -> tuple[str, str, str]:
    finding = find_secret(key, value)
    assert finding is not None, f"{key}={value!r} is expected to be a secret"
    return (
        IN_ENV,
        f"Function {name}, environment.variables.{key}: {finding.reason}.{allowed_key(name, key)}",
        "mandatory",
    )


def with_env(props: dict[str, Any], **variables: str) -> dict[str, Any]:
    props["environment"]["variables"].update(variables)
    return props


@pytest.mark.parametrize(
    ("key", "value"),
    [
        pytest.param("DB_PASSWORD", "hunter2-xyz-42", id="secret-sounding-key"),
        pytest.param("UPSTREAM", AWS_EXAMPLE_KEY_ID, id="aws-key-id-under-an-innocent-key"),
        pytest.param("DATABASE_URL", DATABASE_URL, id="url-with-password"),
    ],
)
def test_secret_env_values(pack: PolicyPackClient, archives: dict[str, Path], key: str, value: str) -> None:
    props = with_env(function(archives["arm64"]), **{key: value})
    assert run(pack, FUNCTION, "fn", props) == [env_violation(FN, key, value)]
    native = with_env(native_function(), **{key: value})
    assert run(pack, NATIVE_FUNCTION, "native", native) == [env_violation("rustlambda-dev-native", key, value)]


def test_references_and_settings_pass(pack: PolicyPackClient, archives: dict[str, Path]) -> None:
    props = with_env(
        function(archives["arm64"]),
        SIGNING_KEY_SECRET_ARN=f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:rustlambda-dev/signing-key-AbCdEf",
        SECRET_TTL_SECONDS="300",
        TOKEN_TTL_SECONDS="3600",
        DB_PASSWORD_PARAMETER="/rustlambda/dev/db/password",
    )
    assert run(pack, FUNCTION, "fn", props) == []


def test_unknown_env_values_are_left_to_provenance(pack: PolicyPackClient, archives: dict[str, Path]) -> None:
    """A value unknown at preview is an output of a resource being created: the provenance stack
    policy judges it from the resources it comes from, so this policy judges the known ones only."""
    props = with_env(function(archives["arm64"]), ITEMS_TABLE=UNKNOWN, DB_PASSWORD="hunter2-xyz-42")
    assert run(pack, FUNCTION, "fn", props) == [env_violation(FN, "DB_PASSWORD", "hunter2-xyz-42")]


def test_dynamic_references_outside_templates(pack: PolicyPackClient, archives: dict[str, Path]) -> None:
    """Only CloudFormation resolves {{resolve:...}}: in a function declared with Pulumi the function
    would get the reference's text, which is reported for what it is."""
    reference = "{{resolve:secretsmanager:prod/db:SecretString:password}}"
    props = with_env(function(archives["arm64"]), DB_PASSWORD=reference)
    assert run(pack, FUNCTION, "fn", props) == [
        (
            IN_ENV,
            f"Function {FN}, environment.variables.DB_PASSWORD: the value is a CloudFormation dynamic reference, but "
            "nothing resolves it outside a CloudFormation template, so the function would receive the reference's "
            "text, not the value: pass the secret's ARN or name (or the parameter's name) in the env var and read "
            f"the value at runtime.{allowed_key(FN, 'DB_PASSWORD')}",
            "mandatory",
        )
    ]


def test_allowed_keys_name_the_function(pack: PolicyPackClient, archives: dict[str, Path]) -> None:
    props = with_env(function(archives["arm64"]), DB_PASSWORD="hunter2-xyz-42", UPSTREAM=AWS_EXAMPLE_KEY_ID)
    pack.configure({IN_ENV: {"allowedKeys": {FN: ["DB_PASSWORD"]}}})
    try:
        assert run(pack, FUNCTION, "fn", props) == [env_violation(FN, "UPSTREAM", AWS_EXAMPLE_KEY_ID)]
        # The same key in another function is still judged.
        other = with_env(native_function(), DB_PASSWORD="hunter2-xyz-42")
        assert run(pack, NATIVE_FUNCTION, "native", other) == [
            env_violation("rustlambda-dev-native", "DB_PASSWORD", "hunter2-xyz-42")
        ]
    finally:
        pack.configure({})


SIG = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
MARKED = (
    "the value is marked secret (by Pulumi: config.require_secret, a secret output or an apply over one; or a NoEcho "
    "CloudFormation parameter), so it would sit in plain text in the function's configuration: store it in Secrets "
    "Manager and pass its ARN in the env var instead."
)


def marked(key: str) -> tuple[str, str, str]:
    return (IN_ENV, f"Function {FN}, environment.variables.{key}: {MARKED}{allowed_key(FN, key)}", "mandatory")


def secret(value: Any) -> dict[str, Any]:
    return {SIG: SECRET_SIG, "value": value}


def test_values_marked_secret(pack: PolicyPackClient, archives: dict[str, Path]) -> None:
    """The engine's secret markers reach the policy: a marked value is reported under any key, unless
    it is a reference (ARN, parameter path, a secret name under a key meant for one)."""
    arn = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:rustlambda-dev/signing-key-AbCdEf"
    props = with_env(function(archives["arm64"]))
    props["environment"]["variables"].update(
        UPSTREAM=secret("bluehorse"),
        SHARD=secret(4821.0),
        SIGNING_KEY_SECRET_ARN=secret(arn),
        DB_PASSWORD_PARAM=secret("/rustlambda/dev/db-password"),
        SIGNING_SECRET_NAME=secret("rustlambda-dev-signing-key"),
    )
    assert run(pack, FUNCTION, "fn", props) == [
        marked("SHARD"),
        marked("UPSTREAM"),
    ]
    whole = function(archives["arm64"])
    whole["environment"] = secret({"variables": {"RUST_LOG": "info", "TABLE_ARN": arn}})
    assert run(pack, FUNCTION, "fn", whole) == [marked("RUST_LOG")]


def test_image_command_arguments(pack: PolicyPackClient) -> None:
    props = native_function()
    props["packageType"] = "Image"
    props["code"] = {"imageUri": f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/app:1.0.0"}
    props["imageConfig"] = {"command": ["serve", "--password", "hunter2-xyz"], "entryPoint": ["/app", secret("tok")]}
    config = {"lambda-function-package-type": {"exemptResources": ["native"]}}
    pack.configure(config)
    try:
        assert run(pack, NATIVE_FUNCTION, "native", props) == [
            (
                IN_ENV,
                "Function rustlambda-dev-native, imageConfig.command: argument '--password' holds a plaintext "
                "credential, visible to anyone who can read the function's configuration: pass the secret's ARN in "
                "an env var instead and read the value at runtime."
                + allowed_key("rustlambda-dev-native", "imageConfig.command"),
                "mandatory",
            ),
            (
                IN_ENV,
                "Function rustlambda-dev-native, imageConfig.entryPoint: argument 2 holds a value marked secret in "
                "Pulumi, visible to anyone who can read the function's configuration: pass the secret's ARN in an "
                "env var instead and read the value at runtime."
                + allowed_key("rustlambda-dev-native", "imageConfig.entryPoint"),
                "mandatory",
            ),
        ]
        pack.configure({**config, IN_ENV: {"allowedKeys": {"rustlambda-dev-native": ["imageConfig.command"]}}})
        assert [v for _, v, _ in run(pack, NATIVE_FUNCTION, "native", props)] == [
            "Function rustlambda-dev-native, imageConfig.entryPoint: argument 2 holds a value marked secret in "
            "Pulumi, visible to anyone who can read the function's configuration: pass the secret's ARN in an "
            "env var instead and read the value at runtime."
            + allowed_key("rustlambda-dev-native", "imageConfig.entryPoint")
        ]
    finally:
        pack.configure({})
