"""The permissions of ci_access's roles, as pure functions (no Pulumi, tested on their own).

One table per stack (`stack_grants`) says, service by service, which resources of the stack the
CI may reach and which actions read them and which change them. The deploy role of a stack gets
both, and reads secret values; the stack's preview role gets the reads and no secret value (a
refresh that would read one fails rather than disclose it). The table is kept by hand, but it is
checked against the plan: tests/ci_access/test_plan_permissions.py runs the dev and prod programs
offline and asks an IAM policy evaluator whether each stack's deploy role allows every call that
creating, reading, updating and deleting each of its resources takes (CloudFormation's resource
schemas list them), and whether any of them reaches another stack.

How each service is scoped, where AWS names allow no name prefix:
- HTTP APIs and VPC endpoints have generated ids: they are created only with the stack's tags and
  changed only while they carry them (API Gateway authorizes routes, integrations and stages with
  their API's tags), and the tags that say whose they are cannot be removed.
- Event source mappings have generated ids: they are created, read and changed only for the
  stack's functions (`lambda:FunctionArn`).
- S3 bucket names are global: every S3 statement also requires the bucket to be in this account.
- IAM: function roles are created and changed only with the stack's permissions boundary
  (`permissions_boundary`), which denies IAM, reaches only the stack's resources, and denies every
  call not made by one of the stack's functions (`lambda:SourceFunctionArn`): a role the deploy role
  makes, whoever its trust policy lets in, is of use only inside the stack's functions. The
  Managed Instances operator role gets a boundary of its own (`operator_boundary`): its grants act
  only through Lambda's scaler, in the stack's subnets and security groups. CodeDeploy's role is
  ci_access's (`codedeploy_role_policy`): the deploy role may only pass it.
- What IAM conditions can pin, they pin: invoke permissions only for the principals the program's
  triggers use (`lambda:Principal`), function URLs only with AWS_IAM auth unless the stack file opts
  in to public URLs (`lambda:FunctionUrlAuthType`), no function in a VPC (`lambda:VpcIds`),
  EventBridge targets only the stack's functions (`events:TargetArn`), VPC endpoints only for the
  services the program uses (`ec2:VpceServiceName`), capacity providers only in the stack's own
  subnets and security groups (`lambda:SubnetIds`, `lambda:SecurityGroupIds`) and only in a stack
  that uses Managed Instances.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ci_access.scope import StackScope
from ci_access.stacks import StackFile
from model import iam
from model.naming import ROLE_SUFFIX

Condition = Mapping[str, Mapping[str, Any]]

# The AWS managed policies the program attaches to its roles (the capacity provider's operator role).
ATTACHABLE_POLICY_ARNS = ("arn:aws:iam::aws:policy/AWSLambdaManagedEC2ResourceOperator",)
# Tags that say which project and stack a tag-scoped resource belongs to.
OWNER_TAG_KEYS = ("project", "stack")
# Lambda's service principal, for passed roles.
LAMBDA_SERVICE = "lambda.amazonaws.com"
CODEDEPLOY_SERVICE = "codedeploy.amazonaws.com"
# The principals the program's triggers let invoke a function (components/triggers: http, s3,
# schedule); a stack whose file opts in to public function URLs may also grant PUBLIC_PRINCIPAL.
INVOKE_PRINCIPALS = ("apigateway.amazonaws.com", "events.amazonaws.com", "s3.amazonaws.com")
PUBLIC_PRINCIPAL = "*"
IAM_AUTH, NO_AUTH = "AWS_IAM", "NONE"
# The AWS services the program makes VPC endpoints for (components/managed_instances.py).
VPC_ENDPOINT_SERVICES = ("dynamodb",)
# The calls Lambda makes with a function's role outside its execution environment, which carry no
# lambda:SourceFunctionArn (Lambda developer guide, "Using source function ARN to control function
# access behavior"): reading an SQS event source and sending a failed asynchronous event to its
# on-failure queue. The function boundary lets these through without the key.
LAMBDA_SERVICE_CALLS = (*iam.QUEUE_CONSUMER_ACTIONS, *iam.SEND_MESSAGE_ACTIONS)


@dataclass(frozen=True)
class Grant:
    """Actions on a set of resources: reads (for the preview and deploy roles), reads of secret
    values and writes (deploy only). `condition` applies to all; `write_condition` to the writes
    only (merged with it)."""

    sid: str
    resources: tuple[str, ...]
    read: tuple[str, ...] = ()
    write: tuple[str, ...] = ()
    condition: Condition = field(default_factory=dict)
    write_condition: Condition = field(default_factory=dict)
    # Reads that return a secret value (a secret, a decryption): the deploy role's only.
    value_read: tuple[str, ...] = ()


def _statement(sid: str, actions: Sequence[str], resources: Sequence[str], condition: Condition) -> iam.Statement:
    statement = iam.allow(sid, actions, resources)
    if condition:
        statement["Condition"] = {op: dict(values) for op, values in sorted(condition.items())}
    return statement


def _merge(a: Condition, b: Condition) -> Condition:
    merged: dict[str, dict[str, Any]] = {op: dict(values) for op, values in a.items()}
    for op, values in b.items():
        merged.setdefault(op, {}).update(values)
    return merged


def deploy_statements_of(grants: Sequence[Grant]) -> list[iam.Statement]:
    statements = []
    for g in grants:
        reads = (*g.read, *g.value_read)
        if reads and g.write and not g.write_condition:
            statements.append(_statement(g.sid, [*reads, *g.write], g.resources, g.condition))
            continue
        if reads:
            statements.append(_statement(f"{g.sid}Read" if g.write else g.sid, reads, g.resources, g.condition))
        if g.write:
            condition = _merge(g.condition, g.write_condition)
            statements.append(_statement(f"{g.sid}Write" if reads else g.sid, g.write, g.resources, condition))
    return statements


def preview_statements_of(grants: Sequence[Grant]) -> list[iam.Statement]:
    return [_statement(g.sid, g.read, g.resources, g.condition) for g in grants if g.read]


def stack_grants(scope: StackScope, settings: StackFile) -> list[Grant]:
    """Everything `pulumi up`, `pulumi destroy`, `pulumi preview --refresh` and the smoke test of
    one stack call, by service, each on the stack's own resources."""
    p, at, account = scope.prefix, scope.at, scope.account_id
    functions = scope.functions
    stack_function = {"ArnLike": {"lambda:FunctionArn": functions}}
    owner_tags = {f"aws:ResourceTag/{k}": v for k, v in scope.tags.items()}
    request_tags = {f"aws:RequestTag/{k}": v for k, v in scope.tags.items()}
    same_account = {"StringEquals": {"s3:ResourceAccount": account}}
    grants = [
        Grant(
            "LambdaFunctions",
            (functions,),
            read=(
                "lambda:GetAlias",
                "lambda:GetFunction",
                "lambda:GetFunctionConfiguration",
                "lambda:GetFunctionCodeSigningConfig",
                "lambda:GetFunctionConcurrency",
                "lambda:GetFunctionEventInvokeConfig",
                "lambda:GetFunctionRecursionConfig",
                "lambda:GetFunctionScalingConfig",
                "lambda:GetFunctionUrlConfig",
                "lambda:GetPolicy",
                "lambda:GetProvisionedConcurrencyConfig",
                "lambda:GetRuntimeManagementConfig",
                "lambda:ListAliases",
                "lambda:ListTags",
                "lambda:ListVersionsByFunction",
            ),
            write=(
                "lambda:CreateAlias",
                "lambda:DeleteAlias",
                "lambda:DeleteFunction",
                "lambda:DeleteFunctionConcurrency",
                "lambda:DeleteFunctionEventInvokeConfig",
                "lambda:DeleteFunctionUrlConfig",
                "lambda:DeleteProvisionedConcurrencyConfig",
                # The smoke test (scripts/smoke-test) invokes the stack's functions after a deploy.
                "lambda:InvokeFunction",
                "lambda:PublishVersion",
                "lambda:PutFunctionConcurrency",
                "lambda:PutFunctionEventInvokeConfig",
                "lambda:PutFunctionScalingConfig",
                "lambda:PutProvisionedConcurrencyConfig",
                "lambda:RemovePermission",
                "lambda:TagResource",
                "lambda:UntagResource",
                # The release step moves the live alias (release/step.py).
                "lambda:UpdateAlias",
                "lambda:UpdateFunctionCode",
                "lambda:UpdateFunctionEventInvokeConfig",
            ),
        ),
        # No function in a VPC (the key is absent without a VpcConfig): none reaches another
        # stack's network. Managed Instances functions run in their capacity provider's VPC.
        Grant(
            "LambdaFunctionsOutsideVpcs",
            (functions,),
            write=("lambda:CreateFunction", "lambda:UpdateFunctionConfiguration"),
            write_condition={"Null": {"lambda:VpcIds": "true"}},
        ),
        _invoke_permission_grant(functions, settings),
        Grant(
            "LambdaFunctionUrls",
            (functions,),
            write=("lambda:CreateFunctionUrlConfig", "lambda:UpdateFunctionUrlConfig"),
            write_condition={"StringEquals": {"lambda:FunctionUrlAuthType": list(_url_auth_types(settings))}},
        ),
        # Mappings have generated ids: scoped by the function they invoke. Creating one has no
        # resource type at all (`*`), only this condition.
        Grant(
            "LambdaCreateEventSourceMappings",
            ("*",),
            write=("lambda:CreateEventSourceMapping",),
            condition=stack_function,
        ),
        Grant(
            "LambdaEventSourceMappings",
            (f"arn:aws:lambda:{at}:event-source-mapping:*",),
            read=("lambda:GetEventSourceMapping",),
            write=("lambda:DeleteEventSourceMapping", "lambda:UpdateEventSourceMapping"),
            condition=stack_function,
        ),
        # Reading a mapping's tags has no condition key for its function (a read of tags only).
        Grant(
            "LambdaEventSourceMappingTags", (f"arn:aws:lambda:{at}:event-source-mapping:*",), read=("lambda:ListTags",)
        ),
        Grant(
            "IamRoles",
            (f"arn:aws:iam::{account}:role/{p}-*",),
            read=(
                "iam:GetRole",
                "iam:GetRolePolicy",
                "iam:ListAttachedRolePolicies",
                "iam:ListInstanceProfilesForRole",
                "iam:ListRolePolicies",
                "iam:ListRoleTags",
            ),
            write=("iam:TagRole", "iam:UntagRole"),
        ),
        # Function roles (`<function>-role`): every change to one's permissions or trust needs the
        # stack's function boundary on it, and one is created only with it. Whatever its trust
        # policy says, such a role can do nothing outside the stack's functions.
        Grant(
            "IamFunctionRoles",
            (f"arn:aws:iam::{account}:role/{p}-*{ROLE_SUFFIX}",),
            write=(
                "iam:CreateRole",
                "iam:DeleteRole",
                "iam:DeleteRolePolicy",
                "iam:PutRolePermissionsBoundary",
                "iam:PutRolePolicy",
                "iam:UpdateAssumeRolePolicy",
                "iam:UpdateRole",
                "iam:UpdateRoleDescription",
            ),
            write_condition={"StringEquals": {"iam:PermissionsBoundary": scope.boundary_arn}},
        ),
        Grant(
            "IamPassRolesToLambda",
            (f"arn:aws:iam::{account}:role/{p}-*",),
            write=("iam:PassRole",),
            write_condition={"StringEquals": {"iam:PassedToService": LAMBDA_SERVICE}},
        ),
        # CodeDeploy's service role, ci_access's (codedeploy_role_policy), given to the deployment groups.
        Grant(
            "IamPassRoleToCodeDeploy",
            (scope.codedeploy_role_arn,),
            write=("iam:PassRole",),
            write_condition={"StringEquals": {"iam:PassedToService": CODEDEPLOY_SERVICE}},
        ),
        # Gradual releases: the stack's CodeDeploy application (named `<project>-<stack>`), its
        # deployment groups (one per function, named after it), and the deployments the release step
        # creates in them from AWS's predefined configurations.
        Grant(
            "CodeDeployApplication",
            (f"arn:aws:codedeploy:{at}:application:{p}",),
            read=("codedeploy:GetApplication", "codedeploy:GetApplicationRevision", "codedeploy:ListTagsForResource"),
            write=(
                "codedeploy:CreateApplication",
                "codedeploy:DeleteApplication",
                "codedeploy:RegisterApplicationRevision",
                "codedeploy:TagResource",
                "codedeploy:UntagResource",
            ),
        ),
        Grant(
            "CodeDeployGroups",
            (f"arn:aws:codedeploy:{at}:deploymentgroup:{p}/{p}-*",),
            read=(
                "codedeploy:GetDeployment",
                "codedeploy:GetDeploymentGroup",
                "codedeploy:ListDeployments",
                "codedeploy:ListTagsForResource",
            ),
            write=(
                "codedeploy:CreateDeployment",
                "codedeploy:CreateDeploymentGroup",
                "codedeploy:DeleteDeploymentGroup",
                "codedeploy:TagResource",
                "codedeploy:UntagResource",
                "codedeploy:UpdateDeploymentGroup",
            ),
        ),
        # The release step stops its own deployment when it gives up waiting (CodeDeploy allows one
        # active deployment per group). StopDeployment has no resource type and no condition key
        # (Service Authorization Reference, "Actions defined by AWS CodeDeploy"), so it is granted on
        # `*`: a stack's deploy role could stop another stack's deployment, which rolls it back. An
        # availability risk only, accepted and listed in docs/security.md.
        Grant("CodeDeployStopDeployments", ("*",), write=("codedeploy:StopDeployment",)),
        Grant(
            "CodeDeployConfigs",
            (f"arn:aws:codedeploy:{at}:deploymentconfig:CodeDeployDefault.Lambda*",),
            read=("codedeploy:GetDeploymentConfig",),
        ),
        # With and without a trailing `:*` (tagging actions name the group without it): `*` covers both.
        Grant(
            "LogGroups",
            (f"arn:aws:logs:{at}:log-group:/aws/lambda/{p}-*", f"arn:aws:logs:{at}:log-group:/aws/apigateway/{p}-*"),
            read=("logs:ListTagsForResource", "logs:ListTagsLogGroup"),
            write=(
                "logs:CreateLogGroup",
                "logs:DeleteLogGroup",
                "logs:DeleteRetentionPolicy",
                "logs:PutRetentionPolicy",
                "logs:TagResource",
                "logs:UntagResource",
            ),
        ),
        Grant(
            "SqsQueues",
            (f"arn:aws:sqs:{at}:{p}-*",),
            read=("sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ListQueueTags"),
            write=("sqs:CreateQueue", "sqs:DeleteQueue", "sqs:SetQueueAttributes", "sqs:TagQueue", "sqs:UntagQueue"),
        ),
        # Bucket configuration only: no object actions (an object-holding bucket is never force-deleted).
        Grant(
            "S3Buckets",
            (f"arn:aws:s3:::{p}-*",),
            read=(
                "s3:GetAccelerateConfiguration",
                "s3:GetBucketAcl",
                "s3:GetBucketCORS",
                "s3:GetBucketLocation",
                "s3:GetBucketLogging",
                "s3:GetBucketNotification",
                "s3:GetBucketObjectLockConfiguration",
                "s3:GetBucketOwnershipControls",
                "s3:GetBucketPolicy",
                "s3:GetBucketPublicAccessBlock",
                "s3:GetBucketRequestPayment",
                "s3:GetBucketTagging",
                "s3:GetBucketVersioning",
                "s3:GetBucketWebsite",
                "s3:GetEncryptionConfiguration",
                "s3:GetLifecycleConfiguration",
                "s3:GetReplicationConfiguration",
                "s3:ListBucket",
            ),
            write=(
                "s3:CreateBucket",
                "s3:DeleteBucket",
                "s3:DeleteBucketPolicy",
                "s3:PutBucketNotification",
                "s3:PutBucketOwnershipControls",
                "s3:PutBucketPolicy",
                "s3:PutBucketPublicAccessBlock",
                "s3:PutBucketTagging",
                "s3:PutBucketVersioning",
                "s3:PutEncryptionConfiguration",
                "s3:PutLifecycleConfiguration",
            ),
            condition=same_account,
        ),
        Grant(
            "DynamoDbTables",
            (f"arn:aws:dynamodb:{at}:table/{p}-*",),
            read=(
                "dynamodb:DescribeContinuousBackups",
                "dynamodb:DescribeTable",
                "dynamodb:DescribeTimeToLive",
                "dynamodb:ListTagsOfResource",
            ),
            write=(
                "dynamodb:CreateTable",
                "dynamodb:DeleteTable",
                "dynamodb:TagResource",
                "dynamodb:UntagResource",
                "dynamodb:UpdateContinuousBackups",
                "dynamodb:UpdateTable",
                "dynamodb:UpdateTimeToLive",
            ),
        ),
        # Reading a secret version reads its value: the deploy role's only, never a preview's.
        Grant(
            "Secrets",
            (f"arn:aws:secretsmanager:{at}:secret:{p}/*",),
            read=("secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy"),
            value_read=("secretsmanager:GetSecretValue",),
            write=(
                "secretsmanager:CreateSecret",
                "secretsmanager:DeleteSecret",
                "secretsmanager:PutSecretValue",
                "secretsmanager:TagResource",
                "secretsmanager:UntagResource",
                "secretsmanager:UpdateSecret",
            ),
        ),
        Grant(
            "EventRules",
            (f"arn:aws:events:{at}:rule/{p}-*",),
            read=("events:DescribeRule", "events:ListTagsForResource", "events:ListTargetsByRule"),
            write=(
                "events:DeleteRule",
                "events:PutRule",
                "events:RemoveTargets",
                "events:TagResource",
                "events:UntagResource",
            ),
        ),
        # A rule's targets: the stack's functions only, never e.g. another account's event bus.
        # events:TargetArn holds every target of the request (not their dead-letter queues).
        Grant(
            "EventTargets",
            (f"arn:aws:events:{at}:rule/{p}-*",),
            write=("events:PutTargets",),
            write_condition={
                "ForAllValues:ArnLike": {"events:TargetArn": [functions]},
                "Null": {"events:TargetArn": "false"},
            },
        ),
        # HTTP APIs have generated ids: created with the stack's tags, changed while they carry them.
        Grant(
            "HttpApiCreate",
            (f"arn:aws:apigateway:{scope.region}::/apis",),
            write=("apigateway:POST",),
            write_condition={"StringEquals": request_tags},
        ),
        Grant(
            "HttpApis",
            (f"arn:aws:apigateway:{scope.region}::/apis/*",),
            read=("apigateway:GET",),
            write=("apigateway:DELETE", "apigateway:PATCH", "apigateway:POST", "apigateway:PUT"),
            condition={"StringEquals": owner_tags},
        ),
        # Tagging: only the stack's own APIs, never with another owner, never dropping the owner tags.
        Grant(
            "HttpApiTags",
            (f"arn:aws:apigateway:{scope.region}::/tags/*",),
            read=("apigateway:GET",),
            condition={"StringEquals": owner_tags},
        ),
        Grant(
            "HttpApiTagWrites",
            (f"arn:aws:apigateway:{scope.region}::/tags/*",),
            write=("apigateway:POST", "apigateway:PUT"),
            write_condition={"StringEquals": {**owner_tags, **request_tags}},
        ),
        Grant(
            "HttpApiUntag",
            (f"arn:aws:apigateway:{scope.region}::/tags/*",),
            write=("apigateway:DELETE",),
            write_condition={
                "StringEquals": owner_tags,
                "ForAllValues:StringNotEquals": {"aws:TagKeys": list(OWNER_TAG_KEYS)},
            },
        ),
        Grant(
            "Alarms",
            (f"arn:aws:cloudwatch:{at}:alarm:{p}-*",),
            read=("cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"),
            write=(
                "cloudwatch:DeleteAlarms",
                "cloudwatch:PutMetricAlarm",
                "cloudwatch:TagResource",
                "cloudwatch:UntagResource",
            ),
        ),
        Grant(
            "Dashboards",
            (f"arn:aws:cloudwatch::{account}:dashboard/{p}",),
            read=("cloudwatch:GetDashboard",),
            write=("cloudwatch:DeleteDashboards", "cloudwatch:PutDashboard"),
        ),
        # PublishLayerVersion names the layer; reading and deleting name one of its versions.
        Grant("LambdaLayers", (f"arn:aws:lambda:{at}:layer:{p}-*",), write=("lambda:PublishLayerVersion",)),
        Grant(
            "LambdaLayerVersions",
            (f"arn:aws:lambda:{at}:layer:{p}-*:*",),
            read=("lambda:GetLayerVersion",),
            write=("lambda:DeleteLayerVersion",),
        ),
        Grant(
            "SnsTopics",
            (f"arn:aws:sns:{at}:{p}-*",),
            read=("sns:GetTopicAttributes", "sns:ListTagsForResource"),
            write=(
                "sns:CreateTopic",
                "sns:DeleteTopic",
                "sns:SetTopicAttributes",
                "sns:TagResource",
                "sns:UntagResource",
            ),
        ),
    ]
    if settings.secret_kms_key_arn:
        grants.append(_secret_key_grant(scope, settings.secret_kms_key_arn))
    if settings.managed_instances:
        grants.extend(_managed_instances_grants(scope, settings))
        grants.extend(_vpc_endpoint_grants(scope, settings))
    if settings.collector_layer_arn:
        grants.append(Grant("CollectorLayer", (settings.collector_layer_arn,), read=("lambda:GetLayerVersion",)))
    return grants


