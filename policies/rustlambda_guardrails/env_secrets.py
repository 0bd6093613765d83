"""Secrets in function configuration: credentials in environment variables and image commands, and
values Pulumi marks secret.

`lambda-function-no-secrets-in-env` judges each env var (and each argument of a container image's
command and entry point) twice: by Pulumi's secret marker (secret_markers: the pack keeps the
markers the SDK would strip), so that a value from `config.require_secret`, a secret output or an
apply over one is caught under any name, unless it is a reference (an ARN, a secret name, a
parameter path), since secretness spreads through `apply` to references too; and by its key and
shape (secret_detection), for credentials typed into code or config. A CloudFormation dynamic
reference (`{{resolve:...}}`) in a function declared outside a template is reported for what it is:
nothing resolves it there, so the function would get the reference's text. Values unknown at
preview are judged by `lambda-function-secret-provenance` (provenance.py), which sees where they
come from; it also catches values unmarked with `Output.unsecret`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import PolicyConfigSchema, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .common import is_unknown, plain, string_list
from .lambda_ import function_name
from .resource_types import types_of
from .secret_detection import STORE, argument_with_secret, find_secret
from .secret_keys import names_reference
from .secret_markers import is_secret
from .secret_values import DYNAMIC_REFERENCE, is_reference, is_secret_name

POLICY_NAME = "lambda-function-no-secrets-in-env"
UNRESOLVED = (
    "the value is a CloudFormation dynamic reference, but nothing resolves it outside a CloudFormation template, so "
    "the function would receive the reference's text, not the value: pass the secret's ARN or name (or the "
    "parameter's name) in the env var and read the value at runtime"
)

# --- lambda-function-no-secrets-in-env ----------------------------------------------------------

# Container image command lines, per provider: pulumi-aws imageConfig.commands/entryPoints,
# aws-native (CloudFormation) imageConfig.command/entryPoint.
IMAGE_ARGUMENTS = ("commands", "entryPoints", "command", "entryPoint")
MARKED = (
    "the value is marked secret (by Pulumi: config.require_secret, a secret output or an apply over one; or a NoEcho "
    "CloudFormation parameter), so it would sit in plain text in the function's configuration"
)


def marked_secret_reason(key: str, value: object) -> str | None:
    """Why a value Pulumi marks secret may not sit in this setting, or None for a reference (an ARN,
    a parameter path, a secret's name under a key meant for one), which stays a reference when
    secretness spreads to it through an apply."""
    if not is_secret(value):
        return None
    text = str(value).strip()
    if is_reference(text) or (names_reference(key) and is_secret_name(text)):
        return None
    return f"{MARKED}: {STORE}"


def allowed_keys(config: Mapping[str, Any], function: str, resource_name: str) -> set[str]:
    """The env keys exempted for this function (by its AWS name or its Pulumi resource name)."""
    per_function = config.get("allowedKeys") or {}
    if not isinstance(per_function, Mapping):
        return set()
    return set(string_list(per_function.get(function))) | set(string_list(per_function.get(resource_name)))


def setting_reason(key: str, value: object, in_template: bool) -> str | None:
    """Why a setting (an env var, a stage variable, ...) may not hold this value, or None."""
    if value is None or is_unknown(value):
        return None
    text = str(value).strip()
    if not in_template and DYNAMIC_REFERENCE.match(text):
        return UNRESOLVED
    reason = marked_secret_reason(key, value)
    if reason is not None:
        return reason
    finding = find_secret(key, text)
    return None if finding is None else finding.reason


def in_template(args: ResourceValidationArgs) -> bool:
    """Whether the resource is declared inside a CloudFormation template (cloudformation.py), where
    CloudFormation resolves dynamic references."""
    return bool(getattr(args, "in_template", False))


def _validate_env(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in types_of(POLICY_NAME):
        return
    props = plain(args.props)
    name = function_name(args, props)
    exempt = allowed_keys(args.get_config(), name, args.name)
    _image_arguments(name, props.get("imageConfig"), exempt, report_violation)
    # Unknown values (a preview) are judged by lambda-function-secret-provenance, from their sources.
    environment = props.get("environment")
    variables = environment.get("variables") if isinstance(environment, Mapping) else None
    if not isinstance(variables, Mapping):
        return
    for key, value in variables.items():
        reason = None if key in exempt else setting_reason(key, value, in_template(args))
        if reason is not None:
            report_violation(f"Function {name}, environment.variables.{key}: {reason}.{_escape_key(name, key)}", None)


def _escape_key(function: str, key: str) -> str:
    return f" If the value is no secret, list {key!r} under {function!r} in this policy's allowedKeys."


def _image_arguments(name: str, image_config: object, exempt: set[str], report_violation: ReportViolation) -> None:
    """Judges the command and entry point of a container image (unknown arguments: at update)."""
    if not isinstance(image_config, Mapping):
        return
    for prop in IMAGE_ARGUMENTS:
        path = f"imageConfig.{prop}"
        arguments = image_config.get(prop)
        if path in exempt or arguments is None or is_unknown(arguments):
            continue
        arguments = [a for a in arguments if not is_unknown(a)]
        marked = [i for i, a in enumerate(arguments) if marked_secret_reason(f"ARG{i}", a) is not None]
        where = f"argument {marked[0] + 1}" if marked else argument_with_secret([str(a) for a in arguments])
        if where is None:
            continue
        what = "a value marked secret in Pulumi" if marked else "a plaintext credential"
        report_violation(
            f"Function {name}, {path}: {where} holds {what}, visible to anyone who can read the function's "
            f"configuration: pass the secret's ARN in an env var instead and read the value at runtime."
            f"{_escape_key(name, path)}",
            None,
        )


no_secrets_in_env = ResourceValidationPolicy(
    name=POLICY_NAME,
    description=(
        "Checks whether any Lambda function's environment variables or image command hold a plaintext credential "
        "or a value Pulumi marks secret."
    ),
    validate=_validate_env,
    config_schema=PolicyConfigSchema(
        properties={
            "allowedKeys": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
                "default": {},
                "description": (
                    "Per function (AWS name or Pulumi resource name), the env var names (or imageConfig.commands, "
                    'imageConfig.entryPoints) known to hold no secret, e.g. {"orders-api": ["PUBLIC_JWKS"]}.'
                ),
            }
        }
    ),
    remediation_steps=(
        "Store the secret in Secrets Manager (or an SSM SecureString parameter), pass its ARN or name in the env var, "
        "grant the function secretsmanager:GetSecretValue on it and read the value at runtime. A value that is not a "
        "secret can be exempted for one function with allowedKeys."
    ),
)
