"""CloudWatch as the release relies on it: the metrics Lambda publishes per invocation, and metric
alarms whose state is computed from them, by CloudWatch's rules, on emulated time
(harness/clock.py).

Why not moto alone: moto stores alarms and metric data but never evaluates an alarm, so an alarm
stays in whatever state it was put in. Here moto still serves the CloudWatch API (PutMetricAlarm,
DescribeAlarms: what the release step and CodeDeploy read), while `AlarmEvaluator` computes each
alarm's state from `MetricStore` and pushes every change to moto with SetAlarmState.

Modelled, from AWS's documentation:
- "Types of metrics for Lambda functions" (Lambda Developer Guide; "Working with Lambda function
  metrics" in earlier editions): invocation metrics are binary indicators of an invocation's
  outcome (`Errors` is 1 or 0 per invocation), `Invocations` counts every invocation that ran
  (with or without a function error), throttled requests count only in `Throttles`, `Duration` is
  in milliseconds and supports percentiles. Dimensions: `FunctionName` aggregates every version and
  alias of a function; `FunctionName` + `Resource` (`<function>:<alias>` or `<function>:<version>`)
  counts one alias or version; `ExecutedVersion` (with `FunctionName` and `Resource`) splits an
  alias's invocations by the version that ran, and exists for alias invocations only; no
  dimension at all aggregates every function in the Region.
- "Using Amazon CloudWatch alarms" (CloudWatch User Guide), sections "Evaluating an alarm" and
  "Configuring how CloudWatch alarms treat missing data", with its tables: datapoints are the
  alarm's statistic over period-aligned windows; the last `EvaluationPeriods` (N) datapoints are
  evaluated and `DatapointsToAlarm` (M) of them must breach ("M out of N", not necessarily
  consecutive); CloudWatch reads an evaluation range longer than N periods and, when it holds at
  least N real datapoints, evaluates the most recent N of them; with fewer, it fills the gaps
  with `TreatMissingData` (breaching, notBreaching), keeps the state (ignore), or reports
  INSUFFICIENT_DATA (missing), except that an alarm goes to ALARM when the oldest real datapoint
  in the range breaches, is at least M periods old and every later one breaches or is missing
  ("Avoiding premature transitions to alarm state"); percentile alarms with
  `EvaluateLowSampleCountPercentile: ignore` keep their state while a period holds fewer than
  10/(1-p) samples (10/p below p50); a new alarm starts in INSUFFICIENT_DATA; N x period is at
  most one day; periods are 10, 30 or a multiple of 60 seconds.

Omitted (each is a difference from CloudWatch a test could meet):
- Ingestion and evaluation delay: a period's datapoint counts as soon as the period has ended,
  and alarms are evaluated whenever `evaluate` is called, not once a minute.
- The evaluation range: CloudWatch says it depends on the period and the resolution without
  giving the number; this uses N + 2 periods, as in the documentation's examples (5 for N = 3),
  settable with `extra_range_periods`.
- Percentiles are computed exactly on the raw values (nearest rank: the smallest value with at
  least p% of the values at or below it); CloudWatch approximates them from a compressed
  distribution, so its p99 can differ slightly from this one on the same data.
- Metric math (`Metrics`/`metricQueries`), anomaly-detection thresholds and their comparison
  operators, composite alarms, alarm actions (SNS), high-resolution storage rules, the
  `Unit` conversion CloudWatch does between compatible units (here a unit only filters), metric
  retention, the 30-dimension and 5,000-alarm quotas, and the statistics other than SampleCount,
  Average, Sum, Minimum, Maximum and pNN(.NN) (no trimmed means, IQM, TC, WM or PR).
- The wording of state reasons: modelled on CloudWatch's ("Threshold Crossed: ..."), not its
  exact text.
- Whether Lambda publishes `Throttles` datapoints of 0 for invocations that were not throttled
  is not documented; this publishes `Errors` and `Throttles` as binary indicators with every
  invocation (0 or 1), so a throttle alarm sees real datapoints while a function has traffic.
"""

from __future__ import annotations

import bisect
import math
import operator
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any, NamedTuple

LAMBDA_NAMESPACE = "AWS/Lambda"
METRIC_ALARM_TYPE = "aws:cloudwatch/metricAlarm:MetricAlarm"
# What the Pulumi engine sends for a value only known after an update (offline/engine.py).
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

