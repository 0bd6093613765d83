"""The one table of resource types the pack judges: each kind of resource in its pulumi-aws,
aws-native and CloudFormation forms, and which kinds each resource check judges.

Every resource check takes its type tokens from here (`types_of`), so a check that judges a kind
judges all its forms: the pulumi-aws token, the aws-native token, and the CloudFormation type,
which cloudformation-template-resources turns into the aws-native token (`template_token`) before
running the same check on it. A form a kind does not have says why in `missing`; the tests fail
when a check is declared on a kind without a violating case for each of its forms.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Kind:
    aws: str | None  # pulumi-aws type token
    native: str | None  # aws-native type token
    cfn: str | None  # CloudFormation resource type
    missing: str = ""  # why a form is None

    def forms(self) -> dict[str, str]:
        """{"aws": token, "aws-native": token, "CloudFormation": type} for the forms that exist."""
        found = {"aws": self.aws, "aws-native": self.native, "CloudFormation": self.cfn}
        return {form: token for form, token in found.items() if token is not None}

    def tokens(self) -> frozenset[str]:
        """The type tokens a check matches: both providers', and the one template resources take."""
        tokens = {self.aws, self.native, template_token(self.cfn) if self.cfn else None}
        return frozenset(t for t in tokens if t is not None)


def template_token(cfn_type: str) -> str:
    """The token a CloudFormation type is judged as inside a template: aws-native's spelling
    (`AWS::Lambda::Function` -> `aws-native:lambda:Function`); custom resources
    (`Custom::Anything`) as AWS::CloudFormation::CustomResource."""
    if cfn_type.startswith("Custom::"):
        cfn_type = "AWS::CloudFormation::CustomResource"
    _, service, name = cfn_type.split("::")
    return f"aws-native:{service.lower()}:{name}"


