"""Python baseline of functions/sqs-processor: validates each order message, writes it once
(conditional PutItem keyed by the message id) to ORDERS_TABLE, and reports exactly the failed
message ids (ReportBatchItemFailures). Records are written one after another (the Rust function
writes up to 32 at once)."""

from __future__ import annotations

import json
from typing import Any

import boto3
from runtime_support import REGION, Logger, required_env

MAX_ID_CHARS = 128


log = Logger("sqs_processor")


TABLE = required_env("ORDERS_TABLE", "the name of the orders table")
DYNAMODB = boto3.client("dynamodb", region_name=REGION)


class MissingMessageId(Exception):
    """A record without a messageId: the whole batch is retried."""


class InvalidBody(ValueError):
    pass


def kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "a non-negative integer" if 0 <= value < 2**64 else "a negative integer"
    if isinstance(value, float):
        return "a fractional or out-of-range number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def field(fields: dict[str, Any], name: str) -> Any:
    if name not in fields:
        raise InvalidBody(f"field {name} is missing")
    return fields[name]


def string_field(fields: dict[str, Any], name: str) -> str:
    value = field(fields, name)
    if not isinstance(value, str):
        raise InvalidBody(f"field {name} must be a string, not {kind(value)}")
    return value


def id_field(fields: dict[str, Any], name: str) -> str:
    value = string_field(fields, name)
    if not value.strip():
        raise InvalidBody(f"field {name} must not be blank")
    if len(value) > MAX_ID_CHARS:
        raise InvalidBody(f"field {name} is {len(value)} characters long: at most {MAX_ID_CHARS} are allowed")
    return value


def amount_field(fields: dict[str, Any], name: str) -> int:
    value = field(fields, name)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**64:
        raise InvalidBody(f"field {name} must be a non-negative integer, not {kind(value)}")
    return value


def currency_field(fields: dict[str, Any], name: str) -> str:
    value = string_field(fields, name)
    if len(value) == 3 and all("A" <= c <= "Z" for c in value):
        return value
    raise InvalidBody('field currency must be 3 upper-case ASCII letters (an ISO 4217 code such as "EUR")')


def parse_order(body: Any) -> dict[str, Any]:
    if body is None:
        raise InvalidBody("the message has no body")
    try:
        value = json.loads(body)
    except ValueError as error:
        raise InvalidBody(f"the body is not JSON: {error}") from error
    if not isinstance(value, dict):
        raise InvalidBody(f"the body must be a JSON object, not {kind(value)}")
    return {
        "order_id": id_field(value, "order_id"),
        "customer_id": id_field(value, "customer_id"),
        "amount_cents": amount_field(value, "amount_cents"),
        "currency": currency_field(value, "currency"),
    }


def put_once(message_id: str, order: dict[str, Any]) -> bool:
    """True when recorded now, False when it already was (a redelivery)."""
    try:
        DYNAMODB.put_item(
            TableName=TABLE,
            Item={
                "message_id": {"S": message_id},
                "order_id": {"S": order["order_id"]},
                "customer_id": {"S": order["customer_id"]},
                "amount_cents": {"N": str(order["amount_cents"])},
                "currency": {"S": order["currency"]},
            },
            ConditionExpression="attribute_not_exists(message_id)",
        )
    except DYNAMODB.exceptions.ConditionalCheckFailedException:
        return False
    return True


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    log.request_id = context.aws_request_id
    records = event.get("Records") or []
    ids: list[str] = []
    for index, record in enumerate(records):
        message_id = record.get("messageId") if isinstance(record, dict) else None
        if not isinstance(message_id, str) or not message_id.strip():
            error = MissingMessageId(f"record {index} has no messageId: the whole batch will be retried")
            log("ERROR", "batch rejected", error=str(error))
            raise error
        ids.append(message_id)
    failed: list[dict[str, str]] = []
    for message_id, record in zip(ids, records, strict=True):
        try:
            body = record.get("body")
            if body is not None and not isinstance(body, str):
                raise InvalidBody("the message has no body")
            if put_once(message_id, parse_order(body)):
                log("INFO", "order recorded", message_id=message_id)
            else:
                log("INFO", "order already recorded: redelivery ignored", message_id=message_id)
        except Exception as reason:
            log("WARN", "message failed: it will be retried", message_id=message_id, reason=str(reason))
            failed.append({"itemIdentifier": message_id})
    log("INFO", "batch processed", records=len(records), failed=len(failed))
    return {"batchItemFailures": failed}
