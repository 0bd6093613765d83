"""GithubDeployRole: the IAM role GitHub Actions assumes (OIDC) to deploy this project's stacks.

Owns: the account's OIDC provider for GitHub Actions (https://token.actions.githubusercontent.com,
audience sts.amazonaws.com), unless an existing one is passed in (an account has at most one per
URL); the role, which only that provider may assume, only with the sts.amazonaws.com audience and
only for the exact subjects allowed (branches, GitHub environments and, when enabled, pull
requests of one repository); and the role's permissions policy: the explicit actions `pulumi up`
needs to manage this project's resources, each scoped to the project's name prefix wherever the
service supports it.

The policy documents are pure functions (no Pulumi), tested on their own.

The permissions assume the stack's naming: every resource it creates is named `<project>-...`
(functions, roles, log groups `/aws/lambda/<project>-...` and `/aws/apigateway/<project>-...`,
queues, buckets, tables, secrets, rules, alarms, topics, capacity providers), and its VPC
endpoints carry the tag `project=<project>` (the stack tags every resource so). The role itself is
named `github-deploy-<project>`, outside that prefix, so it cannot change its own permissions.

Pull requests (`pull_requests=True`) are meant for `pulumi preview` only, but the role cannot tell
a preview from an update: anyone who can push a branch and open a pull request can then deploy.
Leave it off unless that is acceptable, or give previews a separate read-only role.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from model import iam

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_OIDC_URL = f"https://{GITHUB_OIDC_HOST}"
STS_AUDIENCE = "sts.amazonaws.com"
# The only AWS managed policy the stack attaches to its roles (the capacity provider's operator role).
ATTACHABLE_POLICY_ARNS = ("arn:aws:iam::aws:policy/AWSLambdaManagedEC2ResourceOperator",)

# GitHub: an owner is 1-39 letters, digits or inner hyphens; a repository name is letters, digits, `.`, `_`, `-`.
_REPOSITORY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?/[A-Za-z0-9._-]{1,100}$")
_PROVIDER_ARN = re.compile(rf"^arn:aws[a-z-]*:iam::\d{{12}}:oidc-provider/{re.escape(GITHUB_OIDC_HOST)}$")
_PROJECT = re.compile(r"^[a-z0-9][a-z0-9-]{0,30}$")


# Actions AWS authorizes on `*` only (statement AccountWideActions; the comment there says why).
UNSCOPABLE_ACTIONS = (
    "ec2:DescribeVpcEndpoints",
    "ec2:DescribePrefixLists",
    "ec2:DescribeRouteTables",
    "cloudwatch:DescribeAlarms",
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
)


def validate_repository(repository: str) -> str:
    if not _REPOSITORY.match(repository) or repository.split("/")[1] in (".", ".."):
        raise ValueError(f"repository {repository!r} is invalid: set the GitHub repository as owner/name")
    return repository


def subjects(repository: str, branches: Sequence[str], environments: Sequence[str], pull_requests: bool) -> list[str]:
    """The `sub` claims GitHub puts in the OIDC tokens of the jobs allowed to deploy.

    A job that names an environment gets `repo:<repo>:environment:<env>`; any other job on a branch
    gets `repo:<repo>:ref:refs/heads/<branch>`; a pull_request workflow gets `repo:<repo>:pull_request`.
    """
    validate_repository(repository)
    for key, values in (("branches", branches), ("environments", environments)):
        for value in values:
            if not value or any(c in value for c in "*?") or value != value.strip():
                raise ValueError(
                    f"{key} entry {value!r} is invalid: set an exact name (no wildcards, no spaces around)"
                )
    if not branches and not environments:
        # Pull requests alone would make a deploy role that only pull requests can use.
        raise ValueError("branches and environments are both empty: allow at least one branch or environment")
    allowed = [f"repo:{repository}:ref:refs/heads/{branch}" for branch in branches]
    allowed += [f"repo:{repository}:environment:{environment}" for environment in environments]
    if pull_requests:
        allowed.append(f"repo:{repository}:pull_request")
    return sorted(set(allowed))


def github_trust_policy(provider_arn: str, allowed_subjects: Sequence[str]) -> str:
    """Only the GitHub OIDC provider, only for STS, only for exactly these subjects (no wildcards)."""
    return iam.document(
        [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{GITHUB_OIDC_HOST}:aud": STS_AUDIENCE,
                        f"{GITHUB_OIDC_HOST}:sub": sorted(allowed_subjects),
                    }
                },
            }
        ]
    )


def deploy_statements(account_id: str, region: str, project: str) -> list[iam.Statement]:
    """Everything `pulumi up` / `pulumi destroy` of this project's stacks calls, by service."""
    arn = f"{region}:{account_id}"
    prefix = f"{project}-"
    functions = f"arn:aws:lambda:{arn}:function:{prefix}*"  # `*` also covers versions (`...:1`)
    roles = f"arn:aws:iam::{account_id}:role/{prefix}*"
    project_tag = {"StringEquals": {"aws:ResourceTag/project": project}}
    mapped_function = {"ArnLike": {"lambda:FunctionArn": functions}}
    statements: list[iam.Statement] = [
        iam.allow(
            "LambdaFunctions",
            [
                "lambda:CreateFunction",
                "lambda:DeleteFunction",
                "lambda:GetFunction",
                "lambda:GetFunctionConfiguration",
                "lambda:GetFunctionCodeSigningConfig",
                "lambda:UpdateFunctionCode",
                "lambda:UpdateFunctionConfiguration",
                "lambda:PublishVersion",
                "lambda:ListVersionsByFunction",
                "lambda:GetFunctionConcurrency",
                "lambda:PutFunctionConcurrency",
                "lambda:DeleteFunctionConcurrency",
                "lambda:GetPolicy",
                "lambda:AddPermission",
                "lambda:RemovePermission",
                "lambda:CreateFunctionUrlConfig",
                "lambda:GetFunctionUrlConfig",
                "lambda:UpdateFunctionUrlConfig",
                "lambda:DeleteFunctionUrlConfig",
                "lambda:PutFunctionEventInvokeConfig",
                "lambda:GetFunctionEventInvokeConfig",
                "lambda:UpdateFunctionEventInvokeConfig",
                "lambda:DeleteFunctionEventInvokeConfig",
                "lambda:PutFunctionScalingConfig",
                "lambda:GetFunctionScalingConfig",
                "lambda:ListTags",
                "lambda:TagResource",
                "lambda:UntagResource",
            ],
            [functions],
        ),
        iam.allow(
            "LambdaCapacityProviders",
            [
                "lambda:CreateCapacityProvider",
                "lambda:GetCapacityProvider",
                "lambda:UpdateCapacityProvider",
                "lambda:DeleteCapacityProvider",
                "lambda:ListFunctionVersionsByCapacityProvider",
                "lambda:PassCapacityProvider",
                "lambda:ListTags",
                "lambda:TagResource",
                "lambda:UntagResource",
            ],
            [f"arn:aws:lambda:{arn}:capacity-provider:{prefix}*"],
        ),
        # Event source mapping ids are random UUIDs: scoped instead by the function they invoke.
        # CreateEventSourceMapping has no resource type at all (`*`), only this condition.
        {
            **iam.allow("LambdaCreateEventSourceMappings", ["lambda:CreateEventSourceMapping"], ["*"]),
            "Condition": mapped_function,
        },
        {
            **iam.allow(
                "LambdaEventSourceMappings",
                ["lambda:UpdateEventSourceMapping", "lambda:DeleteEventSourceMapping"],
                [f"arn:aws:lambda:{arn}:event-source-mapping:*"],
            ),
            "Condition": mapped_function,
        },
        iam.allow(
            "LambdaReadEventSourceMappings",
            ["lambda:GetEventSourceMapping", "lambda:ListTags", "lambda:TagResource", "lambda:UntagResource"],
            [f"arn:aws:lambda:{arn}:event-source-mapping:*"],
        ),
        iam.allow(
            "IamRoles",
            [
                "iam:CreateRole",
                "iam:DeleteRole",
                "iam:GetRole",
                "iam:UpdateRole",
                "iam:UpdateRoleDescription",
                "iam:UpdateAssumeRolePolicy",
                "iam:TagRole",
                "iam:UntagRole",
                "iam:ListRoleTags",
                "iam:PutRolePolicy",
                "iam:GetRolePolicy",
                "iam:DeleteRolePolicy",
                "iam:ListRolePolicies",
                "iam:ListAttachedRolePolicies",
                "iam:ListInstanceProfilesForRole",
            ],
            [roles],
        ),
        # Managed policies: only the ones the stack attaches, never e.g. AdministratorAccess.
        {
            **iam.allow("IamAttachStackPolicies", ["iam:AttachRolePolicy", "iam:DetachRolePolicy"], [roles]),
            "Condition": {"ArnEquals": {"iam:PolicyARN": list(ATTACHABLE_POLICY_ARNS)}},
        },
        {
            **iam.allow("IamPassRolesToLambda", ["iam:PassRole"], [roles]),
            "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}},
        },
        iam.allow(
            "LogGroups",
            [
                "logs:CreateLogGroup",
                "logs:DeleteLogGroup",
                "logs:PutRetentionPolicy",
                "logs:DeleteRetentionPolicy",
                "logs:ListTagsForResource",
                "logs:TagResource",
                "logs:UntagResource",
            ],
            # Without a trailing `:*` (tagging actions) and with one (the others): `*` covers both.
            [
                f"arn:aws:logs:{arn}:log-group:/aws/lambda/{prefix}*",
                f"arn:aws:logs:{arn}:log-group:/aws/apigateway/{prefix}*",
            ],
        ),
        iam.allow(
            "SqsQueues",
            [
                "sqs:CreateQueue",
                "sqs:DeleteQueue",
                "sqs:GetQueueUrl",
                "sqs:GetQueueAttributes",
                "sqs:SetQueueAttributes",
                "sqs:ListQueueTags",
                "sqs:TagQueue",
                "sqs:UntagQueue",
            ],
            [f"arn:aws:sqs:{arn}:{prefix}*"],
        ),
        # Bucket configuration only: no object actions (an object-holding bucket is never force-deleted).
        iam.allow(
            "S3Buckets",
            [
                "s3:CreateBucket",
                "s3:DeleteBucket",
                "s3:ListBucket",
                "s3:GetBucketLocation",
                "s3:GetBucketAcl",
                "s3:GetBucketCORS",
                "s3:GetBucketWebsite",
                "s3:GetBucketLogging",
                "s3:GetBucketRequestPayment",
                "s3:GetAccelerateConfiguration",
                "s3:GetReplicationConfiguration",
                "s3:GetBucketObjectLockConfiguration",
                "s3:GetBucketVersioning",
                "s3:PutBucketVersioning",
                "s3:GetLifecycleConfiguration",
                "s3:PutLifecycleConfiguration",
                "s3:GetEncryptionConfiguration",
                "s3:PutEncryptionConfiguration",
                "s3:GetBucketPublicAccessBlock",
                "s3:PutBucketPublicAccessBlock",
                "s3:GetBucketOwnershipControls",
                "s3:PutBucketOwnershipControls",
                "s3:GetBucketPolicy",
                "s3:PutBucketPolicy",
                "s3:DeleteBucketPolicy",
                "s3:GetBucketNotification",
                "s3:PutBucketNotification",
                "s3:GetBucketTagging",
                "s3:PutBucketTagging",
            ],
            [f"arn:aws:s3:::{prefix}*"],
        ),
        iam.allow(
            "DynamoDbTables",
            [
                "dynamodb:CreateTable",
                "dynamodb:DeleteTable",
                "dynamodb:DescribeTable",
                "dynamodb:UpdateTable",
                "dynamodb:DescribeContinuousBackups",
                "dynamodb:UpdateContinuousBackups",
                "dynamodb:DescribeTimeToLive",
                "dynamodb:UpdateTimeToLive",
                "dynamodb:ListTagsOfResource",
                "dynamodb:TagResource",
                "dynamodb:UntagResource",
            ],
            [f"arn:aws:dynamodb:{arn}:table/{prefix}*"],
        ),
        iam.allow(
            "Secrets",
            [
                "secretsmanager:CreateSecret",
                "secretsmanager:DeleteSecret",
                "secretsmanager:DescribeSecret",
                "secretsmanager:UpdateSecret",
                "secretsmanager:GetResourcePolicy",
                # The stack sets each secret's value from its config and reads it back.
                "secretsmanager:PutSecretValue",
                "secretsmanager:GetSecretValue",
                "secretsmanager:UpdateSecretVersionStage",
                "secretsmanager:TagResource",
                "secretsmanager:UntagResource",
            ],
            [f"arn:aws:secretsmanager:{arn}:secret:{prefix}*"],
        ),
        iam.allow(
            "EventRules",
            [
                "events:PutRule",
                "events:DeleteRule",
                "events:DescribeRule",
                "events:EnableRule",
                "events:DisableRule",
                "events:PutTargets",
                "events:RemoveTargets",
                "events:ListTargetsByRule",
                "events:ListTagsForResource",
                "events:TagResource",
                "events:UntagResource",
            ],
            [f"arn:aws:events:{arn}:rule/{prefix}*"],
        ),
        # HTTP API ids are random: API Gateway scopes by path only, so every HTTP API of the
        # region (`/apis*`) and the tags of API Gateway resources (`/tags/*`).
        iam.allow(
            "HttpApis",
            ["apigateway:GET", "apigateway:POST", "apigateway:PUT", "apigateway:PATCH", "apigateway:DELETE"],
            [f"arn:aws:apigateway:{region}::/apis", f"arn:aws:apigateway:{region}::/apis/*"],
        ),
        iam.allow(
            "HttpApiTags",
            ["apigateway:GET", "apigateway:POST", "apigateway:DELETE"],
            [f"arn:aws:apigateway:{region}::/tags/*"],
        ),
        iam.allow(
            "Alarms",
            [
                "cloudwatch:PutMetricAlarm",
                "cloudwatch:DeleteAlarms",
                "cloudwatch:ListTagsForResource",
                "cloudwatch:TagResource",
                "cloudwatch:UntagResource",
            ],
            [f"arn:aws:cloudwatch:{arn}:alarm:{prefix}*"],
        ),
        iam.allow(
            "SnsTopics",
            [
                "sns:CreateTopic",
                "sns:DeleteTopic",
                "sns:GetTopicAttributes",
                "sns:SetTopicAttributes",
                "sns:ListTagsForResource",
                "sns:TagResource",
                "sns:UntagResource",
            ],
            [f"arn:aws:sns:{arn}:{prefix}*"],
        ),
        # VPC endpoint ids are random: the endpoint is scoped by the project tag it is created
        # with; creating and changing one also touches its VPC and route tables.
        {
            **iam.allow("VpcEndpointCreate", ["ec2:CreateVpcEndpoint"], [f"arn:aws:ec2:{arn}:vpc-endpoint/*"]),
            "Condition": {"StringEquals": {"aws:RequestTag/project": project}},
        },
        {
            **iam.allow("VpcEndpointTagOnCreate", ["ec2:CreateTags"], [f"arn:aws:ec2:{arn}:vpc-endpoint/*"]),
            "Condition": {"StringEquals": {"ec2:CreateAction": "CreateVpcEndpoint"}},
        },
        {
            **iam.allow(
                "VpcEndpointManage",
                ["ec2:ModifyVpcEndpoint", "ec2:DeleteVpcEndpoints", "ec2:CreateTags", "ec2:DeleteTags"],
                [f"arn:aws:ec2:{arn}:vpc-endpoint/*"],
            ),
            "Condition": project_tag,
        },
        iam.allow(
            "VpcEndpointNetwork",
            ["ec2:CreateVpcEndpoint", "ec2:ModifyVpcEndpoint"],
            [f"arn:aws:ec2:{arn}:vpc/*", f"arn:aws:ec2:{arn}:route-table/*"],
        ),
        # Actions AWS authorizes on no narrower resource than these (each is named in a test):
        # EC2's Describe* calls and CloudWatch's DescribeAlarms take `*`; DescribeLogGroups is
        # authorized on the region's log-group namespace; HTTP API access logging needs
        # CloudWatch Logs' log-delivery actions, which take `*` (API Gateway developer guide,
        # "Configuring logging for an HTTP API").
        iam.allow("DescribeLogGroups", ["logs:DescribeLogGroups"], [f"arn:aws:logs:{arn}:log-group:*"]),
        iam.allow("AccountWideActions", UNSCOPABLE_ACTIONS, ["*"]),
    ]
    return statements


