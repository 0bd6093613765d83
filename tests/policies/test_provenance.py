"""lambda-function-secret-provenance through the real protocol (AnalyzeStack): a function's env
value is reported when it may carry a secret of a resource its environment is built from, judged by
which of that resource's outputs the value can come from (policies' provenance.py, rules 1-3)."""

from __future__ import annotations

from typing import Any

import pytest

from offline.analyzer import PolicyPackClient, StackResource
from tests.policies.resources import (
    ACCOUNT,
    FUNCTION,
    NATIVE_FUNCTION,
    UNKNOWN,
    UNKNOWN_AT_PREVIEW,
    escape,
    triples,
    urn,
)

PROVENANCE = "lambda-function-secret-provenance"
# Fabricated values, assembled here so that no credential-shaped literal sits in the file.
HELD = "vault-" + "Q9w2Lr7Tx4"
GENERATED = "pZ3" + "kQ8vN2mW5xR7tY1bL4cJ6hF9dS0aG"


def resource(type_: str, name: str, props: dict[str, Any], **property_dependencies: list[str]) -> StackResource:
    return StackResource(
        urn=urn(type_, name),
        type=type_,
        name=name,
        properties=props,
        dependencies=sorted({d for deps in property_dependencies.values() for d in deps}),
        property_dependencies=property_dependencies,
    )


def fn(value: Any, type_: str = FUNCTION, key: str = "VALUE", **property_dependencies: list[str]) -> StackResource:
    name_key = "functionName" if type_ == NATIVE_FUNCTION else "name"
    props = {name_key: "bad", "environment": {"variables": {"RUST_LOG": "info", key: value}}}
    return resource(type_, "bad", props, **property_dependencies)


def carried(origin: StackResource, what: str, key: str = "VALUE") -> tuple[str, str, str]:
    return (
        PROVENANCE,
        f"Function bad: environment.variables.{key} may carry the secret of {origin.type} {origin.name!r} ({what}), "
        "from which its environment is built, so the value would sit in plain text in the function's configuration: "
        "pass a reference instead (the secret's ARN or name, the parameter's name, the resource's endpoint) and read "
        "the value at runtime." + escape("bad"),
        "mandatory",
    )


def analyze_stack(pack: PolicyPackClient, *resources: StackResource) -> list[tuple[str, str, str]]:
    diagnostics = pack.analyze_stack(list(resources))
    assert all(d.urn.endswith("::bad") for d in diagnostics if d.enforcement_level == "mandatory")
    return triples(diagnostics)


SECRET = resource("aws:secretsmanager/secret:Secret", "secret", {"name": "rustlambda-dev/signing-key"})
VERSION = resource(
    "aws:secretsmanager/secretVersion:SecretVersion", "secret-value", {"secretString": HELD}, secretId=[SECRET.urn]
)
SECURE = resource(
    "aws:ssm/parameter:Parameter", "secure", {"name": "/app/db/password", "type": "SecureString", "value": HELD}
)
PASSWORD = resource("random:index/randomPassword:RandomPassword", "password", {"length": 30.0})
KEY = resource("tls:index/privateKey:PrivateKey", "key", {"algorithm": "ED25519"})


@pytest.mark.parametrize(
    ("source", "value", "what"),
    [
        pytest.param(VERSION, HELD, "its secretString / secretBinary", id="secret-version-value"),
        pytest.param(SECURE, f"postgres://app:{HELD}@db:5432/app", "its value / insecureValue", id="held-in-a-url"),
        pytest.param(PASSWORD, GENERATED, "its generated value", id="generated-password"),
        pytest.param(KEY, GENERATED, "its private key", id="private-key"),
    ],
)
def test_a_value_that_can_be_the_secret_is_reported(
    pack: PolicyPackClient, source: StackResource, value: str, what: str
) -> None:
    for type_ in (FUNCTION, NATIVE_FUNCTION):
        bad = fn(value, type_, environment=[source.urn])
        assert analyze_stack(pack, SECRET, source, bad) == [carried(source, what)]


