"""Hostile events through aws-lambda-rie (native and the arm64 release artifacts under qemu): every
line an invocation writes is one JSON object carrying its request id (a panic included, its
backtrace a field of that same line), every error response's errorType is one README documents,
and a start-up failure is one JSON line naming the variable to set."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from harness import functions
from harness.aws import create_bucket, create_table
from harness.emulator import Emulator, Invocation
from harness.error_types import documented_error_types
from harness.moto import MotoServer
from model.contract import FunctionContract
from tests.e2e.conftest import StartFunction

pytestmark = pytest.mark.parametrize("flavour", ["native", "arm64"], indirect=True)

HTTP_EVENT = json.loads((functions.WORKSPACE / "http-api/tests/fixtures/apigw-v2-post-item.json").read_text())
S3_EVENT = json.loads((functions.WORKSPACE / "s3-processor/tests/fixtures/object-created.json").read_text())


@pytest.fixture(scope="module")
def documented(contracts: dict[str, FunctionContract]) -> dict[str, frozenset[str]]:
    return documented_error_types(sorted(contracts))


def json_lines_with_the_request_id(function: Emulator, invocation: Invocation) -> list[dict[str, Any]]:
    """The invocation's lines, each asserted to be JSON carrying the invocation's request id."""
    lines = function.invocation_lines(invocation.request_id)
    assert lines, "the invocation wrote nothing"
    parsed = []
    for line in lines:
        value: dict[str, Any] = json.loads(line)  # a line that is not JSON fails here
        assert value["span"]["requestId"] == invocation.request_id, line
        parsed.append(value)
    return parsed


def panics(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in lines if "panic" in line]


def http_request(**edits: Any) -> dict[str, Any]:
    event: dict[str, Any] = copy.deepcopy(HTTP_EVENT)
    for key, value in edits.items():
        event[key] = value
    return event


@pytest.fixture
def api(start_function: StartFunction, moto: MotoServer, unique: str) -> Emulator:
    return start_function("http-api", {"ITEMS_TABLE": create_table(moto, f"items-{unique}", "id")})


def test_a_body_flagged_base64_that_is_not_is_a_400_and_one_json_panic_line(api: Emulator) -> None:
    invocation = api.invoke(http_request(body="%%% not base64 %%%", isBase64Encoded=True))
    assert invocation.body["statusCode"] == 400, invocation.body
    assert json.loads(invocation.body["body"])["error"] == "malformed_event"
    lines = json_lines_with_the_request_id(api, invocation)
    [panic] = panics(lines)
    assert panic["level"] == "ERROR" and panic["message"].startswith("panicked: ")


def test_an_invalid_host_header_is_a_400_and_one_json_panic_line(api: Emulator) -> None:
    event = http_request()
    event["headers"]["host"] = "in valid host"
    event["requestContext"]["domainName"] = "in valid host"
    invocation = api.invoke(event)
    assert invocation.body["statusCode"] == 400, invocation.body
    [panic] = panics(json_lines_with_the_request_id(api, invocation))
    assert panic["level"] == "ERROR"


def test_an_over_long_s3_key_is_an_invalid_key(
    start_function: StartFunction, moto: MotoServer, unique: str, documented: dict[str, frozenset[str]]
) -> None:
    secret = moto.client("secretsmanager").create_secret(Name=f"key-{unique}", SecretString="k")
    uploads = create_bucket(moto, f"in-{unique}")
    function = start_function(
        "s3-processor",
        {
            "INPUT_BUCKET": uploads,
            "OUTPUT_BUCKET": create_bucket(moto, f"out-{unique}"),
            "SIGNING_KEY_SECRET_ARN": secret["ARN"],
        },
    )
    event = copy.deepcopy(S3_EVENT)
    event["Records"][0]["s3"]["bucket"]["name"] = uploads
    event["Records"][0]["s3"]["object"]["key"] = "incoming/" + "k" * 70_000
    invocation = function.invoke(event)
    assert invocation.body == {
        "errorType": "InvalidKey",
        "errorMessage": "record 0 has an object key of 70009 bytes once URL-decoded: S3 object keys are at most "
        "1024 bytes",
    }
    assert invocation.body["errorType"] in documented["s3-processor"]
    assert panics(json_lines_with_the_request_id(function, invocation)) == []


def test_a_handler_panic_is_a_handler_panic_with_its_backtrace_in_the_same_line(
    start_function: StartFunction, moto: MotoServer, unique: str, documented: dict[str, frozenset[str]]
) -> None:
    table = create_table(moto, f"items-{unique}", "id")
    function = start_function(
        "lmi-worker", {"ITEMS_TABLE": table, "LMI_PANIC_ON_ITEM_ID": "boom", "RUST_BACKTRACE": "1"}
    )
    invocation = function.invoke({"item_ids": ["a", "boom"]})
    assert invocation.body == {
        "errorType": "HandlerPanic",
        "errorMessage": 'fault injection: item id "boom" requested',
    }
    assert invocation.body["errorType"] in documented["lmi-worker"]
    [panic] = panics(json_lines_with_the_request_id(function, invocation))
    assert panic["panic"] == 'fault injection: item id "boom" requested'
    assert panic["location"].startswith("lmi-worker/src/handler.rs:")
    assert len(panic["backtrace"].splitlines()) > 1
    served = function.invoke({"item_ids": ["a"]})
    assert served.body == {"items": [], "missing": ["a"], "cache_hits": 0}, "the next invocation is served"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"not json", "the event is not JSON: expected ident at line 1 column 2"),
        (
            b'{"Records": "none"}',
            'the event does not match the function\'s event type at Records: invalid type: string "none", '
            "expected a sequence at line 1 column 18",
        ),
    ],
)
def test_an_unreadable_event_is_an_invalid_event_naming_where(
    start_function: StartFunction,
    moto: MotoServer,
    unique: str,
    documented: dict[str, frozenset[str]],
    raw: bytes,
    message: str,
) -> None:
    function = start_function("sqs-processor", {"ORDERS_TABLE": create_table(moto, f"orders-{unique}", "message_id")})
    invocation = function.invoke(None, raw=raw)
    assert invocation.body == {"errorType": "InvalidEvent", "errorMessage": message}
    assert invocation.body["errorType"] in documented["sqs-processor"]
    [warning] = json_lines_with_the_request_id(function, invocation)
    assert (warning["level"], warning["message"], warning["error_type"]) == ("WARN", message, "InvalidEvent")


# What the AWS SDK config asks for when Lambda's credentials are missing (common::aws).
KEY_HINT = (
    "the execution role's access key, which Lambda sets (outside Lambda, export your credentials: "
    'eval "$(aws configure export-credentials --format env)", or build with common\'s feature aws-profile)'
)


@pytest.mark.parametrize(
    ("setting", "missing", "hint"),
    [
        ("ORDERS_TABLE", "ORDERS_TABLE", "the name of the orders table"),
        ("AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID", KEY_HINT),
    ],
)
def test_a_missing_setting_at_start_up_is_one_json_line_naming_it(
    flavour: str,
    request: pytest.FixtureRequest,
    moto: MotoServer,
    tmp_path: Path,
    setting: str,
    missing: str,
    hint: str,
) -> None:
    binaries: Path = request.getfixturevalue(f"{flavour}_binaries")
    env = {"AWS_LAMBDA_LOG_LEVEL": "INFO", "ORDERS_TABLE": "orders", **moto.function_env()}
    del env[setting]
    function = Emulator(functions.command(flavour, "sqs-processor", binaries), env, tmp_path / "startup.log")
    try:
        invocation = function.invoke({"Records": []})
        assert (invocation.status, invocation.body) == (502, ""), "the emulator's answer to a runtime that exited"
        [line] = [json.loads(line) for line in function.output_lines()]
    finally:
        function.close()
    assert {k: v for k, v in line.items() if k != "timestamp"} == {
        "level": "ERROR",
        "message": f"init failed: environment variable {missing} is not set: set it to {hint}",
        "variable": missing,
        "target": "common::startup",
    }
