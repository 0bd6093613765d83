"""harness/cloudwatch.py: Lambda's metrics under Lambda's dimensions, and alarm states computed by
CloudWatch's documented rules ("Using Amazon CloudWatch alarms": evaluating an alarm, M out of N,
missing data, premature alarm state), mirrored into the CloudWatch API (moto)."""

from __future__ import annotations

from typing import Any

import pytest

from harness.cloudwatch import (
    ALARM,
    INSUFFICIENT_DATA,
    LAMBDA_NAMESPACE,
    OK,
    AlarmDefinition,
    AlarmEvaluator,
    LambdaMetrics,
    MetricStore,
)
from harness.moto import MotoServer

T0 = 1_767_225_600.0  # a whole minute
FUNCTION = "rl-prod-sqs-processor"
ALIAS = {"FunctionName": FUNCTION, "Resource": f"{FUNCTION}:live"}
VERSION_2 = {"FunctionName": FUNCTION, "Resource": f"{FUNCTION}:2"}
ALIAS_ON_2 = {**ALIAS, "ExecutedVersion": "2"}


def errors_alarm(name: str, dimensions: dict[str, str], **changes: Any) -> AlarmDefinition:
    settings: dict[str, Any] = {
        "name": name,
        "namespace": LAMBDA_NAMESPACE,
        "metric_name": "Errors",
        "dimensions": dimensions,
        "statistic": "Sum",
        "period": 60,
        "evaluation_periods": 1,
        "threshold": 1.0,
        "comparison_operator": "GreaterThanOrEqualToThreshold",
        "treat_missing_data": "notBreaching",
        **changes,
    }
    return AlarmDefinition(**settings)


def described_state(moto: MotoServer, name: str) -> str:
    (alarm,) = moto.client("cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"]
    return str(alarm["StateValue"])


# -- metric data ----------------------------------------------------------------------------------


def test_statistics_are_computed_over_the_half_open_window() -> None:
    store = MetricStore()
    for second, value in enumerate([5.0, 1.0, 3.0, 7.0]):
        store.put("NS", "M", {"D": "x"}, value, "Count", T0 + second)
    store.put("NS", "M", {"D": "x"}, 100.0, "Count", T0 + 60)  # the next window
    stat = {s: store.statistic("NS", "M", {"D": "x"}, s, T0, T0 + 60) for s in ("Sum", "SampleCount", "Average")}
    assert stat == {"Sum": 16.0, "SampleCount": 4.0, "Average": 4.0}
    assert store.statistic("NS", "M", {"D": "x"}, "Minimum", T0, T0 + 60) == 1.0
    assert store.statistic("NS", "M", {"D": "x"}, "Maximum", T0, T0 + 60) == 7.0
    assert store.statistic("NS", "M", {"D": "x"}, "Sum", T0 + 120, T0 + 180) is None


def test_percentiles_take_the_nearest_rank_of_the_raw_values() -> None:
    store = MetricStore()
    for value in range(1, 1001):
        store.put("NS", "Duration", {}, float(value), "Milliseconds", T0 + value / 100)
    assert store.statistic("NS", "Duration", {}, "p50", T0, T0 + 60) == 500.0
    assert store.statistic("NS", "Duration", {}, "p99", T0, T0 + 60) == 990.0
    assert store.statistic("NS", "Duration", {}, "p99.9", T0, T0 + 60) == 999.0
    assert store.statistic("NS", "Duration", {}, "p100", T0, T0 + 60) == 1000.0
    with pytest.raises(ValueError, match=r"unsupported statistic 'tm99': use one of SampleCount, Average, Sum"):
        store.statistic("NS", "Duration", {}, "tm99", T0, T0 + 60)


def test_a_metric_is_its_full_dimension_set() -> None:
    store = MetricStore()
    store.put("NS", "Errors", {"FunctionName": "f", "Resource": "f:live"}, 1.0, "Count", T0)
    assert store.statistic("NS", "Errors", {"FunctionName": "f"}, "Sum", T0, T0 + 60) is None
    assert store.statistic("NS", "Errors", {"Resource": "f:live", "FunctionName": "f"}, "Sum", T0, T0 + 60) == 1.0


def test_a_version_invocation_counts_under_the_function_and_the_version() -> None:
    store = MetricStore()
    LambdaMetrics(store).record_invocation(FUNCTION, f"{FUNCTION}:2", None, 12.5, error=True, at=T0)
    assert store.dimension_sets(LAMBDA_NAMESPACE, "Errors") == [{}, {"FunctionName": FUNCTION}, VERSION_2]
    assert store.statistic(LAMBDA_NAMESPACE, "Errors", VERSION_2, "Sum", T0, T0 + 60) == 1.0
    assert store.statistic(LAMBDA_NAMESPACE, "Duration", VERSION_2, "Maximum", T0, T0 + 60) == 12.5
    assert store.statistic(LAMBDA_NAMESPACE, "Invocations", {}, "Sum", T0, T0 + 60) == 1.0