def test_outputs_that_carry_no_secret_pass(pack: PolicyPackClient) -> None:
    """References and public outputs of a source: its name, ARN, endpoint, public key."""
    cluster = resource(
        "aws:rds/cluster:Cluster",
        "db",
        {"masterPassword": HELD, "clusterIdentifier": "orders"},
        masterPassword=[PASSWORD.urn],
    )
    public_key = "ssh-ed25519 " + "AAAAC3NzaC1lZDI1NTE5AAAAIGZha2UtcHVibGljLWtleS1mb3ItdGVzdHMtb25seQ"
    cases = [
        (VERSION, f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:rustlambda-dev/signing-key-AbCdEf"),
        (SECURE, "/app/db/password"),
        (SECURE, f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/app/db/password"),
        (cluster, "orders.cluster-c1x2y3z4.us-east-1.rds.amazonaws.com"),
        (cluster, "5432"),
        (KEY, public_key),
    ]
    for source, value in cases:
        good = fn(value, environment=[source.urn])
        assert analyze_stack(pack, SECRET, PASSWORD, source, good) == [], value


def test_held_secrets_are_compared_exactly(pack: PolicyPackClient) -> None:
    """When every secret a source holds is known, a value that does not contain one does not carry
    it, whatever its shape; a value that does, does, wherever in it."""
    assert analyze_stack(pack, SECRET, VERSION, fn(GENERATED, environment=[VERSION.urn])) == []
    blob = f'{{"user": "app", "pass": "{HELD}"}}'
    assert analyze_stack(pack, SECRET, VERSION, fn(blob, environment=[VERSION.urn])) == [
        carried(VERSION, "its secretString / secretBinary")
    ]


def test_secrets_are_followed_through_other_resources_and_components(pack: PolicyPackClient) -> None:
    # A cluster whose master password came from the RandomPassword carries it.
    cluster = resource("aws:rds/cluster:Cluster", "db", {"masterPassword": UNKNOWN}, masterPassword=[PASSWORD.urn])
    assert analyze_stack(pack, PASSWORD, cluster, fn(GENERATED, environment=[cluster.urn])) == [
        carried(cluster, "its masterPassword")
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
    assert analyze_stack(pack, component, child, fn(GENERATED, environment=[component.urn])) == [
        carried(child, "its generated value")
    ]
    # Another function is judged on its own, not followed.
    other = resource(
        FUNCTION, "other", {"name": "other", "environment": {"variables": {"V": HELD}}}, environment=[VERSION.urn]
    )
    caller = fn("other", environment=[other.urn])
    assert [d.urn for d in pack.analyze_stack([SECRET, VERSION, other, caller])] == [other.urn]


def test_a_plain_parameter_is_no_source_unless_built_from_one(pack: PolicyPackClient) -> None:
    plain = resource("aws:ssm/parameter:Parameter", "level", {"type": "String", "value": "debug"})
    assert analyze_stack(pack, plain, fn("debug", environment=[plain.urn])) == []
    copy = resource("aws:ssm/parameter:Parameter", "copy", {"type": "String", "value": HELD}, value=[VERSION.urn])
    assert analyze_stack(pack, SECRET, VERSION, copy, fn(HELD, environment=[copy.urn])) == [
        carried(VERSION, "its secretString / secretBinary")
    ]


def test_unknown_values_at_preview(pack: PolicyPackClient) -> None:
    """Rule 3: a source with no output but its secret makes an unknown value a violation; a source
    with public outputs defers the value to the update, where it is known."""
    assert analyze_stack(pack, PASSWORD, fn(UNKNOWN, environment=[PASSWORD.urn])) == [
        carried(PASSWORD, "its generated value")
    ]
    assert analyze_stack(pack, SECRET, VERSION, fn(UNKNOWN, environment=[VERSION.urn])) == [
        (
            PROVENANCE,
            f"can't run policy '{PROVENANCE}' from policy pack 'rustlambda-guardrails@v0.3.0' during preview: "
            "environment.variables.VALUE of function bad can only be judged at update " + UNKNOWN_AT_PREVIEW,
            "advisory",
        )
    ]


def test_escapes(pack: PolicyPackClient) -> None:
    token = resource("vault:index/token:Token", "token", {})
    bad = fn(GENERATED, environment=[token.urn])
    assert analyze_stack(pack, token, bad) == []
    pack.configure({PROVENANCE: {"additionalSecretTypes": ["vault:index/token:Token"]}})
    try:
        assert analyze_stack(pack, token, bad) == [carried(token, "the secret its type holds (additionalSecretTypes)")]
        pack.configure({PROVENANCE: {"additionalSecretTypes": ["vault:index/token:Token"], "exemptResources": ["bad"]}})
        assert analyze_stack(pack, token, bad) == []
    finally:
        pack.configure({})
