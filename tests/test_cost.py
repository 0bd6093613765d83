"""The cost model's arithmetic (model/cost.py) against the seed guide's figures and AWS's pricing
rules, its price table's shape, and its errors for bad input."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from model.cost import (
    HOURS_PER_MONTH,
    PRICES_FILE,
    SECONDS_PER_MONTH,
    CostInputError,
    FunctionShape,
    ManagedInstancesShape,
    StackCost,
    Usage,
    break_even,
    break_even_rps,
    estimate,
    fleet,
    load_prices,
    managed_instances_cost,
    money,
    standard_cost,
)

PRICES = load_prices()
US_EAST_1 = PRICES.region("us-east-1")
TEN_MILLION = Usage(requests_per_month=10_000_000, duration_ms=14)


def shape(
    name: str = "fn",
    memory_mb: int = 128,
    on_managed_instances: bool = False,
    memory_gib_per_vcpu: int = 2,
    max_concurrency: int = 64,
    min_environments: int = 3,
) -> FunctionShape:
    return FunctionShape(
        name,
        memory_mb,
        "arm64",
        on_managed_instances,
        ManagedInstancesShape(memory_gib_per_vcpu, max_concurrency, min_environments),
    )


# --- the seed guide's figures (Part 15, "Cost Comparison": us-east-1, arm64, 10M requests a month) ---


@pytest.mark.parametrize(
    ("memory_mb", "duration_ms", "gb_seconds", "compute"),
    [
        # Python 3.13: the seed says $12.60; 925,000 GB-s at $0.0000133334 is $12.33.
        (512, 185, 925_000, 12.33),
        # Node.js 22: the seed says $4.10.
        (256, 120, 300_000, 4.00),
        # Go: the seed says $0.30.
        (128, 35, 43_750, 0.58),
        # Rust: the seed says "$0.12 compute, $2.00 requests, $2.12 total" for these inputs, but
        # 10M x 14 ms x 0.125 GB is 17,500 GB-s, which its own price makes $0.23 (its Go and Rust
        # compute figures are half of what its inputs give).
        (128, 14, 17_500, 0.23),
    ],
)
def test_the_seeds_table_from_its_inputs(memory_mb: int, duration_ms: float, gb_seconds: float, compute: float) -> None:
    cost = standard_cost(US_EAST_1, memory_mb, "arm64", Usage(10_000_000, duration_ms))
    assert cost.gb_seconds == gb_seconds
    assert round(cost.compute, 2) == compute
    assert cost.requests == 2.00  # $0.20 per million requests


def test_rust_at_10m_requests_to_the_cent() -> None:
    cost = standard_cost(US_EAST_1, 128, "arm64", TEN_MILLION)
    assert (money(cost.compute), money(cost.requests), money(cost.total)) == ("$0.23", "$2.00", "$2.23")


def test_arm64_is_20_percent_cheaper_per_gb_second() -> None:
    arm = standard_cost(US_EAST_1, 128, "arm64", TEN_MILLION).compute
    x86 = standard_cost(US_EAST_1, 128, "x86_64", TEN_MILLION).compute
    assert round(arm / x86, 4) == 0.8000
    assert round(x86, 4) == 0.2917


def test_the_seeds_managed_instances_example() -> None:
    """Part 15, "LMI Cost Model": 50 req/s sustained at 128 MB and 14 ms. The seed's "60,480
    GB-seconds/day = ~$0.80/day" is 60,480 seconds of duration priced as if the function had 1 GB;
    against its "$0.30/day" for Managed Instances that gives its break-even of "roughly 20-30 req/s"
    (18.6). Priced as AWS bills it, at least 3 instances of the M family (its m7g, 4 GiB per vCPU),
    .large at the smallest, with the 15% fee, the break-even is 3,351 req/s."""
    day = Usage(requests_per_month=50 * 86_400, duration_ms=14)
    as_the_seed = standard_cost(US_EAST_1, 1024, "arm64", day)
    assert (as_the_seed.gb_seconds, round(as_the_seed.compute, 2)) == (60_480, 0.81)
    billed = standard_cost(US_EAST_1, 128, "arm64", day)
    assert (billed.gb_seconds, round(billed.compute, 4), round(billed.requests, 3)) == (7_560, 0.1008, 0.864)

    per_day_to_month = HOURS_PER_MONTH / 24
    seed_break_even = break_even(0.30 * per_day_to_month, as_the_seed.compute / 50 * per_day_to_month)
    assert seed_break_even is not None and round(seed_break_even, 1) == 18.6

    rust = shape(memory_mb=128, memory_gib_per_vcpu=4, max_concurrency=64)
    rate = break_even_rps(US_EAST_1, rust, duration_ms=14)
    assert rate is not None and round(rate) == 3351
    at_50 = managed_instances_cost(US_EAST_1, rust, Usage(50 * SECONDS_PER_MONTH, 14))
    assert (at_50.fleet.instance_type, at_50.fleet.instances) == ("m7g.large", 3)
    assert (money(at_50.fleet.ec2), money(at_50.fleet.fee), money(at_50.requests)) == ("$178.70", "$26.81", "$26.28")


# --- Managed Instances sizing and the break-even rate ---------------------------------------------


def test_the_fleet_is_three_instances_until_concurrency_needs_more() -> None:
    worker = shape(memory_mb=2048, on_managed_instances=True, memory_gib_per_vcpu=2, max_concurrency=64)
    at = {rps: fleet(US_EAST_1, worker, Usage(rps * SECONDS_PER_MONTH, 10)) for rps in (10, 19_200, 19_201, 40_000)}
    # 10 ms per request: 6,400 req/s fill one environment of 64; a c7g.large (2 vCPU, 4 GiB, less
    # 1 vCPU and 1 GiB for the instance) holds one 2 GiB / 1 vCPU environment.
    assert [(f.environments, f.instances, f.instance_type) for f in at.values()] == [
        (3, 3, "c7g.large"),
        (3, 3, "c7g.large"),
        (4, 4, "c7g.large"),
        (7, 3, "c7g.xlarge"),  # a c7g.xlarge holds 3: three of them cost less than seven .large
    ]
    assert money(at[10].monthly) == money(3 * 0.0725 * HOURS_PER_MONTH * 1.15) == "$182.59"


def test_break_even_of_an_io_bound_worker() -> None:
    """2 GiB, 10 ms: each request per second costs $0.70 a month of duration on standard Lambda;
    three c7g.large with the fee cost $182.59: Managed Instances is cheaper from 260.5 req/s."""
    worker = shape(memory_mb=2048, on_managed_instances=True, max_concurrency=64, min_environments=2)
    rate = break_even_rps(US_EAST_1, worker, duration_ms=10)
    assert rate is not None and round(rate, 1) == 260.5
    below, above = (Usage(r * SECONDS_PER_MONTH, 10) for r in (math.floor(rate), math.ceil(rate)))
    for usage, cheaper in ((below, "standard"), (above, "managed")):
        std = standard_cost(US_EAST_1, 2048, "arm64", usage).total
        mi = managed_instances_cost(US_EAST_1, worker, usage).total
        assert (std < mi) == (cheaper == "standard")


def test_a_handler_serving_one_request_at_a_time_never_breaks_even() -> None:
    """At 128 MB, standard Lambda bills an eighth of a GB; one request at a time on a whole vCPU
    never costs less."""
    assert break_even_rps(US_EAST_1, shape(max_concurrency=1), duration_ms=14) is None


# --- a stack --------------------------------------------------------------------------------------


def test_a_stacks_estimate_and_recommendations() -> None:
    functions = [
        shape("api", memory_mb=256, max_concurrency=1),
        shape("worker", memory_mb=2048, on_managed_instances=True, max_concurrency=64),
        shape("idle", memory_mb=2048, on_managed_instances=True),
        shape("unknown"),
    ]
    usages = {
        "api": Usage(10_000_000, 20),
        "worker": Usage(1000 * SECONDS_PER_MONTH, 10),
        "idle": Usage(1000, 10),
    }
    cost = estimate(PRICES, "us-east-1", functions, usages)
    by_name = {c.function.name: c for c in cost.functions}
    assert [by_name[n].recommendation for n in ("api", "worker", "idle", "unknown")] == [
        "keep standard Lambda",
        "keep Managed Instances",
        "move to standard Lambda: $182.59 a month less",
        "set traffic.unknown to estimate it",
    ]
    assert money(by_name["api"].monthly or 0) == "$2.67"  # 50,000 GB-s: $0.67, and $2.00 of requests
    assert cost.unestimated == ["unknown"]
    assert cost.total == pytest.approx(sum(by_name[n].monthly or 0 for n in ("api", "worker", "idle")))
    assert isinstance(cost, StackCost) and cost.prices_read[0].isoformat() == "2026-12-01"


def test_a_standard_function_that_should_move() -> None:
    heavy = shape("heavy", memory_mb=2048, max_concurrency=64)
    (cost,) = estimate(PRICES, "us-east-1", [heavy], {"heavy": Usage(1000 * SECONDS_PER_MONTH, 10)}).functions
    assert cost.recommendation == "move to Managed Instances: $518.21 a month less"


# --- bad input ------------------------------------------------------------------------------------


def test_an_unknown_region_names_the_key() -> None:
    with pytest.raises(CostInputError) as error:
        estimate(PRICES, "ap-south-2", [shape()], {})
    assert str(error.value) == (
        "aws:region='ap-south-2' has no prices in model/prices.yaml: add the region's prices there "
        "(it prices eu-west-1, us-east-1)"
    )


def test_traffic_for_a_function_the_plan_does_not_have() -> None:
    with pytest.raises(CostInputError) as error:
        estimate(PRICES, "us-east-1", [shape("api"), shape("worker")], {"orders": Usage(1, 1)})
    assert str(error.value) == (
        "traffic has functions the plan does not have ['orders']: the functions are api, worker"
    )


@pytest.mark.parametrize(
    ("usage", "message"),
    [
        (
            Usage(-5, 10, requests_source="cloudwatch 7d"),
            "traffic.api: -5 requests a month (cloudwatch 7d) is invalid: set traffic.api.requestsPerMonth or "
            "requestsPerSecond to 0 or more",
        ),
        (
            Usage(5, 0, duration_source="bench"),
            "traffic.api: an average duration of 0 ms (bench) is invalid: set traffic.api.durationMs to more than 0",
        ),
    ],
)
def test_negative_traffic_and_empty_durations(usage: Usage, message: str) -> None:
    with pytest.raises(CostInputError) as error:
        estimate(PRICES, "us-east-1", [shape("api")], {"api": usage})
    assert str(error.value) == message


def test_a_memory_per_vcpu_without_a_family() -> None:
    with pytest.raises(CostInputError) as error:
        estimate(PRICES, "us-east-1", [shape("api", memory_gib_per_vcpu=3)], {"api": Usage(1, 1)})
    assert str(error.value) == "api: 3 GiB per vCPU has no instance family: the estimate knows 2, 4, 8"


def test_a_bad_price_table_names_the_price(tmp_path: Path) -> None:
    table = yaml.safe_load(PRICES_FILE.read_text())
    table["regions"]["eu-west-1"]["lambda"]["arm64_gb_second"]["usd"] = -1
    del table["regions"]["us-east-1"]["managed_instances"]["instances"]["m7g.large"]["hourly"]["source"]
    path = tmp_path / "prices.yaml"
    path.write_text(yaml.safe_dump(table))
    with pytest.raises(CostInputError) as error:
        load_prices(path)
    assert str(error.value).splitlines() == [
        "prices.yaml: regions.eu-west-1.lambda.arm64_gb_second.usd=-1 is invalid: set a price in US dollars",
        "prices.yaml: regions.us-east-1.managed_instances.instances.m7g.large.hourly.source is not set: set the URL "
        "of the page that publishes it",
    ]


def test_every_region_prices_both_architectures_and_every_family() -> None:
    for name, region in PRICES.regions.items():
        kinds = {(i.architecture, i.family) for i in region.managed_instances.instances.values()}
        assert kinds == {(a, f) for a in ("arm64", "x86_64") for f in "cmr"}, name
        assert region.managed_instances.management_fee.rate == 0.15, name


def test_money_reads_like_a_bill() -> None:
    assert [money(v) for v in (1234.5, 0.2333, 0.0024333, -3.2, 0.0000004, 0)] == [
        "$1,234.50",
        "$0.23",
        "$0.0024",
        "-$3.20",
        "$0.00",
        "$0.00",
    ]