def test_an_alias_invocation_also_counts_under_the_version_that_ran() -> None:
    store = MetricStore()
    LambdaMetrics(store).record_invocation(FUNCTION, f"{FUNCTION}:live", "2", 3.0, error=False, at=T0)
    assert store.dimension_sets(LAMBDA_NAMESPACE, "Invocations") == [{}, {"FunctionName": FUNCTION}, ALIAS, ALIAS_ON_2]
    assert store.statistic(LAMBDA_NAMESPACE, "Errors", ALIAS_ON_2, "Sum", T0, T0 + 60) == 0.0
    assert store.statistic(LAMBDA_NAMESPACE, "Errors", VERSION_2, "Sum", T0, T0 + 60) is None


def test_an_unqualified_invocation_counts_under_the_function_only() -> None:
    store = MetricStore()
    LambdaMetrics(store).record_invocation(FUNCTION, None, None, 3.0, error=False, at=T0)
    assert store.dimension_sets(LAMBDA_NAMESPACE, "Duration") == [{}, {"FunctionName": FUNCTION}]


def test_a_throttle_counts_in_throttles_only() -> None:
    store = MetricStore()
    LambdaMetrics(store).record_throttle(FUNCTION, f"{FUNCTION}:live", None, at=T0)
    assert store.statistic(LAMBDA_NAMESPACE, "Throttles", ALIAS, "Sum", T0, T0 + 60) == 1.0
    assert store.dimension_sets(LAMBDA_NAMESPACE, "Invocations") == []
    assert store.dimension_sets(LAMBDA_NAMESPACE, "Errors") == []


