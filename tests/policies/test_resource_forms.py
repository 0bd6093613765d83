"""Every resource check judges every form of the kinds it covers (resource_types' one table): for
each (check, kind) the table declares, a violating resource in its pulumi-aws form, its aws-native
form and its CloudFormation form (inside a stack's template, derived from the aws-native one) is
reported by that check. A kind added to a check without a case for each of its forms fails here,
and so does a form the check does not judge."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rustlambda_guardrails.cloudformation import FREE_FORM
from rustlambda_guardrails.iam_documents import IDENTITY_POLICY_TYPES, RESOURCE_POLICY_PROPERTY
from rustlambda_guardrails.pack import POLICIES, RESOURCE_POLICIES
from rustlambda_guardrails.resource_types import JUDGES, KINDS, markdown_table, template_token

from offline.analyzer import REPO_ROOT, PolicyPackClient
from tests.policies.resources import ACCOUNT, archive, urn

TEMPLATES = "cloudformation-template-resources"
ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
LEAKED = "hunter2-" + "xyz-42"  # a fabricated password
OPEN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}
OIDC = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
FEDERATED = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Federated": OIDC}, "Action": "sts:AssumeRoleWithWebIdentity"},
    ],
}
# Identity documents that each IAM document check blocks.
DOCUMENTS: dict[str, dict[str, Any]] = {
    "iam-policy-no-wildcard-actions": {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
    "iam-policy-resource-scope": {"Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}]},
    "iam-policy-privilege-escalation": {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"],
                "Resource": "*",
            }
        ]
    },
}
FUNCTION = {"runtime": "provided.al2023", "architectures": ["arm64"], "handler": "bootstrap", "role": "r"}
Form = dict[str, Any]
# (check, kind) -> form ("aws", "aws-native", "CloudFormation") -> violating properties. The
# CloudFormation form, when absent, is derived from the aws-native one.
Samples = dict[tuple[str, str], dict[str, Form]]


def document_forms(kind: str, document: dict[str, Any]) -> dict[str, Form]:
    """A kind's identity-document-bearing properties in each form (pulumi-aws takes JSON text)."""
    text = json.dumps(document)
    forms: dict[str, dict[str, Form]] = {
        "role": {
            "aws": {"name": "r", "inlinePolicies": [{"name": "p", "policy": text}]},
            "aws-native": {"roleName": "r", "policies": [{"policyName": "p", "policyDocument": document}]},
        },
        "user with policies": {
            "aws-native": {"userName": "u", "policies": [{"policyName": "p", "policyDocument": document}]}
        },
        "group with policies": {
            "aws-native": {"groupName": "g", "policies": [{"policyName": "p", "policyDocument": document}]}
        },
        "managed policy": {"aws": {"policy": text}, "aws-native": {"policyDocument": document}},
        "role inline policy": {
            "aws": {"role": "r", "policy": text},
            "aws-native": {"roleName": "r", "policyDocument": document},
        },
        "user inline policy": {
            "aws": {"user": "u", "policy": text},
            "aws-native": {"userName": "u", "policyDocument": document},
        },
        "group inline policy": {
            "aws": {"group": "g", "policy": text},
            "aws-native": {"groupName": "g", "policyDocument": document},
        },
        "inline policy of several principals": {
            "CloudFormation": {"PolicyName": "p", "Roles": ["r"], "PolicyDocument": document}
        },
        "permission set inline policy": {
            "aws": {"inlinePolicy": text, "permissionSetArn": "ps", "instanceArn": "i"},
            "aws-native": {"name": "ps", "instanceArn": "i", "inlinePolicy": document},
        },
    }
    return forms[kind]