def deploy_role_name(project: str) -> str:
    """Outside the `<project>-` prefix the role manages, so it cannot rewrite its own permissions."""
    return f"github-deploy-{project}"


def deploy_policy(account_id: str, region: str, project: str) -> str:
    return iam.document(deploy_statements(account_id, region, project))


@dataclass(frozen=True)
class GithubDeployRoleArgs:
    repository: str  # "owner/name", as GitHub spells it (the sub claim is compared exactly)
    account_id: pulumi.Input[str]
    region: pulumi.Input[str]
    project: str  # the name prefix of every resource the role may manage, e.g. "rustlambda"
    branches: Sequence[str] = ("main",)
    environments: Sequence[str] = ()
    pull_requests: bool = False
    existing_provider_arn: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


class GithubDeployRole(pulumi.ComponentResource):
    provider: aws.iam.OpenIdConnectProvider | None = None
    role: aws.iam.Role
    role_policy: aws.iam.RolePolicy
    role_arn: pulumi.Output[str]
    provider_arn: pulumi.Output[str]

    def __init__(self, name: str, args: GithubDeployRoleArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("rustlambda:index:GithubDeployRole", name, None, opts)
        # Validate everything before registering any child.
        allowed = subjects(args.repository, args.branches, args.environments, args.pull_requests)
        if not _PROJECT.match(args.project):
            raise ValueError(
                f"project {args.project!r} is invalid: set the stack project's name "
                "(lowercase letters, digits and hyphens, at most 31 characters)"
            )
        role_name = deploy_role_name(args.project)
        if role_name.startswith(f"{args.project}-"):
            raise ValueError(
                f"project {args.project!r} is invalid: the deploy role's own name {role_name!r} would fall "
                "under the prefix it may manage"
            )
        existing = args.existing_provider_arn
        if existing is not None and not _PROVIDER_ARN.match(existing):
            raise ValueError(
                f"existing_provider_arn {existing!r} is invalid: set the ARN of the account's OIDC provider "
                f"for GitHub Actions (arn:aws:iam::<account>:oidc-provider/{GITHUB_OIDC_HOST}), or None to create it"
            )
        child = pulumi.ResourceOptions(parent=self)

        if existing is None:
            self.provider = aws.iam.OpenIdConnectProvider(
                f"{name}-oidc-provider",
                url=GITHUB_OIDC_URL,
                client_id_lists=[STS_AUDIENCE],
                # No thumbprints: IAM verifies GitHub's certificate against its own trusted CAs.
                tags=dict(args.tags),
                opts=child,
            )
            self.provider_arn = self.provider.arn
        else:
            self.provider_arn = pulumi.Output.from_input(existing)

        self.role = aws.iam.Role(
            f"{name}-role",
            name=role_name,
            description=f"GitHub Actions deploys of {args.project} from {args.repository}",
            assume_role_policy=self.provider_arn.apply(lambda arn: github_trust_policy(arn, allowed)),
            max_session_duration=3600,
            tags=dict(args.tags),
            opts=child,
        )
        self.role_policy = aws.iam.RolePolicy(
            f"{name}-policy",
            role=self.role.id,
            policy=pulumi.Output.all(args.account_id, args.region).apply(
                lambda values: deploy_policy(str(values[0]), str(values[1]), args.project)
            ),
            opts=child,
        )
        self.role_arn = self.role.arn
        self.register_outputs({"role_arn": self.role_arn, "provider_arn": self.provider_arn})
