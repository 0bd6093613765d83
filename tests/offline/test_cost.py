"""The cost table of a plan (offline/cost.py): the functions as the plan sets them, where each
figure comes from, the printed table, and `--from-cloudwatch` against a moto server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from harness.moto import CREDENTIALS, MotoServer
from model.contract import FunctionContract
from model.cost import SECONDS_PER_MONTH, FunctionShape, ManagedInstancesShape, Usage, estimate, load_prices
from model.stack_config import FunctionTraffic
from offline import cloudwatch
from offline.cost import (
    ONE_AT_A_TIME,
    CostReport,
    Measured,
    bench_figures,
    format_text,
    plan_functions,
    schedule_requests_per_month,
    to_json,
    usages,
)
from tests.program.plans import REPO_ROOT

FUNCTION = "aws:lambda/function:Function"


def function(crate: str, memory: float, prefix: str = "rustlambda-dev", **inputs: Any) -> dict[str, Any]:
    name = f"{prefix}-{crate}"
    return {
        "urn": f"urn:pulumi:dev::rustlambda::{FUNCTION}::{crate}-fn-function",
        "type": FUNCTION,
        "name": f"{crate}-fn-function",
        "inputs": {
            "name": name,
            "memorySize": memory,
            "architectures": ["arm64"],
            "loggingConfig": {"logFormat": "JSON", "logGroup": f"/aws/lambda/{name}"},
            **inputs,
        },
    }


LMI_ATTACHMENT = {
    "lambdaManagedInstancesCapacityProviderConfig": {
        "capacityProviderArn": "arn:aws:lambda:eu-west-1:123456789012:capacity-provider:rustlambda-prod",
        "executionEnvironmentMemoryGibPerVcpu": 4.0,
        "perExecutionEnvironmentMaxConcurrency": 32.0,
    }
}
# The release step sets each version's scaling config: the bounds are in its environment.
SCALING = {
    "urn": "urn:pulumi:prod::rustlambda::command:local:Command::lmi-worker-release-step",
    "type": "command:local:Command",
    "name": "lmi-worker-release-step",
    "inputs": {
        "environment": {
            "RELEASE_FUNCTION": "rustlambda-prod-lmi-worker",
            "RELEASE_PLACEMENT": "managed-instances",
            "RELEASE_MIN_ENVIRONMENTS": "5",
            "RELEASE_MAX_ENVIRONMENTS": "8",
        },
    },
}


def dev_plan(names: dict[str, str] | None = None) -> dict[str, Any]:
    """A dev plan's function resources and outputs, as scripts/preview --json writes them."""
    crates = ["http-api", "lmi-worker", "s3-processor", "scheduled-job", "sqs-processor"]
    prefix = "rustlambda-dev"
    deployed = names or {c: f"{prefix}-{c}" for c in crates}
    return {
        "stack": "dev",
        "resources": [function(c, 128.0, prefix=deployed[c].rsplit(f"-{c}", 1)[0]) for c in crates],
        "outputs": {"functionNames": deployed},
    }


def test_the_plans_functions(contracts: dict[str, FunctionContract]) -> None:
    resources = [
        function("http-api", 256.0, prefix="rustlambda-prod"),
        function("lmi-worker", 2048.0, prefix="rustlambda-prod", capacityProviderConfig=LMI_ATTACHMENT),
        SCALING,
    ]
    outputs = {"functionNames": {"http-api": "rustlambda-prod-http-api", "lmi-worker": "rustlambda-prod-lmi-worker"}}
    assert plan_functions(resources, outputs, contracts) == [
        FunctionShape("http-api", 256, "arm64", False, ONE_AT_A_TIME),
        FunctionShape("lmi-worker", 2048, "arm64", True, ManagedInstancesShape(4, 32, 5)),
    ]
    # Off Managed Instances, lmi-worker would run there with its contract's settings.
    (dev_worker,) = plan_functions(
        [function("lmi-worker", 128.0)], {"functionNames": {"lmi-worker": "rustlambda-dev-lmi-worker"}}, contracts
    )
    assert dev_worker == FunctionShape("lmi-worker", 128, "arm64", False, ManagedInstancesShape(2, 64, 3))


@pytest.mark.parametrize(
    ("expression", "per_month"),
    [("rate(1 hour)", 730), ("rate(5 minutes)", 8760), ("rate(2 days)", 365 / 24), ("cron(0 3 * * ? *)", None)],
)
def test_requests_of_a_schedule(expression: str, per_month: float | None) -> None:
    assert schedule_requests_per_month(expression) == pytest.approx(per_month)


