"""Secrets in function configuration through the real protocol: literal credentials in env vars
(per resource, each judged by policies.secret_detection) and env built from secret-holding
resources (the stack policy, from propertyDependencies)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rustlambda_guardrails.secret_detection import find_secret

from offline.analyzer import PolicyPackClient, StackResource
from tests.policies.resources import (
    ACCOUNT,
    FUNCTION,
    NATIVE_FUNCTION,
    UNKNOWN,
    function,
    native_function,
    preview_notice,
    run,
    triples,
    urn,
)

IN_ENV = "lambda-function-no-secrets-in-env"
PROVENANCE = "lambda-function-secret-provenance"
FN = "rustlambda-dev-http-api"
# Obviously fake credentials, assembled at run time so that no credential-shaped literal sits in the file.
AWS_EXAMPLE_KEY_ID = "AKIA" + "IOSFODNN7EXAMPLE"
DATABASE_URL = "postgres://app:" + "not-a-real-pw-42" + "@db.internal:5432/app"


def env_violation(name: str, key: str, value: str) -> tuple[str, str, str]:
    finding = find_secret(key, value)
    assert finding is not None, f"{key}={value!r} is expected to be a secret"
    return (IN_ENV, f"Function {name}, environment.variables.{key}: {finding.reason}.", "mandatory")


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


def test_unknown_env_values_are_judged_at_update(pack: PolicyPackClient, archives: dict[str, Path]) -> None:
    props = with_env(function(archives["arm64"]), ITEMS_TABLE=UNKNOWN, DB_PASSWORD="hunter2-xyz-42")
    assert run(pack, FUNCTION, "fn", props) == [
        env_violation(FN, "DB_PASSWORD", "hunter2-xyz-42"),
        preview_notice(IN_ENV, f"environment.variables.ITEMS_TABLE of function {FN}"),
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
        (IN_ENV, f"Function {FN}, environment.variables.SHARD: {MARKED}", "mandatory"),
        (IN_ENV, f"Function {FN}, environment.variables.UPSTREAM: {MARKED}", "mandatory"),
    ]
    whole = function(archives["arm64"])
    whole["environment"] = secret({"variables": {"RUST_LOG": "info", "TABLE_ARN": arn}})
    assert run(pack, FUNCTION, "fn", whole) == [
        (IN_ENV, f"Function {FN}, environment.variables.RUST_LOG: {MARKED}", "mandatory")
    ]


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
                "an env var instead and read the value at runtime.",
                "mandatory",
            ),
            (
                IN_ENV,
                "Function rustlambda-dev-native, imageConfig.entryPoint: argument 2 holds a value marked secret in "
                "Pulumi, visible to anyone who can read the function's configuration: pass the secret's ARN in an "
                "env var instead and read the value at runtime.",
                "mandatory",
            ),
        ]
        pack.configure({**config, IN_ENV: {"allowedKeys": {"rustlambda-dev-native": ["imageConfig.command"]}}})
        assert [v for _, v, _ in run(pack, NATIVE_FUNCTION, "native", props)] == [
            "Function rustlambda-dev-native, imageConfig.entryPoint: argument 2 holds a value marked secret in "
            "Pulumi, visible to anyone who can read the function's configuration: pass the secret's ARN in an "
            "env var instead and read the value at runtime."
        ]
    finally:
        pack.configure({})


# --- provenance (AnalyzeStack) ---------------------------------------------------------------------


def resource(type_: str, name: str, props: dict[str, Any], **property_dependencies: list[str]) -> StackResource:
    return StackResource(
        urn=urn(type_, name),
        type=type_,
        name=name,
        properties=props,
        dependencies=sorted({d for deps in property_dependencies.values() for d in deps}),
        property_dependencies=property_dependencies,
    )


SECRET = resource("aws:secretsmanager/secret:Secret", "secret", {"name": "rustlambda-dev/signing-key"})
VERSION = resource(
    "aws:secretsmanager/secretVersion:SecretVersion",
    "secret-value",
    {"secretString": "x"},
    secretId=[SECRET.urn],
)
SECURE_PARAMETER = resource("aws:ssm/parameter:Parameter", "secure", {"type": "SecureString", "value": "x"})
PLAIN_PARAMETER = resource("aws:ssm/parameter:Parameter", "plain", {"type": "String", "value": "info"})
PASSWORD = resource("random:index/randomPassword:RandomPassword", "password", {"length": 32.0})
NATIVE_SECRET = resource("aws-native:secretsmanager:Secret", "native-secret", {"secretString": "x"})
GENERATED_SECRET = resource(
    "aws-native:secretsmanager:Secret", "generated", {"generateSecretString": {"passwordLength": 32.0}}
)


def fn(name: str, type_: str = FUNCTION, **property_dependencies: list[str]) -> StackResource:
    props = {"name": name, "environment": {"variables": {"RUST_LOG": "info"}}}
    if type_ == NATIVE_FUNCTION:
        props = {"functionName": props.pop("name"), **props}
    return resource(type_, name, props, **property_dependencies)


def provenance(function_name: str, on: str, through: str = "") -> tuple[str, str, str]:
    return (
        PROVENANCE,
        f"Function {function_name}: its environment depends{through} on {on}, which holds a secret value, so the "
        "value would sit in plain text in the function's configuration: pass a reference instead (the Secret's "
        "ARN or the parameter's name) and read the value at runtime.",
        "mandatory",
    )


def analyze_stack(pack: PolicyPackClient, *resources: StackResource) -> list[tuple[str, str, str]]:
    diagnostics = pack.analyze_stack(list(resources))
    assert all(d.urn.endswith("::bad") for d in diagnostics)  # each names the function it is about
    return triples(diagnostics)


def test_references_pass(pack: PolicyPackClient) -> None:
    stack = [SECRET, VERSION, SECURE_PARAMETER, PLAIN_PARAMETER, PASSWORD, GENERATED_SECRET]
    good = fn("good", environment=[SECRET.urn, PLAIN_PARAMETER.urn, GENERATED_SECRET.urn], role=[PASSWORD.urn])
    assert analyze_stack(pack, *stack, good) == []


@pytest.mark.parametrize(
    ("holder", "described"),
    [
        pytest.param(VERSION, "aws:secretsmanager/secretVersion:SecretVersion 'secret-value'", id="secret-version"),
        pytest.param(SECURE_PARAMETER, "aws:ssm/parameter:Parameter 'secure'", id="secure-parameter"),
        pytest.param(PASSWORD, "random:index/randomPassword:RandomPassword 'password'", id="random-password"),
        pytest.param(NATIVE_SECRET, "aws-native:secretsmanager:Secret 'native-secret'", id="native-secret"),
    ],
)
def test_direct_dependencies(pack: PolicyPackClient, holder: StackResource, described: str) -> None:
    bad = fn("bad", environment=[holder.urn])
    assert analyze_stack(pack, SECRET, holder, bad) == [provenance("bad", described)]
    native = fn("bad", NATIVE_FUNCTION, environment=[holder.urn])
    assert analyze_stack(pack, SECRET, holder, native) == [provenance("bad", described)]


def test_dependencies_through_other_resources_and_components(pack: PolicyPackClient) -> None:
    # A plain parameter whose value was built from the secret version, then read into the env.
    copy = resource("aws:ssm/parameter:Parameter", "copy", {"type": "String", "value": "x"}, value=[VERSION.urn])
    bad = fn("bad", environment=[copy.urn])
    assert analyze_stack(pack, SECRET, VERSION, copy, bad) == [
        provenance(
            "bad",
            "aws:secretsmanager/secretVersion:SecretVersion 'secret-value'",
            through=", through aws:ssm/parameter:Parameter 'copy',",
        )
    ]
    # A dependency on a component stands for the resources under it.
    component = resource("rustlambda:index:Secrets", "secrets", {})
    child = StackResource(
        urn=urn("rustlambda:index:Secrets$random:index/randomPassword:RandomPassword", "child"),
        type="random:index/randomPassword:RandomPassword",
        name="child",
        properties={"length": 16.0},
        parent=component.urn,
    )
    bad = fn("bad", environment=[component.urn])
    assert analyze_stack(pack, component, child, bad) == [
        provenance(
            "bad",
            "random:index/randomPassword:RandomPassword 'child'",
            through=", through rustlambda:index:Secrets 'secrets',",
        )
    ]
    # Another function is judged on its own, not followed.
    other = fn("other", environment=[VERSION.urn])
    caller = fn("caller", environment=[other.urn])
    assert [d.urn for d in pack.analyze_stack([SECRET, VERSION, other, caller])] == [other.urn]


def test_additional_secret_types(pack: PolicyPackClient) -> None:
    token = resource("vault:index/token:Token", "token", {})
    bad = fn("bad", environment=[token.urn])
    assert analyze_stack(pack, token, bad) == []
    pack.configure({PROVENANCE: {"additionalSecretTypes": ["vault:index/token:Token"]}})
    try:
        assert analyze_stack(pack, token, bad) == [provenance("bad", "vault:index/token:Token 'token'")]
    finally:
        pack.configure({})
