"""SavedQueries: the stack's saved CloudWatch Logs Insights queries, over every function's log group.

The functions log JSON, and so does Lambda for them (`logFormat` JSON): each invocation's
`platform.report` line carries its request id, duration, memory and, on a cold start, its init
duration (components/function.py keeps Lambda's own lines at INFO for these). Our lines carry
`level`, `message` and the invocation's `span.requestId`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

# Query name (under the stack's folder) -> query string.
QUERIES: dict[str, str] = {
    "cold-starts-by-function": "\n".join(
        [
            'filter type = "platform.report" and ispresent(record.metrics.initDurationMs)',
            "| stats count(*) as coldStarts, avg(record.metrics.initDurationMs) as avgInitMs,"
            " pct(record.metrics.initDurationMs, 95) as p95InitMs, pct(record.metrics.initDurationMs, 99) as p99InitMs,"
            " max(record.metrics.maxMemoryUsedMB) as maxMemoryMB by @log",
            "| sort coldStarts desc",
        ]
    ),
    "errors-with-request-ids": "\n".join(
        [
            'filter level = "ERROR" or (type = "platform.report" and record.status != "success")',
            "| fields @timestamp, @log, coalesce(span.requestId, record.requestId) as requestId,"
            " coalesce(message, record.status) as error, coalesce(error_type, record.errorType) as errorType",
            "| sort @timestamp desc",
            "| limit 100",
        ]
    ),
    "slowest-invocations": "\n".join(
        [
            'filter type = "platform.report"',
            "| fields @timestamp, @log, record.requestId as requestId, record.metrics.durationMs as durationMs,"
            " record.metrics.billedDurationMs as billedMs, record.metrics.maxMemoryUsedMB as memoryMB,"
            " ispresent(record.metrics.initDurationMs) as coldStart",
            "| sort durationMs desc",
            "| limit 25",
        ]
    ),
}


@dataclass(frozen=True)
class SavedQueriesArgs:
    # The folder the queries are saved under in the console (the stack's prefix).
    folder: str
    log_group_names: Sequence[pulumi.Input[str]]


class SavedQueries(pulumi.ComponentResource):
    queries: dict[str, aws.cloudwatch.QueryDefinition]

    def __init__(self, name: str, args: SavedQueriesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("rustlambda:index:SavedQueries", name, None, opts)
        self.queries = {
            query: aws.cloudwatch.QueryDefinition(
                f"{name}-{query}",
                name=f"{args.folder}/{query}",
                query_string=text,
                log_group_names=list(args.log_group_names),
                opts=pulumi.ResourceOptions(parent=self),
            )
            for query, text in QUERIES.items()
        }
        self.register_outputs({"names": [q.name for q in self.queries.values()]})