def _invoke_permission_grant(functions: str, settings: StackFile) -> Grant:
    """Invoke permissions for the services the program's triggers use; for anyone (`*`) only in a
    stack whose file opts in to public function URLs, and function URL permissions (which name an
    auth type) for AWS_IAM URLs only otherwise."""
    if settings.public_function_urls:
        condition: Condition = {"StringEquals": {"lambda:Principal": [*INVOKE_PRINCIPALS, PUBLIC_PRINCIPAL]}}
    else:
        condition = {
            "StringEquals": {"lambda:Principal": list(INVOKE_PRINCIPALS)},
            "StringEqualsIfExists": {"lambda:FunctionUrlAuthType": IAM_AUTH},
        }
    return Grant("LambdaInvokePermissions", (functions,), write=("lambda:AddPermission",), write_condition=condition)


def _url_auth_types(settings: StackFile) -> tuple[str, ...]:
    return (IAM_AUTH, NO_AUTH) if settings.public_function_urls else (IAM_AUTH,)


def _secret_key_grant(scope: StackScope, key_arn: str) -> Grant:
    """The stack's own KMS key for secrets, used only by Secrets Manager for the stack's secrets."""
    return Grant(
        "SecretsKey",
        (key_arn,),
        read=("kms:DescribeKey",),
        value_read=("kms:Decrypt",),
        write=("kms:Encrypt", "kms:GenerateDataKey"),
        condition={"StringEquals": {"kms:ViaService": f"secretsmanager.{scope.region}.amazonaws.com"}},
    )