OK = "OK"
ALARM = "ALARM"
INSUFFICIENT_DATA = "INSUFFICIENT_DATA"

STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
# CloudWatch's percentile syntax: p0 to p100, with up to two decimals (p99, p99.9, p99.99).
PERCENTILE = re.compile(r"^p(\d{1,2}(?:\.\d{1,2})?|100(?:\.0{1,2})?)$")
COMPARISONS: dict[str, tuple[Callable[[float, float], bool], str]] = {
    "GreaterThanOrEqualToThreshold": (operator.ge, "greater than or equal to"),
    "GreaterThanThreshold": (operator.gt, "greater than"),
    "LessThanThreshold": (operator.lt, "less than"),
    "LessThanOrEqualToThreshold": (operator.le, "less than or equal to"),
}
TREATMENTS = ("missing", "breaching", "notBreaching", "ignore")
ONE_DAY = 86_400


def _dimension_key(dimensions: Mapping[str, str]) -> frozenset[tuple[str, str]]:
    return frozenset((str(name), str(value)) for name, value in dimensions.items())


@dataclass(frozen=True)
class Datapoint:
    at: float
    value: float
    unit: str


def percentile(values: list[float], p: Fraction) -> float:
    """Nearest-rank percentile of raw values (see the module docstring for how CloudWatch differs);
    `p` is exact (99.9 is not a binary float), so that the rank is."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p * len(ordered) / 100))
    return ordered[rank - 1]


def compute(stat: str, values: list[float]) -> float:
    """One CloudWatch statistic of a non-empty list of raw values."""
    if stat == "SampleCount":
        return float(len(values))
    if stat == "Sum":
        return float(sum(values))
    if stat == "Average":
        return float(sum(values) / len(values))
    if stat == "Minimum":
        return float(min(values))
    if stat == "Maximum":
        return float(max(values))
    match = PERCENTILE.match(stat)
    if match is None:
        raise ValueError(
            f"unsupported statistic {stat!r}: use one of {', '.join(STATISTICS)} or a percentile pNN(.NN) such as p99"
        )
    return percentile(values, Fraction(match.group(1)))


class MetricStore:
    """CloudWatch's metric data: a metric is identified by its namespace, name and full set of
    dimensions (a datapoint put under {FunctionName, Resource} is not seen under {FunctionName}).
    Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Each series is kept in time order, so that a window is found by bisection: alarms read
        # seven windows of every series on every tick of the clock.
        self._series: dict[tuple[str, str, frozenset[tuple[str, str]]], list[Datapoint]] = {}

    def put(self, namespace: str, name: str, dimensions: Mapping[str, str], value: float, unit: str, at: float) -> None:
        if not (math.isfinite(value) and math.isfinite(at)):
            raise ValueError(f"{namespace} {name}: a datapoint needs a finite value and time, got {value!r} at {at!r}")
        with self._lock:
            series = self._series.setdefault((namespace, name, _dimension_key(dimensions)), [])
            bisect.insort_right(series, Datapoint(at, float(value), unit), key=lambda p: p.at)

    def values(
        self,
        namespace: str,
        name: str,
        dimensions: Mapping[str, str],
        start: float,
        end: float,
        unit: str | None = None,
    ) -> list[float]:
        """The raw values put at times in [start, end), of `unit` when one is given."""
        with self._lock:
            series = self._series.get((namespace, name, _dimension_key(dimensions)), [])
            low = bisect.bisect_left(series, start, key=lambda p: p.at)
            high = bisect.bisect_left(series, end, key=lambda p: p.at)
            window = series[low:high]
        return [p.value for p in window if unit is None or p.unit == unit]

    def statistic(
        self,
        namespace: str,
        name: str,
        dimensions: Mapping[str, str],
        stat: str,
        start: float,
        end: float,
        unit: str | None = None,
    ) -> float | None:
        """`stat` (Sum, SampleCount, Average, Minimum, Maximum or pNN(.NN)) over [start, end);
        None when the metric has no datapoint there (CloudWatch's missing data)."""
        found = self.values(namespace, name, dimensions, start, end, unit)
        return compute(stat, found) if found else None

    def dimension_sets(self, namespace: str, name: str) -> list[dict[str, str]]:
        """Every dimension set `name` has datapoints under (what ListMetrics would list), fewest
        dimensions first."""
        with self._lock:
            keys = [key for (ns, metric, key) in self._series if ns == namespace and metric == name]
        return [dict(sorted(key)) for key in sorted(keys, key=lambda k: (len(k), sorted(k)))]


