"""config-no-plaintext-secrets: the other places a secret ends up in plain text in a stack's
configuration, judged like a function's env vars (secret_detection and Pulumi's secret markers):

- SSM parameters of type String or StringList (not SecureString), judged under the parameter's
  name (`/app/db/password` names a password);
- API Gateway stage variables (REST `variables`, HTTP `stageVariables`);
- EventBridge target inputs (`input`, `inputTransformer.inputTemplate`, HTTP target headers and
  query parameters) and EventBridge Scheduler target inputs;
- function invocation inputs (pulumi-aws `lambda.Invocation`, CloudFormation custom resources'
  properties), which sit in the stack's state and the template.

Each is a resource-type kind in resource_types, in all its forms.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .common import escape, exempt_config, is_unknown
from .env_secrets import in_template, setting_reason
from .iam_documents import judged_resource
from .resource_types import kind_tokens

POLICY_NAME = "config-no-plaintext-secrets"
PARAMETERS = kind_tokens("parameter")
STAGE_VARIABLES = {
    **dict.fromkeys(kind_tokens("rest api stage"), "variables"),
    **dict.fromkeys(kind_tokens("http api stage"), "stageVariables"),
}
EVENT_TARGETS = kind_tokens("event target")
SCHEDULES = kind_tokens("schedule")
INVOCATIONS = kind_tokens("function invocation")


def _settings(resource_type: str, props: Mapping[str, Any]) -> Iterator[tuple[str, str, object]]:
    """(path for messages, key the value is judged under, value) of every setting to judge."""
    if resource_type in PARAMETERS:
        if props.get("type") != "SecureString":
            name = str(props.get("name") or "value")
            key = name.rstrip("/").rsplit("/", 1)[-1] or "value"
            for prop in ("value", "insecureValue"):
                if props.get(prop) is not None:
                    yield prop, key, props[prop]
    elif resource_type in STAGE_VARIABLES:
        prop = STAGE_VARIABLES[resource_type]
        variables = props.get(prop)
        if isinstance(variables, Mapping):
            for key, value in variables.items():
                yield f"{prop}.{key}", key, value
    elif resource_type in EVENT_TARGETS:
        targets = props.get("targets") if resource_type.startswith("aws-native") else [props]
        for index, target in enumerate(targets if isinstance(targets, list) else []):
            where = f"targets[{index}]." if resource_type.startswith("aws-native") else ""
            yield from _target_settings(target, where)
    elif resource_type in SCHEDULES:
        target = props.get("target")
        if isinstance(target, Mapping):
            yield "target.input", "input", target.get("input")
    elif resource_type in INVOCATIONS:
        if "input" in props:
            yield "input", "input", props.get("input")
        else:  # a CloudFormation custom resource: its properties are the event's ResourceProperties
            for key, value in props.items():
                if key != "serviceToken":
                    yield key, key, value


def _target_settings(target: object, where: str) -> Iterator[tuple[str, str, object]]:
    if not isinstance(target, Mapping):
        return
    yield f"{where}input", "input", target.get("input")
    transformer = target.get("inputTransformer")
    if isinstance(transformer, Mapping):
        yield f"{where}inputTransformer.inputTemplate", "inputTemplate", transformer.get("inputTemplate")
    for block in ("httpTarget", "httpParameters"):
        http = target.get(block)
        if not isinstance(http, Mapping):
            continue
        for prop in ("headerParameters", "queryStringParameters"):
            parameters = http.get(prop)
            if isinstance(parameters, Mapping):
                for key, value in parameters.items():
                    yield f"{where}{block}.{prop}.{key}", key, value


def _fix(resource_type: str) -> str:
    if resource_type in PARAMETERS:
        return "set the parameter's type to 'SecureString' (or store the secret in Secrets Manager)"
    return "pass a reference (a Secrets Manager ARN or name) and let the receiver read the value at runtime"


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    judged = judged_resource(args, POLICY_NAME)
    if judged is None:
        return
    props, name = judged
    for path, key, value in _settings(args.resource_type, props):
        if value is None or is_unknown(value):
            continue
        if isinstance(value, Mapping | list):
            value = json.dumps(value)
        reason = setting_reason(key, value, in_template(args))
        if reason is not None:
            report_violation(
                f"{args.resource_type.split(':')[-1]} {name}, {path}: {reason.split(': store it')[0]}, stored in "
                f"plain text in the resource's configuration: {_fix(args.resource_type)}.{escape(name)}",
                None,
            )


plaintext_secrets = ResourceValidationPolicy(
    name=POLICY_NAME,
    description=(
        "Checks whether plain SSM parameters, API stage variables, EventBridge target inputs and function invocation "
        "inputs hold a plaintext credential or a value Pulumi marks secret."
    ),
    validate=_validate,
    config_schema=exempt_config(),
    remediation_steps=(
        "Keep secrets in Secrets Manager or SecureString parameters and pass references; a parameter holding a "
        "secret is of type SecureString."
    ),
)