def _managed_instances_grants(scope: StackScope, settings: StackFile) -> list[Grant]:
    """The stack's capacity provider (named after the stack itself, `<project>-<stack>`), created
    only in the stack's own subnets and security groups (the keys list every id of the request;
    UpdateCapacityProvider changes scaling only), and its operator role, with the operator
    boundary and AWS's managed policy for it only."""
    at, account, p = scope.at, scope.account_id, scope.prefix
    provider = f"arn:aws:lambda:{at}:capacity-provider:{p}"
    operator = f"arn:aws:iam::{account}:role/{p}{OPERATOR_SUFFIX}"
    operator_boundary = {"iam:PermissionsBoundary": scope.operator_boundary_arn}
    return [
        Grant(
            "LambdaCapacityProvider",
            (provider,),
            read=("lambda:GetCapacityProvider", "lambda:ListFunctionVersionsByCapacityProvider", "lambda:ListTags"),
            write=(
                "lambda:DeleteCapacityProvider",
                "lambda:PassCapacityProvider",
                "lambda:TagResource",
                "lambda:UntagResource",
                "lambda:UpdateCapacityProvider",
            ),
        ),
        Grant(
            "LambdaCreateCapacityProvider",
            (provider,),
            write=("lambda:CreateCapacityProvider",),
            write_condition={
                "ForAllValues:StringEquals": {
                    "lambda:SubnetIds": list(settings.subnet_ids),
                    "lambda:SecurityGroupIds": list(settings.security_group_ids),
                },
                "Null": {"lambda:SubnetIds": "false", "lambda:SecurityGroupIds": "false"},
            },
        ),
        Grant(
            "IamOperatorRole",
            (operator,),
            write=(
                "iam:CreateRole",
                "iam:DeleteRole",
                "iam:DeleteRolePolicy",
                "iam:DetachRolePolicy",
                "iam:PutRolePermissionsBoundary",
                "iam:UpdateAssumeRolePolicy",
                "iam:UpdateRole",
                "iam:UpdateRoleDescription",
            ),
            write_condition={"StringEquals": operator_boundary},
        ),
        # Managed policies: only the one the operator role needs, never e.g. AdministratorAccess.
        Grant(
            "IamAttachOperatorPolicy",
            (operator,),
            write=("iam:AttachRolePolicy",),
            write_condition={
                "StringEquals": operator_boundary,
                "ArnEquals": {"iam:PolicyARN": list(ATTACHABLE_POLICY_ARNS)},
            },
        ),
    ]


