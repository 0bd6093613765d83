"""What CloudWatch saw of each deployed function over the last N days, for the cost estimate
(`--from-cloudwatch N`): its average duration and its invocations (the AWS/Lambda metrics), and the
largest "Max Memory Used" of its invocations (Lambda publishes no memory metric: it is read from the
`platform.report` records of the function's JSON logs).

Reads through boto3 with the caller's credentials (the usual AWS_* settings, AWS_ENDPOINT_URL too).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

DAY_SECONDS = 86_400
# Bounds on reading logs: a busy function has millions of reports a month; the largest of the first
# ones read is a sample (Observed.reports_read says of how many).
MAX_LOG_PAGES = 20
MAX_REPORTS = 10_000


class CloudWatchError(RuntimeError):
    """CloudWatch could not be read; the message says why and what to do."""


@dataclass(frozen=True)
class Observed:
    invocations: int
    duration_ms: float | None  # the average over the invocations, None without any
    max_memory_used_mb: int | None  # None when no report was found
    reports_read: int


def observe(log_groups: Mapping[str, str], days: int, region: str, now: datetime | None = None) -> dict[str, Observed]:
    """`log_groups` maps each deployed function name to its log group."""
    end = now or datetime.now(UTC)
    start = end - timedelta(days=days)
    observed = {}
    try:
        # A session of its own: boto3's default one keeps the credentials it found first.
        session = boto3.session.Session(region_name=region)
        metrics, logs = session.client("cloudwatch"), session.client("logs")
        for function, log_group in log_groups.items():
            samples, duration = _duration(metrics, function, start, end)
            memory, reports = _max_memory_used(logs, log_group, start, end)
            observed[function] = Observed(samples, duration, memory, reports)
    except (BotoCoreError, ClientError) as error:
        raise CloudWatchError(
            f"reading CloudWatch in {region} failed: {error}: set AWS credentials that may call "
            "cloudwatch:GetMetricStatistics and logs:FilterLogEvents, or leave out --from-cloudwatch"
        ) from None
    return observed


def _duration(metrics: Any, function: str, start: datetime, end: datetime) -> tuple[int, float | None]:
    """(invocations, average duration): daily averages weighted by their sample counts."""
    points = metrics.get_metric_statistics(
        Namespace="AWS/Lambda",
        MetricName="Duration",
        Dimensions=[{"Name": "FunctionName", "Value": function}],
        StartTime=start,
        EndTime=end,
        Period=DAY_SECONDS,
        Statistics=["Average", "SampleCount"],
    )["Datapoints"]
    samples = sum(p["SampleCount"] for p in points)
    if not samples:
        return 0, None
    return int(samples), sum(p["Average"] * p["SampleCount"] for p in points) / samples


def _max_memory_used(logs: Any, log_group: str, start: datetime, end: datetime) -> tuple[int | None, int]:
    """(the largest maxMemoryUsedMB, reports read) of the log group's platform.report records."""
    largest: int | None = None
    reports = 0
    request: dict[str, Any] = {
        "logGroupName": log_group,
        "startTime": int(start.timestamp() * 1000),
        "endTime": int(end.timestamp() * 1000),
        "filterPattern": '"platform.report"',
    }
    for _ in range(MAX_LOG_PAGES):
        try:
            page = logs.filter_log_events(**request)
        except logs.exceptions.ResourceNotFoundException:
            return None, 0
        for event in page.get("events", []):
            used = _report_memory(event["message"])
            if used is not None:
                largest = used if largest is None else max(largest, used)
                reports += 1
        if "nextToken" not in page or reports >= MAX_REPORTS:
            break
        request["nextToken"] = page["nextToken"]
    return largest, reports


def _report_memory(message: str) -> int | None:
    """maxMemoryUsedMB of a JSON-format platform.report record, None for any other line."""
    try:
        record = json.loads(message)
    except json.JSONDecodeError:
        return None
    if not isinstance(record, dict) or record.get("type") != "platform.report":
        return None
    used = (record.get("record") or {}).get("metrics", {}).get("maxMemoryUsedMB")
    return int(used) if isinstance(used, int | float) else None
