"""http-api end to end: the real bootstrap under aws-lambda-rie, DynamoDB in moto, events from the
crate's own fixtures (an API Gateway v2 HTTP API event and a Function URL event)."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

from harness.aws import create_table
from harness.emulator import Emulator
from harness.functions import WORKSPACE
from harness.moto import MotoServer
from tests.e2e.conftest import StartFunction

FIXTURES = WORKSPACE / "http-api" / "tests" / "fixtures"
APIGW_POST = json.loads((FIXTURES / "apigw-v2-post-item.json").read_text())
URL_GET = json.loads((FIXTURES / "function-url-get-item.json").read_text())


def request(
    template: dict[str, Any], method: str, path: str, body: str | None = None, **headers: str
) -> dict[str, Any]:
    event = copy.deepcopy(template)
    event["rawPath"] = path
    event["requestContext"]["http"]["method"] = method
    event["requestContext"]["http"]["path"] = path
    event["body"] = body
    event["headers"].update(headers)
    return event


def call(function: Emulator, event: dict[str, Any]) -> tuple[int, Any]:
    invocation = function.invoke(event)
    assert invocation.status == 200, invocation.body
    response = invocation.body
    assert response["headers"]["content-type"] == "application/json", response
    return response["statusCode"], json.loads(response["body"])


@pytest.fixture
def api(start_function: StartFunction, moto: MotoServer, unique: str) -> Emulator:
    table = create_table(moto, f"items-{unique}", "id")
    return start_function("http-api", {"ITEMS_TABLE": table})


@pytest.mark.parametrize("template", [APIGW_POST, URL_GET], ids=["http-api-v2", "function-url"])
def test_create_read_and_errors(api: Emulator, moto: MotoServer, template: dict[str, Any]) -> None:
    assert call(api, request(template, "GET", "/health")) == (200, {"status": "ok"})

    body = json.dumps({"id": "widget-1", "name": "Widget", "quantity": 3})
    status, created = call(api, request(template, "POST", "/items", body, **{"content-type": "application/json"}))
    assert status == 201
    assert created["id"] == "widget-1" and created["name"] == "Widget" and created["quantity"] == 3
    assert isinstance(created["created_at"], int)

    assert call(api, request(template, "GET", "/items/widget-1")) == (200, created)
    assert call(api, request(template, "GET", "/items/nope")) == (
        404,
        {"error": "not_found", "message": "item 'nope' not found"},
    )
    assert call(api, request(template, "GET", "/unknown")) == (
        404,
        {
            "error": "route_not_found",
            "message": "no route for GET /unknown: the routes are GET /health, GET /items/{id} and POST /items",
        },
    )
    status, error = call(
        api, request(template, "POST", "/items", '{"name": ""}', **{"content-type": "application/json"})
    )
    assert (status, error["error"], error["field"]) == (400, "missing_field", "id")
    status, error = call(
        api, request(template, "POST", "/items", '{"id": "a", "name": ""}', **{"content-type": "application/json"})
    )
    assert (status, error["error"], error["field"]) == (400, "empty_field", "name")
    status, error = call(api, request(template, "POST", "/items", "{not json", **{"content-type": "application/json"}))
    assert (status, error["error"], error["field"]) == (400, "invalid_json", "body")
    status, error = call(api, request(template, "POST", "/items", body, **{"content-type": "text/plain"}))
    assert (status, error["field"]) == (400, "content-type")
    assert call(api, request(template, "POST", "/items", body, **{"content-type": "application/json"}))[0] == 409


def test_every_log_line_of_an_invocation_carries_its_request_id(api: Emulator) -> None:
    invocation = api.invoke(request(APIGW_POST, "GET", "/items/missing"))
    assert invocation.status == 200
    ours = [line for line in api.json_logs() if invocation.request_id in json.dumps(line)]
    assert ours, "the invocation logged nothing"
    for line in ours:
        assert line["span"]["requestId"] == invocation.request_id, line
    assert re.search(rf"REPORT RequestId: {invocation.request_id}\s+Init Duration: [0-9.]+ ms\s+Duration", api.logs())


def request_handled_lines(function: Emulator, request_id: str) -> list[dict[str, Any]]:
    return [
        line
        for line in function.json_logs()
        if line.get("span", {}).get("requestId") == request_id and line.get("message") == "request handled"
    ]


def test_the_log_level_follows_lambdas_logging_config(
    api: Emulator, start_function: StartFunction, moto: MotoServer, unique: str
) -> None:
    """Lambda sets AWS_LAMBDA_LOG_LEVEL from the function's ApplicationLogLevel: at WARN, the INFO
    line each request logs is dropped; by default (INFO) it is written."""
    invocation = api.invoke(request(APIGW_POST, "GET", "/items/missing"))
    [line] = request_handled_lines(api, invocation.request_id)
    assert (line["level"], line["status"]) == ("INFO", 404)

    table = create_table(moto, f"items-warn-{unique}", "id")
    quiet = start_function("http-api", {"ITEMS_TABLE": table, "AWS_LAMBDA_LOG_LEVEL": "WARN"})
    invocation = quiet.invoke(request(APIGW_POST, "GET", "/items/missing"))
    assert invocation.status == 200 and invocation.body["statusCode"] == 404
    assert request_handled_lines(quiet, invocation.request_id) == []
