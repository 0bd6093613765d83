"""What each function of a stack costs a month, on standard Lambda and on Lambda Managed Instances,
the sustained request rate from which Managed Instances is the cheaper of the two, and which to use.

Pure arithmetic over a price table (`prices.yaml` beside this module: AWS list prices per region,
each with its source and the date it was read) and, per function, its shape (memory, architecture,
Managed Instances settings: from the plan) and its usage (requests a month and average duration:
from the stack's config, the bench or CloudWatch; offline.cost gathers them).

- Standard Lambda: requests x duration x memory (GB) x the architecture's GB-second price, plus the
  request charge. Average durations are used as given (Lambda rounds each invocation up to 1 ms).
- Managed Instances: the EC2 on-demand price of the instances, Lambda's management fee on that
  price, and the same request charge; no duration charge. The fleet is sized by concurrency
  (requests in flight = rate x duration, Little's law): each execution environment serves up to
  its max concurrency, has the function's memory (at least 2048 MB) and memory / ratio vCPUs, and
  instances of the ratio's family (2 GiB per vCPU: C, 4: M, 8: R) hold as many environments as fit
  beside the 1 vCPU and 1 GiB each instance keeps for itself; at least three instances (one per
  Availability Zone), the cheapest such fleet among the table's instance types. CPU-bound handlers
  saturate vCPUs before their concurrency limit: give them a max concurrency of 1-2 per vCPU.
- Not modelled: the free tier, Lambda's duration tiers, Savings Plans (see prices.yaml).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from model.stack_config import MI_MIN_FUNCTION_MEMORY_MB
from model.validation import describe

PRICES_FILE = Path(__file__).with_name("prices.yaml")
HOURS_PER_MONTH = 730  # AWS's pricing convention: 365 days x 24 hours / 12
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
# Lambda Managed Instances (Lambda developer guide, "Scaling Lambda Managed Instances"): a capacity
# provider launches three instances by default for Availability Zone resiliency, and each instance
# keeps 1 vCPU and 1 GiB for itself.
MI_MIN_INSTANCES = 3
MI_INSTANCE_OVERHEAD_VCPUS = 1
MI_INSTANCE_OVERHEAD_GIB = 1
FAMILY_BY_MEMORY_PER_VCPU = {2: "c", 4: "m", 8: "r"}

Architecture = Literal["arm64", "x86_64"]


class CostInputError(ValueError):
    """An input of the estimate is invalid; the message names the key to set."""


# --- the price table -----------------------------------------------------------------------------


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Sourced(_Data):
    """Where a figure comes from: every price and fee says it."""

    source: Annotated[str, Field(pattern=r"^https://\S+$", description="the URL of the page that publishes it")]
    read: date
    how: Annotated[str, Field(min_length=1, description="whether the figure was confirmed, and against what")]


class Price(_Sourced):
    usd: Annotated[float, Field(gt=0, description="a price in US dollars")]


class Fee(_Sourced):
    rate: Annotated[float, Field(ge=0, lt=1, description="a share of the EC2 on-demand price, e.g. 0.15")]


class InstanceType(_Data):
    family: Literal["c", "m", "r"]
    architecture: Architecture
    vcpus: Annotated[int, Field(ge=2, le=896)]
    memory_gib: Annotated[float, Field(gt=MI_INSTANCE_OVERHEAD_GIB, description="the instance's memory in GiB")]
    hourly: Price


class LambdaPrices(_Data):
    arm64_gb_second: Price
    x86_64_gb_second: Price
    requests_per_million: Price

    def gb_second(self, architecture: Architecture) -> float:
        return (self.arm64_gb_second if architecture == "arm64" else self.x86_64_gb_second).usd


class ManagedInstancesPrices(_Data):
    management_fee: Fee
    requests_per_million: Price
    instances: dict[str, InstanceType]


class RegionPrices(_Data):
    lambda_: LambdaPrices = Field(alias="lambda")
    managed_instances: ManagedInstancesPrices

    def read_dates(self) -> tuple[date, date]:
        """The oldest and the newest date a price of this region was read."""
        prices: list[_Sourced] = [
            self.lambda_.arm64_gb_second,
            self.lambda_.x86_64_gb_second,
            self.lambda_.requests_per_million,
            self.managed_instances.management_fee,
            self.managed_instances.requests_per_million,
            *(i.hourly for i in self.managed_instances.instances.values()),
        ]
        dates = [p.read for p in prices]
        return min(dates), max(dates)


class PriceTable(_Data):
    currency: Literal["USD"]
    regions: dict[str, RegionPrices]

    def region(self, name: str) -> RegionPrices:
        if name not in self.regions:
            raise CostInputError(
                f"aws:region={name!r} has no prices in model/prices.yaml: add the region's prices there "
                f"(it prices {', '.join(sorted(self.regions))})"
            )
        return self.regions[name]


def load_prices(path: Path = PRICES_FILE) -> PriceTable:
    try:
        return PriceTable.model_validate(yaml.safe_load(path.read_text()))
    except ValidationError as error:
        raise CostInputError("\n".join(f"{path.name}: {line}" for line in describe(error, PriceTable))) from None


# --- a function and its usage --------------------------------------------------------------------


@dataclass(frozen=True)
class ManagedInstancesShape:
    """How a function runs (or would run) on Managed Instances."""

    memory_gib_per_vcpu: int
    max_concurrency: int
    min_environments: int


@dataclass(frozen=True)
class FunctionShape:
    name: str
    memory_mb: int
    architecture: Architecture
    on_managed_instances: bool
    # As deployed when on_managed_instances, else the settings it would run with there.
    managed_instances: ManagedInstancesShape


@dataclass(frozen=True)
class Usage:
    requests_per_month: float
    duration_ms: float
    # Where each figure comes from, for the reader: "config", "schedule", "bench", "cloudwatch 14d".
    requests_source: str = "config"
    duration_source: str = "config"

    @property
    def requests_per_second(self) -> float:
        return self.requests_per_month / SECONDS_PER_MONTH


# --- the arithmetic ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StandardCost:
    gb_seconds: float
    compute: float
    requests: float

    @property
    def total(self) -> float:
        return self.compute + self.requests


@dataclass(frozen=True)
class Fleet:
    instance_type: str
    instances: int
    environments: int
    ec2: float
    fee: float

    @property
    def monthly(self) -> float:
        return self.ec2 + self.fee


@dataclass(frozen=True)
class ManagedInstancesCost:
    fleet: Fleet
    requests: float

    @property
    def total(self) -> float:
        return self.fleet.monthly + self.requests


def standard_cost(prices: RegionPrices, memory_mb: int, architecture: Architecture, usage: Usage) -> StandardCost:
    gb_seconds = usage.requests_per_month * usage.duration_ms / 1000 * memory_mb / 1024
    return StandardCost(
        gb_seconds=gb_seconds,
        compute=gb_seconds * prices.lambda_.gb_second(architecture),
        requests=usage.requests_per_month / 1e6 * prices.lambda_.requests_per_million.usd,
    )


@dataclass(frozen=True)
class _Fit:
    """An instance type that holds at least one of a function's execution environments."""

    name: str
    environments_per_instance: int
    monthly_per_instance: float  # on-demand price and management fee


