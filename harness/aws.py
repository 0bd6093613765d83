"""Creates the AWS resources a function's contract names, in moto, as the stack would."""

from __future__ import annotations

from typing import Any

from harness.moto import MotoServer


def create_table(moto: MotoServer, name: str, partition_key: str) -> str:
    moto.client("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": partition_key, "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": partition_key, "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


def scan_all(moto: MotoServer, table: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table}
    while True:
        page = moto.client("dynamodb").scan(**kwargs)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def create_bucket(moto: MotoServer, name: str) -> str:
    moto.client("s3").create_bucket(Bucket=name)
    return name
