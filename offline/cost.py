"""The cost table of a planned stack: what each function costs a month on standard Lambda and on
Managed Instances, the rate from which Managed Instances is cheaper, and a recommendation (the
arithmetic and the prices: model/cost.py). offline.preview prints it and writes it into the JSON plan;
offline.diff compares two plans' tables.

Inputs, per function:
- memory, architecture and Managed Instances settings: the plan's function resources;
- requests: the stack's `traffic` config, else the function's schedule (rate(...) triggers), else
  CloudWatch's invocations (with `--from-cloudwatch N`);
- average duration: `traffic.<function>.durationMs`, else CloudWatch's (when asked for: a deployed
  function's own figure beats a benchmark), else the bench's (bench/results.json: the Rust build's
  warm mean with its AWS calls answered by a local moto server, so a floor for real AWS latency).

    python -m offline.cost plan.json [--from-cloudwatch 14]    # the table of a saved plan
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from model import stack_config
from model.contract import FunctionContract, ManagedInstancesCompute, ScheduleTrigger, load_contracts
from model.cost import (
    MI_MIN_INSTANCES,
    SECONDS_PER_MONTH,
    CostInputError,
    FunctionCost,
    FunctionShape,
    ManagedInstancesShape,
    StackCost,
    Usage,
    estimate,
    load_prices,
    money,
)
from offline import cloudwatch, engine

BENCH_RESULTS = engine.REPO_ROOT / "bench" / "results.json"
FUNCTION_TYPE = "aws:lambda/function:Function"
# The release step sets each version's scaling config on Managed Instances (components/release.py):
# its environment carries the bounds.
RELEASE_STEP_TYPE = "command:local:Command"
# A function not placed on managed-instances is built on lambda_runtime::run, which serves one
# invocation at a time: that is how it would run on Managed Instances as it stands.
ONE_AT_A_TIME = ManagedInstancesShape(memory_gib_per_vcpu=2, max_concurrency=1, min_environments=MI_MIN_INSTANCES)
RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86_400}
# CloudWatch keeps daily statistics for 455 days.
MAX_CLOUDWATCH_DAYS = 455


@dataclass(frozen=True)
class Measured:
    """A function's figures from the bench or from CloudWatch."""

    duration_ms: float | None
    memory_used_mb: int | None
    requests_per_month: float | None
    source: str


@dataclass(frozen=True)
class CostReport:
    cost: StackCost
    memory_used: dict[str, tuple[int, str]]  # function -> (MB, where from)


# --- the plan's functions ------------------------------------------------------------------------


def plan_functions(
    resources: Sequence[Mapping[str, Any]], outputs: Mapping[str, Any], contracts: Mapping[str, FunctionContract]
) -> list[FunctionShape]:
    """Each function of the plan (its `functionNames` output names them), as its resource sets it."""
    by_name = {r["inputs"].get("name"): r["inputs"] for r in resources if r["type"] == FUNCTION_TYPE}
    release_steps = [r["inputs"].get("environment") or {} for r in resources if r["type"] == RELEASE_STEP_TYPE]
    scaling = {env.get("RELEASE_FUNCTION"): env for env in release_steps}
    shapes = []
    for crate, deployed in sorted((outputs.get("functionNames") or {}).items()):
        inputs = by_name.get(deployed)
        if inputs is None:
            raise CostInputError(f"the plan exports functionNames.{crate}={deployed!r} but has no such function")
        attached = (inputs.get("capacityProviderConfig") or {}).get("lambdaManagedInstancesCapacityProviderConfig")
        compute = contracts[crate].compute if crate in contracts else None
        if attached:
            limits = scaling.get(deployed) or {}
            shape = ManagedInstancesShape(
                memory_gib_per_vcpu=int(attached["executionEnvironmentMemoryGibPerVcpu"]),
                max_concurrency=int(attached["perExecutionEnvironmentMaxConcurrency"]),
                min_environments=int(limits.get("RELEASE_MIN_ENVIRONMENTS", MI_MIN_INSTANCES)),
            )
        elif isinstance(compute, ManagedInstancesCompute):
            shape = ManagedInstancesShape(compute.memory_gib_per_vcpu, compute.max_concurrency, MI_MIN_INSTANCES)
        else:
            shape = ONE_AT_A_TIME
        shapes.append(
            FunctionShape(
                name=crate,
                memory_mb=int(inputs.get("memorySize", 128)),  # Lambda's default memory
                architecture=(inputs.get("architectures") or ["x86_64"])[0],  # Lambda's default architecture
                on_managed_instances=bool(attached),
                managed_instances=shape,
            )
        )
    return shapes


