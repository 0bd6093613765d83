"""The scenarios: each function's resources in moto, and the event of each of its two request
paths (one without AWS calls, one with them)."""

from __future__ import annotations

import json
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.pinning import pin_harness
from harness import functions
from harness.aws import create_bucket, create_table
from harness.moto import MotoServer


@dataclass
class Scenario:
    """A function's resources and its two request paths (`aws` is None when it has none)."""

    references: dict[str, str]
    no_aws: Any
    aws: Any | None


def fixture(path: str) -> Any:
    return json.loads((functions.WORKSPACE / path).read_text())


def http_event(method: str, path: str) -> dict[str, Any]:
    event = fixture("http-api/tests/fixtures/apigw-v2-post-item.json")
    event["rawPath"] = path
    event["requestContext"]["http"]["method"] = method
    event["requestContext"]["http"]["path"] = path
    event["body"] = None
    return dict(event)


def scenarios(moto: MotoServer, suffix: str) -> dict[str, Scenario]:
    dynamodb = moto.client("dynamodb")

    items = create_table(moto, f"bench-items-{suffix}", "id")
    dynamodb.put_item(
        TableName=items,
        Item={"id": {"S": "bench-1"}, "name": {"S": "Bench"}, "quantity": {"N": "1"}, "created_at": {"N": "1"}},
    )
    orders = create_table(moto, f"bench-orders-{suffix}", "message_id")
    order_record = fixture("sqs-processor/tests/fixtures/sqs_event.json")["Records"][0]
    good = {**order_record, "messageId": "bench-m-1"}
    good["body"] = json.dumps({"order_id": "o-1", "customer_id": "c-1", "amount_cents": 100, "currency": "EUR"})
    bad = {**order_record, "messageId": "bench-bad", "body": "not json"}

    uploads, manifests = create_bucket(moto, f"bench-up-{suffix}"), create_bucket(moto, f"bench-man-{suffix}")
    moto.client("s3").put_object(Bucket=uploads, Key="incoming/bench.txt", Body=b"x" * 4096)
    secret = moto.client("secretsmanager").create_secret(Name=f"bench-signing-{suffix}", SecretString="bench-key")
    s3_record = fixture("s3-processor/tests/fixtures/object-created.json")["Records"][0]
    s3_record["s3"]["bucket"]["name"] = uploads
    s3_record["s3"]["object"]["key"] = "incoming/bench.txt"
    s3_record["s3"]["object"]["size"] = 4096

    # Items all newer than the cutoff: every run scans and deletes nothing, so each run is the same.
    retained = create_table(moto, f"bench-retained-{suffix}", "id")
    for i in range(10):
        dynamodb.put_item(TableName=retained, Item={"id": {"S": f"r-{i}"}, "created_at": {"N": "4000000000"}})
    scheduled = fixture("scheduled-job/tests/fixtures/scheduled-event.json")
    untimed = {k: v for k, v in scheduled.items() if k != "time"}

    lookups = create_table(moto, f"bench-lookups-{suffix}", "id")
    dynamodb.put_item(TableName=lookups, Item={"id": {"S": "item-0"}, "name": {"S": "Item 0"}, "quantity": {"N": "0"}})

    return {
        # No AWS: the health route. AWS: GetItem of an existing item.
        "http-api": Scenario({"ITEMS_TABLE": items}, http_event("GET", "/health"), http_event("GET", "/items/bench-1")),
        # No AWS: a message that fails validation. AWS: a redelivered order (a conditional PutItem).
        "sqs-processor": Scenario({"ORDERS_TABLE": orders}, {"Records": [bad]}, {"Records": [good]}),
        # No AWS: an event without records. AWS: one 4 KiB object (GetObject, PutObject; secret cached).
        "s3-processor": Scenario(
            {"INPUT_BUCKET": uploads, "OUTPUT_BUCKET": manifests, "SIGNING_KEY_SECRET_ARN": secret["ARN"]},
            {"Records": []},
            {"Records": [s3_record]},
        ),
        # No AWS: an event without "time" (a validation error). AWS: a run over 10 retained items (Scan).
        "scheduled-job": Scenario({"ITEMS_TABLE": retained}, untimed, scheduled),
        # No AWS: an empty id list (a validation error). AWS: an id with no item (misses are not cached).
        "lmi-worker": Scenario({"ITEMS_TABLE": lookups}, {"item_ids": []}, {"item_ids": ["absent-1"]}),
    }


# The floor: bench/hello answers any event without AWS calls.
HELLO = Scenario({}, {"hello": "world"}, None)


@contextmanager
def one_function(name: str, prefix: str) -> Iterator[tuple[dict[str, str], Scenario, Path]]:
    """The standalone benchmarks' set-up (`python -m bench.extension`, `bench.otel`): function
    `name`'s env and scenario against a moto server of its own, and a directory for the logs; the
    harness pinned to its CPU first (moto inherits it)."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        log_dir = Path(tmp)
        pin_harness()
        moto = MotoServer(log_dir / "moto.log")
        try:
            scenario = scenarios(moto, uuid.uuid4().hex[:8])[name]
            env = {**functions.function_env(functions.contracts()[name], scenario.references), **moto.function_env()}
            yield env, scenario, log_dir
        finally:
            moto.close()
