"""Every way to ship a function, through the real protocol, with exact messages: container images,
layers (compatibility, architecture mixing), credential files in code archives, resources inside
CloudFormation templates, custom log groups, and public invoke permissions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from offline.analyzer import PolicyPackClient, StackResource
from tests.policies.resources import ACCOUNT, FUNCTION, archive, elf_header, escape, run, triples, urn, write_zip

LAYER = "aws:lambda/layerVersion:LayerVersion"
COMPATIBILITY = "lambda-layer-compatibility"
MIXING = "lambda-function-layer-architecture"
ARCHIVES = "lambda-archive-no-credential-files"
TEMPLATES = "cloudformation-template-resources"
GROUPS = "logs-function-log-group-retention"
PUBLIC_INVOKE = "lambda-permission-public-invoke"
PERMISSION = "aws:lambda/permission:Permission"
TEMPLATE_ESCAPE = " If it is intended, add '{}' to cloudformation-template-resources' exemptResources."


def layer(**props: Any) -> dict[str, Any]:
    return {
        "layerName": "telemetry",
        "compatibleArchitectures": ["arm64"],
        "compatibleRuntimes": ["provided.al2023"],
    } | props


def test_layer_compatibility(pack: PolicyPackClient) -> None:
    assert run(pack, LAYER, "ext", layer()) == []
    assert run(pack, LAYER, "ext", layer(compatibleArchitectures=["x86_64"], compatibleRuntimes=None)) == [
        (
            COMPATIBILITY,
            "Layer telemetry (compatibleArchitectures) declares ['x86_64'], so it is not built for arm64: build it for "
            "arm64 and set compatibleArchitectures to ['arm64']." + escape("telemetry"),
            "mandatory",
        ),
        (
            COMPATIBILITY,
            "Layer telemetry (compatibleRuntimes) declares no runtimes: set compatibleRuntimes to ['provided.al2023']."
            + escape("telemetry"),
            "mandatory",
        ),
    ]
    pack.configure({COMPATIBILITY: {"exemptResources": ["telemetry"]}})
    try:
        assert run(pack, LAYER, "ext", layer(compatibleArchitectures=["x86_64"])) == []
    finally:
        pack.configure({})


def resource(type_: str, name: str, props: dict[str, Any], **deps: list[str]) -> StackResource:
    return StackResource(urn(type_, name), type_, name, props, property_dependencies=deps)


def test_functions_do_not_mix_layer_architectures(pack: PolicyPackClient) -> None:
    x86 = resource(LAYER, "x86-ext", layer(layerName="x86-ext", compatibleArchitectures=["x86_64"]))
    both = resource(LAYER, "fat-ext", layer(layerName="fat-ext", compatibleArchitectures=["arm64", "x86_64"]))
    fn = resource(
        FUNCTION,
        "fn",
        {"name": "orders", "architectures": ["arm64"], "layers": ["arn:x86", "arn:fat"]},
        layers=[x86.urn, both.urn],
    )
    diagnostics = pack.analyze_stack([x86, both, fn])
    assert [d.urn for d in diagnostics] == [fn.urn]
    assert triples(diagnostics) == [
        (
            MIXING,
            "Function orders runs on arm64 but its layer x86-ext (layers) is built for ['x86_64'], so the function "
            "would mix architectures: use a layer built for arm64." + escape("orders"),
            "mandatory",
        )
    ]


def test_credential_files_in_archives(pack: PolicyPackClient, tmp_path: Path) -> None:
    clean = write_zip(tmp_path / "clean.zip", {"extensions/telemetry": elf_header(183), "README.md": b"docs\n"})
    assert run(pack, LAYER, "ext", layer(code=archive(clean))) == []
    leaky = write_zip(
        tmp_path / "leaky.zip",
        {
            "extensions/telemetry": elf_header(183),
            ".env": b"REGION=eu-west-1\nINGEST_TOKEN=abc123def456ghi789\n",
            "certs/client.pfx": b"\x30\x82",
        },
    )
    where = f"Layer telemetry (code: {leaky})"
    fix = "remove it from the archive, store the secret in Secrets Manager and read it at runtime by its ARN." + escape(
        "telemetry"
    )
    assert run(pack, LAYER, "ext", layer(code=archive(leaky))) == [
        (
            ARCHIVES,
            f"{where} contains .env, which holds a plaintext credential (the value is a list of settings with a "
            f"plaintext credential in 'INGEST_TOKEN'): {fix}",
            "mandatory",
        ),
        (ARCHIVES, f"{where} contains certs/client.pfx, which holds a private key store: {fix}", "mandatory"),
    ]


def test_template_resources(pack: PolicyPackClient) -> None:
    template = {
        "Resources": {
            "Worker": {
                "Type": "AWS::Lambda::Function",
                "Properties": {"Runtime": "python3.12", "Architectures": ["arm64"], "Handler": "app.handler"},
            },
            "Open": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {"Action": "lambda:InvokeFunction", "FunctionName": "orders", "Principal": "*"},
            },
        }
    }
    stack = {"name": "legacy", "templateBody": json.dumps(template)}
    assert run(pack, "aws:cloudformation/stack:Stack", "legacy", stack) == [
        (
            TEMPLATES,
            "Stack legacy, template resource Worker (AWS::Lambda::Function), lambda-function-runtime: Function Worker "
            "uses the runtime 'python3.12': set runtime to 'provided.al2023'."
            + TEMPLATE_ESCAPE.format("legacy/Worker"),
            "mandatory",
        ),
        (
            TEMPLATES,
            "Stack legacy, template resource Open (AWS::Lambda::Permission), lambda-permission-public-invoke: "
            "Permission Open lets any AWS principal of any account invoke orders (principal '*', action "
            "'lambda:InvokeFunction', no sourceArn, sourceAccount or principalOrgId): name the calling account or "
            "service as principal, or set sourceAccount, sourceArn or principalOrgId."
            + TEMPLATE_ESCAPE.format("legacy/Open"),
            "mandatory",
        ),
    ]
    pack.configure({TEMPLATES: {"exemptResources": ["legacy/Worker", "legacy/Open"]}})
    try:
        assert run(pack, "aws:cloudformation/stack:Stack", "legacy", stack) == []
    finally:
        pack.configure({})


def test_custom_log_group_retention(pack: PolicyPackClient) -> None:
    group = resource("aws:cloudwatch/logGroup:LogGroup", "app-logs", {"name": "orders/app"})
    fn = resource(FUNCTION, "fn", {"name": "orders", "loggingConfig": {"logGroup": "orders/app"}})
    assert triples(pack.analyze_stack([group, fn])) == [
        (
            GROUPS,
            "Function orders logs to orders/app (loggingConfig.logGroup), which sets no retentionInDays, so "
            "CloudWatch keeps its logs forever: set retentionInDays on that log group (e.g. 14, 30 or 90)."
            + escape("orders"),
            "mandatory",
        )
    ]
    kept = resource("aws:cloudwatch/logGroup:LogGroup", "app-logs", {"name": "orders/app", "retentionInDays": 30.0})
    assert pack.analyze_stack([kept, fn]) == []


def test_public_invoke(pack: PolicyPackClient) -> None:
    open_ = {
        "action": "lambda:InvokeFunctionUrl",
        "function": "orders-api",
        "principal": "*",
        "functionUrlAuthType": "AWS_IAM",
    }
    assert run(pack, PERMISSION, "url", open_) == [
        (
            PUBLIC_INVOKE,
            "Permission url lets any AWS principal of any account (through its AWS_IAM function URL) invoke orders-api "
            "(principal '*', action 'lambda:InvokeFunctionUrl', no sourceArn, sourceAccount or principalOrgId): name "
            "the calling account or service as principal, or set sourceAccount, sourceArn or principalOrgId."
            + escape("orders-api"),
            "mandatory",
        )
    ]
    assert run(pack, PERMISSION, "url", {**open_, "principalOrgId": "o-a1b2c3d4e5"}) == []
    public = {**open_, "functionUrlAuthType": "NONE"}
    assert run(pack, PERMISSION, "url", public) == [
        (
            PUBLIC_INVOKE,
            "Permission url lets anyone on the internet (through its function URL) invoke orders-api (principal '*', "
            "action 'lambda:InvokeFunctionUrl', no sourceArn, sourceAccount or principalOrgId): require AWS_IAM on "
            "the URL, or add 'orders-api' to allowedPublicFunctions if it is meant to be public.",
            "mandatory",
        )
    ]
    pack.configure({PUBLIC_INVOKE: {"allowedPublicFunctions": ["orders-api"]}})
    try:
        assert run(pack, PERMISSION, "url", public) == []
        assert run(pack, PERMISSION, "url", open_) != []  # the allowlist is for public URLs only
    finally:
        pack.configure({})
    arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:orders-api"
    assert run(pack, PERMISSION, "p", {**open_, "function": arn, "sourceAccount": ACCOUNT}) == []
