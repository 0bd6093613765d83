"""sqs-processor end to end: a mixed batch reports exactly the bad message ids, and the good
records' writes are in DynamoDB (moto)."""

from __future__ import annotations

import json
from typing import Any

from harness.aws import create_table, scan_all
from harness.functions import WORKSPACE
from harness.moto import MotoServer
from tests.e2e.conftest import StartFunction

TEMPLATE = json.loads((WORKSPACE / "sqs-processor" / "tests" / "fixtures" / "sqs_event.json").read_text())["Records"][0]


def record(message_id: str, body: str) -> dict[str, Any]:
    return {**TEMPLATE, "messageId": message_id, "body": body}


def order(order_id: str, amount: int = 100) -> str:
    return json.dumps({"order_id": order_id, "customer_id": "cust-1", "amount_cents": amount, "currency": "EUR"})


def test_mixed_batch_reports_exactly_the_bad_ids(start_function: StartFunction, moto: MotoServer, unique: str) -> None:
    table = create_table(moto, f"orders-{unique}", "message_id")
    function = start_function("sqs-processor", {"ORDERS_TABLE": table})
    batch = {
        "Records": [
            record("m-good-1", order("o-1", 1999)),
            record("m-not-json", "order 2, 5 EUR"),
            record("m-good-2", order("o-2")),
            record(
                "m-bad-currency",
                json.dumps({"order_id": "o-3", "customer_id": "c", "amount_cents": 1, "currency": "euro"}),
            ),
            record("m-good-3", order("o-4")),
            record("m-missing-field", json.dumps({"order_id": "o-5", "currency": "EUR"})),
        ]
    }
    invocation = function.invoke(batch)
    assert invocation.body == {
        "batchItemFailures": [
            {"itemIdentifier": "m-not-json"},
            {"itemIdentifier": "m-bad-currency"},
            {"itemIdentifier": "m-missing-field"},
        ]
    }
    stored = {item["message_id"]["S"]: item for item in scan_all(moto, table)}
    assert sorted(stored) == ["m-good-1", "m-good-2", "m-good-3"]
    assert stored["m-good-1"]["amount_cents"] == {"N": "1999"}

    # Redelivery of a recorded message is idempotent: no failure, no second item.
    again = function.invoke({"Records": [record("m-good-1", order("o-1", 1999))]})
    assert again.body == {"batchItemFailures": []}
    assert len(scan_all(moto, table)) == 3


def test_empty_batch(start_function: StartFunction, moto: MotoServer, unique: str) -> None:
    function = start_function("sqs-processor", {"ORDERS_TABLE": create_table(moto, f"orders-{unique}", "message_id")})
    assert function.invoke({"Records": []}).body == {"batchItemFailures": []}
