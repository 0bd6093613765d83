"""IAM policy documents as resources carry them, read into statements.

Documents come as JSON strings (pulumi-aws `policy`, `inlinePolicies[].policy`, `assumeRolePolicy`)
or as objects (aws-native `policyDocument`, `policies[].policyDocument`); both are read. At preview
a document built from outputs of resources not yet created is unknown as a whole, or holds unknown
values inside: what is known is judged, and what is not is collected in `deferred` for the policy
to report as "can only be judged at update" (advisory), never passed in silence.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pulumi_policy import ResourceValidationArgs

from .common import contains_unknown, is_exempt, is_unknown, judged_at_update, plain, string_list
from .resource_types import types_of

# Identity policies: resources with one document in a property (every form of resource_types'
# document kinds; a test checks that each token of those kinds has its property here).
SINGLE_DOCUMENT_PROPERTY = {
    "aws:iam/policy:Policy": "policy",
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/userPolicy:UserPolicy": "policy",
    "aws:iam/groupPolicy:GroupPolicy": "policy",
    "aws-native:iam:ManagedPolicy": "policyDocument",
    "aws-native:iam:RolePolicy": "policyDocument",
    "aws-native:iam:UserPolicy": "policyDocument",
    "aws-native:iam:GroupPolicy": "policyDocument",
    "aws-native:iam:Policy": "policyDocument",  # CloudFormation's AWS::IAM::Policy, inside templates
    "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy": "inlinePolicy",
    "aws-native:sso:PermissionSet": "inlinePolicy",
}
# Identity policies: resources with a list of named inline documents (list, name key, document key).
INLINE_DOCUMENTS = {
    "aws:iam/role:Role": ("inlinePolicies", "name", "policy"),
    "aws-native:iam:Role": ("policies", "policyName", "policyDocument"),
    "aws-native:iam:User": ("policies", "policyName", "policyDocument"),
    "aws-native:iam:Group": ("policies", "policyName", "policyDocument"),
}
IDENTITY_POLICY_TYPES = frozenset(SINGLE_DOCUMENT_PROPERTY) | frozenset(INLINE_DOCUMENTS)

# Resource policies and trust policies: the document property, and what the document guards.
RESOURCE_POLICY_PROPERTY = {
    "aws:iam/role:Role": ("assumeRolePolicy", "trust policy"),
    "aws-native:iam:Role": ("assumeRolePolicyDocument", "trust policy"),
    "aws:s3/bucketPolicy:BucketPolicy": ("policy", "bucket policy"),
    "aws:s3/bucket:Bucket": ("policy", "bucket policy"),
    "aws-native:s3:BucketPolicy": ("policyDocument", "bucket policy"),
    "aws:sqs/queuePolicy:QueuePolicy": ("policy", "queue policy"),
    "aws:sqs/queue:Queue": ("policy", "queue policy"),
    "aws-native:sqs:QueuePolicy": ("policyDocument", "queue policy"),
    "aws-native:sqs:QueueInlinePolicy": ("policyDocument", "queue policy"),
    "aws:sns/topicPolicy:TopicPolicy": ("policy", "topic policy"),
    "aws:sns/topic:Topic": ("policy", "topic policy"),
    "aws-native:sns:TopicPolicy": ("policyDocument", "topic policy"),
    "aws-native:sns:TopicInlinePolicy": ("policyDocument", "topic policy"),
    "aws:secretsmanager/secretPolicy:SecretPolicy": ("policy", "secret policy"),
    "aws:secretsmanager/secret:Secret": ("policy", "secret policy"),
    "aws-native:secretsmanager:ResourcePolicy": ("resourcePolicy", "secret policy"),
    "aws:kms/key:Key": ("policy", "key policy"),
    "aws:kms/keyPolicy:KeyPolicy": ("policy", "key policy"),
    "aws-native:kms:Key": ("keyPolicy", "key policy"),
    "aws:ecr/repositoryPolicy:RepositoryPolicy": ("policy", "repository policy"),
    "aws-native:ecr:Repository": ("repositoryPolicyText", "repository policy"),
    "aws:apigateway/restApiPolicy:RestApiPolicy": ("policy", "REST API policy"),
    "aws-native:apigateway:RestApi": ("policy", "REST API policy"),
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": ("policyDocument", "log resource policy"),
    "aws-native:logs:ResourcePolicy": ("policyDocument", "log resource policy"),
    "aws:efs/fileSystemPolicy:FileSystemPolicy": ("policy", "file system policy"),
    "aws-native:efs:FileSystem": ("fileSystemPolicy", "file system policy"),
    "aws:backup/vaultPolicy:VaultPolicy": ("policy", "backup vault policy"),
    "aws-native:backup:BackupVault": ("accessPolicy", "backup vault policy"),
}
# Layer permissions grant by principal (an account id, or "*") and organizationId, not a document.
LAYER_PERMISSION_TYPES = frozenset(
    {"aws:lambda/layerVersionPermission:LayerVersionPermission", "aws-native:lambda:LayerVersionPermission"}
)


@dataclass(frozen=True)
class Statement:
    """One known statement of a document, with a label for messages ("inline policy 'x' statement 'Sid'")."""

    label: str
    body: Mapping[str, Any]

    @property
    def effect(self) -> object:
        return self.body.get("Effect")

    def strings(self, key: str) -> list[str]:
        """A field that is a string or a list of strings (Action, Resource, ...), known entries only."""
        return [v for v in string_list(self.body.get(key)) if not is_unknown(v)]


def resource_label(resource_type: str, props: Mapping[str, Any], name: str) -> str:
    """A resource's AWS name where the props carry one, else its Pulumi resource name. A policy
    resource's roleName or userName names the principal it attaches to, not the policy itself."""
    keys = ["name", "policyName", "bucket", "functionName", "layerName", "keyId", "repositoryName", "logGroupName"]
    if not resource_type.endswith("Policy"):
        keys += ["roleName", "userName", "groupName"]
    for key in keys:
        value = props.get(key)
        if isinstance(value, str) and value and not is_unknown(value):
            return value
    return name


