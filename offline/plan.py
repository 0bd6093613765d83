"""A readable plan from the program's registrations: one line per resource with the properties that
matter for review, values as the user wrote them.

Pure: takes registration dicts as offline.engine writes them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# The key of Pulumi's wire-format signature; its value tells a secret, an asset or an archive.
SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d"
SECRET_VALUE_SIG = "1b47061264138c4ac30d75fd1eb44270"
ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

# Per resource type, the inputs a reviewer looks at first (wire names).
KEY_PROPERTIES: dict[str, tuple[str, ...]] = {
    "aws:lambda/function:Function": (
        "runtime",
        "architectures",
        "memorySize",
        "timeout",
        "reservedConcurrentExecutions",
    ),
    "aws:cloudwatch/logGroup:LogGroup": ("name", "retentionInDays"),
    "aws:dynamodb/table:Table": ("name", "hashKey", "billingMode"),
    "aws:sqs/queue:Queue": ("name", "visibilityTimeoutSeconds"),
    "aws:lambda/eventSourceMapping:EventSourceMapping": ("batchSize", "functionResponseTypes"),
    "aws:lambda/permission:Permission": ("principal", "sourceArn"),
    "aws:cloudwatch/eventRule:EventRule": ("scheduleExpression",),
    "aws:apigatewayv2/route:Route": ("routeKey", "authorizationType"),
    "aws:lambda/functionUrl:FunctionUrl": ("authorizationType",),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("metricName", "threshold"),
    "aws:lambda/capacityProvider:CapacityProvider": ("name",),
    "aws:secretsmanager/secret:Secret": ("name",),
}


@dataclass(frozen=True)
class PlanLine:
    type: str
    name: str
    properties: dict[str, Any]


def render_value(value: Any) -> Any:
    """A value as the user wrote it: whole numbers without the `.0` the wire format adds (all
    numbers arrive as floats), secrets and assets as placeholders, unknowns as Pulumi says them."""
    if isinstance(value, dict) and SECRET_SIGNATURE in value:
        return "[secret]" if value[SECRET_SIGNATURE] == SECRET_VALUE_SIG else value.get("path", "[asset]")
    if value == UNKNOWN:
        return "(known after apply)"
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [render_value(v) for v in value]
    if isinstance(value, dict):
        return {k: render_value(v) for k, v in value.items()}
    return value


def plan_lines(registrations: Iterable[dict[str, Any]]) -> list[PlanLine]:
    lines = []
    for r in registrations:
        if not r["custom"]:
            continue
        wanted = KEY_PROPERTIES.get(r["type"], ())
        properties = {k: render_value(r["inputs"][k]) for k in wanted if k in r["inputs"]}
        lines.append(PlanLine(r["type"], r["name"], properties))
    return sorted(lines, key=lambda line: (line.type, line.name))


def format_plan(lines: list[PlanLine]) -> str:
    out = []
    width = max((len(line.type) for line in lines), default=0)
    for line in lines:
        props = ", ".join(f"{k}={v}" for k, v in line.properties.items())
        out.append(f"  + {line.type:<{width}}  {line.name}" + (f"  ({props})" if props else ""))
    return "\n".join(out)