def log_groups(resources: Sequence[Mapping[str, Any]], outputs: Mapping[str, Any]) -> dict[str, str]:
    """Each deployed function name and its log group (its logging config's, else Lambda's default)."""
    deployed = set((outputs.get("functionNames") or {}).values())
    groups = {}
    for r in resources:
        name = r["inputs"].get("name")
        if r["type"] == FUNCTION_TYPE and name in deployed:
            groups[name] = (r["inputs"].get("loggingConfig") or {}).get("logGroup") or f"/aws/lambda/{name}"
    return groups


def schedule_requests_per_month(expression: str) -> float | None:
    """Invocations a month of an EventBridge `rate(...)` schedule; None for a cron expression."""
    match = RATE.match(expression)
    if match is None:
        return None
    count, unit = int(match[1]), match[2].rstrip("s")
    return SECONDS_PER_MONTH / (count * UNIT_SECONDS[unit])


# --- measured figures ----------------------------------------------------------------------------


def bench_figures(path: Path = BENCH_RESULTS) -> dict[str, Measured]:
    """Per function, the Rust build's warm mean duration (with AWS calls where the bench makes them)
    and its peak RSS, from the bench's results file; empty when there is none."""
    if not path.is_file():
        return {}
    results = json.loads(path.read_text()).get("results", {})
    figures = {}
    for name, runtimes in results.items():
        rust = runtimes.get("rust") or {}
        warm = rust.get("warm_aws") or rust.get("warm_no_aws") or {}
        duration = (warm.get("duration_ms") or {}).get("mean")
        rss = rust.get("peak_rss_kib")
        figures[name] = Measured(
            duration_ms=float(duration) if duration else None,
            memory_used_mb=round(rss / 1024) if rss else None,
            requests_per_month=None,
            source="bench",
        )
    return figures


def cloudwatch_figures(
    resources: Sequence[Mapping[str, Any]], outputs: Mapping[str, Any], days: int, region: str
) -> dict[str, Measured]:
    groups = log_groups(resources, outputs)
    observed = cloudwatch.observe(groups, days, region)
    figures = {}
    for crate, deployed in (outputs.get("functionNames") or {}).items():
        seen = observed.get(deployed)
        if seen is None:
            continue
        figures[crate] = Measured(
            duration_ms=seen.duration_ms,
            memory_used_mb=seen.max_memory_used_mb,
            requests_per_month=seen.invocations * SECONDS_PER_MONTH / (days * cloudwatch.DAY_SECONDS),
            source=f"cloudwatch {days}d",
        )
    return figures


def usages(
    functions: Sequence[FunctionShape],
    contracts: Mapping[str, FunctionContract],
    traffic: Mapping[str, stack_config.FunctionTraffic],
    measured: Sequence[Mapping[str, Measured]],
) -> dict[str, Usage]:
    """Each function's usage from the first source that knows it (see the module's docstring);
    `measured` in order of preference. A function with no known rate or duration is left out."""
    found = {}
    for function in functions:
        name = function.name
        given = traffic.get(name, stack_config.FunctionTraffic())
        requests: tuple[float, str] | None = None
        if given.requests_per_month is not None:
            requests = (float(given.requests_per_month), "config")
        elif given.requests_per_second is not None:
            requests = (given.requests_per_second * SECONDS_PER_MONTH, "config")
        elif name in contracts and isinstance(trigger := contracts[name].trigger, ScheduleTrigger):
            per_month = schedule_requests_per_month(trigger.expression)
            requests = (per_month, "schedule") if per_month is not None else None
        duration: tuple[float, str] | None = (given.duration_ms, "config") if given.duration_ms else None
        for source in measured:
            figures = source.get(name)
            if figures is None:
                continue
            if requests is None and figures.requests_per_month is not None:
                requests = (figures.requests_per_month, figures.source)
            if duration is None and figures.duration_ms:
                duration = (figures.duration_ms, figures.source)
        if requests is not None and duration is not None:
            found[name] = Usage(requests[0], duration[0], requests[1], duration[1])
    return found


