"""Python baseline of functions/scheduled-job: deletes the items of ITEMS_TABLE whose numeric
`created_at` (epoch seconds) is older than RETENTION_DAYS before the event's `time`, scanning page by
page and deleting in batches of 25 (unprocessed keys retried up to 5 attempts with backoff)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import boto3
from runtime_support import REGION, Logger, required_env, whole_number_env

SECONDS_PER_DAY = 86_400
MAX_BATCH = 25
MAX_ATTEMPTS = 5
RETRY_BASE_DELAY_S = 0.05
FILTER_EXPRESSION = "attribute_type(created_at, :number) AND created_at < :cutoff"


log = Logger("scheduled_job")


TABLE = required_env("ITEMS_TABLE", "the name of the items table")
RETENTION_DAYS = whole_number_env("RETENTION_DAYS", 30, "a whole number of days")
DYNAMODB = boto3.client("dynamodb", region_name=REGION)


class MissingTime(Exception):
    pass


class CutoffOutOfRange(Exception):
    pass


class ScanFailed(Exception):
    pass


class NotAllDeleted(Exception):
    pass


def summary_text(summary: dict[str, int]) -> str:
    return ", ".join(f"{name} {value}" for name, value in summary.items())


def cutoff(event: dict[str, Any]) -> int:
    raw = event.get("time")
    if not isinstance(raw, str):
        raise MissingTime(
            'the event has no "time" field: the time the schedule fired (RFC 3339) is the reference for the '
            "retention cutoff"
        )
    try:
        fired = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        return int(fired.timestamp()) - RETENTION_DAYS * SECONDS_PER_DAY
    except (ValueError, OverflowError):
        raise CutoffOutOfRange(
            f'the retention cutoff is out of range: event "time" {raw} minus RETENTION_DAYS={RETENTION_DAYS} days '
            "cannot be represented in epoch seconds"
        ) from None


def delete(keys: list[dict[str, Any]], summary: dict[str, int]) -> str | None:
    """Deletes one batch, retrying unprocessed keys; returns the last error, if any."""
    last_error = None
    for attempt in range(1, MAX_ATTEMPTS + 1):
        sent = len(keys)
        try:
            output = DYNAMODB.batch_write_item(RequestItems={TABLE: [{"DeleteRequest": {"Key": key}} for key in keys]})
            unprocessed = [
                request["DeleteRequest"]["Key"]
                for request in output.get("UnprocessedItems", {}).get(TABLE, [])
                if "DeleteRequest" in request
            ][:sent]
            summary["deleted"] += sent - len(unprocessed)
            keys = unprocessed
        except Exception as error:
            log("WARN", "delete batch failed", attempt=attempt, keys=sent, error=str(error))
            last_error = f"BatchWriteItem on table {TABLE} failed: {error}"
        if not keys:
            return last_error
        if attempt < MAX_ATTEMPTS:
            time.sleep(RETRY_BASE_DELAY_S * 2 ** (attempt - 1))
    summary["failed"] += len(keys)
    return last_error


def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    log.request_id = context.aws_request_id
    summary = {
        "cutoff": cutoff(event),
        "retention_days": RETENTION_DAYS,
        "scanned": 0,
        "expired": 0,
        "deleted": 0,
        "failed": 0,
    }
    pending: list[dict[str, Any]] = []
    scan_error = last_error = None
    start: dict[str, Any] | None = None
    while True:
        request: dict[str, Any] = {
            "TableName": TABLE,
            "FilterExpression": FILTER_EXPRESSION,
            "ProjectionExpression": "#pk",
            "ExpressionAttributeNames": {"#pk": "id"},
            "ExpressionAttributeValues": {":number": {"S": "N"}, ":cutoff": {"N": str(summary["cutoff"])}},
        }
        if start:
            request["ExclusiveStartKey"] = start
        try:
            page = DYNAMODB.scan(**request)
        except Exception as error:
            scan_error = f"Scan of table {TABLE} failed: {error}"
            break
        keys = [key for key in page.get("Items", []) if key]
        summary["scanned"] += int(page.get("ScannedCount", 0))
        summary["expired"] += len(keys)
        pending.extend(keys)
        while len(pending) >= MAX_BATCH:
            batch, pending = pending[:MAX_BATCH], pending[MAX_BATCH:]
            last_error = delete(batch, summary) or last_error
        following = page.get("LastEvaluatedKey") or None
        if following is None:
            break
        if following == start:
            scan_error = "the scan returned the LastEvaluatedKey it was started from"
            break
        start = following
    if pending:
        last_error = delete(pending, summary) or last_error
    log("INFO", "retention run finished", **summary)
    if scan_error is not None:
        raise ScanFailed(f"the scan for expired items did not finish ({summary_text(summary)}): {scan_error}")
    if summary["failed"]:
        raise NotAllDeleted(
            f"{summary['failed']} of {summary['expired']} expired items were not deleted after {MAX_ATTEMPTS} "
            f"attempts per batch ({summary_text(summary)}); last error: {last_error}"
        )
    return summary