def is_alias(qualifier: str) -> bool:
    """Lambda qualifiers: a version is a number or $LATEST; an alias name is never all digits."""
    return not (qualifier.isdigit() or qualifier.startswith("$LATEST"))


class LambdaMetrics:
    """Writes what Lambda publishes to the AWS/Lambda namespace for each invocation, under the
    dimension sets Lambda uses (see the module docstring)."""

    def __init__(self, store: MetricStore) -> None:
        self.store = store

    @staticmethod
    def dimension_sets(function: str, resource: str | None, executed_version: str | None) -> list[dict[str, str]]:
        """Every dimension set one invocation counts under. `resource` is `<function>:<qualifier>`
        for a qualified invocation (None for an unqualified one); `executed_version` is the version
        that ran, for alias invocations only."""
        sets: list[dict[str, str]] = [{}, {"FunctionName": function}]
        if resource is None:
            if executed_version is not None:
                raise ValueError(
                    f"{function}: ExecutedVersion is published for alias invocations only; pass the alias as resource"
                )
            return sets
        name, _, qualifier = resource.partition(":")
        if name != function or not qualifier:
            raise ValueError(f"resource must be '{function}:<alias or version>', got {resource!r}")
        sets.append({"FunctionName": function, "Resource": resource})
        if executed_version is not None:
            if not is_alias(qualifier):
                raise ValueError(
                    f"{resource}: ExecutedVersion is published for alias invocations only, not for a version's"
                )
            sets.append({"FunctionName": function, "Resource": resource, "ExecutedVersion": executed_version})
        return sets

    def record_invocation(
        self,
        function: str,
        resource: str | None,
        executed_version: str | None,
        duration_ms: float,
        error: bool,
        at: float,
    ) -> None:
        """One invocation that ran (a function error included)."""
        if resource is not None and is_alias(resource.partition(":")[2]) and executed_version is None:
            raise ValueError(f"{resource}: an alias invocation needs the version that ran (executed_version)")
        for dimensions in self.dimension_sets(function, resource, executed_version):
            self.store.put(LAMBDA_NAMESPACE, "Invocations", dimensions, 1, "Count", at)
            self.store.put(LAMBDA_NAMESPACE, "Errors", dimensions, 1 if error else 0, "Count", at)
            self.store.put(LAMBDA_NAMESPACE, "Throttles", dimensions, 0, "Count", at)
            self.store.put(LAMBDA_NAMESPACE, "Duration", dimensions, duration_ms, "Milliseconds", at)

    def record_throttle(self, function: str, resource: str | None, executed_version: str | None, at: float) -> None:
        """One throttled request: it counts in Throttles only (no Invocations, Errors or Duration)."""
        for dimensions in self.dimension_sets(function, resource, executed_version):
            self.store.put(LAMBDA_NAMESPACE, "Throttles", dimensions, 1, "Count", at)


def _need(alarm: str, inputs: Mapping[str, Any], key: str) -> Any:
    value = inputs.get(key)
    if value is None:
        raise ValueError(f"alarm {alarm}: `{key}` is required; set it on the MetricAlarm")
    if value == UNKNOWN:
        raise ValueError(f"alarm {alarm}: `{key}` is only known after an update; the emulator needs a known value")
    return value


