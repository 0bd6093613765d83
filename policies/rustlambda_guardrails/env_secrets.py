"""Secrets in function configuration: credentials in environment variables and image commands,
values Pulumi marks secret, and values that flow into `environment` from resources that hold secrets.

`lambda-function-no-secrets-in-env` judges each env var (and each argument of a container image's
command and entry point) twice: by Pulumi's secret marker (secret_markers: the pack keeps the
markers the SDK would strip), so that a value from `config.require_secret`, a secret output or an
apply over one is caught under any name, unless it is a reference (an ARN, a secret name, a
parameter path), since secretness spreads through `apply` to references too; and by its key and
shape (secret_detection), for credentials typed into code or config. `lambda-function-secret-
provenance` looks at where `environment` comes from instead (resources that hold secrets), which
also catches values unmarked with `Output.unsecret`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import (
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from .common import is_unknown, judged_at_update, plain, string_list, string_list_config
from .lambda_ import FUNCTION_TYPES, function_name, resource_function_name
from .secret_detection import STORE, argument_with_secret, find_secret
from .secret_keys import names_reference
from .secret_markers import is_secret
from .secret_values import is_reference, is_secret_name

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


def _validate_env(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in FUNCTION_TYPES:
        return
    props = plain(args.props)
    name = function_name(args, props)
    exempt = allowed_keys(args.get_config(), name, args.name)
    unknown = _image_arguments(name, props.get("imageConfig"), exempt, report_violation)
    environment = props.get("environment")
    if is_unknown(environment):
        judged_at_update(f"the environment of function {name}")
    variables = environment.get("variables") if isinstance(environment, Mapping) else None
    if is_unknown(variables):
        judged_at_update(f"the environment variables of function {name}")
    if isinstance(variables, Mapping):
        for key, value in variables.items():
            if key in exempt:
                continue
            if is_unknown(value):
                unknown.append(f"environment.variables.{key}")
                continue
            reason = marked_secret_reason(key, value)
            finding = find_secret(key, "" if value is None else str(value))
            if reason is None and finding is not None:
                reason = finding.reason
            if reason is not None:
                report_violation(f"Function {name}, environment.variables.{key}: {reason}.", None)
    if unknown:
        judged_at_update(f"{', '.join(unknown)} of function {name}")


def _image_arguments(name: str, image_config: object, exempt: set[str], report_violation: ReportViolation) -> list[str]:
    """Judges the command and entry point of a container image; returns the paths that are unknown."""
    if not isinstance(image_config, Mapping):
        return []
    unknown: list[str] = []
    for prop in IMAGE_ARGUMENTS:
        path = f"imageConfig.{prop}"
        arguments = image_config.get(prop)
        if path in exempt or arguments is None:
            continue
        if is_unknown(arguments) or any(is_unknown(a) for a in arguments):
            unknown.append(path)
            continue
        marked = [i for i, a in enumerate(arguments) if marked_secret_reason(f"ARG{i}", a) is not None]
        where = f"argument {marked[0] + 1}" if marked else argument_with_secret([str(a) for a in arguments])
        if where is None:
            continue
        what = "a value marked secret in Pulumi" if marked else "a plaintext credential"
        report_violation(
            f"Function {name}, {path}: {where} holds {what}, visible to anyone who can read the function's "
            f"configuration: pass the secret's ARN in an env var instead and read the value at runtime.",
            None,
        )
    return unknown


no_secrets_in_env = ResourceValidationPolicy(
    name="lambda-function-no-secrets-in-env",
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


# --- lambda-function-secret-provenance ----------------------------------------------------------
#
# What it sees: the engine records, per top-level input property, the resources whose outputs the
# value was built from (propertyDependencies). A function whose `environment` depends on a resource
# that holds a secret value is reported, whether the dependency is direct or runs through other
# resources (their inputs depending on a secret holder, followed transitively; a dependency on a
# component stands for the resources under it).
#
# What it cannot see:
# - Which env var carries the value: the dependency is recorded for `environment` as a whole.
# - Which output of the dependency was used: `SecretVersion.arn` and `SecretVersion.secret_string`
#   record the same dependency. Pass references from the Secret (`aws.secretsmanager.Secret.arn`),
#   which holds no value, not from the SecretVersion.
# - Values that belong to no resource: `config.require_secret(...)`, `Output.secret(...)`, invokes
#   such as `aws.secretsmanager.get_secret_version`, literals. Those reach the function with no
#   dependency at all; lambda-function-no-secrets-in-env judges their values.
# - Flows through another Lambda function: a function's env holding another function's name or ARN
#   is not followed into that function's own environment (that function is judged on its own).

# Types whose outputs hold a secret value, with the condition on their inputs where one applies.
SECRET_HOLDERS: dict[str, tuple[str, str] | None] = {
    "aws:secretsmanager/secretVersion:SecretVersion": None,
    "aws:ssm/parameter:Parameter": ("type", "SecureString"),
    "aws:iam/accessKey:AccessKey": None,
    "random:index/randomPassword:RandomPassword": None,
    "tls:index/privateKey:PrivateKey": None,
    # CloudFormation's Secret holds the value itself when the program supplies it (there is no
    # separate version resource); one generated by AWS (generateSecretString) never leaves AWS.
    "aws-native:secretsmanager:Secret": ("secretString", "*"),
    # CloudFormation creates only String and StringList parameters today; listed for completeness.
    "aws-native:ssm:Parameter": ("type", "SecureString"),
}


def _holds_secret(resource: PolicyResource, extra_types: Sequence[str]) -> bool:
    if resource.resource_type in extra_types:
        return True
    if resource.resource_type not in SECRET_HOLDERS:
        return False
    condition = SECRET_HOLDERS[resource.resource_type]
    if condition is None:
        return True
    prop, expected = condition
    value = plain(resource.props).get(prop)
    return value is not None and value != "" and (expected == "*" or value == expected or is_unknown(value))


def _children(resources: Sequence[PolicyResource]) -> dict[str, list[PolicyResource]]:
    children: dict[str, list[PolicyResource]] = {}
    for r in resources:
        if r.parent is not None:
            children.setdefault(r.parent.urn, []).append(r)
    return children


def _secret_sources(
    function: PolicyResource, children: Mapping[str, list[PolicyResource]], extra_types: Sequence[str]
) -> list[tuple[PolicyResource, list[PolicyResource]]]:
    """Each secret holder the function's environment depends on, with the resources in between
    (empty for a direct dependency). Breadth first, so each holder comes with a shortest path."""
    found: list[tuple[PolicyResource, list[PolicyResource]]] = []
    seen = {function.urn}
    queue: list[tuple[PolicyResource, list[PolicyResource]]] = [
        (d, []) for d in function.property_dependencies.get("environment", [])
    ]
    while queue:
        resource, path = queue.pop(0)
        if resource.urn in seen:
            continue
        seen.add(resource.urn)
        if _holds_secret(resource, extra_types):
            found.append((resource, path))
            continue
        if resource.resource_type in FUNCTION_TYPES:
            continue  # judged on its own
        further = [d for deps in resource.property_dependencies.values() for d in deps]
        further += children.get(resource.urn, [])  # a component stands for what is under it
        queue += [(d, [*path, resource]) for d in further]
    return found


def _describe(resource: PolicyResource) -> str:
    return f"{resource.resource_type} {resource.name!r}"


def _validate_provenance(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    extra_types = string_list(args.get_config().get("additionalSecretTypes", []))
    children = _children(args.resources)
    for function in args.resources:
        if function.resource_type not in FUNCTION_TYPES:
            continue
        name = resource_function_name(function)
        for holder, path in _secret_sources(function, children, extra_types):
            through = f", through {' and '.join(_describe(r) for r in path)}," if path else ""
            report_violation(
                f"Function {name}: its environment depends{through} on {_describe(holder)}, which holds a secret "
                "value, so the value would sit in plain text in the function's configuration: pass a reference "
                "instead (the Secret's ARN or the parameter's name) and read the value at runtime.",
                function.urn,
            )


secret_provenance = StackValidationPolicy(
    name="lambda-function-secret-provenance",
    description=(
        "Checks whether any Lambda function's environment is built from a resource that holds a secret value "
        "(a SecretVersion, a SecureString parameter, a generated password or key)."
    ),
    validate=_validate_provenance,
    remediation_steps=(
        "Pass a reference (the Secret's ARN, the parameter's name) in the env var and read the value at runtime."
    ),
    config_schema=string_list_config(
        "additionalSecretTypes", [], "More resource type tokens whose outputs hold secret values."
    ),
)
