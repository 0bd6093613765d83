"""Python baseline of functions/lmi-worker: item lookups on ITEMS_TABLE through a cache of
CACHE_TTL_SECONDS (at most 10,000 entries, misses not cached). Sequential only: one invocation at a
time per process, as awslambdaric serves them (the Rust function serves up to
AWS_LAMBDA_MAX_CONCURRENCY at once in one process)."""

from __future__ import annotations

import json
import os
import re
import time
from decimal import Decimal
from typing import Any

import boto3
from runtime_support import REGION, Logger, required_env, whole_number_env

MAX_IDS = 100
MAX_ENTRIES = 10_000
ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")


log = Logger("lmi_worker")


TABLE = required_env("ITEMS_TABLE", "the name of the items table")
CACHE_TTL = whole_number_env("CACHE_TTL_SECONDS", 60, "a whole number of seconds")
PANIC_ON_ID = os.environ.get("LMI_PANIC_ON_ITEM_ID")
DYNAMODB = boto3.client("dynamodb", region_name=REGION)
CACHE: dict[str, tuple[dict[str, Any], float]] = {}


class InvalidRequest(Exception):
    pass


class StoreError(Exception):
    pass


def attribute_to_json(value: dict[str, Any]) -> Any:
    if "S" in value:
        return value["S"]
    if "N" in value:
        number = Decimal(value["N"])
        return int(number) if number == number.to_integral_value() and "." not in value["N"] else float(number)
    if "BOOL" in value:
        return bool(value["BOOL"])
    return None


def cache_get(item_id: str) -> dict[str, Any] | None:
    hit = CACHE.get(item_id)
    return hit[0] if hit is not None and time.monotonic() - hit[1] < CACHE_TTL else None


def cache_insert(item_id: str, item: dict[str, Any]) -> None:
    now = time.monotonic()
    if len(CACHE) >= MAX_ENTRIES:
        for stale in [key for key, (_, stored_at) in CACHE.items() if now - stored_at >= CACHE_TTL]:
            del CACHE[stale]
    if len(CACHE) < MAX_ENTRIES:
        CACHE[item_id] = (item, now)


def lookup(item_id: str) -> dict[str, Any] | None:
    try:
        found = DYNAMODB.get_item(TableName=TABLE, Key={"id": {"S": item_id}}).get("Item")
    except Exception as error:
        raise StoreError(f"DynamoDB GetItem on table {TABLE} failed for item {json.dumps(item_id)}: {error}") from None
    return None if found is None else {name: attribute_to_json(value) for name, value in found.items()}


def handler(event: Any, context: Any) -> dict[str, Any]:
    log.request_id = context.aws_request_id
    if not isinstance(event, dict) or set(event) != {"item_ids"} or not isinstance(event["item_ids"], list):
        raise InvalidRequest("the request must be a JSON object with exactly one field, 'item_ids' (a list of ids)")
    ids: list[Any] = event["item_ids"]
    if not 1 <= len(ids) <= MAX_IDS:
        raise InvalidRequest(f"field 'item_ids' must hold 1 to {MAX_IDS} ids, got {len(ids)}")
    for index, item_id in enumerate(ids):
        if not isinstance(item_id, str) or not ID_PATTERN.fullmatch(item_id):
            raise InvalidRequest(
                f"item_ids[{index}] is invalid: expected a string of 1 to 64 letters, digits, '-' or '_'"
            )
    if PANIC_ON_ID is not None and PANIC_ON_ID in ids:
        raise RuntimeError(f"fault injection: item id {json.dumps(PANIC_ON_ID)} requested")
    cached = [cache_get(item_id) for item_id in ids]
    cache_hits = sum(hit is not None for hit in cached)
    items, missing = [], []
    for item_id, hit in zip(ids, cached, strict=True):
        found = hit if hit is not None else lookup(item_id)
        if found is None:
            missing.append(item_id)
            continue
        if hit is None:
            cache_insert(item_id, found)
        items.append(found)
    log("INFO", "lookup done", requested=len(ids), found=len(items), cache_hits=cache_hits)
    return {"items": items, "missing": missing, "cache_hits": cache_hits}