NO_ATTACHMENT_TYPE = "CloudFormation and aws-native attach managed policies through the principal's ManagedPolicyArns"
KINDS: dict[str, Kind] = {
    # Lambda
    "function": Kind("aws:lambda/function:Function", "aws-native:lambda:Function", "AWS::Lambda::Function"),
    "function code archive": Kind(
        "aws:lambda/function:Function",
        None,
        None,
        "aws-native and CloudFormation take code from S3 or an image, which the pack cannot read",
    ),
    "layer code archive": Kind(
        "aws:lambda/layerVersion:LayerVersion",
        None,
        None,
        "aws-native and CloudFormation take layer content from S3, which the pack cannot read",
    ),
    "capacity provider": Kind(
        "aws:lambda/capacityProvider:CapacityProvider",
        "aws-native:lambda:CapacityProvider",
        "AWS::Lambda::CapacityProvider",
    ),
    "permission": Kind("aws:lambda/permission:Permission", "aws-native:lambda:Permission", "AWS::Lambda::Permission"),
    "function url": Kind("aws:lambda/functionUrl:FunctionUrl", "aws-native:lambda:Url", "AWS::Lambda::Url"),
    "event source mapping": Kind(
        "aws:lambda/eventSourceMapping:EventSourceMapping",
        "aws-native:lambda:EventSourceMapping",
        "AWS::Lambda::EventSourceMapping",
    ),
    "layer": Kind(
        "aws:lambda/layerVersion:LayerVersion", "aws-native:lambda:LayerVersion", "AWS::Lambda::LayerVersion"
    ),
    "layer permission": Kind(
        "aws:lambda/layerVersionPermission:LayerVersionPermission",
        "aws-native:lambda:LayerVersionPermission",
        "AWS::Lambda::LayerVersionPermission",
    ),
    "function invocation": Kind(
        "aws:lambda/invocation:Invocation",
        None,
        "AWS::CloudFormation::CustomResource",
        "aws-native has no type that invokes a function; CloudFormation's custom resources send their properties",
    ),
    # IAM principals and their documents
    "role": Kind("aws:iam/role:Role", "aws-native:iam:Role", "AWS::IAM::Role"),
    "user with policies": Kind(
        None,
        "aws-native:iam:User",
        "AWS::IAM::User",
        "pulumi-aws users take their policies through UserPolicy and the attachment resources",
    ),
    "group with policies": Kind(
        None,
        "aws-native:iam:Group",
        "AWS::IAM::Group",
        "pulumi-aws groups take their policies through GroupPolicy and the attachment resources",
    ),
    "managed policy": Kind("aws:iam/policy:Policy", "aws-native:iam:ManagedPolicy", "AWS::IAM::ManagedPolicy"),
    "role inline policy": Kind("aws:iam/rolePolicy:RolePolicy", "aws-native:iam:RolePolicy", "AWS::IAM::RolePolicy"),
    "user inline policy": Kind("aws:iam/userPolicy:UserPolicy", "aws-native:iam:UserPolicy", "AWS::IAM::UserPolicy"),
    "group inline policy": Kind(
        "aws:iam/groupPolicy:GroupPolicy", "aws-native:iam:GroupPolicy", "AWS::IAM::GroupPolicy"
    ),
    "inline policy of several principals": Kind(
        None, None, "AWS::IAM::Policy", "only CloudFormation has one inline document for several principals"
    ),
    "permission set inline policy": Kind(
        "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy",
        "aws-native:sso:PermissionSet",
        "AWS::SSO::PermissionSet",
    ),
    "permission set managed policy": Kind(
        "aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment",
        "aws-native:sso:PermissionSet",
        "AWS::SSO::PermissionSet",
    ),
    "role policy attachment": Kind("aws:iam/rolePolicyAttachment:RolePolicyAttachment", None, None, NO_ATTACHMENT_TYPE),
    "user policy attachment": Kind("aws:iam/userPolicyAttachment:UserPolicyAttachment", None, None, NO_ATTACHMENT_TYPE),
    "group policy attachment": Kind(
        "aws:iam/groupPolicyAttachment:GroupPolicyAttachment", None, None, NO_ATTACHMENT_TYPE
    ),
    "policy attachment": Kind("aws:iam/policyAttachment:PolicyAttachment", None, None, NO_ATTACHMENT_TYPE),
    "role policy attachments (exclusive)": Kind(
        "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive", None, None, NO_ATTACHMENT_TYPE
    ),
    "user policy attachments (exclusive)": Kind(
        "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive", None, None, NO_ATTACHMENT_TYPE
    ),
    "group policy attachments (exclusive)": Kind(
        "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive", None, None, NO_ATTACHMENT_TYPE
    ),
    # Resource policies
    "bucket policy": Kind("aws:s3/bucketPolicy:BucketPolicy", "aws-native:s3:BucketPolicy", "AWS::S3::BucketPolicy"),
    "bucket with inline policy": Kind(
        "aws:s3/bucket:Bucket", None, None, "aws-native and CloudFormation buckets take their policy as a BucketPolicy"
    ),
    "queue policy": Kind("aws:sqs/queuePolicy:QueuePolicy", "aws-native:sqs:QueuePolicy", "AWS::SQS::QueuePolicy"),
    "queue with inline policy": Kind(
        "aws:sqs/queue:Queue", "aws-native:sqs:QueueInlinePolicy", "AWS::SQS::QueueInlinePolicy"
    ),
    "topic policy": Kind("aws:sns/topicPolicy:TopicPolicy", "aws-native:sns:TopicPolicy", "AWS::SNS::TopicPolicy"),
    "topic with inline policy": Kind(
        "aws:sns/topic:Topic", "aws-native:sns:TopicInlinePolicy", "AWS::SNS::TopicInlinePolicy"
    ),
    "secret policy": Kind(
        "aws:secretsmanager/secretPolicy:SecretPolicy",
        "aws-native:secretsmanager:ResourcePolicy",
        "AWS::SecretsManager::ResourcePolicy",
    ),
    "secret with inline policy": Kind(
        "aws:secretsmanager/secret:Secret", None, None, "aws-native and CloudFormation secrets take a ResourcePolicy"
    ),
    "key": Kind("aws:kms/key:Key", "aws-native:kms:Key", "AWS::KMS::Key"),
    "key policy": Kind(
        "aws:kms/keyPolicy:KeyPolicy", None, None, "aws-native and CloudFormation keys hold their policy"
    ),
    "repository": Kind(
        "aws:ecr/repositoryPolicy:RepositoryPolicy", "aws-native:ecr:Repository", "AWS::ECR::Repository"
    ),
    "rest api policy": Kind(
        "aws:apigateway/restApiPolicy:RestApiPolicy", "aws-native:apigateway:RestApi", "AWS::ApiGateway::RestApi"
    ),
    "log resource policy": Kind(
        "aws:cloudwatch/logResourcePolicy:LogResourcePolicy",
        "aws-native:logs:ResourcePolicy",
        "AWS::Logs::ResourcePolicy",
    ),
    "file system policy": Kind(
        "aws:efs/fileSystemPolicy:FileSystemPolicy", "aws-native:efs:FileSystem", "AWS::EFS::FileSystem"
    ),
    "backup vault policy": Kind(
        "aws:backup/vaultPolicy:VaultPolicy", "aws-native:backup:BackupVault", "AWS::Backup::BackupVault"
    ),
    # Logs, templates, configuration that can carry secrets
    "log group": Kind("aws:cloudwatch/logGroup:LogGroup", "aws-native:logs:LogGroup", "AWS::Logs::LogGroup"),
    "stack": Kind(
        "aws:cloudformation/stack:Stack",
        "aws-native:cloudformation:Stack",
        None,
        "a nested stack names its template by URL, which the pack cannot read",
    ),
    "stack set": Kind(
        "aws:cloudformation/stackSet:StackSet",
        "aws-native:cloudformation:StackSet",
        None,
        "templates inside templates are not expanded (one level of template is judged)",
    ),
    "parameter": Kind("aws:ssm/parameter:Parameter", "aws-native:ssm:Parameter", "AWS::SSM::Parameter"),
    "rest api stage": Kind("aws:apigateway/stage:Stage", "aws-native:apigateway:Stage", "AWS::ApiGateway::Stage"),
    "http api stage": Kind("aws:apigatewayv2/stage:Stage", "aws-native:apigatewayv2:Stage", "AWS::ApiGatewayV2::Stage"),
    "event target": Kind("aws:cloudwatch/eventTarget:EventTarget", "aws-native:events:Rule", "AWS::Events::Rule"),
    "schedule": Kind("aws:scheduler/schedule:Schedule", "aws-native:scheduler:Schedule", "AWS::Scheduler::Schedule"),
}

