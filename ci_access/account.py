"""AccountSettings: what a stack would otherwise change account-wide, set once by ci_access.

Stacks that share an account share these; with one account per stage (docs/ci-access.md) they are
the stage's own. Owns:
- per region of the account's stacks, a CloudWatch Logs resource policy that lets CloudWatch
  Logs' delivery service (`delivery.logs.amazonaws.com`, for this account's sources only) write to
  the project's HTTP API access logs (`/aws/apigateway/<project>-*`). With it in place, turning on
  access logging changes no account policy (CloudWatch Logs user guide, "Logs sent to CloudWatch
  Logs": AWS adds to the log group's policy only if no policy grants the delivery), so the deploy
  roles need no logs:PutResourcePolicy, which rewrites account-wide policies;
- with Managed Instances in any of the account's stacks, Lambda's service-linked role
  (AWSServiceRoleForLambda), which a capacity provider needs and which only an administrator may
  create (iam:CreateServiceLinkedRole), unless the account already has it.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from model import iam

LOG_DELIVERY_SERVICE = "delivery.logs.amazonaws.com"
LAMBDA_SERVICE = "lambda.amazonaws.com"


def log_delivery_policy_name(project: str) -> str:
    return f"{project}-access-log-delivery"


def log_delivery_policy(project: str, account_id: str, *, region: str) -> str:
    """CloudWatch Logs' delivery service may create streams and put events in the project's access
    log groups, for deliveries of this account only (the statement AWS would add, scoped to them)."""
    return iam.document(
        [
            {
                "Sid": "AccessLogDelivery",
                "Effect": "Allow",
                "Principal": {"Service": LOG_DELIVERY_SERVICE},
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"arn:aws:logs:{region}:{account_id}:log-group:/aws/apigateway/{project}-*:log-stream:*",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnLike": {"aws:SourceArn": f"arn:aws:logs:{region}:{account_id}:*"},
                },
            }
        ]
    )


@dataclass(frozen=True)
class AccountSettingsArgs:
    project: str
    account_id: pulumi.Input[str]
    regions: Sequence[str]  # the regions of the account's stacks
    # Create Lambda's service-linked role (a stack of the account uses Managed Instances and the
    # account does not have the role yet).
    lambda_service_linked_role: bool = False


class AccountSettings(pulumi.ComponentResource):
    log_delivery_policies: dict[str, aws.cloudwatch.LogResourcePolicy]

    def __init__(self, name: str, args: AccountSettingsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("rustlambda:index:AccountSettings", name, None, opts)
        account_id = pulumi.Output.from_input(args.account_id)
        self.log_delivery_policies = {}
        for region in sorted(set(args.regions)):
            provider = aws.Provider(f"{name}-{region}", region=region, opts=pulumi.ResourceOptions(parent=self))
            self.log_delivery_policies[region] = aws.cloudwatch.LogResourcePolicy(
                f"{name}-log-delivery-{region}",
                policy_name=log_delivery_policy_name(args.project),
                policy_document=account_id.apply(functools.partial(log_delivery_policy, args.project, region=region)),
                opts=pulumi.ResourceOptions(parent=self, provider=provider),
            )
        if args.lambda_service_linked_role:
            aws.iam.ServiceLinkedRole(
                f"{name}-lambda-service-linked-role",
                aws_service_name=LAMBDA_SERVICE,
                description="Lambda's service-linked role, which Managed Instances' capacity providers need",
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({})
