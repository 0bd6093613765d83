"""The AWS calls that creating, reading, updating and deleting each resource of a plan takes.

Where the calls come from: CloudFormation's resource provider schemas, which cfn-lint ships and
AWS maintains: each type's `handlers` list the permissions its create, read, update and delete
need. A pulumi-aws type maps to the CloudFormation type that manages the same AWS object
(`CFN_TYPES`; a pulumi sub-resource such as a bucket's public access block maps to its parent).
Two short tables adjust the data to this program, each entry with its reason:
- `NOT_CALLED`: calls a handler lists for features the resource does not use, each tied to the
  inputs that would use them (`unless`): once a resource sets one of them, the call is required
  again. Names AWS's action database does not know (typos in the schemas) are dropped.
- `PROVIDER_CALLS`: calls pulumi-aws (the Terraform AWS provider underneath) makes that the
  handlers do not list.
Measured on the dev and prod plans (tests/ci_access/test_plan_permissions.py prints the figures).

A new pulumi type fails the test with its name until it is mapped here; a call the deploy role
lacks fails it with the type, the resource, the phase and the action.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

PHASES = ("create", "read", "update", "delete")

CFN_TYPES: Mapping[str, str] = {
    "aws:apigatewayv2/api:Api": "AWS::ApiGatewayV2::Api",
    "aws:apigatewayv2/authorizer:Authorizer": "AWS::ApiGatewayV2::Authorizer",
    "aws:apigatewayv2/integration:Integration": "AWS::ApiGatewayV2::Integration",
    "aws:apigatewayv2/route:Route": "AWS::ApiGatewayV2::Route",
    "aws:apigatewayv2/stage:Stage": "AWS::ApiGatewayV2::Stage",
    "aws:cloudwatch/dashboard:Dashboard": "AWS::CloudWatch::Dashboard",
    "aws:cloudwatch/eventRule:EventRule": "AWS::Events::Rule",
    "aws:codedeploy/application:Application": "AWS::CodeDeploy::Application",
    "aws:codedeploy/deploymentGroup:DeploymentGroup": "AWS::CodeDeploy::DeploymentGroup",
    "aws:cloudwatch/eventTarget:EventTarget": "AWS::Events::Rule",  # targets are part of the rule
    "aws:cloudwatch/logGroup:LogGroup": "AWS::Logs::LogGroup",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "AWS::CloudWatch::Alarm",
    "aws:cloudwatch/queryDefinition:QueryDefinition": "AWS::Logs::QueryDefinition",
    "aws:dynamodb/table:Table": "AWS::DynamoDB::Table",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "AWS::EC2::VPCEndpoint",
    "aws:iam/role:Role": "AWS::IAM::Role",
    "aws:iam/rolePolicy:RolePolicy": "AWS::IAM::RolePolicy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "AWS::IAM::Role",  # ManagedPolicyArns of the role
    "aws:lambda/alias:Alias": "AWS::Lambda::Alias",
    "aws:lambda/capacityProvider:CapacityProvider": "AWS::Lambda::CapacityProvider",
    "aws:lambda/eventSourceMapping:EventSourceMapping": "AWS::Lambda::EventSourceMapping",
    "aws:lambda/function:Function": "AWS::Lambda::Function",
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": "AWS::Lambda::EventInvokeConfig",
    "aws:lambda/functionScalingConfig:FunctionScalingConfig": "AWS::Lambda::Function",  # FunctionScalingConfig
    "aws:lambda/functionUrl:FunctionUrl": "AWS::Lambda::Url",
    "aws:lambda/layerVersion:LayerVersion": "AWS::Lambda::LayerVersion",
    "aws:lambda/permission:Permission": "AWS::Lambda::Permission",
    # ProvisionedConcurrencyConfig of the alias.
    "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig": "AWS::Lambda::Alias",
    "aws:s3/bucket:Bucket": "AWS::S3::Bucket",
    "aws:s3/bucketNotification:BucketNotification": "AWS::S3::Bucket",  # NotificationConfiguration
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "AWS::S3::Bucket",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "AWS::S3::Bucket",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": "AWS::S3::Bucket",
    "aws:secretsmanager/secret:Secret": "AWS::SecretsManager::Secret",
    "aws:secretsmanager/secretVersion:SecretVersion": "AWS::SecretsManager::Secret",  # SecretString
    "aws:sns/topic:Topic": "AWS::SNS::Topic",
    "aws:sqs/queue:Queue": "AWS::SQS::Queue",
}


@dataclass(frozen=True)
class NotCalled:
    actions: tuple[str, ...]
    reason: str
    unless: tuple[str, ...] = ()  # wire-format inputs that would use the feature


@dataclass(frozen=True)
class ProviderCall:
    phase: str
    actions: tuple[str, ...]
    reason: str
    when: tuple[str, ...] = ()  # inputs that make the provider call it; empty: always


NO_KMS_KEY = "no customer KMS key is set on it"
NOT_CALLED: Mapping[str, tuple[NotCalled, ...]] = {
    "AWS::Lambda::Alias": (
        NotCalled(
            (
                "codedeploy:CreateDeployment",
                "codedeploy:GetDeployment",
                "codedeploy:GetDeploymentConfig",
                "codedeploy:GetDeploymentGroup",
                "codedeploy:StopDeployment",
            ),
            "CloudFormation's alias runs CodeDeploy for its UpdatePolicy; pulumi's alias never moves traffic: "
            "the release step does (its calls are checked as its own)",
        ),
        NotCalled(
            (
                "lambda:DeleteProvisionedConcurrencyConfig",
                "lambda:GetProvisionedConcurrencyConfig",
                "lambda:PutProvisionedConcurrencyConfig",
            ),
            "no provisioned concurrency on this alias (pulumi manages it as its own resource)",
            ("provisionedConcurrentExecutions",),
        ),
    ),
    "AWS::CloudWatch::Dashboard": (
        NotCalled(
            ("cloudwatch:ListTagsForResource", "cloudwatch:TagResource", "cloudwatch:UntagResource"),
            "pulumi-aws's Dashboard takes no tags",
        ),
    ),
    "AWS::Lambda::LayerVersion": (
        NotCalled(
            ("s3:GetObject", "s3:GetObjectVersion"),
            "the layer's zip is uploaded with the request, not read from S3",
            ("s3Bucket", "s3Key", "s3ObjectVersion"),
        ),
    ),
    "AWS::CodeDeploy::DeploymentGroup": (
        NotCalled(
            (
                "codedeploy:CreateDeployment",
                "codedeploy:GetApplicationRevision",
                "codedeploy:GetDeployment",
                "codedeploy:ListDeployments",
                "codedeploy:RegisterApplicationRevision",
                "codedeploy:StopDeployment",
            ),
            "CloudFormation's group can start a deployment of a given revision; pulumi's never does: the "
            "release step does (its calls are checked as its own)",
        ),
        NotCalled(("codedeploy:RegisterOnPremisesInstance",), "Lambda deployments have no on-premises instances"),
    ),
    "AWS::Lambda::Function": (
        NotCalled(
            ("ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs"),
            "not attached to a VPC",
            ("vpcConfig",),
        ),
        NotCalled(
            ("elasticfilesystem:DescribeMountTargets", "s3files:ListMountTargets"),
            "no file system mounted",
            ("fileSystemConfig",),
        ),
        NotCalled(
            ("kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"),
            NO_KMS_KEY,
            ("kmsKeyArn", "sourceKmsKeyArn"),
        ),
        NotCalled(
            (
                "lambda:DeleteFunctionCodeSigningConfig",
                "lambda:GetCodeSigningConfig",
                "lambda:PutFunctionCodeSigningConfig",
            ),
            "no code signing config",
            ("codeSigningConfigArn",),
        ),
        NotCalled(("lambda:GetLayerVersion",), "no layers", ("layers",)),
        NotCalled(
            ("lambda:PutFunctionRecursionConfig",), "recursion detection left at its default", ("recursiveLoop",)
        ),
        NotCalled(
            ("lambda:AssociateRuntimeAlias", "lambda:PutRuntimeManagementConfig"),
            "runtime updates left at their default",
            ("runtimeManagementConfig",),
        ),
        NotCalled(
            ("s3:GetObject", "s3:GetObjectVersion"), "the code is uploaded as a zip, not read from S3", ("s3Bucket",)
        ),
        NotCalled(
            ("lambda:PassCapacityProvider",),
            "not on Managed Instances",
            ("capacityProviderConfig", "functionScalingConfig"),
        ),
    ),
    "AWS::Lambda::EventSourceMapping": (
        NotCalled(("kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"), NO_KMS_KEY, ("kmsKeyArn",)),
        NotCalled(("lambda:TagResource", "lambda:UntagResource"), "not tagged", ("tags",)),
    ),
    "AWS::Lambda::CapacityProvider": (
        NotCalled(("kms:DescribeKey",), NO_KMS_KEY, ("kmsKeyArn",)),
        NotCalled(
            ("iam:CreateServiceLinkedRole",),
            "Lambda's service-linked role is created once per account by an administrator (README)",
        ),
    ),
    "AWS::IAM::Role": (
        NotCalled(
            ("iam:AttachRolePolicy", "iam:DetachRolePolicy"),
            "no managed policy attached",
            ("managedPolicyArns", "policyArn"),
        ),
        NotCalled(
            ("iam:DeleteRolePermissionsBoundary",),
            "a role's boundary is never removed (the deploy role must not be able to)",
        ),
        NotCalled(
            ("iam:PutRolePolicy",),
            "no inline policy on the role itself: pulumi-aws's RolePolicy puts it (AWS::IAM::RolePolicy)",
            ("inlinePolicies",),
        ),
    ),
    "AWS::Logs::LogGroup": (
        NotCalled(("logs:AssociateKmsKey", "logs:DisassociateKmsKey"), NO_KMS_KEY, ("kmsKeyId",)),
        NotCalled(
            ("firehose:TagDeliveryStream", "logs:CreateLogDelivery"),
            "CloudFormation's handler for log delivery to Firehose; pulumi-aws has no such input",
        ),
        NotCalled(
            (
                "logs:DeleteDataProtectionPolicy",
                "logs:GetDataProtectionPolicy",
                "logs:PutDataProtectionPolicy",
                "logs:DeleteIndexPolicy",
                "logs:DescribeIndexPolicies",
                "logs:PutIndexPolicy",
                "logs:DeleteResourcePolicy",
                "logs:DescribeResourcePolicies",
                "logs:PutResourcePolicy",
                "logs:PutBearerTokenAuthentication",
            ),
            "pulumi-aws manages data protection, index and resource policies as resources of their own",
        ),
        NotCalled(
            ("logs:PutLogGroupDeletionProtection",), "deletion protection left off", ("deletionProtectionEnabled",)
        ),
    ),
    "AWS::S3::Bucket": (
        NotCalled(("iam:PassRole",), "no replication", ("replicationConfiguration",)),
        NotCalled(
            (
                "s3:CreateBucketMetadataTableConfiguration",
                "s3:DeleteBucketMetadataTableConfiguration",
                "s3:GetBucketMetadataTableConfiguration",
                "s3:UpdateBucketMetadataAnnotationTableConfiguration",
                "s3:UpdateBucketMetadataInventoryTableConfiguration",
                "s3:UpdateBucketMetadataJournalTableConfiguration",
                "s3tables:CreateNamespace",
                "s3tables:CreateTable",
                "s3tables:CreateTableBucket",
                "s3tables:GetTable",
                "s3tables:GetTableMetadataLocation",
                "s3tables:PutTableBucketPolicy",
                "s3tables:PutTableEncryption",
                "s3tables:PutTablePolicy",
                "s3tables:UpdateTableMetadataLocation",
            ),
            "no metadata tables",
        ),
        NotCalled(
            (
                "s3:DeleteBucketAnalyticsConfiguration",
                "s3:GetAnalyticsConfiguration",
                "s3:PutAnalyticsConfiguration",
                "s3:GetIntelligentTieringConfiguration",
                "s3:PutIntelligentTieringConfiguration",
                "s3:GetInventoryConfiguration",
                "s3:PutInventoryConfiguration",
                "s3:DeleteBucketMetricsConfiguration",
                "s3:GetMetricsConfiguration",
                "s3:PutMetricsConfiguration",
            ),
            "pulumi-aws manages analytics, tiering, inventory and metrics as resources of their own",
        ),
        NotCalled(
            (
                "s3:DeleteBucketCors",
                "s3:DeleteBucketEncryption",
                "s3:DeleteBucketLifecycle",
                "s3:DeleteBucketReplication",
                "s3:DeleteBucketWebsite",
                "s3:PutAccelerateConfiguration",
                "s3:PutBucketAcl",
                "s3:PutBucketCORS",
                "s3:PutBucketLogging",
                "s3:PutBucketObjectLockConfiguration",
                "s3:PutBucketReplication",
                "s3:PutBucketWebsite",
                "s3:PutObjectLockConfiguration",
                "s3:PutReplicationConfiguration",
            ),
            "pulumi-aws v7 sets these through resources of their own, which the program does not use",
        ),
        NotCalled(("s3:GetBucketAbac", "s3:PutBucketAbac"), "no attribute-based access control on buckets"),
        NotCalled(
            ("s3:DeleteObject", "s3:PutObjectAcl"),
            "no object actions: a bucket that holds objects is never force-deleted",
            ("forceDestroy",),
        ),
        NotCalled(
            ("s3:ListTagsForResource", "s3:TagResource", "s3:UntagResource"),
            "pulumi-aws tags buckets with PutBucketTagging/GetBucketTagging",
        ),
    ),
    "AWS::DynamoDB::Table": (
        NotCalled(
            (
                "dynamodb:BatchWriteItem",
                "dynamodb:DeleteItem",
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:Query",
                "dynamodb:Scan",
                "dynamodb:UpdateItem",
                "dynamodb:DescribeImport",
                "dynamodb:ImportTable",
                "s3:GetObject",
                "s3:GetObjectMetadata",
                "s3:ListBucket",
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:DescribeLogGroups",
                "logs:DescribeLogStreams",
                "logs:PutLogEvents",
                "logs:PutRetentionPolicy",
            ),
            "no import from S3 (item writes and logs are the import's)",
            ("importTable",),
        ),
        NotCalled(
            (
                "dynamodb:DescribeKinesisStreamingDestination",
                "dynamodb:DisableKinesisStreamingDestination",
                "dynamodb:EnableKinesisStreamingDestination",
                "dynamodb:UpdateKinesisStreamingDestination",
                "kinesis:DescribeStream",
                "kinesis:PutRecords",
            ),
            "no Kinesis streaming destination",
        ),
        NotCalled(
            ("dynamodb:DescribeContributorInsights", "dynamodb:UpdateContributorInsights"), "no contributor insights"
        ),
        NotCalled(
            ("dynamodb:AssociateTableReplica", "dynamodb:CreateTableReplica", "iam:CreateServiceLinkedRole"),
            "no replicas",
            ("replicas",),
        ),
        NotCalled(
            ("dynamodb:DeleteResourcePolicy", "dynamodb:GetResourcePolicy", "dynamodb:PutResourcePolicy"),
            "no resource policy",
        ),
        NotCalled(
            ("kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:ListAliases", "kms:RevokeGrant"),
            "encrypted with DynamoDB's AWS managed key",
            ("serverSideEncryption.kmsKeyArn",),
        ),
    ),
    "AWS::SecretsManager::Secret": (
        NotCalled(("secretsmanager:GetRandomPassword",), "the value comes from the stack's secret config"),
        NotCalled(
            ("secretsmanager:RemoveRegionsFromReplication", "secretsmanager:ReplicateSecretToRegions"),
            "no replicas",
            ("replicas",),
        ),
    ),
    "AWS::SNS::Topic": (
        NotCalled(("iam:GetRole", "iam:PassRole"), "no delivery status logging roles"),
        NotCalled(
            ("sns:ListSubscriptionsByTopic", "sns:Subscribe", "sns:Unsubscribe"),
            "pulumi-aws subscribes with TopicSubscription resources, which the program does not create",
        ),
        NotCalled(
            ("sns:GetDataProtectionPolicy", "sns:PutDataProtectionPolicy"),
            "pulumi-aws manages it as a resource of its own",
        ),
    ),
    "AWS::Events::Rule": (
        NotCalled(("iam:PassRole",), "no target needs a role", ("roleArn",)),
        NotCalled(
            ("events:PutTargets", "events:RemoveTargets"),
            "pulumi-aws's EventRule puts no target: each is an EventTarget of its own, which does",
            ("arn",),
        ),
    ),
    "AWS::ApiGatewayV2::Api": (
        NotCalled(("s3:GetObject",), "no OpenAPI body read from S3", ("body",)),
        NotCalled(("apigateway:PUT",), "no OpenAPI body to import", ("body",)),
    ),
    "AWS::ApiGatewayV2::Integration": (NotCalled(("iam:PassRole",), "no integration role", ("credentialsArn",)),),
    "AWS::ApiGatewayV2::Authorizer": (
        NotCalled(("iam:PassRole",), "no authorizer role", ("authorizerCredentialsArn",)),
    ),
    "AWS::EC2::VPCEndpoint": (
        NotCalled(
            ("ec2:DescribeSecurityGroups", "ec2:DescribeSubnets"),
            "a gateway endpoint has no subnets or security groups",
            ("subnetIds", "securityGroupIds"),
        ),
        NotCalled(
            (
                "vpc-lattice:CreateServiceNetworkVpcEndpointAssociation",
                "vpc-lattice:DescribeServiceNetworkVpcEndpointAssociation",
            ),
            "not a service network endpoint",
            ("serviceNetworkArn",),
        ),
        NotCalled(("vpce:AllowMultiRegion",), "the service is in the endpoint's region", ("serviceRegion",)),
    ),
}

# Read: terraform-provider-aws internal/service/lambda/function.go (resourceFunctionRead).
PROVIDER_CALLS: Mapping[str, tuple[ProviderCall, ...]] = {
    "aws:lambda/function:Function": (
        ProviderCall(
            "read",
            ("lambda:GetFunctionConcurrency", "lambda:GetFunctionConfiguration", "lambda:ListVersionsByFunction"),
            "resourceFunctionRead reads concurrency and the latest published version",
        ),
    ),
    # API Gateway developer guide, "Configuring logging for an HTTP API": CloudWatch Logs' log
    # delivery actions are the caller's, and they take no narrower resource than `*`. Not
    # logs:PutResourcePolicy: ci_access's delivery policy (ci_access.account) already grants the
    # delivery, and CloudWatch Logs adds a policy only where none does.
    "aws:apigatewayv2/stage:Stage": (
        ProviderCall(
            "create",
            (
                "logs:CreateLogDelivery",
                "logs:DeleteLogDelivery",
                "logs:DescribeResourcePolicies",
                "logs:GetLogDelivery",
                "logs:ListLogDeliveries",
                "logs:UpdateLogDelivery",
            ),
            "HTTP API access logging to CloudWatch Logs",
            ("accessLogSettings",),
        ),
    ),
}


@cache
def handler_permissions(cfn_type: str) -> dict[str, tuple[str, ...]]:
    """The permissions CloudFormation's handlers of `cfn_type` list, by phase."""
    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", cfn_type).schema
    handlers: dict[str, Any] = schema.get("handlers") or {}
    return {phase: tuple((handlers.get(phase) or {}).get("permissions") or ()) for phase in PHASES}