# Which kinds each resource check judges.
JUDGES: dict[str, tuple[str, ...]] = {
    "lambda-function-runtime": ("function",),
    "lambda-function-architecture": ("function",),
    "lambda-function-package-type": ("function",),
    "lambda-function-code-architecture": ("function code archive",),
    "lambda-capacity-provider-architecture": ("capacity provider",),
    "lambda-permission-source-arn": ("permission",),
    "lambda-permission-public-invoke": ("permission",),
    "lambda-function-url-auth": ("function url",),
    "lambda-event-source-mapping-batch-failures": ("event source mapping",),
    "lambda-layer-compatibility": ("layer",),
    "lambda-archive-no-credential-files": ("function code archive", "layer code archive"),
    "lambda-function-no-secrets-in-env": ("function",),
    "config-no-plaintext-secrets": (
        "parameter",
        "rest api stage",
        "http api stage",
        "event target",
        "schedule",
        "function invocation",
    ),
    "iam-policy-no-wildcard-actions": (
        "role",
        "user with policies",
        "group with policies",
        "managed policy",
        "role inline policy",
        "user inline policy",
        "group inline policy",
        "inline policy of several principals",
        "permission set inline policy",
    ),
    "iam-principal-no-admin-policies": (
        "role",
        "user with policies",
        "group with policies",
        "role policy attachment",
        "user policy attachment",
        "group policy attachment",
        "policy attachment",
        "role policy attachments (exclusive)",
        "user policy attachments (exclusive)",
        "group policy attachments (exclusive)",
        "permission set managed policy",
    ),
    "iam-resource-policy-no-public-principal": (
        "role",
        "bucket policy",
        "bucket with inline policy",
        "queue policy",
        "queue with inline policy",
        "topic policy",
        "topic with inline policy",
        "secret policy",
        "secret with inline policy",
        "key",
        "key policy",
        "repository",
        "rest api policy",
        "log resource policy",
        "file system policy",
        "backup vault policy",
        "layer permission",
    ),
    "iam-role-federated-trust": ("role",),
    "logs-log-group-retention": ("log group",),
    "cloudformation-template-resources": ("stack", "stack set"),
}
# The three IAM document checks judge the same documents.
JUDGES["iam-policy-resource-scope"] = JUDGES["iam-policy-no-wildcard-actions"]
JUDGES["iam-policy-privilege-escalation"] = JUDGES["iam-policy-no-wildcard-actions"]


@cache
def types_of(policy: str) -> frozenset[str]:
    """Every type token (all forms) of the kinds `policy` judges."""
    return frozenset().union(*(KINDS[kind].tokens() for kind in JUDGES[policy]))


@cache
def kind_tokens(*kinds: str) -> frozenset[str]:
    return frozenset().union(*(KINDS[kind].tokens() for kind in kinds))


def markdown_table() -> str:
    """The table as docs/policy-pack.md shows it (a test keeps the page in step with this module)."""
    lines = [
        "| Kind | pulumi-aws | aws-native | CloudFormation | Checks |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, kind in KINDS.items():
        forms = [f"`{token}`" if token else "—" for token in (kind.aws, kind.native, kind.cfn)]
        checks = ", ".join(f"`{p}`" for p, kinds in JUDGES.items() if name in kinds)
        lines.append(f"| {name} | {' | '.join(forms)} | {checks} |")
    return "\n".join(lines)