def _vpc_endpoint_grants(scope: StackScope, settings: StackFile) -> list[Grant]:
    """The DynamoDB gateway endpoint of Managed Instances: created with the stack's tags, for the
    services the program uses, in the stack's VPC on its route tables, and changed only while it
    carries the tags."""
    at = scope.at
    endpoint = f"arn:aws:ec2:{at}:vpc-endpoint/*"
    network = (
        f"arn:aws:ec2:{at}:vpc/{settings.vpc_id}",
        *(f"arn:aws:ec2:{at}:route-table/{rtb}" for rtb in settings.route_table_ids),
    )
    owner_tags = {f"aws:ResourceTag/{k}": v for k, v in scope.tags.items()}
    services = [f"com.amazonaws.{scope.region}.{service}" for service in VPC_ENDPOINT_SERVICES]
    return [
        Grant(
            "VpcEndpointCreate",
            (endpoint,),
            write=("ec2:CreateVpcEndpoint",),
            write_condition={
                "StringEquals": {
                    **{f"aws:RequestTag/{k}": v for k, v in scope.tags.items()},
                    "ec2:VpceServiceName": services,
                }
            },
        ),
        Grant(
            "VpcEndpointTagOnCreate",
            (endpoint,),
            write=("ec2:CreateTags",),
            write_condition={"StringEquals": {"ec2:CreateAction": "CreateVpcEndpoint"}},
        ),
        Grant(
            "VpcEndpointManage",
            (endpoint,),
            write=("ec2:CreateTags", "ec2:DeleteVpcEndpoints", "ec2:ModifyVpcEndpoint"),
            write_condition={"StringEquals": owner_tags},
        ),
        Grant(
            "VpcEndpointUntag",
            (endpoint,),
            write=("ec2:DeleteTags",),
            write_condition={
                "StringEquals": owner_tags,
                "ForAllValues:StringNotEquals": {"aws:TagKeys": list(OWNER_TAG_KEYS)},
            },
        ),
        Grant("VpcEndpointNetwork", network, write=("ec2:CreateVpcEndpoint", "ec2:ModifyVpcEndpoint")),
        # EC2's Describe calls take no resource narrower than `*` (named in a test).
        Grant(
            "VpcEndpointDescribe",
            ("*",),
            read=("ec2:DescribePrefixLists", "ec2:DescribeRouteTables", "ec2:DescribeVpcEndpoints", "ec2:DescribeVpcs"),
        ),
    ]