def _has_input(inputs: Mapping[str, Any], path: str) -> bool:
    value: Any = inputs
    for key in path.split("."):
        if not isinstance(value, Mapping) or key not in value:
            return False
        value = value[key]
    return value not in (None, "", [], {})


class UnmappedType(LookupError):
    pass


def cfn_type(pulumi_type: str) -> str:
    if pulumi_type not in CFN_TYPES:
        raise UnmappedType(
            f"{pulumi_type} has no CloudFormation type in tests/ci_access/plan_calls.py CFN_TYPES: map it to the "
            "type that manages the same AWS object, so that the deploy role is checked for its calls"
        )
    return CFN_TYPES[pulumi_type]


def calls(pulumi_type: str, inputs: Mapping[str, Any], known: Iterable[str]) -> dict[str, list[str]]:
    """The actions each phase takes for one resource, by phase; `known` are the action names AWS's
    database has (lower-case), anything else in the schemas is dropped."""
    known_actions = {a.lower() for a in known}
    skipped = {
        action.lower()
        for rule in NOT_CALLED.get(cfn_type(pulumi_type), ())
        if not any(_has_input(inputs, path) for path in rule.unless)
        for action in rule.actions
    }
    result: dict[str, list[str]] = {}
    for phase, actions in handler_permissions(cfn_type(pulumi_type)).items():
        wanted = [a for a in actions if a.lower() in known_actions and a.lower() not in skipped]
        for extra in PROVIDER_CALLS.get(pulumi_type, ()):
            if extra.phase == phase and (not extra.when or any(_has_input(inputs, p) for p in extra.when)):
                wanted += extra.actions
        result[phase] = sorted(set(wanted), key=str.lower)
    return result


def all_schema_actions(pulumi_types: Iterable[str]) -> set[str]:
    return {
        action for t in pulumi_types for actions in handler_permissions(cfn_type(t)).values() for action in actions
    } | {a for t in pulumi_types for extra in PROVIDER_CALLS.get(t, ()) for a in extra.actions}