def _fits(prices: RegionPrices, function: FunctionShape) -> list[_Fit]:
    shape = function.managed_instances
    memory_gib = max(function.memory_mb, MI_MIN_FUNCTION_MEMORY_MB) / 1024
    vcpus = memory_gib / shape.memory_gib_per_vcpu
    family = FAMILY_BY_MEMORY_PER_VCPU.get(shape.memory_gib_per_vcpu)
    if family is None:
        raise CostInputError(
            f"{function.name}: {shape.memory_gib_per_vcpu} GiB per vCPU has no instance family: the estimate "
            f"knows {', '.join(str(r) for r in FAMILY_BY_MEMORY_PER_VCPU)}"
        )
    fee = prices.managed_instances.management_fee.rate
    fits = []
    for name, instance in sorted(prices.managed_instances.instances.items()):
        if (instance.family, instance.architecture) != (family, function.architecture):
            continue
        per_instance = min(
            math.floor((instance.vcpus - MI_INSTANCE_OVERHEAD_VCPUS) / vcpus),
            math.floor((instance.memory_gib - MI_INSTANCE_OVERHEAD_GIB) / memory_gib),
        )
        if per_instance >= 1:
            fits.append(_Fit(name, per_instance, instance.hourly.usd * HOURS_PER_MONTH * (1 + fee)))
    if not fits:
        raise CostInputError(
            f"model/prices.yaml has no {function.architecture} instance type of the {family} family that holds "
            f"{function.name}'s execution environment ({memory_gib:g} GiB, {vcpus:g} vCPU): add one there"
        )
    return fits


def fleet(prices: RegionPrices, function: FunctionShape, usage: Usage) -> Fleet:
    """The cheapest fleet that serves `usage` (see the module's docstring)."""
    shape = function.managed_instances
    in_flight = usage.requests_per_second * usage.duration_ms / 1000
    environments = max(shape.min_environments, math.ceil(in_flight / shape.max_concurrency))
    fee_rate = prices.managed_instances.management_fee.rate
    fleets = []
    for fit in _fits(prices, function):
        instances = max(MI_MIN_INSTANCES, math.ceil(environments / fit.environments_per_instance))
        ec2 = instances * prices.managed_instances.instances[fit.name].hourly.usd * HOURS_PER_MONTH
        fleets.append(Fleet(fit.name, instances, environments, ec2, ec2 * fee_rate))
    return min(fleets, key=lambda f: (f.monthly, f.instance_type))


def managed_instances_cost(prices: RegionPrices, function: FunctionShape, usage: Usage) -> ManagedInstancesCost:
    return ManagedInstancesCost(
        fleet=fleet(prices, function, usage),
        requests=usage.requests_per_month / 1e6 * prices.managed_instances.requests_per_million.usd,
    )