def account_wide_grant() -> Grant:
    """Actions AWS authorizes on `*` only (tests/ci_access/test_plan_permissions.py checks each):
    CloudWatch Logs' DescribeLogGroups, the log-delivery actions HTTP API access logging needs
    (API Gateway developer guide, "Configuring logging for an HTTP API"), and the saved Logs
    Insights queries' actions (a query definition has no ARN to scope them to). Not
    logs:PutResourcePolicy: ci_access's log delivery policy (ci_access.account) already lets
    CloudWatch Logs deliver to the stacks' access logs, so the delivery changes no account policy."""
    return Grant(
        "AccountWide",
        ("*",),
        read=(
            "logs:DescribeLogGroups",
            "logs:DescribeQueryDefinitions",
            "logs:DescribeResourcePolicies",
            "logs:GetLogDelivery",
            "logs:ListLogDeliveries",
        ),
        write=(
            "logs:CreateLogDelivery",
            "logs:DeleteLogDelivery",
            "logs:DeleteQueryDefinition",
            "logs:PutQueryDefinition",
            "logs:UpdateLogDelivery",
        ),
    )


# Denies every IAM action: no role of a stack can change a role, a policy or a boundary.
NO_IAM: iam.Statement = {"Sid": "NoIam", "Effect": "Deny", "Action": "iam:*", "Resource": "*"}


