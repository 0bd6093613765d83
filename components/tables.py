"""Tables: the DynamoDB tables the function contracts declare, one per table name.

Each table is on-demand, with point-in-time recovery and server-side encryption under a KMS key
(AWS managed). Functions get item-level actions on exact table ARNs
from their own contracts (components.service); this module only creates the tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from model.contract import FunctionContract, declared_tables


@dataclass(frozen=True)
class TablesArgs:
    name_prefix: str
    contracts: Sequence[FunctionContract]
    tags: Mapping[str, str] = field(default_factory=dict)


class Tables(pulumi.ComponentResource):
    tables: dict[str, aws.dynamodb.Table]

    def __init__(self, name: str, args: TablesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("rustlambda:index:Tables", name, None, opts)
        self.tables = {
            table: aws.dynamodb.Table(
                f"{name}-{table}",
                name=f"{args.name_prefix}-{table}",
                billing_mode="PAY_PER_REQUEST",
                hash_key=partition_key,
                attributes=[aws.dynamodb.TableAttributeArgs(name=partition_key, type="S")],
                point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True),
                # AWS managed KMS key (aws/dynamodb).
                server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(enabled=True),
                # Off, so that `pulumi destroy` can remove a stack's tables; point-in-time recovery
                # keeps 35 days of each table.
                deletion_protection_enabled=False,
                tags=dict(args.tags),
                opts=pulumi.ResourceOptions(parent=self),
            )
            for table, partition_key in declared_tables(args.contracts).items()
        }
        self.register_outputs({table: t.name for table, t in self.tables.items()})