def break_even(fleet_monthly: float, saving_per_rps_monthly: float, capacity_rps: float = math.inf) -> float | None:
    """The sustained rate (requests per second) at which a fixed fleet costing `fleet_monthly` a
    month pays for itself, when each request per second on it saves `saving_per_rps_monthly` a month
    against standard Lambda; None when it never does, i.e. when a fleet at its `capacity_rps` (the
    rate it serves at most) still costs more than the saving at that rate."""
    if saving_per_rps_monthly <= 0:
        return None
    rate = fleet_monthly / saving_per_rps_monthly
    return rate if rate <= capacity_rps else None


def break_even_rps(prices: RegionPrices, function: FunctionShape, duration_ms: float) -> float | None:
    """The sustained request rate from which Managed Instances costs `function` less than standard
    Lambda, or None when it never does (at any rate, a full instance costs more than the duration
    charge of the requests it serves). Requests are charged on both; per request, standard Lambda
    adds the duration charge. The fleet is at its minimum size at the break-even rate, and grows
    one instance per `capacity` requests per second above it."""
    shape = function.managed_instances
    seconds = duration_ms / 1000
    saving_per_request = (
        seconds * function.memory_mb / 1024 * prices.lambda_.gb_second(function.architecture)
        + (prices.lambda_.requests_per_million.usd - prices.managed_instances.requests_per_million.usd) / 1e6
    )
    rates = []
    for fit in _fits(prices, function):
        capacity = fit.environments_per_instance * shape.max_concurrency / seconds
        saving = saving_per_request * SECONDS_PER_MONTH
        # Past the minimum fleet, each instance costs and serves the same: if the minimum fleet does
        # not pay at its capacity, no larger one does.
        minimum = max(MI_MIN_INSTANCES, math.ceil(shape.min_environments / fit.environments_per_instance))
        rate = break_even(minimum * fit.monthly_per_instance, saving, minimum * capacity)
        if rate is not None:
            rates.append(rate)
    return min(rates, default=None)


# --- a stack -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FunctionCost:
    function: FunctionShape
    usage: Usage | None
    standard: StandardCost | None
    managed_instances: ManagedInstancesCost | None
    break_even_rps: float | None

    @property
    def monthly(self) -> float | None:
        """What the function costs as planned (on standard Lambda or on Managed Instances)."""
        current = self.managed_instances if self.function.on_managed_instances else self.standard
        return current.total if current is not None else None

    @property
    def recommendation(self) -> str:
        if self.standard is None or self.managed_instances is None:
            return f"set traffic.{self.function.name} to estimate it"
        saving = self.standard.total - self.managed_instances.total
        if self.function.on_managed_instances:
            if saving < 0:
                return f"move to standard Lambda: {money(-saving)} a month less"
            return "keep Managed Instances"
        if saving > 0:
            return f"move to Managed Instances: {money(saving)} a month less"
        return "keep standard Lambda"


@dataclass(frozen=True)
class StackCost:
    region: str
    prices_read: tuple[date, date]
    functions: tuple[FunctionCost, ...]

    @property
    def total(self) -> float:
        """What the estimated functions cost a month as planned."""
        return sum(f.monthly for f in self.functions if f.monthly is not None)

    @property
    def unestimated(self) -> list[str]:
        return [f.function.name for f in self.functions if f.usage is None]


def estimate(
    table: PriceTable, region: str, functions: Sequence[FunctionShape], usages: Mapping[str, Usage]
) -> StackCost:
    """Each function's cost; `usages` holds the functions whose traffic is known."""
    prices = table.region(region)
    names = [f.name for f in functions]
    unknown = sorted(set(usages) - set(names))
    if unknown:
        raise CostInputError(
            f"traffic has functions the plan does not have {unknown}: the functions are {', '.join(names)}"
        )
    for name, usage in sorted(usages.items()):
        if not usage.requests_per_month >= 0:
            raise CostInputError(
                f"traffic.{name}: {usage.requests_per_month:g} requests a month ({usage.requests_source}) is "
                f"invalid: set traffic.{name}.requestsPerMonth or requestsPerSecond to 0 or more"
            )
        if not usage.duration_ms > 0:
            raise CostInputError(
                f"traffic.{name}: an average duration of {usage.duration_ms:g} ms ({usage.duration_source}) is "
                f"invalid: set traffic.{name}.durationMs to more than 0"
            )
    costs = []
    for function in functions:
        if function.name not in usages:
            costs.append(FunctionCost(function, None, None, None, None))
            continue
        usage = usages[function.name]
        costs.append(
            FunctionCost(
                function=function,
                usage=usage,
                standard=standard_cost(prices, function.memory_mb, function.architecture, usage),
                managed_instances=managed_instances_cost(prices, function, usage),
                break_even_rps=break_even_rps(prices, function, usage.duration_ms),
            )
        )
    return StackCost(region, prices.read_dates(), tuple(costs))


def money(usd: float) -> str:
    """Dollars as people read them: cents from a cent up ($1,234.50, $0.23), two significant digits
    below ($0.0024), $0.00 below a millionth."""
    sign = "-" if usd < 0 else ""
    usd = abs(usd)
    if usd >= 0.01 or usd < 1e-6:
        return f"{sign}${usd:,.2f}"
    decimals = 1 - math.floor(math.log10(usd))
    return f"{sign}${usd:.{decimals}f}"