def _whole(alarm: str, key: str, value: Any) -> int:
    """A whole number from the wire format, where numbers arrive as floats (300.0)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not float(value).is_integer():
        raise ValueError(f"alarm {alarm}: `{key}` must be a whole number, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class AlarmDefinition:
    """One metric alarm, as PutMetricAlarm takes it."""

    name: str
    namespace: str
    metric_name: str
    dimensions: Mapping[str, str]
    period: int
    evaluation_periods: int
    threshold: float
    comparison_operator: str
    statistic: str | None = None
    extended_statistic: str | None = None
    datapoints_to_alarm: int | None = None
    treat_missing_data: str = "missing"
    evaluate_low_sample_count_percentile: str | None = None
    unit: str | None = None
    description: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        where = f"alarm {self.name}"
        if (self.statistic is None) == (self.extended_statistic is None):
            raise ValueError(f"{where}: set exactly one of statistic ({', '.join(STATISTICS)}) or extended_statistic")
        if self.statistic is not None and self.statistic not in STATISTICS:
            raise ValueError(f"{where}: statistic {self.statistic!r} is not one of {', '.join(STATISTICS)}")
        if self.extended_statistic is not None and not PERCENTILE.match(self.extended_statistic):
            raise ValueError(
                f"{where}: extended_statistic {self.extended_statistic!r} is not modelled; use a percentile such as p99"
            )
        if not (self.period in (10, 30) or (self.period > 0 and self.period % 60 == 0)):
            raise ValueError(f"{where}: period must be 10, 30 or a multiple of 60 seconds, got {self.period}")
        if self.evaluation_periods < 1 or self.evaluation_periods * self.period > ONE_DAY:
            raise ValueError(
                f"{where}: evaluation_periods x period must be between one period and one day "
                f"({ONE_DAY} s), got {self.evaluation_periods} x {self.period} s"
            )
        if not 1 <= self.m <= self.evaluation_periods:
            raise ValueError(
                f"{where}: datapoints_to_alarm must be between 1 and evaluation_periods "
                f"({self.evaluation_periods}), got {self.datapoints_to_alarm}"
            )
        if self.comparison_operator not in COMPARISONS:
            raise ValueError(
                f"{where}: comparison_operator {self.comparison_operator!r} is not modelled (anomaly detection is "
                f"omitted); use one of {', '.join(COMPARISONS)}"
            )
        if self.treat_missing_data not in TREATMENTS:
            raise ValueError(
                f"{where}: treat_missing_data must be one of {', '.join(TREATMENTS)}, got {self.treat_missing_data!r}"
            )
        if self.evaluate_low_sample_count_percentile not in (None, "evaluate", "ignore"):
            raise ValueError(
                f"{where}: evaluate_low_sample_count_percentile must be 'evaluate' or 'ignore', got "
                f"{self.evaluate_low_sample_count_percentile!r}"
            )

    @property
    def m(self) -> int:
        """DatapointsToAlarm, which defaults to EvaluationPeriods."""
        return self.datapoints_to_alarm if self.datapoints_to_alarm is not None else self.evaluation_periods

    @property
    def stat(self) -> str:
        return self.statistic or self.extended_statistic or ""

    def breaches(self, value: float) -> bool:
        return bool(COMPARISONS[self.comparison_operator][0](value, self.threshold))

    def low_sample_floor(self) -> float | None:
        """Below this many samples a period's percentile is 'low sample' (None: not a percentile)."""
        match = PERCENTILE.match(self.extended_statistic or "")
        if match is None:
            return None
        fraction = float(match.group(1)) / 100
        if fraction >= 0.5:
            return math.inf if fraction >= 1 else 10 / (1 - fraction)
        return math.inf if fraction <= 0 else 10 / fraction

    def put_metric_alarm_args(self) -> dict[str, Any]:
        """The alarm as boto3's put_metric_alarm takes it."""
        args: dict[str, Any] = {
            "AlarmName": self.name,
            "AlarmDescription": self.description,
            "Namespace": self.namespace,
            "MetricName": self.metric_name,
            "Dimensions": [{"Name": k, "Value": v} for k, v in sorted(self.dimensions.items())],
            "Period": self.period,
            "EvaluationPeriods": self.evaluation_periods,
            "DatapointsToAlarm": self.m,
            "Threshold": self.threshold,
            "ComparisonOperator": self.comparison_operator,
            "TreatMissingData": self.treat_missing_data,
        }
        if self.statistic is not None:
            args["Statistic"] = self.statistic
        if self.extended_statistic is not None:
            args["ExtendedStatistic"] = self.extended_statistic
        if self.evaluate_low_sample_count_percentile is not None:
            args["EvaluateLowSampleCountPercentile"] = self.evaluate_low_sample_count_percentile
        if self.unit is not None:
            args["Unit"] = self.unit
        return args

    @classmethod
    def from_plan(cls, resource_name: str, inputs: Mapping[str, Any]) -> AlarmDefinition:
        """From a `aws:cloudwatch/metricAlarm:MetricAlarm` registration's wire-format inputs
        (camelCase keys, numbers as floats). The alarm's name is its `name` input, else the
        resource's name (Pulumi would add a random suffix: give alarms a name to match them)."""
        name = str(inputs.get("name") or resource_name)
        if inputs.get("metricQueries"):
            raise ValueError(f"alarm {name}: metric math (`metricQueries`) is not modelled; alarm on one metric")
        if inputs.get("thresholdMetricId"):
            raise ValueError(f"alarm {name}: anomaly-detection thresholds (`thresholdMetricId`) are not modelled")
        datapoints = inputs.get("datapointsToAlarm")
        threshold = _need(name, inputs, "threshold")
        return cls(
            name=name,
            namespace=str(_need(name, inputs, "namespace")),
            metric_name=str(_need(name, inputs, "metricName")),
            dimensions={str(k): str(v) for k, v in (inputs.get("dimensions") or {}).items()},
            period=_whole(name, "period", _need(name, inputs, "period")),
            evaluation_periods=_whole(name, "evaluationPeriods", _need(name, inputs, "evaluationPeriods")),
            threshold=float(threshold),
            comparison_operator=str(_need(name, inputs, "comparisonOperator")),
            statistic=inputs.get("statistic"),
            extended_statistic=inputs.get("extendedStatistic"),
            datapoints_to_alarm=None if datapoints is None else _whole(name, "datapointsToAlarm", datapoints),
            treat_missing_data=str(inputs.get("treatMissingData") or "missing"),
            evaluate_low_sample_count_percentile=inputs.get("evaluateLowSampleCountPercentiles"),
            unit=inputs.get("unit"),
            description=str(inputs.get("alarmDescription") or ""),
        )