def judged_resource(args: ResourceValidationArgs, policy: str) -> tuple[Mapping[str, Any], str] | None:
    """(plain properties, the resource's name for messages) of a resource `policy` judges (resource_types)
    and its config does not exempt; None otherwise."""
    if args.resource_type not in types_of(policy):
        return None
    props = plain(args.props)
    name = resource_label(args.resource_type, props, args.name)
    return None if is_exempt(args.get_config(), args.name, args.urn, name) else (props, name)


def identity_documents(resource_type: str, props: Mapping[str, Any]) -> Iterator[tuple[str, object]]:
    """(label for messages, document as given) for every identity-policy document of the resource."""
    single = SINGLE_DOCUMENT_PROPERTY.get(resource_type)
    if single is not None:
        yield single, props.get(single)
    inline = INLINE_DOCUMENTS.get(resource_type)
    if inline is not None:
        list_property, name_key, document_key = inline
        entries = props.get(list_property)
        if is_unknown(entries):
            judged_at_update(f"{list_property} (the whole list)")
        for index, entry in enumerate(entries or []):
            if is_unknown(entry):
                judged_at_update(f"{list_property}[{index}]")
            name = entry.get(name_key)
            path = f"{list_property}[{index}].{document_key}"
            label = f"inline policy {name!r} ({path})" if isinstance(name, str) and not is_unknown(name) else path
            yield label, entry.get(document_key)


@lru_cache(maxsize=1024)
def parse_document(text: str) -> Any:
    """A JSON policy document, parsed once for the three IAM policies that read it (and again per
    template resource): callers only read the result."""
    return json.loads(text)


def statements(label: str, document: object, deferred: list[str]) -> Iterator[Statement]:
    """Every statement of a document that is known; what is not goes to `deferred`."""
    if document is None or document == "":
        return
    if is_unknown(document):
        deferred.append(label)
        return
    if isinstance(document, str):
        try:
            document = parse_document(document)
        except json.JSONDecodeError:
            if contains_unknown(document):
                deferred.append(label)
            return  # not a policy document: the provider rejects it, nothing to judge here
    if not isinstance(document, Mapping):
        return
    body = document.get("Statement")
    if is_unknown(body):
        deferred.append(label)
        return
    if isinstance(body, Mapping):
        body = [body]
    for index, statement in enumerate(body or []):
        if not isinstance(statement, Mapping):
            if is_unknown(statement):
                deferred.append(f"{label} statement {index + 1}")
            continue
        sid = statement.get("Sid")
        name = (
            f"statement {sid!r}" if isinstance(sid, str) and sid and not is_unknown(sid) else f"statement {index + 1}"
        )
        yield Statement(f"{label} {name}", statement)


def allow_statements(label: str, document: object, deferred: list[str]) -> Iterator[Statement]:
    """The known Allow statements of a document (a Deny only takes permissions away); a statement
    whose effect is unknown is deferred."""
    for statement in statements(label, document, deferred):
        if is_unknown(statement.effect):
            deferred.append(statement.label)
        elif statement.effect == "Allow":
            yield statement


def sentence(label: str) -> str:
    return label[:1].upper() + label[1:]


ARN_PARTS = 6
RESOURCE_TYPE_PREFIX = re.compile(r"^[A-Za-z0-9-]+[/:]")


def is_unscoped(resource: str) -> bool:
    """Whether a Resource entry covers every resource of its type: `*`, `arn:aws:s3:::*`,
    `arn:aws:iam::123456789012:role/*`, `arn:aws:dynamodb:*:*:table/*`. A name prefix
    (`log-group:/aws/lambda/*`, `role/app-*`) or an exact ARN is scoped."""
    if resource.strip("*") == "":
        return True
    parts = resource.split(":", ARN_PARTS - 1)
    if len(parts) < ARN_PARTS or parts[0] != "arn":
        return False
    name = parts[5]
    if parts[2] != "s3":
        name = RESOURCE_TYPE_PREFIX.sub("", name, count=1)
    return name.strip("*/:") == ""