def permissions_boundary(scope: StackScope) -> str:
    """The most a function role of the stack may do: its functions' runtime calls on the stack's
    own resources, and only when one of the stack's functions makes them. Lambda puts the calling
    function's ARN in every request made with the role's credentials from the execution
    environment, and in its own log and trace writes (lambda:SourceFunctionArn); the role's
    credentials used anywhere else carry no such key and are denied, except the calls Lambda makes
    for the function without it (LAMBDA_SERVICE_CALLS, on the stack's queues) and calls an AWS
    service makes on the function's behalf (Secrets Manager decrypting with KMS), whose first call
    carried it. No IAM at all."""
    p, at, account = scope.prefix, scope.at, scope.account_id
    statements: list[iam.Statement] = [
        iam.allow(
            "FunctionLogs",
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            [f"arn:aws:logs:{at}:log-group:/aws/lambda/{p}-*"],
        ),
        iam.allow("Tracing", list(iam.XRAY_ACTIONS), ["*"]),
        iam.allow(
            "Tables",
            [
                "dynamodb:BatchGetItem",
                "dynamodb:BatchWriteItem",
                "dynamodb:ConditionCheckItem",
                "dynamodb:DeleteItem",
                "dynamodb:DescribeTable",
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:Query",
                "dynamodb:Scan",
                "dynamodb:UpdateItem",
            ],
            [f"arn:aws:dynamodb:{at}:table/{p}-*"],
        ),
        {
            **iam.allow(
                "Objects",
                [
                    "s3:AbortMultipartUpload",
                    "s3:DeleteObject",
                    "s3:GetObject",
                    "s3:GetObjectVersion",
                    "s3:ListBucket",
                    "s3:ListMultipartUploadParts",
                    "s3:PutObject",
                ],
                [f"arn:aws:s3:::{p}-*"],
            ),
            "Condition": {"StringEquals": {"s3:ResourceAccount": account}},
        },
        iam.allow(
            "Queues",
            [
                "sqs:ChangeMessageVisibility",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:GetQueueUrl",
                "sqs:ReceiveMessage",
                "sqs:SendMessage",
            ],
            [f"arn:aws:sqs:{at}:{p}-*"],
        ),
        iam.allow(
            "Secrets",
            ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
            [f"arn:aws:secretsmanager:{at}:secret:{p}/*"],
        ),
        {
            **iam.allow("SecretsKeys", ["kms:Decrypt"], [f"arn:aws:kms:{at}:key/*"]),
            # Only as part of a Secrets Manager call, which the Secrets statement limits to the
            # stack's secrets.
            "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{scope.region}.amazonaws.com"}},
        },
        {
            "Sid": "OnlyTheStacksFunctions",
            "Effect": "Deny",
            "NotAction": sorted(LAMBDA_SERVICE_CALLS),
            "Resource": "*",
            "Condition": {
                "ArnNotLike": {"lambda:SourceFunctionArn": scope.functions},
                "BoolIfExists": {"aws:ViaAWSService": "false"},
            },
        },
        NO_IAM,
    ]
    return iam.document(statements)


