"""Resources declared inside CloudFormation templates (`aws:cloudformation/stack:Stack`,
`aws-native:cloudformation:Stack`, stack sets): every resource policy of the pack judges them too.

A template's resources never reach the analyzer as resources of their own, so a function declared
in `templateBody` would escape every check. This policy reads the template (JSON, or YAML with
CloudFormation's short tags), turns each resource into the shape aws-native gives the same type
(`AWS::Lambda::Function` -> `aws-native:lambda:Function`, properties in camelCase; SAM's
`AWS::Serverless::Function` and `AWS::Serverless::LayerVersion` likewise, with `Globals`), and runs
the pack's resource policies on it with their default config. Intrinsic functions become
placeholders (`${Ref:Name}`), except a `Ref` to a `NoEcho` parameter, which is CloudFormation's
secret marker and is judged as a value Pulumi marks secret.

What it cannot see: templates given by URL (templateUrl), nested stacks, stack-level checks
(layers across functions, log groups) inside templates, and config of the nested policies (escape a
template resource with this policy's exemptResources, by stack name or `<stack>/<logical id>`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import yaml
from pulumi_policy import (
    Policy,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from .common import exempt_config, is_exempt, is_unknown, judged_at_update, plain
from .resource_types import template_token, types_of
from .secret_markers import SecretStr

SAM_TYPES = {
    "AWS::Serverless::Function": "aws-native:lambda:Function",
    "AWS::Serverless::LayerVersion": "aws-native:lambda:LayerVersion",
}
# SAM property names that differ from AWS::Lambda's.
SAM_PROPERTIES = {"ContentUri": "Content", "CodeUri": "Code", "InlineCode": "Code", "LayerName": "LayerName"}
# Maps whose keys are data (env var names, tags) or documents in IAM's own PascalCase: kept as they are.
FREE_FORM = frozenset(
    {"Variables", "StageVariables", "Tags", "PolicyDocument", "AssumeRolePolicyDocument", "KeyPolicy",
     "ResourcePolicy", "RepositoryPolicyText", "Policy", "FileSystemPolicy", "AccessPolicy", "InlinePolicy",
     "Parameters", "Metadata", "HeaderParameters", "QueryStringParameters"}
)  # fmt: skip


class _TemplateNotApplicable(Exception):
    """A nested policy does not apply to a template resource."""


class _TemplateArgs(ResourceValidationArgs):
    # CloudFormation resolves dynamic references ({{resolve:...}}) in template resources.
    in_template = True

    def not_applicable(self, reason: str | None = None) -> None:
        raise _TemplateNotApplicable(reason)


# --- reading templates ---------------------------------------------------------------------------


class _TemplateLoader(yaml.SafeLoader):  # type: ignore[misc]  # PyYAML ships no type hints
    """PyYAML's safe loader plus CloudFormation's short tags (`!Ref X` -> {"Ref": "X"},
    `!GetAtt A.B` -> {"Fn::GetAtt": "A.B"}, `!Sub ...` -> {"Fn::Sub": ...})."""


def _tagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {"Ref" if suffix == "Ref" else f"Fn::{suffix}": value}


_TemplateLoader.add_multi_constructor("!", _tagged)


def parse_template(body: str) -> Mapping[str, Any] | None:
    """A template from JSON or YAML text, or None when it is neither."""
    try:
        document: Any = json.loads(body)
    except ValueError:
        try:
            document = yaml.load(body, Loader=_TemplateLoader)  # a SafeLoader subclass
        except yaml.YAMLError:
            return None
    return document if isinstance(document, Mapping) else None


def _camel(key: str) -> str:
    return key[:1].lower() + key[1:]


class _Resolver:
    """Turns a template resource's properties into aws-native's shape."""

    def __init__(self, template: Mapping[str, Any], given: Mapping[str, Any]) -> None:
        parameters = template.get("Parameters")
        self.parameters: Mapping[str, Any] = parameters if isinstance(parameters, Mapping) else {}
        self.given = given

    def value(self, node: Any, free_form: bool = False) -> Any:
        if isinstance(node, Mapping):
            if len(node) == 1:
                (key, inner), *_ = node.items()
                if key == "Ref" or str(key).startswith("Fn::"):
                    return self.intrinsic(str(key), inner)
            return {
                (k if free_form else _camel(str(k))): self.value(v, free_form or str(k) in FREE_FORM)
                for k, v in node.items()
            }
        if isinstance(node, list):
            return [self.value(v, free_form) for v in node]
        return node

    def intrinsic(self, function: str, argument: Any) -> Any:
        if function == "Ref" and isinstance(argument, str):
            parameter = self.parameters.get(argument)
            if isinstance(parameter, Mapping):
                value = self.given.get(argument, parameter.get("Default"))
                if str(parameter.get("NoEcho", "")).lower() == "true":
                    return SecretStr(value if isinstance(value, str) and value else f"(NoEcho parameter {argument})")
                if isinstance(value, str | int | float):
                    return str(value)
            return f"${{Ref:{argument}}}"
        if function == "Fn::Sub":
            text = argument[0] if isinstance(argument, list) and argument else argument
            return text if isinstance(text, str) else "${Fn::Sub}"
        if function == "Fn::Join" and isinstance(argument, list) and len(argument) == 2:
            separator, parts = argument
            if isinstance(parts, list):
                return str(separator).join(str(self.value(p)) for p in parts)
        return f"${{{function}}}"


def template_resources(template: Mapping[str, Any], given: Mapping[str, Any]) -> list[tuple[str, str, str, Any]]:
    """(logical id, CloudFormation type, aws-native type token, aws-native-shaped properties)."""
    resolver = _Resolver(template, given)
    resources = template.get("Resources")
    globals_ = template.get("Globals")
    function_globals = globals_.get("Function", {}) if isinstance(globals_, Mapping) else {}
    found = []
    for logical_id, resource in (resources or {}).items() if isinstance(resources, Mapping) else ():
        if not isinstance(resource, Mapping) or not isinstance(resource.get("Type"), str):
            continue
        cfn_type = resource["Type"]
        properties = dict(resource.get("Properties") or {})
        if cfn_type in SAM_TYPES:
            token = SAM_TYPES[cfn_type]
            if cfn_type == "AWS::Serverless::Function" and isinstance(function_globals, Mapping):
                properties = _with_globals(function_globals, properties)
            properties = {SAM_PROPERTIES.get(k, k): v for k, v in properties.items()}
            if "ImageUri" in properties:
                properties["Code"] = {"ImageUri": properties.pop("ImageUri")}
        elif (cfn_type.startswith("AWS::") and cfn_type.count("::") == 2) or cfn_type.startswith("Custom::"):
            token = template_token(cfn_type)
        else:
            continue
        found.append((str(logical_id), cfn_type, token, resolver.value(properties)))
    return found


def _with_globals(globals_: Mapping[str, Any], properties: Mapping[str, Any]) -> dict[str, Any]:
    """SAM's Globals under a function's own properties (env variables merged key by key)."""
    merged = {**globals_, **properties}
    variables: dict[str, Any] = {}
    for source in (globals_, properties):
        environment = source.get("Environment")
        if isinstance(environment, Mapping) and isinstance(environment.get("Variables"), Mapping):
            variables.update(environment["Variables"])
    if variables:
        merged["Environment"] = {"Variables": variables}
    return merged


# --- the policy ------------------------------------------------------------------------------------


def template_policy(nested: Sequence[Policy]) -> ResourceValidationPolicy:
    """The policy that runs `nested` (the pack's resource policies) on every template resource."""
    checks = [p for p in nested if isinstance(p, ResourceValidationPolicy)]

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in types_of("cloudformation-template-resources"):
            return
        props = plain(args.props)
        stack = props.get("name") or props.get("stackName") or args.name
        if is_exempt(args.get_config(), args.name, args.urn, stack):
            return
        body = props.get("templateBody")
        if is_unknown(body):
            judged_at_update(f"the template of stack {stack}")
        template = body if isinstance(body, Mapping) else parse_template(body) if isinstance(body, str) else None
        if template is None:
            return
        given = props.get("parameters") if isinstance(props.get("parameters"), Mapping) else {}
        for logical_id, cfn_type, token, properties in template_resources(template, given):
            if is_exempt(args.get_config(), f"{stack}/{logical_id}"):
                continue
            where = f"Stack {stack}, template resource {logical_id} ({cfn_type})"
            nested_args = _TemplateArgs(token, properties, f"{args.urn}/{logical_id}", logical_id, args.opts, None, {})
            for check in checks:
                _run(
                    check, nested_args, _prefixed(report_violation, f"{where}, {check.name}: ", f"{stack}/{logical_id}")
                )

    return ResourceValidationPolicy(
        name="cloudformation-template-resources",
        description=(
            "Checks whether resources declared inside CloudFormation templates pass the pack's resource policies."
        ),
        validate=validate,
        config_schema=exempt_config(),
        remediation_steps=(
            "Fix the template resource as the nested policy's message says, or declare the resource with Pulumi "
            "directly. A template resource reviewed elsewhere is exempted as '<stack>/<logical id>'."
        ),
    )


# The nested policy's own escape names its config, which does not reach template resources.
NESTED_ESCAPE = re.compile(r" (?:If it is intended|If the value is no secret), [^.]*'[^']*'[^.]*\.$")


def _prefixed(report_violation: ReportViolation, prefix: str, exempt_as: str) -> ReportViolation:
    def report(message: str, urn: str | None = None) -> None:
        escape = f" If it is intended, add {exempt_as!r} to cloudformation-template-resources' exemptResources."
        report_violation(prefix + NESTED_ESCAPE.sub("", message) + escape, None)

    return report


def _run(check: ResourceValidationPolicy, args: ResourceValidationArgs, report: ReportViolation) -> None:
    try:
        check.validate(args, report)
    except (_TemplateNotApplicable, UnknownValueError):
        return  # nothing to judge here, or a value CloudFormation resolves at deploy time