def memory_used(measured: Sequence[Mapping[str, Measured]]) -> dict[str, tuple[int, str]]:
    used: dict[str, tuple[int, str]] = {}
    for source in reversed(measured):  # the preferred source last, so that it wins
        for name, figures in source.items():
            if figures.memory_used_mb is not None:
                used[name] = (figures.memory_used_mb, figures.source)
    return used


def stack_cost(
    resources: Sequence[Mapping[str, Any]],
    outputs: Mapping[str, Any],
    config: Mapping[str, Any],
    project_dir: Path,
    stack: str,
    cloudwatch_days: int | None = None,
) -> CostReport:
    """The cost table of a plan (resources and outputs as offline.engine records them), with the
    stack's `config` (namespaced keys, as offline.engine.stack_config reads them)."""
    project = str(engine.project_file(project_dir)["name"])
    contracts = load_contracts(project_dir / "functions")
    region = str(config.get("aws:region", ""))
    settings = stack_config.load(OfflineConfig(config, project), contracts, project, stack, region)
    by_name = {c.name: c for c in contracts}
    functions = plan_functions(resources, outputs, by_name)
    measured = [bench_figures(project_dir / "bench" / "results.json")]
    if cloudwatch_days is not None:
        measured.insert(0, cloudwatch_figures(resources, outputs, cloudwatch_days, region))
    found = usages(functions, by_name, settings.traffic, measured)
    return CostReport(estimate(load_prices(), region, functions, found), memory_used(measured))


class OfflineConfig:
    """The offline config (namespaced keys, YAML values) read as the program reads pulumi.Config:
    text for strings, JSON for the others."""

    def __init__(self, config: Mapping[str, Any], project: str) -> None:
        self.config, self.project = config, project

    def get(self, key: str) -> str | None:
        value = self.config.get(f"{self.project}:{key}")
        return value if value is None or isinstance(value, str) else json.dumps(value)


# --- presentation --------------------------------------------------------------------------------

ASSUMPTIONS = (
    "Standard Lambda: requests x average duration x memory x the GB-second price, plus $0.20 per million requests.",
    "Managed Instances: 3 instances at least (one per AZ) at their on-demand price, the 15% management fee on it,",
    "and $0.20 per million requests; sized by the requests in flight (rate x duration) against each execution",
    "environment's max concurrency. Not counted: the free tier, Savings Plans. Prices: model/prices.yaml.",
)


def _rate(usage: Usage) -> str:
    return f"{usage.requests_per_month:,.0f}/mo ({usage.requests_per_second:.3g}/s, {usage.requests_source})"


def _ms(value: float) -> str:
    return f"{value:,.0f}" if value >= 1000 else f"{value:.4g}"


def _break_even(cost: FunctionCost) -> str:
    if cost.usage is None:
        return "-"
    return "never" if cost.break_even_rps is None else f"{cost.break_even_rps:,.0f} req/s"


def rows(report: CostReport) -> list[list[str]]:
    table = []
    for c in report.cost.functions:
        f = c.function
        used = report.memory_used.get(f.name)
        table.append(
            [
                f.name,
                "Managed Instances" if f.on_managed_instances else "standard",
                f"{f.memory_mb} MB",
                f"{used[0]} MB ({used[1]})" if used else "-",
                _rate(c.usage) if c.usage else "-",
                f"{_ms(c.usage.duration_ms)} ms ({c.usage.duration_source})" if c.usage else "-",
                money(c.standard.total) if c.standard else "-",
                (
                    f"{money(c.managed_instances.total)} ({c.managed_instances.fleet.instances}x "
                    f"{c.managed_instances.fleet.instance_type})"
                    if c.managed_instances
                    else "-"
                ),
                _break_even(c),
                c.recommendation,
            ]
        )
    return table