# The operator role is named `<capacity provider>-operator` (components/managed_instances.py), and
# the capacity provider after the stack (`<project>-<stack>`).
OPERATOR_SUFFIX = "-operator"
# Lambda's scaler, which launches a capacity provider's instances with the operator role.
LAMBDA_SCALER = "scaler.lambda.amazonaws.com"
# The EC2 reads of AWSLambdaManagedEC2ResourceOperator, which take no resource narrower than `*`.
OPERATOR_DESCRIBES = (
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribeCapacityReservations",
    "ec2:DescribeInstanceStatus",
    "ec2:DescribeInstanceTypeOfferings",
    "ec2:DescribeInstanceTypes",
    "ec2:DescribeInstances",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
)


def operator_boundary(scope: StackScope, settings: StackFile) -> str:
    """The most the stack's Managed Instances operator role may do: AWSLambdaManagedEC2ResourceOperator's
    grants in this account and region, with instances launched only by Lambda's scaler
    (ec2:ManagedResourceOperator, which no other caller can claim) and only in the stack's own
    subnets and security groups. Outside Lambda, the role can only describe EC2. No IAM at all."""
    ec2 = f"arn:aws:ec2:{scope.at}"
    network = [
        *(f"{ec2}:subnet/{subnet}" for subnet in settings.subnet_ids),
        *(f"{ec2}:security-group/{group}" for group in settings.security_group_ids),
    ]
    if not network:
        raise ValueError(
            f"Pulumi.{settings.stack}.yaml turns Managed Instances on without subnetIds and securityGroupIds: "
            "set both under managedInstances"
        )
    statements: list[iam.Statement] = [
        {
            **iam.allow(
                "ManagedInstancesLaunch",
                ["ec2:AttachNetworkInterface", "ec2:CreateTags", "ec2:RunInstances"],
                [f"{ec2}:instance/*", f"{ec2}:network-interface/*", f"{ec2}:volume/*"],
            ),
            "Condition": {"StringEquals": {"ec2:ManagedResourceOperator": LAMBDA_SCALER}},
        },
        iam.allow("ManagedInstancesNetwork", ["ec2:CreateNetworkInterface", "ec2:RunInstances"], network),
        {
            **iam.allow("ManagedInstancesImages", ["ec2:RunInstances"], [f"arn:aws:ec2:{scope.region}::image/*"]),
            "Condition": {"StringEquals": {"ec2:Owner": "amazon"}},
        },
        iam.allow("ManagedInstancesDescribe", OPERATOR_DESCRIBES, ["*"]),
        NO_IAM,
    ]
    return iam.document(statements)