ADMIN_FORMS: dict[str, dict[str, Form]] = {
    "role": {
        "aws": {"name": "r", "managedPolicyArns": [ADMIN_ARN]},
        "aws-native": {"roleName": "r", "managedPolicyArns": [ADMIN_ARN]},
    },
    "user with policies": {"aws-native": {"userName": "u", "managedPolicyArns": [ADMIN_ARN]}},
    "group with policies": {"aws-native": {"groupName": "g", "managedPolicyArns": [ADMIN_ARN]}},
    "role policy attachment": {"aws": {"role": "r", "policyArn": ADMIN_ARN}},
    "user policy attachment": {"aws": {"user": "u", "policyArn": ADMIN_ARN}},
    "group policy attachment": {"aws": {"group": "g", "policyArn": ADMIN_ARN}},
    "policy attachment": {"aws": {"roles": ["r"], "policyArn": ADMIN_ARN}},
    "role policy attachments (exclusive)": {"aws": {"roleName": "r", "policyArns": [ADMIN_ARN]}},
    "user policy attachments (exclusive)": {"aws": {"userName": "u", "policyArns": [ADMIN_ARN]}},
    "group policy attachments (exclusive)": {"aws": {"groupName": "g", "policyArns": [ADMIN_ARN]}},
    "permission set managed policy": {
        "aws": {"managedPolicyArn": ADMIN_ARN, "permissionSetArn": "ps", "instanceArn": "i"},
        "aws-native": {"name": "ps", "instanceArn": "i", "managedPolicies": [ADMIN_ARN]},
    },
}


def resource_policy_forms(kind: str) -> dict[str, Form]:
    """An open document under each form's document property (RESOURCE_POLICY_PROPERTY)."""
    if kind == "layer permission":
        return {
            "aws": {
                "layerName": "l",
                "versionNumber": 1.0,
                "principal": "*",
                "action": "lambda:GetLayerVersion",
                "statementId": "s",
            },
            "aws-native": {
                "layerVersionArn": "arn:aws:lambda:us-east-1:1:layer:l:1",
                "principal": "*",
                "action": "lambda:GetLayerVersion",
            },
        }
    forms: dict[str, Form] = {}
    for form, token in KINDS[kind].forms().items():
        if form == "CloudFormation":
            continue
        prop, _ = RESOURCE_POLICY_PROPERTY[token]
        forms[form] = {prop: json.dumps(OPEN) if form == "aws" else OPEN}
    return forms


CONFIG_FORMS: dict[str, dict[str, Form]] = {
    "parameter": {
        "aws": {"name": "/app/db/password", "type": "String", "value": LEAKED},
        "aws-native": {"name": "/app/db/password", "type": "String", "value": LEAKED},
    },
    "rest api stage": {
        "aws": {"variables": {"DB_PASSWORD": LEAKED}},
        "aws-native": {"variables": {"DB_PASSWORD": LEAKED}},
    },
    "http api stage": {
        "aws": {"stageVariables": {"DB_PASSWORD": LEAKED}},
        "aws-native": {"stageVariables": {"DB_PASSWORD": LEAKED}},
    },
    "event target": {
        "aws": {"rule": "r", "arn": "arn:aws:lambda:us-east-1:1:function:f", "input": json.dumps({"password": LEAKED})},
        "aws-native": {
            "scheduleExpression": "rate(1 hour)",
            "targets": [
                {"id": "t", "arn": "arn:aws:lambda:us-east-1:1:function:f", "input": json.dumps({"password": LEAKED})}
            ],
        },
    },
    "schedule": {
        "aws": {"target": {"arn": "arn:aws:lambda:us-east-1:1:function:f", "input": json.dumps({"password": LEAKED})}},
        "aws-native": {
            "target": {"arn": "arn:aws:lambda:us-east-1:1:function:f", "input": json.dumps({"password": LEAKED})}
        },
    },
    "function invocation": {
        "aws": {"functionName": "f", "input": json.dumps({"password": LEAKED})},
        "CloudFormation": {"ServiceToken": "arn:aws:lambda:us-east-1:1:function:f", "Password": LEAKED},
    },
}


