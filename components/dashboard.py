"""StackDashboard: one CloudWatch dashboard per stack, one row per function.

Each row, left to right: invocations, errors and throttles; duration P50 and P99; init duration
(P50, P99), max memory used and cold starts, from the telemetry extension's metrics (namespace
[`EXTENSION_NAMESPACE`], written by functions/telemetry-extension); concurrency, and the depth and
age of the oldest message of each queue the function reads or sends failed events to. The body is
built by a pure function (`dashboard_body`), tested without Pulumi.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

# The telemetry extension's namespace (functions/telemetry-extension/src/metrics.rs, NAMESPACE).
EXTENSION_NAMESPACE = "RustLambda"
PERIOD_SECONDS = 60
ROW_HEIGHT = 6
WIDGET_WIDTH = 6


@dataclass(frozen=True)
class FunctionPanel:
    """What a function's row shows."""

    crate: str
    function_name: pulumi.Input[str]
    # The queues it reads (a work queue) and sends failed events to (a DLQ, an on-failure queue).
    queue_names: Sequence[pulumi.Input[str]] = ()
    # Whether the telemetry extension is attached (its metrics exist).
    extension: bool = True


@dataclass(frozen=True)
class PanelValues:
    """A FunctionPanel with its outputs resolved."""

    crate: str
    function_name: str
    queue_names: Sequence[str]
    extension: bool


def _metric_widget(
    title: str, region: str, x: int, y: int, metrics: list[list[Any]], right_label: str | None = None
) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "title": title,
        "region": region,
        "view": "timeSeries",
        "stacked": False,
        "period": PERIOD_SECONDS,
        "metrics": metrics,
    }
    if right_label is not None:
        properties["yAxis"] = {"right": {"label": right_label, "showUnits": False}}
    return {"type": "metric", "x": x, "y": y, "width": WIDGET_WIDTH, "height": ROW_HEIGHT, "properties": properties}


def _function_row(panel: PanelValues, region: str, y: int) -> list[dict[str, Any]]:
    fn = ["FunctionName", panel.function_name]
    extension = "telemetry extension" if panel.extension else "telemetry extension not attached"
    queues: list[list[Any]] = []
    for queue in panel.queue_names:
        queues.append(["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", queue, {"stat": "Maximum"}])
        queues.append(
            [
                "AWS/SQS",
                "ApproximateAgeOfOldestMessage",
                "QueueName",
                queue,
                {"stat": "Maximum", "yAxis": "right", "label": f"{queue} oldest (s)"},
            ]
        )
    return [
        _metric_widget(
            f"{panel.crate}: invocations, errors, throttles",
            region,
            0,
            y,
            [["AWS/Lambda", name, *fn, {"stat": "Sum"}] for name in ("Invocations", "Errors", "Throttles")],
        ),
        _metric_widget(
            f"{panel.crate}: duration (ms)",
            region,
            WIDGET_WIDTH,
            y,
            [["AWS/Lambda", "Duration", *fn, {"stat": stat, "label": stat.upper()}] for stat in ("p50", "p99")],
        ),
        _metric_widget(
            f"{panel.crate}: init, memory, cold starts ({extension})",
            region,
            2 * WIDGET_WIDTH,
            y,
            [
                [EXTENSION_NAMESPACE, "InitDuration", *fn, {"stat": "p50", "label": "init P50 (ms)"}],
                [EXTENSION_NAMESPACE, "InitDuration", *fn, {"stat": "p99", "label": "init P99 (ms)"}],
                [EXTENSION_NAMESPACE, "MaxMemoryUsed", *fn, {"stat": "Maximum", "label": "max memory (MB)"}],
                [EXTENSION_NAMESPACE, "ColdStart", *fn, {"stat": "Sum", "label": "cold starts", "yAxis": "right"}],
            ],
            right_label="cold starts",
        ),
        _metric_widget(
            f"{panel.crate}: concurrency and queues",
            region,
            3 * WIDGET_WIDTH,
            y,
            [["AWS/Lambda", "ConcurrentExecutions", *fn, {"stat": "Maximum"}], *queues],
            right_label="oldest message (s)" if queues else None,
        ),
    ]


def dashboard_body(dashboard_name: str, region: str, panels: Sequence[PanelValues]) -> dict[str, Any]:
    """The dashboard: a header, then one row of four widgets per function."""
    header = {
        "type": "text",
        "x": 0,
        "y": 0,
        "width": 4 * WIDGET_WIDTH,
        "height": 2,
        "properties": {
            "markdown": f"# {dashboard_name}\nOne row per function. Init duration, max memory and cold starts "
            f"come from the telemetry extension (namespace {EXTENSION_NAMESPACE}); the rest from Lambda and SQS. "
            "Saved Logs Insights queries: cold starts by function, errors with their request ids, slowest "
            "invocations."
        },
    }
    widgets: list[dict[str, Any]] = [header]
    for index, panel in enumerate(panels):
        widgets.extend(_function_row(panel, region, 2 + index * ROW_HEIGHT))
    return {"widgets": widgets}


@dataclass(frozen=True)
class StackDashboardArgs:
    dashboard_name: str
    region: pulumi.Input[str]
    panels: Sequence[FunctionPanel]


class StackDashboard(pulumi.ComponentResource):
    dashboard: aws.cloudwatch.Dashboard

    def __init__(self, name: str, args: StackDashboardArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("rustlambda:index:StackDashboard", name, None, opts)

        def resolved(panel: FunctionPanel) -> pulumi.Output[PanelValues]:
            return pulumi.Output.all(panel.function_name, *panel.queue_names).apply(
                lambda values: PanelValues(panel.crate, values[0], values[1:], panel.extension)
            )

        body = pulumi.Output.all(args.region, *[resolved(p) for p in args.panels]).apply(
            lambda values: json.dumps(dashboard_body(args.dashboard_name, values[0], values[1:]))
        )
        self.dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=args.dashboard_name,
            dashboard_body=body,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"dashboard_name": self.dashboard.dashboard_name})