def codedeploy_trust_policy(scope: StackScope) -> str:
    """CodeDeploy's role is trusted by CodeDeploy of the stack's account only."""
    return iam.codedeploy_trust_policy(scope.account_id)


def codedeploy_role_policy(scope: StackScope) -> str:
    """What CodeDeploy needs to shift the stack's live aliases and watch its alarms (model.iam)."""
    return iam.document(iam.codedeploy_statements(scope.account_id, scope.region, scope.prefix))


@dataclass(frozen=True)
class StateBackend:
    """A self-managed Pulumi backend: the S3 bucket of the state (in `region`, encrypted with the
    KMS key `bucket_key_arn`) and each stack's KMS key for its secrets (the stack's secrets
    provider, `awskms://alias/...`)."""

    bucket_arn: str
    bucket_key_arn: str
    region: str
    key_arns: Mapping[str, str]  # stack -> KMS key ARN


def state_grants(state: StateBackend, project: str, stack: str) -> list[Grant]:
    """One stack's objects in the DIY backend's layout (pulumi/pkg/backend/diy: stacks, history,
    backups, journal and locks per project and stack) and its secrets key. Preview takes no lock."""
    bucket = state.bucket_arn
    objects = (
        f"{bucket}/.pulumi/stacks/{project}/{stack}.json*",
        f"{bucket}/.pulumi/history/{project}/{stack}/*",
        f"{bucket}/.pulumi/backups/{project}/{stack}/*",
        f"{bucket}/.pulumi/journal/{project}/{stack}/*",
        f"{bucket}/.pulumi/locks/organization/{project}/{stack}/*",
    )
    return [
        Grant("StateObjects", objects, read=("s3:GetObject",), write=("s3:DeleteObject", "s3:PutObject")),
        Grant("StateKey", (state.key_arns[stack],), read=("kms:Decrypt",), write=("kms:Encrypt",)),
    ]


def state_bucket_grants(state: StateBackend) -> list[Grant]:
    """The bucket's listing (object names only) and its metadata file, for every role, and the
    bucket's encryption key, through S3 only (objects are encrypted with it: reading one decrypts,
    writing one makes a data key)."""
    return [
        Grant(
            "StateBucket",
            (state.bucket_arn, f"{state.bucket_arn}/.pulumi/meta.yaml"),
            read=("s3:GetObject", "s3:ListBucket"),
        ),
        Grant(
            "StateBucketKey",
            (state.bucket_key_arn,),
            read=("kms:Decrypt",),
            write=("kms:GenerateDataKey",),
            condition={"StringEquals": {"kms:ViaService": f"s3.{state.region}.amazonaws.com"}},
        ),
    ]


def deploy_policy(scope: StackScope, settings: StackFile, state: StateBackend | None = None) -> str:
    grants = [*stack_grants(scope, settings), account_wide_grant()]
    if state is not None:
        grants += [*state_bucket_grants(state), *state_grants(state, scope.project, scope.stack)]
    return iam.document(deploy_statements_of(grants))


def preview_policy(scope: StackScope, settings: StackFile, state: StateBackend | None = None) -> str:
    """The reads of one stack (no secret value) and of its state; the state's secrets key decrypts
    the stack's config secrets, which the program reads at preview."""
    grants = [*stack_grants(scope, settings), account_wide_grant()]
    if state is not None:
        grants += [*state_bucket_grants(state), *state_grants(state, scope.project, scope.stack)]
    return iam.document(preview_statements_of(grants))


# IAM: a customer managed policy holds at most 6,144 characters (whitespace not counted); a role's
# inline policies 10,240 together, too few for a deploy role, so each role gets POLICY_PARTS
# managed policies (a role may have 10).
MANAGED_POLICY_MAX_CHARS = 6144
POLICY_PARTS = 3


def policy_size(document: str) -> int:
    """The size IAM counts: the JSON without whitespace."""
    return len("".join(document.split()))


def split_policy(document: str, parts: int = POLICY_PARTS) -> list[str]:
    """The statements of `document` spread over `parts` documents of about equal size (largest
    first, each into the smallest so far), each within a managed policy's size."""
    statements = json.loads(document)["Statement"]
    if len(statements) < parts:
        raise ValueError(f"a policy of {len(statements)} statements cannot fill {parts} managed policies")
    bins: list[list[iam.Statement]] = [[] for _ in range(parts)]
    for statement in sorted(statements, key=lambda s: policy_size(json.dumps(s)), reverse=True):
        min(bins, key=lambda b: policy_size(json.dumps(b))).append(statement)
    documents = [iam.document(sorted(b, key=lambda s: str(s.get("Sid")))) for b in bins]
    for part in documents:
        if policy_size(part) > MANAGED_POLICY_MAX_CHARS:
            raise ValueError(
                f"a part of the policy has {policy_size(part)} characters, more than a managed policy's "
                f"{MANAGED_POLICY_MAX_CHARS}: raise POLICY_PARTS"
            )
    return documents
