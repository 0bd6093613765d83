"""Happy-path resources for the policy pack's tests, in Pulumi's wire format (what the engine sends:
camelCase keys, archives as signature-keyed dicts), and helpers to analyze them.

Each builder returns a fresh dict, so that a test can change one property and keep the rest."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from offline.analyzer import Diagnostic, PolicyPackClient

STACK = "dev"
PROJECT = "rustlambda"
ACCOUNT = "123456789012"
SIGNATURE = "4dabf18193072939515e22adb298388d"
ARCHIVE = "0def7320c3a5731c473e5ecbe6d01bc7"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
# The pack reports the version PulumiPolicy.yaml declares.
PACK = "rustlambda-guardrails@v0.3.0"
UNKNOWN_AT_PREVIEW = (
    "(unknown during preview: an output of a resource being created; built from names, the account and the "
    "region, which a preview knows, it would be judged in the preview)"
)

FUNCTION = "aws:lambda/function:Function"
NATIVE_FUNCTION = "aws-native:lambda:Function"


def urn(type_: str, name: str) -> str:
    return f"urn:pulumi:{STACK}::{PROJECT}::{type_}::{name}"


def elf_header(machine: int) -> bytes:
    """The first 20 bytes of a 64-bit little-endian ELF executable for `machine` (183 aarch64, 62 x86_64)."""
    return b"\x7fELF" + bytes([2, 1, 1]) + bytes(9) + (2).to_bytes(2, "little") + machine.to_bytes(2, "little")


def write_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def archive(path: Path | str) -> dict[str, Any]:
    return {SIGNATURE: ARCHIVE, "path": str(path)}


def function(code: Path) -> dict[str, Any]:
    """A pulumi-aws function as the project's RustFunction registers it."""
    return {
        "name": "rustlambda-dev-http-api",
        "runtime": "provided.al2023",
        "architectures": ["arm64"],
        "handler": "bootstrap",
        "memorySize": 256.0,
        "timeout": 10.0,
        "code": archive(code),
        "role": f"arn:aws:iam::{ACCOUNT}:role/rustlambda-dev-http-api-role",
        "environment": {"variables": {"RUST_LOG": "info", "ITEMS_TABLE": "rustlambda-dev-items"}},
        "loggingConfig": {"logFormat": "JSON", "logGroup": "/aws/lambda/rustlambda-dev-http-api"},
    }


def native_function() -> dict[str, Any]:
    """An aws-native (CloudFormation-shaped) function; its code is an S3 object."""
    return {
        "functionName": "rustlambda-dev-native",
        "runtime": "provided.al2023",
        "architectures": ["arm64"],
        "handler": "bootstrap",
        "code": {"s3Bucket": "rustlambda-artifacts", "s3Key": "native.zip"},
        "role": f"arn:aws:iam::{ACCOUNT}:role/rustlambda-dev-native-role",
        "environment": {"variables": {"RUST_LOG": "info"}},
    }


def run(pack: PolicyPackClient, type_: str, name: str, props: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(policy, violation, enforcement level) of every diagnostic for one resource."""
    return triples(pack.analyze(type_, name, urn(type_, name), props))


def triples(diagnostics: list[Diagnostic]) -> list[tuple[str, str, str]]:
    return [(d.policy_name, d.violation, d.enforcement_level) for d in diagnostics]


def preview_notice(policy: str, what: str) -> tuple[str, str, str]:
    """The advisory diagnostic the pack reports for a policy that defers to the update."""
    return (
        policy,
        f"can't run policy '{policy}' from policy pack '{PACK}' during preview: "
        f"{what} can only be judged at update {UNKNOWN_AT_PREVIEW}",
        "advisory",
    )


def escape(name: str, key: str = "exemptResources") -> str:
    """The end of every violation message: the escape that exempts this one resource."""
    return f" If it is intended, add {name!r} to this policy's {key}."
