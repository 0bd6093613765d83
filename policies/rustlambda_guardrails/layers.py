"""Lambda layers: declared for arm64 and provided.al2023, not mixed with a function's architecture,
and (with function code) free of credential files.

What it cannot see: layers referenced by ARN from outside the stack (AWS's or another account's)
declare their architectures only in AWS; a function's layers are followed through the engine's
property dependencies on `layers`, so only LayerVersion resources of the same stack are judged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from pulumi_policy import (
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from .archives import PROJECT_DIR_PROPERTY, Unreadable, project_dir, read_members
from .common import (
    escape,
    exempt_config,
    is_exempt,
    is_unknown,
    judged_at_update,
    not_applicable,
    plain,
    string_list,
    string_list_property,
)
from .lambda_ import (
    ARCHITECTURE,
    AWS_DEFAULT_ARCHITECTURE,
    DEFAULT_RUNTIMES,
    FUNCTION_TYPES,
    function_name,
    resource_function_name,
)
from .resource_types import kind_tokens, types_of
from .secret_detection import find_secret
from .secret_values import credential_format, is_public_by_design

LAYER_TYPES = kind_tokens("layer")


def layer_name(props: Mapping[str, Any], fallback: str) -> str:
    name = props.get("layerName")
    return name if isinstance(name, str) and name and not is_unknown(name) else fallback


# --- lambda-layer-compatibility -----------------------------------------------------------------


def _validate_layer(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in LAYER_TYPES:
        return
    props = plain(args.props)
    name = layer_name(props, args.name)
    if is_exempt(args.get_config(), args.name, args.urn, name):
        return
    allowed_runtimes = string_list(args.get_config().get("allowedRuntimes") or DEFAULT_RUNTIMES)
    architectures, runtimes = props.get("compatibleArchitectures"), props.get("compatibleRuntimes")
    if is_unknown(architectures) or is_unknown(runtimes):
        judged_at_update(f"the compatible architectures and runtimes of layer {name}")
    if ARCHITECTURE not in string_list(architectures):
        declared = f"declares {string_list(architectures)!r}" if architectures else "declares no architectures"
        report_violation(
            f"Layer {name} (compatibleArchitectures) {declared}, so it is not built for arm64: build it for arm64 and "
            f"set compatibleArchitectures to [{ARCHITECTURE!r}].{escape(name)}",
            None,
        )
    if not set(string_list(runtimes)) & set(allowed_runtimes):
        declared = f"declares {string_list(runtimes)!r}" if runtimes else "declares no runtimes"
        report_violation(
            f"Layer {name} (compatibleRuntimes) {declared}: set compatibleRuntimes to {allowed_runtimes!r}."
            f"{escape(name)}",
            None,
        )


layer_compatibility = ResourceValidationPolicy(
    name="lambda-layer-compatibility",
    description="Checks whether every Lambda layer is declared compatible with arm64 and provided.al2023.",
    validate=_validate_layer,
    config_schema=exempt_config(
        allowedRuntimes=string_list_property(
            DEFAULT_RUNTIMES, "Runtimes a layer must list at least one of in compatibleRuntimes."
        )
    ),
    remediation_steps="Build the layer for arm64 and set compatibleArchitectures ['arm64'] and compatibleRuntimes "
    "['provided.al2023'].",
)


# --- lambda-function-layer-architecture (stack) -------------------------------------------------


def _validate_function_layers(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    config = args.get_config()
    for function in args.resources:
        if function.resource_type not in FUNCTION_TYPES:
            continue
        props = plain(function.props)
        name = resource_function_name(function)
        if is_exempt(config, function.name, function.urn, name):
            continue
        declared = [a for a in string_list(props.get("architectures")) if not is_unknown(a)]
        architecture = declared[0] if declared else AWS_DEFAULT_ARCHITECTURE
        for layer in function.property_dependencies.get("layers", []):
            if layer.resource_type not in LAYER_TYPES:
                continue
            layer_props = plain(layer.props)
            compatible = layer_props.get("compatibleArchitectures")
            if is_unknown(compatible) or not compatible:
                continue  # lambda-layer-compatibility reports a layer without architectures
            if architecture not in string_list(compatible):
                report_violation(
                    f"Function {name} runs on {architecture} but its layer {layer_name(layer_props, layer.name)} "
                    f"(layers) is built for {string_list(compatible)!r}, so the function would mix architectures: "
                    f"use a layer built for {architecture}.{escape(name)}",
                    function.urn,
                )


function_layer_architecture = StackValidationPolicy(
    name="lambda-function-layer-architecture",
    description="Checks whether every Lambda function's layers in the stack are built for the function's architecture.",
    validate=_validate_function_layers,
    config_schema=exempt_config(),
    remediation_steps="Attach layers built for the function's architecture (arm64).",
)


# --- lambda-archive-no-credential-files ---------------------------------------------------------

# Files that hold credentials by their nature, by name (binary key stores are reported by name).
KEY_STORE_SUFFIXES = (".p12", ".pfx", ".jks", ".keystore", ".ppk")
CREDENTIAL_FILE_NAMES = re.compile(
    r"^(?:\.env(?:\..+)?|credentials|\.netrc|_netrc|\.pgpass|\.git-credentials|\.npmrc|\.pypirc|\.dockercfg|"
    r"\.htpasswd|id_(?:rsa|dsa|ecdsa|ed25519)|.+\.(?:pem|key)|secrets?\.(?:json|ya?ml|toml|env))$"
)
# Every other text member up to this size is searched for known credential formats (AWS keys,
# private keys, provider tokens); larger members and binaries are skipped.
MAX_SCANNED = 256 * 1024
NETRC_PASSWORD = re.compile(r"\bpassword\s+(\S+)")


def _wanted(name: str, size: int) -> int:
    base = PurePosixPath(name).name
    if base == "bootstrap" or size == 0:
        return 0
    return min(size, MAX_SCANNED)


def credential_file_reason(member: str, data: bytes) -> str | None:
    """What credential a member of an archive holds, or None."""
    base = PurePosixPath(member).name
    if base.endswith(KEY_STORE_SUFFIXES):
        return "a private key store"
    if b"\0" in data[:1024]:
        return None  # binary
    text = data.decode("utf-8", errors="replace")
    known = credential_format("FILE", text)
    if known is not None:
        return known
    if not CREDENTIAL_FILE_NAMES.match(base) or is_public_by_design(text):
        return None
    if NETRC_PASSWORD.search(text):
        return "a password (netrc)"
    for line in text.splitlines():
        finding = find_secret("LINE", line)
        if finding is not None:
            return f"a plaintext credential ({finding.reason.split(':')[0]})"
    return None


def _validate_archive(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in types_of("lambda-archive-no-credential-files"):
        return
    props = plain(args.props)
    is_layer = args.resource_type in LAYER_TYPES
    name = layer_name(props, args.name) if is_layer else function_name(args, props)
    if is_exempt(args.get_config(), args.name, args.urn, name):
        return
    code = props.get("code")
    if is_unknown(code):
        judged_at_update(f"the code archive of {name}")
    if code is None or isinstance(code, Mapping):
        not_applicable(args, "the code is not a local archive")
    try:
        source, members = read_members(code, project_dir(args.get_config()), _wanted)
        found = [(member, reason) for member, data in members if (reason := credential_file_reason(member, data))]
    except Unreadable as e:
        not_applicable(args, str(e))
    what = "Layer" if is_layer else "Function"
    for member, reason in found:
        report_violation(
            f"{what} {name} (code: {source}) contains {member}, which holds {reason}: remove it from the archive, "
            f"store the secret in Secrets Manager and read it at runtime by its ARN.{escape(name)}",
            None,
        )


archive_credentials = ResourceValidationPolicy(
    name="lambda-archive-no-credential-files",
    description="Checks whether the code archives of Lambda functions and layers contain credential files.",
    validate=_validate_archive,
    config_schema=exempt_config(projectDir=PROJECT_DIR_PROPERTY),
    remediation_steps=(
        "Remove .env files, private keys, key stores and credential files from the archive; store the secret in "
        "Secrets Manager and read it at runtime."
    ),
)