def test_where_each_figure_comes_from(contracts: dict[str, FunctionContract]) -> None:
    functions = plan_functions(dev_plan()["resources"], dev_plan()["outputs"], contracts)
    traffic = {
        "http-api": FunctionTraffic(requests_per_second=2, duration_ms=12),
        "sqs-processor": FunctionTraffic(requests_per_month=1000),
        "scheduled-job": FunctionTraffic(duration_ms=2000),
    }
    watched = {
        "http-api": Measured(30.0, 40, 99.0, "cloudwatch 7d"),
        "sqs-processor": Measured(25.0, 30, 99.0, "cloudwatch 7d"),
        "s3-processor": Measured(None, None, 5000.0, "cloudwatch 7d"),
    }
    bench = {name: Measured(1.5, 8, None, "bench") for name in ("http-api", "sqs-processor", "s3-processor")}
    assert usages(functions, contracts, traffic, [watched, bench]) == {
        "http-api": Usage(2 * SECONDS_PER_MONTH, 12, "config", "config"),
        "scheduled-job": Usage(730, 2000, "schedule", "config"),
        "sqs-processor": Usage(1000, 25.0, "config", "cloudwatch 7d"),
        "s3-processor": Usage(5000.0, 1.5, "cloudwatch 7d", "bench"),
        # lmi-worker: no rate anywhere, so no estimate.
    }


def test_the_bench_figures(tmp_path: Path) -> None:
    results = {
        "results": {
            "hello": {"rust": {"warm_no_aws": {"duration_ms": {"mean": 0.2}}, "peak_rss_kib": 3352}},
            "http-api": {
                "rust": {
                    "warm_no_aws": {"duration_ms": {"mean": 0.21}},
                    "warm_aws": {"duration_ms": {"mean": 1.798}},
                    "peak_rss_kib": 8420,
                },
                "python": {"warm_aws": {"duration_ms": {"mean": 9.0}}, "peak_rss_kib": 50608},
            },
        }
    }
    path = tmp_path / "results.json"
    path.write_text(json.dumps(results))
    assert bench_figures(path) == {
        "hello": Measured(0.2, 3, None, "bench"),
        "http-api": Measured(1.798, 8, None, "bench"),
    }
    assert bench_figures(tmp_path / "missing.json") == {}


def test_the_printed_table() -> None:
    shapes = [
        FunctionShape("api", 256, "arm64", False, ONE_AT_A_TIME),
        FunctionShape("worker", 2048, "arm64", True, ManagedInstancesShape(2, 64, 2)),
        FunctionShape("cron", 128, "arm64", False, ONE_AT_A_TIME),
    ]
    cost = estimate(
        load_prices(),
        "eu-west-1",
        shapes,
        {"api": Usage(25 * SECONDS_PER_MONTH, 12), "worker": Usage(400 * SECONDS_PER_MONTH, 10, "config", "bench")},
    )
    report = CostReport(cost, {"api": (8, "bench")})
    assert format_text(report).splitlines() == [
        "Monthly cost estimate (eu-west-1, USD, AWS list prices read 2026-12-01):",
        "  Function  Runs on            Memory   Max used      Requests                          Avg duration    "
        "Standard  Managed Instances       MI cheaper from  Recommendation",
        "  api       standard           256 MB   8 MB (bench)  65,700,000/mo (25/s, config)      12 ms (config)  "
        "$15.77    $219.91 (3x c7g.large)  never            keep standard Lambda",
        "  worker    Managed Instances  2048 MB  -             1,051,200,000/mo (400/s, config)  10 ms (bench)   "
        "$490.56   $417.01 (3x c7g.large)  295 req/s        keep Managed Instances",
        "  cron      standard           128 MB   -             -                                 -               "
        "-         -                       -                set traffic.cron to estimate it",
        "  Stack total as planned: $432.78 a month (not estimated: cron: set their traffic)",
        "  Standard Lambda: requests x average duration x memory x the GB-second price, plus $0.20 per million "
        "requests.",
        "  Managed Instances: 3 instances at least (one per AZ) at their on-demand price, the 15% management fee on "
        "it,",
        "  and $0.20 per million requests; sized by the requests in flight (rate x duration) against each execution",
        "  environment's max concurrency. Not counted: the free tier, Savings Plans. Prices: model/prices.yaml.",
    ]
    plan_entry = to_json(report)
    assert (plan_entry["total"], plan_entry["functions"]["cron"]["monthly"]) == (pytest.approx(432.78, abs=0.005), None)
    assert plan_entry["functions"]["worker"]["managed_instances"]["instance_type"] == "c7g.large"