def samples(archives: dict[str, Path]) -> Samples:
    x86_zip = {"code": archive(archives["x86_64"])}
    leaky = {"code": archive(archives["leaky"])}
    found: Samples = {
        ("lambda-function-runtime", "function"): both({**FUNCTION, "runtime": "python3.12"}),
        ("lambda-function-architecture", "function"): both({**FUNCTION, "architectures": ["x86_64"]}),
        ("lambda-function-package-type", "function"): {
            "aws": {**FUNCTION, "packageType": "Image", "imageUri": "i"},
            "aws-native": {**FUNCTION, "packageType": "Image", "code": {"imageUri": "i"}},
        },
        ("lambda-function-code-architecture", "function code archive"): {"aws": {**FUNCTION, **x86_zip}},
        ("lambda-archive-no-credential-files", "function code archive"): {"aws": {**FUNCTION, **leaky}},
        ("lambda-archive-no-credential-files", "layer code archive"): {"aws": {"layerName": "l", **leaky}},
        ("lambda-capacity-provider-architecture", "capacity provider"): {
            "aws": {"name": "cp", "instanceRequirements": [{"architectures": ["x86_64"]}]},
            "aws-native": {"capacityProviderName": "cp", "instanceRequirements": {"architectures": ["x86_64"]}},
        },
        ("lambda-permission-source-arn", "permission"): {
            "aws": {"action": "lambda:InvokeFunction", "function": "f", "principal": "events.amazonaws.com"},
            "aws-native": {"action": "lambda:InvokeFunction", "functionName": "f", "principal": "events.amazonaws.com"},
        },
        ("lambda-permission-public-invoke", "permission"): {
            "aws": {"action": "lambda:InvokeFunction", "function": "f", "principal": "*"},
            "aws-native": {"action": "lambda:InvokeFunction", "functionName": "f", "principal": "*"},
        },
        ("lambda-function-url-auth", "function url"): {
            "aws": {"functionName": "f", "authorizationType": "NONE"},
            "aws-native": {"targetFunctionArn": "arn:aws:lambda:us-east-1:1:function:f", "authType": "NONE"},
        },
        ("lambda-event-source-mapping-batch-failures", "event source mapping"): both(
            {"eventSourceArn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:q", "functionName": "f"}
        ),
        ("lambda-layer-compatibility", "layer"): both(
            {"layerName": "l", "compatibleArchitectures": ["x86_64"], "compatibleRuntimes": ["provided.al2023"]}
        ),
        ("lambda-function-no-secrets-in-env", "function"): both(
            {**FUNCTION, "environment": {"variables": {"DB_PASSWORD": LEAKED}}}
        ),
        ("iam-role-federated-trust", "role"): {
            "aws": {"name": "r", "assumeRolePolicy": json.dumps(FEDERATED)},
            "aws-native": {"roleName": "r", "assumeRolePolicyDocument": FEDERATED},
        },
        ("logs-log-group-retention", "log group"): {
            "aws": {"name": "/aws/lambda/f"},
            "aws-native": {"logGroupName": "/aws/lambda/f"},
        },
    }
    template = json.dumps(
        {
            "Resources": {
                "F": {"Type": "AWS::Lambda::Function", "Properties": {**pascal(FUNCTION), "Runtime": "python3.12"}}
            }
        }
    )
    for kind in ("stack", "stack set"):
        found[(TEMPLATES, kind)] = both({"name": "s", "templateBody": template})
    for policy, document in DOCUMENTS.items():
        for kind in JUDGES[policy]:
            found[(policy, kind)] = document_forms(kind, document)
    for kind, forms in ADMIN_FORMS.items():
        found[("iam-principal-no-admin-policies", kind)] = forms
    for kind in JUDGES["iam-resource-policy-no-public-principal"]:
        found[("iam-resource-policy-no-public-principal", kind)] = resource_policy_forms(kind)
    for kind, forms in CONFIG_FORMS.items():
        found[("config-no-plaintext-secrets", kind)] = forms
    return found


