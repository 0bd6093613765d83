"""ManagedInstances: the Lambda Managed Instances capacity provider and what it needs to run.

Owns: the operator role Lambda uses to launch and manage the provider's EC2 instances (trusted by
lambda.amazonaws.com for this account only, with the AWS managed policy
AWSLambdaManagedEC2ResourceOperator attached), the capacity provider itself (arm64 instances in
the configured subnets and security groups, scaled up to the configured vCPU count), and a
DynamoDB gateway endpoint on the subnets' route tables.

Functions on the provider run in its VPC: they reach an AWS service only through a VPC endpoint or
a NAT gateway. The stack provides the DynamoDB gateway endpoint only, because lmi-worker (its one
Managed Instances function) uses only DynamoDB; a function that needs other AWS services needs
interface endpoints for them, or a NAT gateway, in that VPC. The endpoint's policy admits only
this account's principals, only to the tables the Managed Instances functions' contracts declare,
and only for the item actions they declare (AWS's default policy admits any principal to any
table, other accounts' included). So give the provider subnets of their own: other workloads whose
route tables share this endpoint reach only these tables through it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from model import iam
from model.stack_config import MI_MIN_SUBNETS, ManagedInstancesSettings

ARCHITECTURE = "arm64"
OPERATOR_POLICY_ARN = "arn:aws:iam::aws:policy/AWSLambdaManagedEC2ResourceOperator"
# CapacityProviderName: letters, digits, hyphens and underscores (Lambda API reference).
_PROVIDER_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
# The operator role is named `<provider_name>-operator`, and IAM role names have at most 64 characters.
OPERATOR_SUFFIX = "-operator"
MAX_PROVIDER_NAME = 64 - len(OPERATOR_SUFFIX)


def dynamodb_service_name(region: str) -> str:
    return f"com.amazonaws.{region}.dynamodb"


def check_zones(subnet_ids: tuple[str, ...], parent: pulumi.Resource) -> None:
    """The subnets must span at least three Availability Zones (AWS's Managed Instances guidance:
    the capacity provider spreads instances over its subnets' zones, so an AZ's loss leaves
    capacity). Their zones are looked up (ec2:DescribeSubnets) at preview and at up."""
    zones: dict[str, list[str]] = {}
    for subnet in subnet_ids:
        found = aws.ec2.get_subnet(id=subnet, opts=pulumi.InvokeOptions(parent=parent))
        zones.setdefault(found.availability_zone, []).append(subnet)
    if len(zones) < MI_MIN_SUBNETS:
        where = "; ".join(f"{zone}: {', '.join(ids)}" for zone, ids in sorted(zones.items()))
        raise ValueError(
            f"config managedInstances.subnetIds spans {len(zones)} Availability Zone(s) ({where}): set subnets in at "
            f"least {MI_MIN_SUBNETS} different zones"
        )


@dataclass(frozen=True)
class ManagedInstancesArgs:
    provider_name: str
    settings: ManagedInstancesSettings  # validated by model.stack_config (enabled=True)
    account_id: pulumi.Input[str]
    region: pulumi.Input[str]
    tags: Mapping[str, str]
    # The stack's permissions boundary (ci_access/): every role the stack creates carries it.
    permissions_boundary: pulumi.Input[str]
    # The tables the functions on the provider use (name -> ARN) and the item actions they declare.
    table_arns: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    table_actions: Sequence[str] = ()


class ManagedInstances(pulumi.ComponentResource):
    operator_role: aws.iam.Role
    capacity_provider: aws.lambda_.CapacityProvider
    dynamodb_endpoint: aws.ec2.VpcEndpoint | None
    arn: pulumi.Output[str]
    operator_role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: ManagedInstancesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("rustlambda:index:ManagedInstances", name, None, opts)
        settings = args.settings
        if not _PROVIDER_NAME.match(args.provider_name) or len(args.provider_name) > MAX_PROVIDER_NAME:
            raise ValueError(
                f"provider_name {args.provider_name!r} is invalid: use letters, digits, '-' and '_', "
                f"at most {MAX_PROVIDER_NAME} characters"
            )
        if not settings.enabled:
            raise ValueError("settings.enabled is false: create ManagedInstances only when Managed Instances are on")
        vpc_id = settings.vpc_id
        if vpc_id is None:
            raise ValueError("settings.vpc_id is not set: the DynamoDB gateway endpoint needs the subnets' VPC")
        check_zones(settings.subnet_ids, self)
        child = pulumi.ResourceOptions(parent=self)

        # Named after the provider (not auto-named) so that it carries the project prefix the CI
        # deploy role may manage (ci_access.deploy_role).
        self.operator_role = aws.iam.Role(
            f"{name}-operator-role",
            name=f"{args.provider_name}{OPERATOR_SUFFIX}",
            assume_role_policy=pulumi.Output.from_input(args.account_id).apply(iam.lambda_trust_policy),
            description=f"Lambda's operator role for the capacity provider {args.provider_name}",
            permissions_boundary=args.permissions_boundary,
            tags=dict(args.tags),
            opts=child,
        )
        operator_access = aws.iam.RolePolicyAttachment(
            f"{name}-operator-access",
            role=self.operator_role.name,
            policy_arn=OPERATOR_POLICY_ARN,
            opts=child,
        )
        self.capacity_provider = aws.lambda_.CapacityProvider(
            f"{name}-provider",
            name=args.provider_name,
            vpc_config=aws.lambda_.CapacityProviderVpcConfigArgs(
                subnet_ids=list(settings.subnet_ids),
                security_group_ids=list(settings.security_group_ids),
            ),
            permissions_config=aws.lambda_.CapacityProviderPermissionsConfigArgs(
                capacity_provider_operator_role_arn=self.operator_role.arn,
            ),
            # The SDK types every field of these blocks as required, but the provider's schema
            # takes them as optional (an object-typed list): None leaves a field unset.
            instance_requirements=[
                aws.lambda_.CapacityProviderInstanceRequirementArgs(
                    architectures=[ARCHITECTURE],
                    allowed_instance_types=None,  # type: ignore[arg-type]
                    excluded_instance_types=None,  # type: ignore[arg-type]
                )
            ],
            capacity_provider_scaling_configs=[
                aws.lambda_.CapacityProviderCapacityProviderScalingConfigArgs(
                    max_vcpu_count=settings.max_vcpu,
                    scaling_mode=settings.scaling_mode,
                    scaling_policies=None,  # type: ignore[arg-type]
                )
            ],
            tags=dict(args.tags),
            # Lambda checks the operator role's permissions when it creates the provider.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[operator_access]),
        )
        # Only when the functions on the provider use DynamoDB: an endpoint that admits nothing is
        # no endpoint.
        self.dynamodb_endpoint = None
        if args.table_arns:
            self.dynamodb_endpoint = aws.ec2.VpcEndpoint(
                f"{name}-dynamodb-endpoint",
                vpc_id=vpc_id,
                service_name=pulumi.Output.from_input(args.region).apply(dynamodb_service_name),
                vpc_endpoint_type="Gateway",
                route_table_ids=list(settings.route_table_ids),
                policy=pulumi.Output.all(args.account_id, *args.table_arns.values()).apply(
                    lambda values: iam.gateway_endpoint_policy(
                        str(values[0]), [str(v) for v in values[1:]], args.table_actions
                    )
                ),
                tags=dict(args.tags),
                opts=child,
            )
        self.arn = self.capacity_provider.arn
        self.operator_role_arn = self.operator_role.arn
        self.register_outputs(
            {
                "arn": self.arn,
                "operator_role_arn": self.operator_role_arn,
                "dynamodb_endpoint_id": self.dynamodb_endpoint.id if self.dynamodb_endpoint else None,
            }
        )
