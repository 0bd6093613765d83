"""Tables: the DynamoDB tables the function contracts declare, one per table name.

Each table is on-demand, with point-in-time recovery and server-side encryption under a KMS key
(AWS managed unless the stack names one). Functions get item-level actions on exact table ARNs
from their own contracts (components.service); this module only creates the tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from model.contract import ContractError, FunctionContract


def declared_tables(contracts: Sequence[FunctionContract]) -> dict[str, str]:
    """Table name -> partition key, across every contract; the same table must agree on its key."""
    keys: dict[str, tuple[str, str]] = {}
    for contract in contracts:
        for table in contract.tables:
            seen = keys.setdefault(table.name, (table.partition_key, contract.name))
            if seen[0] != table.partition_key:
                raise ContractError(
                    f"function crate {contract.name!r} declares table {table.name!r} with partition_key "
                    f"{table.partition_key!r}, but {seen[1]!r} declares it with {seen[0]!r}: use the same key"
                )
    return {name: key for name, (key, _) in sorted(keys.items())}


@dataclass(frozen=True)
class TablesArgs:
    name_prefix: str
    contracts: Sequence[FunctionContract]
    kms_key_arn: str | None = None
    deletion_protection: bool = False
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
                server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(
                    enabled=True, kms_key_arn=args.kms_key_arn
                ),
                deletion_protection_enabled=args.deletion_protection,
                tags=dict(args.tags),
                opts=pulumi.ResourceOptions(parent=self),
            )
            for table, partition_key in declared_tables(args.contracts).items()
        }
        self.register_outputs({table: t.name for table, t in self.tables.items()})