@pytest.mark.parametrize(
    ("resource", "executed", "message"),
    [
        (f"{FUNCTION}:2", "2", f"{FUNCTION}:2: ExecutedVersion is published for alias invocations only"),
        (f"{FUNCTION}:live", None, f"{FUNCTION}:live: an alias invocation needs the version that ran"),
        ("other:live", "2", f"resource must be '{FUNCTION}:<alias or version>', got 'other:live'"),
    ],
)
def test_dimensions_lambda_never_publishes_are_refused(resource: str, executed: str | None, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        LambdaMetrics(MetricStore()).record_invocation(FUNCTION, resource, executed, 1.0, error=False, at=T0)


# -- alarms: dimensions and periods ------------------------------------------------------------------


def test_a_version_invocation_does_not_move_an_alias_alarm_and_an_alias_invocation_moves_both(
    moto: MotoServer,
) -> None:
    store = MetricStore()
    metrics = LambdaMetrics(store)
    alarms = AlarmEvaluator(store, moto.client("cloudwatch"))
    alarms.add(errors_alarm("alias-errors", ALIAS))
    alarms.add(errors_alarm("v2-errors", ALIAS_ON_2))
    alarms.add(errors_alarm("function-errors", {"FunctionName": FUNCTION}))
    # A direct invocation of version 2 (a pre-traffic check) fails.
    metrics.record_invocation(FUNCTION, f"{FUNCTION}:2", None, 5.0, error=True, at=T0 + 10)
    assert alarms.evaluate(T0 + 60) == {"alias-errors": OK, "v2-errors": OK, "function-errors": ALARM}
    # An invocation through the alias that ran version 2 fails.
    metrics.record_invocation(FUNCTION, f"{FUNCTION}:live", "2", 5.0, error=True, at=T0 + 70)
    assert alarms.evaluate(T0 + 120) == {"alias-errors": ALARM, "v2-errors": ALARM, "function-errors": ALARM}
    assert [described_state(moto, n) for n in ("alias-errors", "v2-errors", "function-errors")] == [ALARM] * 3


def test_only_complete_periods_count_and_the_last_datapoint_counts_while_in_the_evaluation_range(
    moto: MotoServer,
) -> None:
    store = MetricStore()
    alarms = AlarmEvaluator(store, moto.client("cloudwatch"))
    alarms.add(errors_alarm("errors", ALIAS))
    LambdaMetrics(store).record_invocation(FUNCTION, f"{FUNCTION}:live", "1", 5.0, error=True, at=T0 + 59)
    assert alarms.evaluate(T0 + 59.5) == {"errors": OK}  # the minute has not ended
    assert alarms.evaluate(T0 + 60) == {"errors": ALARM}
    # No datapoint since: CloudWatch evaluates the most recent real datapoint while it is in the
    # evaluation range (N + 2 = 3 periods), and only then treats the gaps as not breaching.
    assert alarms.evaluate(T0 + 180) == {"errors": ALARM}
    assert alarms.evaluate(T0 + 240) == {"errors": OK}
    assert alarms.history == [
        (T0 + 59.5, "errors", INSUFFICIENT_DATA, OK, alarms.history[0].reason),
        (T0 + 60, "errors", OK, ALARM, alarms.history[1].reason),
        (T0 + 240, "errors", ALARM, OK, alarms.history[2].reason),
    ]
    assert alarms.history[1].reason.startswith("Threshold Crossed: 1 out of the last 1 datapoints [1 (")
    assert described_state(moto, "errors") == OK


def test_a_new_alarm_starts_in_insufficient_data(moto: MotoServer) -> None:
    alarms = AlarmEvaluator(MetricStore(), moto.client("cloudwatch"))
    alarms.add(errors_alarm("fresh", ALIAS, treat_missing_data="missing"))
    assert (alarms.state("fresh"), described_state(moto, "fresh")) == (INSUFFICIENT_DATA, INSUFFICIENT_DATA)
    assert alarms.evaluate(T0 + 600) == {"fresh": INSUFFICIENT_DATA}


def test_a_p99_alarm_reads_the_percentile_and_ignores_low_samples_when_asked(moto: MotoServer) -> None:
    store = MetricStore()
    alarms = AlarmEvaluator(store, moto.client("cloudwatch"))
    settings: dict[str, Any] = {"metric_name": "Duration", "statistic": None, "extended_statistic": "p99"}
    alarms.add(errors_alarm("p99", ALIAS, threshold=800.0, **settings))
    alarms.add(
        errors_alarm("p99-low", ALIAS, threshold=800.0, evaluate_low_sample_count_percentile="ignore", **settings)
    )
    metrics = LambdaMetrics(store)
    for i in range(100):  # 100 samples: below p99's floor of 10 / (1 - 0.99) = 1000
        metrics.record_invocation(FUNCTION, f"{FUNCTION}:live", "1", 900.0 if i >= 98 else 10.0, False, T0 + i / 10)
    assert alarms.evaluate(T0 + 60) == {"p99": ALARM, "p99-low": INSUFFICIENT_DATA}


# -- alarms: the documentation's tables --------------------------------------------------------------

RETAIN = "retain"
# "Using Amazon CloudWatch alarms", "How alarm state is evaluated when data is missing": the five
# most recent datapoints (the evaluation range), oldest first; 0 not breaching, X breaching, - missing.
# Columns: MISSING, IGNORE, BREACHING, NOT BREACHING.
THREE_OUT_OF_THREE = [
    ("0 - X - X", (OK, OK, OK, OK)),
    ("0 - - - -", (OK, OK, OK, OK)),
    ("- - - - -", (INSUFFICIENT_DATA, RETAIN, ALARM, OK)),
    ("0 X X - X", (ALARM, ALARM, ALARM, ALARM)),
    ("- - X - -", (ALARM, RETAIN, ALARM, OK)),  # premature alarm state: old enough
    # The earlier edition's rows: too recent to alarm, and the oldest breaching with only gaps after.
    ("- - - - X", (INSUFFICIENT_DATA, RETAIN, ALARM, OK)),
    ("X - - - -", (ALARM, RETAIN, ALARM, OK)),
]
TWO_OUT_OF_THREE = [
    ("0 - X - X", (ALARM, ALARM, ALARM, ALARM)),
    ("0 0 X 0 X", (ALARM, ALARM, ALARM, ALARM)),
    ("0 - X - -", (OK, OK, ALARM, OK)),
    ("- - - - 0", (OK, OK, ALARM, OK)),
    ("- - - X -", (ALARM, RETAIN, ALARM, OK)),
]
TREATMENTS = ("missing", "ignore", "breaching", "notBreaching")


def table_cases() -> list[tuple[int, str, str, str]]:
    cases = []
    for m, table in ((3, THREE_OUT_OF_THREE), (2, TWO_OUT_OF_THREE)):
        for row, states in table:
            for treatment, state in zip(TREATMENTS, states, strict=True):
                cases.append((m, row, treatment, state))
    return cases


@pytest.mark.parametrize(("m", "row", "treatment", "expected"), table_cases())
@pytest.mark.parametrize("before", [OK, ALARM])
def test_missing_data_is_treated_as_the_documentation_tabulates(
    moto: MotoServer, m: int, row: str, treatment: str, expected: str, before: str
) -> None:
    store = MetricStore()
    alarms = AlarmEvaluator(store, moto.client("cloudwatch"))
    alarms.add(
        errors_alarm(
            f"table-{m}-{treatment}", ALIAS, evaluation_periods=3, datapoints_to_alarm=m, treat_missing_data=treatment
        )
    )
    # Five periods that put the alarm in `before`, then the row's five periods.
    earlier = ["X" if before == ALARM else "0"] * 5
    for index, point in enumerate([*earlier, *row.split()]):
        if point != "-":
            store.put(LAMBDA_NAMESPACE, "Errors", ALIAS, 1.0 if point == "X" else 0.0, "Count", T0 + index * 60)
    assert alarms.evaluate(T0 + 5 * 60)[f"table-{m}-{treatment}"] == before
    state = alarms.evaluate(T0 + 10 * 60)[f"table-{m}-{treatment}"]
    assert state == (before if expected == RETAIN else expected)


# -- alarm definitions ------------------------------------------------------------------------------


def program_alarm(**changes: Any) -> dict[str, Any]:
    """A MetricAlarm registration as the offline engine records it (camelCase, numbers as floats)."""
    inputs: dict[str, Any] = {
        "name": "rl-prod-sqs-processor-errors",
        "alarmDescription": "rl-prod-sqs-processor: 1 or more errors in 5 minutes",
        "namespace": "AWS/Lambda",
        "metricName": "Errors",
        "statistic": "Sum",
        "dimensions": {"FunctionName": "rl-prod-sqs-processor"},
        "period": 300.0,
        "evaluationPeriods": 1.0,
        "datapointsToAlarm": 1.0,
        "comparisonOperator": "GreaterThanOrEqualToThreshold",
        "threshold": 1.0,
        "treatMissingData": "notBreaching",
        "alarmActions": ["arn:aws:sns:eu-west-1:123456789012:alarms"],
        **changes,
    }
    return {"type": "aws:cloudwatch/metricAlarm:MetricAlarm", "name": "sqs-processor-errors", "inputs": inputs}


def test_alarms_come_from_the_programs_registrations(moto: MotoServer) -> None:
    alarms = AlarmEvaluator(MetricStore(), moto.client("cloudwatch"))
    other = {"type": "aws:sns/topic:Topic", "name": "alarms", "inputs": {}}
    (added,) = alarms.add_from_plan([program_alarm(), other])
    assert added == AlarmDefinition(
        name="rl-prod-sqs-processor-errors",
        namespace="AWS/Lambda",
        metric_name="Errors",
        dimensions={"FunctionName": "rl-prod-sqs-processor"},
        period=300,
        evaluation_periods=1,
        datapoints_to_alarm=1,
        threshold=1.0,
        comparison_operator="GreaterThanOrEqualToThreshold",
        statistic="Sum",
        treat_missing_data="notBreaching",
    )
    (described,) = moto.client("cloudwatch").describe_alarms(AlarmNames=[added.name])["MetricAlarms"]
    assert (described["Period"], described["Threshold"], described["StateValue"]) == (300, 1.0, INSUFFICIENT_DATA)


WHERE = "alarm rl-prod-sqs-processor-errors: "
ONE_STATISTIC = "set exactly one of statistic (SampleCount, Average, Sum, Minimum, Maximum) or extended_statistic"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"metricQueries": [{"id": "m1"}]}, "metric math (`metricQueries`) is not modelled; alarm on one metric"),
        ({"threshold": None}, "`threshold` is required; set it on the MetricAlarm"),
        ({"period": 45.0}, "period must be 10, 30 or a multiple of 60 seconds, got 45"),
        ({"period": 7.5}, "`period` must be a whole number, got 7.5"),
        (
            {"evaluationPeriods": 300.0},
            "evaluation_periods x period must be between one period and one day (86400 s), got 300 x 300 s",
        ),
        ({"datapointsToAlarm": 2.0}, "datapoints_to_alarm must be between 1 and evaluation_periods (1), got 2"),
        ({"statistic": None}, ONE_STATISTIC),
        ({"extendedStatistic": "p99"}, ONE_STATISTIC),
        (
            {"comparisonOperator": "LessThanLowerOrGreaterThanUpperThreshold"},
            "comparison_operator 'LessThanLowerOrGreaterThanUpperThreshold' is not modelled (anomaly detection is "
            "omitted); use one of GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold, "
            "LessThanOrEqualToThreshold",
        ),
        (
            {"treatMissingData": "zero"},
            "treat_missing_data must be one of missing, breaching, notBreaching, ignore, got 'zero'",
        ),
    ],
)
def test_an_alarm_the_emulator_cannot_evaluate_is_refused_naming_the_field(
    changes: dict[str, Any], message: str
) -> None:
    registration = program_alarm(**changes)
    with pytest.raises(ValueError) as refused:
        AlarmDefinition.from_plan(registration["name"], registration["inputs"])
    assert str(refused.value) == WHERE + message