HEADER = [
    "Function",
    "Runs on",
    "Memory",
    "Max used",
    "Requests",
    "Avg duration",
    "Standard",
    "Managed Instances",
    "MI cheaper from",
    "Recommendation",
]


def _title(cost: StackCost) -> str:
    oldest, newest = cost.prices_read
    read = oldest.isoformat() if oldest == newest else f"{oldest.isoformat()} to {newest.isoformat()}"
    return f"Monthly cost estimate ({cost.region}, USD, AWS list prices read {read})"


def _total(cost: StackCost) -> str:
    line = f"Stack total as planned: {money(cost.total)} a month"
    if cost.unestimated:
        line += f" (not estimated: {', '.join(cost.unestimated)}: set their traffic)"
    return line


def format_text(report: CostReport) -> str:
    table = [HEADER, *rows(report)]
    widths = [max(len(row[i]) for row in table) for i in range(len(HEADER))]
    lines = [_title(report.cost) + ":"]
    lines += ["  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in table]
    lines += ["  " + line for line in (_total(report.cost), *ASSUMPTIONS)]
    return "\n".join(lines)


def to_json(report: CostReport) -> dict[str, Any]:
    """The table as the JSON plan carries it (offline.diff reads `functions.*.monthly` and `total`)."""
    functions = {}
    for c in report.cost.functions:
        f = c.function
        entry: dict[str, Any] = {
            "runs_on": "managed-instances" if f.on_managed_instances else "standard",
            "memory_mb": f.memory_mb,
            "architecture": f.architecture,
            "monthly": c.monthly,
            "recommendation": c.recommendation,
        }
        if c.usage and c.standard and c.managed_instances:
            fleet = c.managed_instances.fleet
            entry |= {
                "requests_per_month": c.usage.requests_per_month,
                "requests_source": c.usage.requests_source,
                "duration_ms": c.usage.duration_ms,
                "duration_source": c.usage.duration_source,
                "standard": {"compute": c.standard.compute, "requests": c.standard.requests},
                "managed_instances": {
                    "instance_type": fleet.instance_type,
                    "instances": fleet.instances,
                    "environments": fleet.environments,
                    "ec2": fleet.ec2,
                    "management_fee": fleet.fee,
                    "requests": c.managed_instances.requests,
                },
                "break_even_rps": c.break_even_rps,
            }
        functions[f.name] = entry
    oldest, newest = report.cost.prices_read
    return {
        "region": report.cost.region,
        "currency": "USD",
        "prices_read": [oldest.isoformat(), newest.isoformat()],
        "total": report.cost.total,
        "functions": functions,
    }


def add_cloudwatch_option(parser: argparse.ArgumentParser) -> None:
    def days(text: str) -> int:
        value = int(text) if text.isdigit() else 0
        if not 1 <= value <= MAX_CLOUDWATCH_DAYS:
            raise argparse.ArgumentTypeError(f"{text!r}: set a whole number of days from 1 to {MAX_CLOUDWATCH_DAYS}")
        return value

    parser.add_argument(
        "--from-cloudwatch",
        type=days,
        metavar="DAYS",
        help="the deployed functions' average duration, invocations and max memory used over the last DAYS days "
        "(needs AWS credentials)",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description="The cost table of a saved offline plan (scripts/preview --json)")
    parser.add_argument("plan", type=Path)
    parser.add_argument("--project-dir", type=Path, default=engine.REPO_ROOT)
    add_cloudwatch_option(parser)
    args = parser.parse_args()
    plan = json.loads(args.plan.read_text())
    project_dir = args.project_dir.resolve()
    stack = plan["stack"]
    config = engine.stack_config(project_dir, stack)
    try:
        report = stack_cost(plan["resources"], plan["outputs"], config, project_dir, stack, args.from_cloudwatch)
    except (CostInputError, stack_config.ConfigError, cloudwatch.CloudWatchError) as error:
        print(f"Cost estimate: {error}", file=sys.stderr)
        return 1
    print(format_text(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