def both(props: Form) -> dict[str, Form]:
    return {"aws": props, "aws-native": props}


def pascal(value: Any, free: bool = False) -> Any:
    """aws-native's camelCase properties in CloudFormation's PascalCase (maps of data kept as they are)."""
    if isinstance(value, dict):
        return {
            (k if free else k[:1].upper() + k[1:]): pascal(v, free or (k[:1].upper() + k[1:]) in FREE_FORM)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [pascal(v, free) for v in value]
    return value


@pytest.fixture(scope="module")
def all_samples(archives: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Samples:
    from tests.policies.resources import write_zip

    leaky = write_zip(tmp_path_factory.mktemp("forms") / "leaky.zip", {".env": b"DB_PASSWORD=" + LEAKED.encode()})
    return samples({**archives, "leaky": leaky})


def declared_pairs() -> list[tuple[str, str, str]]:
    """(check, kind, form) for every form of every kind each check judges."""
    return [
        (policy, kind, form)
        for policy, kinds in sorted(JUDGES.items())
        for kind in kinds
        for form in KINDS[kind].forms()
    ]


def test_the_table_is_complete_and_consistent() -> None:
    resource_checks = {p.name for p in RESOURCE_POLICIES} | {TEMPLATES}
    assert set(JUDGES) == resource_checks
    assert {p.name for p in POLICIES} >= set(JUDGES)
    for name, kind in KINDS.items():
        forms = kind.forms()
        assert forms, name
        if len(forms) < 3:
            assert kind.missing, f"{name} lacks a form and does not say why"
        if kind.native is not None and kind.cfn is not None:
            assert template_token(kind.cfn) == kind.native, name
    judged = set().union(*(KINDS[k].tokens() for kinds in JUDGES.values() for k in kinds))
    # Every document property the IAM checks read belongs to a kind of the table.
    assert set(IDENTITY_POLICY_TYPES) <= judged
    assert set(RESOURCE_POLICY_PROPERTY) <= judged


def test_every_declared_form_has_a_violating_case(all_samples: Samples) -> None:
    missing = [
        (policy, kind, form)
        for policy, kind, form in declared_pairs()
        if form not in all_samples.get((policy, kind), {})
        and not (form == "CloudFormation" and "aws-native" in all_samples.get((policy, kind), {}))
    ]
    assert missing == []
    undeclared = [key for key in all_samples if key[1] not in JUDGES[key[0]]]
    assert undeclared == []


@pytest.mark.parametrize(("policy", "kind", "form"), declared_pairs())
def test_each_form_is_judged(pack: PolicyPackClient, all_samples: Samples, policy: str, kind: str, form: str) -> None:
    forms = all_samples[(policy, kind)]
    definition = KINDS[kind]
    if form == "CloudFormation":
        assert definition.cfn is not None
        properties = forms.get("CloudFormation") or pascal(forms["aws-native"])
        template = {"Resources": {"Sample": {"Type": definition.cfn, "Properties": properties}}}
        stack = {"name": "forms", "templateBody": json.dumps(template)}
        found = pack.analyze(
            "aws:cloudformation/stack:Stack", "forms", urn("aws:cloudformation/stack:Stack", "forms"), stack
        )
        assert any(d.policy_name == TEMPLATES and f", {policy}: " in d.violation for d in found), found
        return
    token = definition.forms()[form]
    found = pack.analyze(token, "sample", urn(token, "sample"), forms[form])
    assert any(d.policy_name == policy and d.enforcement_level == "mandatory" for d in found), found


def test_the_docs_show_the_table_and_every_policy() -> None:
    page = (REPO_ROOT / "docs" / "policy-pack.md").read_text()
    assert markdown_table() in page
    assert [p.name for p in POLICIES if f"`{p.name}`" not in page] == []