def cost_cli(plan: dict[str, Any], tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> str:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    result = subprocess.run(
        [sys.executable, "-m", "offline.cost", str(path), *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def row(table: str, function: str) -> list[str]:
    line = next(line for line in table.splitlines() if line.startswith(f"  {function} "))
    return line.split("  ")


def test_the_cli_prints_a_saved_plans_table(tmp_path: Path) -> None:
    table = cost_cli(dev_plan(), tmp_path)
    cells = [cell.strip() for cell in row(table, "scheduled-job") if cell.strip()]
    # From Pulumi.dev.yaml (durationMs) and the function's schedule, rate(1 hour): 730 x 2 s x
    # 0.125 GB x $0.0000133334 + 730 x $0.20 / 1M; three c7g.large at eu-west-1's price, plus 15%.
    assert cells[:3] == ["scheduled-job", "standard", "128 MB"]
    assert cells[4:] == [
        "730/mo (0.000278/s, schedule)",
        "2,000 ms (config)",
        "$0.0026",
        "$206.77 (3x c7g.large)",
        "never",
        "keep standard Lambda",
    ]


def test_a_bad_day_count_is_refused(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "offline.cost", str(tmp_path / "plan.json"), "--from-cloudwatch", "0"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "argument --from-cloudwatch: '0': set a whole number of days from 1 to 455" in result.stderr


# --- CloudWatch, against moto ---------------------------------------------------------------------


def client(moto: MotoServer, service: str) -> Any:
    return boto3.client(service, endpoint_url=moto.url, region_name="eu-west-1", **_keys())


def _keys() -> dict[str, str]:
    return {
        "aws_access_key_id": CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    }


def report_line(request_id: str, max_memory_mb: int) -> str:
    """A platform.report record as Lambda writes it to a function's JSON-format logs."""
    return json.dumps(
        {
            "time": "2026-11-30T10:00:00.000Z",
            "type": "platform.report",
            "record": {
                "requestId": request_id,
                "metrics": {
                    "durationMs": 12.3,
                    "billedDurationMs": 13,
                    "memorySizeMB": 128,
                    "maxMemoryUsedMB": max_memory_mb,
                },
                "status": "success",
            },
        }
    )


def deployed(moto: MotoServer, name: str, now: datetime) -> None:
    """Two days of a function's Duration metric (100 invocations averaging 10 ms, then 300 at 20 ms)
    and its logs: three reports among other lines."""
    metrics = client(moto, "cloudwatch")
    for days_ago, count, average in ((2, 100, 10.0), (1, 300, 20.0)):
        metrics.put_metric_data(
            Namespace="AWS/Lambda",
            MetricData=[
                {
                    "MetricName": "Duration",
                    "Dimensions": [{"Name": "FunctionName", "Value": name}],
                    "Timestamp": now - timedelta(days=days_ago),
                    "StatisticValues": {
                        "SampleCount": count,
                        "Sum": count * average,
                        "Minimum": average / 2,
                        "Maximum": average * 2,
                    },
                    "Unit": "Milliseconds",
                }
            ],
        )
    logs = client(moto, "logs")
    group = f"/aws/lambda/{name}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="2026/11/30/[$LATEST]abc")
    at = int((now - timedelta(hours=3)).timestamp() * 1000)
    lines = [
        json.dumps({"level": "INFO", "message": "order stored", "requestId": "r1"}),
        report_line("r1", 21),
        report_line("r2", 31),
        "REPORT RequestId: r3 Duration: 1.00 ms Max Memory Used: 99 MB",  # a text-format line: not ours
        report_line("r3", 27),
    ]
    logs.put_log_events(
        logGroupName=group,
        logStreamName="2026/11/30/[$LATEST]abc",
        logEvents=[{"timestamp": at + i, "message": line} for i, line in enumerate(lines)],
    )


@pytest.fixture
def aws_env(moto: MotoServer, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = {"AWS_ENDPOINT_URL": moto.url, "AWS_DEFAULT_REGION": "eu-west-1", **CREDENTIALS}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def test_observe_reads_duration_invocations_and_memory(moto: MotoServer, aws_env: dict[str, str]) -> None:
    name = f"fn-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC)
    deployed(moto, name, now)
    missing = f"fn-{uuid.uuid4().hex[:8]}"
    seen = cloudwatch.observe({name: f"/aws/lambda/{name}", missing: f"/aws/lambda/{missing}"}, 14, "eu-west-1", now)
    assert seen == {
        name: cloudwatch.Observed(invocations=400, duration_ms=17.5, max_memory_used_mb=31, reports_read=3),
        missing: cloudwatch.Observed(invocations=0, duration_ms=None, max_memory_used_mb=None, reports_read=0),
    }


def test_the_cli_from_cloudwatch(moto: MotoServer, aws_env: dict[str, str], tmp_path: Path) -> None:
    suffix = uuid.uuid4().hex[:8]
    crates = ["http-api", "lmi-worker", "s3-processor", "scheduled-job", "sqs-processor"]
    names = {c: f"rustlambda-{suffix}-{c}" for c in crates}
    deployed(moto, names["http-api"], datetime.now(UTC))
    table = cost_cli(dev_plan(names), tmp_path, "--from-cloudwatch", "14", env=aws_env)
    cells = [cell.strip() for cell in row(table, "http-api") if cell.strip()]
    # The rate from Pulumi.dev.yaml, the duration and memory from CloudWatch (no durationMs set).
    assert cells[2:6] == [
        "128 MB",
        "31 MB (cloudwatch 14d)",
        "200,000/mo (0.0761/s, config)",
        "17.5 ms (cloudwatch 14d)",
    ]
    # Functions CloudWatch knows nothing of keep the bench's figures.
    assert "(bench)" in " ".join(row(table, "sqs-processor"))


def test_cloudwatch_without_credentials_says_what_to_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(cloudwatch.CloudWatchError) as error:
        cloudwatch.observe({"fn": "/aws/lambda/fn"}, 14, "eu-west-1")
    assert str(error.value) == (
        "reading CloudWatch in eu-west-1 failed: Unable to locate credentials: set AWS credentials that may call "
        "cloudwatch:GetMetricStatistics and logs:FilterLogEvents, or leave out --from-cloudwatch"
    )
