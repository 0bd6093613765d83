"""A few hundred malformed events per function through aws-lambda-rie: each gets a well-formed
response (a result or a structured error whose errorType README documents), the process never
dies, and the next event is served.

Runs on the native debug binaries; the arm64 artifacts run the scenario suites."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from harness.aws import create_bucket, create_table
from harness.error_types import documented_error_types
from harness.functions import WORKSPACE
from harness.moto import MotoServer
from model.contract import FunctionContract
from tests.e2e.conftest import StartFunction

EVENTS_PER_FUNCTION = 250
FIXTURES = {
    "http-api": "http-api/tests/fixtures/apigw-v2-post-item.json",
    "sqs-processor": "sqs-processor/tests/fixtures/sqs_event_mixed.json",
    "s3-processor": "s3-processor/tests/fixtures/object-created.json",
    "scheduled-job": "scheduled-job/tests/fixtures/scheduled-event.json",
}
LMI_VALID = {"item_ids": ["a"]}


def random_json(rng: random.Random, depth: int = 0) -> Any:
    choice = rng.randrange(8 if depth < 3 else 5)
    if choice == 0:
        return None
    if choice == 1:
        return rng.choice([True, False])
    if choice == 2:
        return rng.choice([0, -1, 2**63, -(2**70), 3.5, 1e308])
    if choice == 3:
        return "".join(rng.choice('aé☃\u0000"\\{}[]+%20 ') for _ in range(rng.randrange(12)))
    if choice == 4:
        return ""
    if choice == 5:
        return [random_json(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {
        rng.choice(["Records", "body", "time", "item_ids", "x"]): random_json(rng, depth + 1)
        for _ in range(rng.randrange(4))
    }


def mutate(rng: random.Random, value: Any) -> Any:
    """Replaces, drops or retypes one node of the event."""
    if isinstance(value, dict) and value and rng.random() < 0.8:
        key = rng.choice(sorted(value))
        copy = dict(value)
        if rng.random() < 0.3:
            del copy[key]
        else:
            copy[key] = mutate(rng, value[key])
        return copy
    if isinstance(value, list) and value and rng.random() < 0.8:
        index = rng.randrange(len(value))
        return [*value[:index], mutate(rng, value[index]), *value[index + 1 :]]
    return random_json(rng)


def malformed_events(seed: int, valid: Any) -> list[bytes]:
    rng = random.Random(seed)
    text = json.dumps(valid)
    events: list[bytes] = []
    for i in range(EVENTS_PER_FUNCTION):
        kind = i % 5
        if kind == 0:
            events.append(json.dumps(random_json(rng)).encode())
        elif kind == 1:
            events.append(text[: rng.randrange(len(text))].encode())  # truncated JSON
        elif kind == 2:
            events.append(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64))))  # not JSON
        else:
            events.append(json.dumps(mutate(rng, mutate(rng, valid))).encode())
    return events


def references(name: str, moto: MotoServer, unique: str) -> dict[str, str]:
    if name == "s3-processor":
        secret = moto.client("secretsmanager").create_secret(Name=f"key-{unique}", SecretString="k")
        return {
            "INPUT_BUCKET": create_bucket(moto, f"in-{unique}"),
            "OUTPUT_BUCKET": create_bucket(moto, f"out-{unique}"),
            "SIGNING_KEY_SECRET_ARN": secret["ARN"],
        }
    if name == "sqs-processor":
        return {"ORDERS_TABLE": create_table(moto, f"orders-{unique}", "message_id")}
    return {"ITEMS_TABLE": create_table(moto, f"items-{unique}", "id")}


@pytest.mark.parametrize("flavour", ["native"], indirect=True)
@pytest.mark.parametrize("name", [*FIXTURES, "lmi-worker"])
def test_malformed_events_get_structured_responses(
    name: str, start_function: StartFunction, moto: MotoServer, unique: str, contracts: dict[str, FunctionContract]
) -> None:
    documented = documented_error_types(sorted(contracts))[name]
    valid = json.loads((WORKSPACE / FIXTURES[name]).read_text()) if name in FIXTURES else LMI_VALID
    function = start_function(name, references(name, moto, unique))
    for seed, event in enumerate(malformed_events(sum(name.encode()), valid)):
        invocation = function.invoke(None, raw=event)
        assert invocation.status == 200, (seed, event, invocation.body)
        assert isinstance(invocation.body, dict), (seed, event, invocation.body)
        if invocation.is_error:
            assert invocation.body["errorMessage"], (seed, event)
            assert invocation.body["errorType"] in documented, (seed, event, invocation.body)
        assert function.alive(), f"{name} died on event {seed}: {event!r}"
    served = function.invoke(valid)
    assert served.status == 200 and function.alive()
