"""Python baseline of functions/http-api: the same routes, JSON errors and DynamoDB calls.

GET /health, GET /items/{id}, POST /items on the table named by ITEMS_TABLE; every error is JSON
{"error", "message", "field"?}. Written the way a Python Lambda usually is: boto3's low-level
client built at init, one handler function, JSON log lines carrying the request id.
"""

from __future__ import annotations

import base64
import json
import re
import time
from typing import Any

import boto3
from runtime_support import REGION, Logger, required_env

MAX_BODY_BYTES = 64 * 1024
ID_RULE = "a string of 1 to 64 letters, digits, '-' or '_'"
NAME_RULE = "a non-blank string of at most 200 characters"
QUANTITY_RULE = "a whole number from 0 to 1000000"
MAX_QUANTITY = 1_000_000
ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
ROUTES = "GET /health, GET /items/{id} and POST /items"


log = Logger("http_api")


TABLE = required_env("ITEMS_TABLE", "the name of the items table")
DYNAMODB = boto3.client("dynamodb", region_name=REGION)


class ApiError(Exception):
    def __init__(self, status: int, error: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.error, self.message, self.field = status, error, message, field

    def body(self) -> dict[str, Any]:
        body = {"error": self.error, "message": self.message}
        if self.field is not None:
            body["field"] = self.field
        return body


def bad_field(code: str, field: str, message: str) -> ApiError:
    return ApiError(400, code, message, field)


def required_string(body: dict[str, Any], field: str, rule: str) -> str:
    value = body.get(field)
    if value is None:
        raise bad_field("missing_field", field, f"field '{field}' is required: {rule}")
    if not isinstance(value, str):
        raise bad_field("invalid_field", field, f"field '{field}' is invalid: expected {rule}")
    if not value.strip():
        raise bad_field("empty_field", field, f"field '{field}' is empty: {rule}")
    return value


def validate_new_item(body: Any) -> tuple[str, str, int]:
    if not isinstance(body, dict):
        raise bad_field(
            "invalid_body",
            "body",
            "the request body must be a JSON object with fields 'id', 'name' and optionally 'quantity'",
        )
    item_id = required_string(body, "id", ID_RULE)
    if not ID_PATTERN.fullmatch(item_id):
        raise bad_field("invalid_field", "id", f"field 'id' is invalid: expected {ID_RULE}")
    name = required_string(body, "name", NAME_RULE)
    if len(name) > 200:
        raise bad_field("invalid_field", "name", f"field 'name' is invalid: expected {NAME_RULE}")
    quantity = body.get("quantity")
    if quantity is None:
        quantity = 0
    elif isinstance(quantity, bool) or not isinstance(quantity, int) or not 0 <= quantity <= MAX_QUANTITY:
        raise bad_field("invalid_field", "quantity", f"field 'quantity' is invalid: expected {QUANTITY_RULE}")
    return item_id, name, quantity


def internal(error: Exception) -> ApiError:
    log("ERROR", "item store call failed", error=str(error))
    return ApiError(500, "internal", "the item store is unavailable: retry later")


def get_item(item_id: str) -> dict[str, Any]:
    if not ID_PATTERN.fullmatch(item_id):
        raise bad_field("invalid_field", "id", f"path parameter 'id' is invalid: expected {ID_RULE}")
    try:
        found = DYNAMODB.get_item(TableName=TABLE, Key={"id": {"S": item_id}}).get("Item")
    except Exception as error:
        raise internal(error) from error
    if found is None:
        raise ApiError(404, "not_found", f"item '{item_id}' not found")
    try:
        return {
            "id": found["id"]["S"],
            "name": found["name"]["S"],
            "quantity": int(found["quantity"]["N"]),
            "created_at": int(found["created_at"]["N"]),
        }
    except (KeyError, ValueError) as error:
        raise internal(error) from error


def create_item(headers: dict[str, str], raw: bytes) -> dict[str, Any]:
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise ApiError(
            400, "unsupported_content_type", "header 'content-type' must be application/json", "content-type"
        )
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(413, "body_too_large", f"the request body is {len(raw)} bytes: at most {MAX_BODY_BYTES}", "body")
    try:
        parsed = json.loads(raw)
    except ValueError as error:
        raise ApiError(400, "invalid_json", f"the request body is not valid JSON: {error}", "body") from error
    item_id, name, quantity = validate_new_item(parsed)
    item = {"id": item_id, "name": name, "quantity": quantity, "created_at": int(time.time())}
    try:
        DYNAMODB.put_item(
            TableName=TABLE,
            Item={
                "id": {"S": item_id},
                "name": {"S": name},
                "quantity": {"N": str(quantity)},
                "created_at": {"N": str(item["created_at"])},
            },
            ConditionExpression="attribute_not_exists(id)",
        )
    except DYNAMODB.exceptions.ConditionalCheckFailedException as error:
        raise ApiError(409, "conflict", f"item '{item_id}' already exists: choose another id", "id") from error
    except Exception as error:
        raise internal(error) from error
    return item


def route(method: str, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, Any]]:
    if path == "/health":
        if method != "GET":
            raise ApiError(405, "method_not_allowed", f"{method} is not allowed on {path}")
        return 200, {"status": "ok"}
    if path == "/items":
        if method != "POST":
            raise ApiError(405, "method_not_allowed", f"{method} is not allowed on {path}")
        return 201, create_item(headers, raw)
    segments = path.split("/")
    if len(segments) == 3 and segments[1] == "items" and segments[2]:
        if method != "GET":
            raise ApiError(405, "method_not_allowed", f"{method} is not allowed on {path}")
        return 200, get_item(segments[2])
    raise ApiError(404, "route_not_found", f"no route for {method} {path}: the routes are {ROUTES}")


def response(status: int, body: dict[str, Any], extra: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json", **(extra or {})},
        "body": json.dumps(body, separators=(",", ":"), ensure_ascii=False),
        "isBase64Encoded": False,
    }


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    log.request_id = context.aws_request_id
    http = event.get("requestContext", {}).get("http", {})
    method = str(http.get("method", "GET")).upper()
    path = str(event.get("rawPath") or http.get("path") or "/")
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    body = event.get("body") or ""
    raw = base64.b64decode(body) if event.get("isBase64Encoded") else str(body).encode()
    try:
        status, payload = route(method, path, headers, raw)
        extra = {"location": f"/items/{payload['id']}"} if status == 201 else None
        result = response(status, payload, extra)
    except ApiError as error:
        status, result = error.status, response(error.status, error.body())
    log("INFO", "request handled", method=method, path=path, status=status)
    return result
