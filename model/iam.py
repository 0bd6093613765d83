"""IAM policy documents as small pure functions (no Pulumi, easy to test).

Every statement names exact actions on exact resources. The only `*` resource is for X-Ray's
PutTraceSegments/PutTelemetryRecords, which AWS does not scope to any resource.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

Statement = dict[str, Any]

# Actions AWS offers no resource-level scoping for; each is allowed on "*" and named in a test.
XRAY_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")


def document(statements: Sequence[Statement]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, sort_keys=True)


def lambda_trust_policy(account_id: str) -> str:
    """Only the Lambda service may assume the role, and only for functions of this account."""
    return document(
        [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        ]
    )


def allow(sid: str, actions: Sequence[str], resources: Sequence[str]) -> Statement:
    return {"Sid": sid, "Effect": "Allow", "Action": sorted(actions), "Resource": sorted(resources)}


def log_statement(log_group_arn: str) -> Statement:
    """Write to the function's own log group only (`<arn>:*` covers its log streams)."""
    return allow("WriteOwnLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], [f"{log_group_arn}:*"])


def xray_statement() -> Statement:
    return allow("XRayTracing", XRAY_ACTIONS, ["*"])


def table_statement(table_name: str, table_arn: str, actions: Sequence[str]) -> Statement:
    return allow(f"Table{_sid(table_name)}", actions, [table_arn])


def bucket_statement(bucket_name: str, bucket_arn: str, actions: Sequence[str], prefix: str) -> Statement:
    """Object-level actions on the objects under the prefix the contract declares (`<arn>/<prefix>*`)."""
    return allow(f"Bucket{_sid(bucket_name)}", actions, [f"{bucket_arn}/{prefix}*"])


def secret_statement(secret_name: str, secret_arn: str) -> Statement:
    return allow(f"Secret{_sid(secret_name)}", ["secretsmanager:GetSecretValue"], [secret_arn])


def kms_decrypt_statement(key_arn: str, region: str) -> Statement:
    """The secrets' customer key, for decrypting through Secrets Manager only (not for any
    ciphertext the function comes across)."""
    return {
        **allow("DecryptSecrets", ["kms:Decrypt"], [key_arn]),
        "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}},
    }


def gateway_endpoint_policy(account_id: str, table_arns: Sequence[str], actions: Sequence[str]) -> str:
    """A DynamoDB gateway endpoint's policy: this account's principals, the stack's tables, the
    item actions the stack's contracts declare, and nothing else (the default policy lets any
    principal in the VPC reach any table, other accounts' included)."""
    return document(
        [
            {
                "Sid": "StackTablesOnly",
                "Effect": "Allow",
                "Principal": "*",
                "Action": sorted(set(actions)),
                "Resource": sorted(table_arns),
                "Condition": {"StringEquals": {"aws:PrincipalAccount": account_id}},
            }
        ]
    )


# What Lambda's event source mapping calls on its queue, with the function's role.
QUEUE_CONSUMER_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
# What Lambda calls to deliver a failed asynchronous event to its on-failure queue, with the function's role.
SEND_MESSAGE_ACTIONS = ("sqs:SendMessage",)


def queue_consumer_statement(queue_arn: str) -> Statement:
    """What an SQS event source mapping needs on its queue."""
    return allow("ConsumeQueue", QUEUE_CONSUMER_ACTIONS, [queue_arn])


def send_message_statement(sid: str, queue_arn: str) -> Statement:
    return allow(sid, SEND_MESSAGE_ACTIONS, [queue_arn])


def _sid(name: str) -> str:
    """`manifest-signing-key` -> `ManifestSigningKey` (Sids are alphanumeric)."""
    return "".join(part.capitalize() for part in name.replace("_", "-").split("-"))


def codedeploy_trust_policy(account_id: str) -> str:
    """Only CodeDeploy may assume the role, and only for this account's deployments."""
    return document(
        [
            {
                "Effect": "Allow",
                "Principal": {"Service": "codedeploy.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        ]
    )


def codedeploy_statements(account_id: str, region: str, name_prefix: str) -> list[Statement]:
    """What CodeDeploy needs to shift a Lambda alias of this stack and watch its alarms: the
    alias calls on the stack's functions only, and DescribeAlarms on the stack's alarms (its
    rollback triggers). No hook functions: the pre-traffic check runs in the release step."""
    functions = f"arn:aws:lambda:{region}:{account_id}:function:{name_prefix}-*"
    return [
        allow("ShiftLiveAliases", ["lambda:GetAlias", "lambda:UpdateAlias"], [functions, f"{functions}:*"]),
        # Provisioned concurrency is read per alias or version (a qualified ARN) only.
        allow("ReadProvisionedConcurrency", ["lambda:GetProvisionedConcurrencyConfig"], [f"{functions}:*"]),
        allow(
            "ReadRollbackAlarms",
            ["cloudwatch:DescribeAlarms"],
            [f"arn:aws:cloudwatch:{region}:{account_id}:alarm:{name_prefix}-*"],
        ),
    ]