class StateChange(NamedTuple):
    at: float
    alarm: str
    old: str
    new: str
    reason: str


def _timestamp(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%d/%m/%y %H:%M:%S")


class AlarmEvaluator:
    """Evaluates metric alarms from a `MetricStore` by CloudWatch's rules (see the module
    docstring) and mirrors their state into the CloudWatch API that `cloudwatch_client` (boto3,
    usually of a moto server) serves. Thread-safe."""

    def __init__(self, store: MetricStore, cloudwatch_client: Any, extra_range_periods: int = 2) -> None:
        if extra_range_periods < 0:
            raise ValueError(f"extra_range_periods must be 0 or more, got {extra_range_periods}")
        self.store = store
        self.client = cloudwatch_client
        self.extra_range_periods = extra_range_periods
        self.alarms: dict[str, AlarmDefinition] = {}
        self.states: dict[str, str] = {}
        self.history: list[StateChange] = []
        self._lock = threading.RLock()

    def add(self, alarm: AlarmDefinition) -> None:
        """Creates (or replaces) the alarm in CloudWatch; like a new CloudWatch alarm, it starts in
        INSUFFICIENT_DATA until its first evaluation."""
        with self._lock:
            self.client.put_metric_alarm(**alarm.put_metric_alarm_args())
            self.client.set_alarm_state(
                AlarmName=alarm.name, StateValue=INSUFFICIENT_DATA, StateReason="Unchecked: Initial alarm creation"
            )
            self.alarms[alarm.name] = alarm
            self.states[alarm.name] = INSUFFICIENT_DATA

    def add_from_plan(self, registrations: Iterable[Mapping[str, Any]]) -> list[AlarmDefinition]:
        """Adds every MetricAlarm of a plan's registrations (dicts with `type`, `name`, `inputs`)."""
        added = [
            AlarmDefinition.from_plan(str(r["name"]), r["inputs"])
            for r in registrations
            if r.get("type") == METRIC_ALARM_TYPE
        ]
        for alarm in added:
            self.add(alarm)
        return added

    def state(self, name: str) -> str:
        with self._lock:
            if name not in self.states:
                raise KeyError(f"no alarm named {name!r}; add it first (add or add_from_plan)")
            return self.states[name]

    def datapoints(self, alarm: AlarmDefinition, now: float) -> list[tuple[float, float | None, int]]:
        """(period start, statistic or None when missing, sample count) for every period of the
        evaluation range, oldest first; the last one is the latest period that has ended."""
        end = math.floor(now / alarm.period) * alarm.period
        count = alarm.evaluation_periods + self.extra_range_periods
        points = []
        for index in range(count, 0, -1):
            start = end - index * alarm.period
            values = self.store.values(
                alarm.namespace, alarm.metric_name, alarm.dimensions, start, start + alarm.period, alarm.unit
            )
            points.append((float(start), compute(alarm.stat, values) if values else None, len(values)))
        return points

    def evaluate(self, now: float) -> dict[str, str]:
        """Evaluates every alarm at `now`, pushes each change of state to CloudWatch (moto) and
        records it in `history`; returns every alarm's state."""
        with self._lock:
            for name, alarm in self.alarms.items():
                old = self.states[name]
                new, reason = self._decide(alarm, self.datapoints(alarm, now), old)
                if new != old:
                    self.client.set_alarm_state(AlarmName=name, StateValue=new, StateReason=reason)
                    self.states[name] = new
                    self.history.append(StateChange(now, name, old, new, reason))
            return dict(self.states)

    def _decide(
        self, alarm: AlarmDefinition, points: list[tuple[float, float | None, int]], old: str
    ) -> tuple[str, str]:
        """CloudWatch's rules of "Evaluating an alarm" and of missing data, on one alarm's range."""
        n, m = alarm.evaluation_periods, alarm.m
        floor = alarm.low_sample_floor()
        if alarm.evaluate_low_sample_count_percentile == "ignore" and floor is not None:
            evaluated = [p for p in points if p[1] is not None][-n:]
            if any(samples < floor for _, _, samples in evaluated):
                return old, ""
        existing = [(start, value) for start, value, _ in points if value is not None]
        if len(existing) >= n:
            recent = existing[-n:]
            return self._threshold_state(alarm, recent, sum(alarm.breaches(v) for _, v in recent), old)
        breaching = sum(alarm.breaches(v) for _, v in existing)
        filled = n - len(existing)
        treat = alarm.treat_missing_data
        if treat == "breaching":
            return self._threshold_state(alarm, existing, breaching + filled, old, filled)
        if treat == "notBreaching":
            return self._threshold_state(alarm, existing, breaching, old, filled)
        # missing or ignore: the gaps are neither breaching nor not.
        if not existing:
            if treat == "ignore":
                return old, ""
            return INSUFFICIENT_DATA, f"Insufficient Data: {len(points)} datapoints were unknown."
        if breaching >= m or breaching < len(existing):
            return self._threshold_state(alarm, existing, breaching, old)
        # Every real datapoint breaches, but fewer than M: CloudWatch's guard against premature alarms.
        oldest_age = len(points) - next(i for i, p in enumerate(points) if p[1] is not None)
        if treat == "ignore":
            return old, ""
        if oldest_age >= m:
            return ALARM, (
                f"Threshold Crossed: every datapoint since {_timestamp(existing[0][0])} is breaching or missing, "
                f"the oldest {oldest_age} periods ago (at least {m}): {old} -> {ALARM} transition."
            )
        return INSUFFICIENT_DATA, (
            f"Insufficient Data: {len(existing)} datapoint(s) breaching, too recent to decide "
            f"({m} needed, or one at least {m} periods old)."
        )

    @staticmethod
    def _threshold_state(
        alarm: AlarmDefinition, points: list[tuple[float, float]], breaching: int, old: str, filled: int = 0
    ) -> tuple[str, str]:
        new = ALARM if breaching >= alarm.m else OK
        phrase = COMPARISONS[alarm.comparison_operator][1]
        listed = ", ".join(f"{value:g} ({_timestamp(start)})" for start, value in reversed(points))
        gaps = f" and {filled} missing datapoint(s) treated as {alarm.treat_missing_data}" if filled else ""
        verb = "was" if breaching == 1 else "were"
        return new, (
            f"Threshold Crossed: {breaching} out of the last {alarm.evaluation_periods} datapoints [{listed}]{gaps} "
            f"{verb} {phrase} the threshold ({alarm.threshold:g}) (minimum {alarm.m} datapoint(s) for "
            f"{old} -> {new} transition)."
        )
