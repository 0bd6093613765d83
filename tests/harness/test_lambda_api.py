"""harness/lambda_api.py: invocations go to the version they name, an alias routes by its weights,
each invocation is published under Lambda's dimensions, and the control plane keeps Lambda's
rules (reserved concurrency, versions an alias references)."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from harness.cloudwatch import ALARM, LAMBDA_NAMESPACE, OK
from harness.emulator import Emulator, Invocation
from harness.lambda_api import LambdaApi
from harness.moto import MotoServer
from tests.harness.conftest import World, client, code, error_of
from tests.harness.test_cloudwatch import errors_alarm


def invoke(api: LambdaApi, function: str, qualifier: str | None = None) -> tuple[str, dict[str, Any], str | None]:
    """(X-Amz-Executed-Version, payload, X-Amz-Function-Error) of one invocation through boto3."""
    args: dict[str, Any] = {"FunctionName": function, "Payload": b"{}"}
    if qualifier is not None:
        args["Qualifier"] = qualifier
    answer = client("lambda", api.url).invoke(**args)
    return answer["ExecutedVersion"], json.loads(answer["Payload"].read()), answer.get("FunctionError")


@pytest.fixture
def versions(
    lambda_api: LambdaApi,
    create_function: Callable[[str], None],
    function_name: str,
    stand_in: Callable[[str], Emulator],
    moto: MotoServer,
) -> str:
    """A function with $LATEST, versions 1 and 2 (each a stand-in answering its label), `live` on 1."""
    create_function(function_name)
    moto.client("lambda").update_function_code(FunctionName=function_name, ZipFile=code("2"), Publish=True)
    for version in ("$LATEST", "1", "2"):
        lambda_api.add_version(function_name, version, stand_in(version))
    return function_name


def test_each_invocation_runs_the_version_it_names(lambda_api: LambdaApi, versions: str) -> None:
    assert invoke(lambda_api, versions) == ("$LATEST", {"version": "$LATEST"}, None)
    assert invoke(lambda_api, f"{versions}:2") == ("2", {"version": "2"}, None)
    assert invoke(lambda_api, versions, "1") == ("1", {"version": "1"}, None)
    assert invoke(lambda_api, versions, "live") == ("1", {"version": "1"}, None)
    arn = f"arn:aws:lambda:us-east-1:123456789012:function:{versions}:2"
    assert invoke(lambda_api, arn) == ("2", {"version": "2"}, None)
    assert error_of(lambda: invoke(lambda_api, versions, "9")) == (
        "ResourceNotFoundException",
        f"Function not found: arn:aws:lambda:us-east-1:123456789012:function:{versions}:9",
    )
    assert error_of(lambda: invoke(lambda_api, versions, "canary")) == (
        "ResourceNotFoundException",
        f"Function not found: arn:aws:lambda:us-east-1:123456789012:function:{versions}:canary",
    )


def test_an_alias_routes_by_its_weights(
    lambda_api: LambdaApi, create_function: Callable[[str], None], function_name: str, moto: MotoServer
) -> None:
    control = moto.client("lambda")
    create_function(function_name)
    control.update_function_code(FunctionName=function_name, ZipFile=code("2"), Publish=True)
    control.update_alias(
        FunctionName=function_name,
        Name="live",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.1}},
    )
    # Fault-only versions: the routing is under test, not the function (no process per invocation).
    lambda_api.add_version(function_name, "1", None, fault_rate=1.0)
    lambda_api.add_version(function_name, "2", None, fault_rate=1.0)
    executed = Counter(invoke(lambda_api, function_name, "live")[0] for _ in range(1000))
    # Binomial(1000, 0.1): mean 100, standard deviation 9.5; the draw is seeded, so this is repeatable.
    assert set(executed) == {"1", "2"}
    assert 70 <= executed["2"] <= 130
    assert executed["1"] + executed["2"] == 1000


def test_metrics_follow_the_dimensions_so_a_version_invoke_leaves_the_alias_alarm_alone(
    lambda_api: LambdaApi, versions: str, world: World
) -> None:
    alias = {"FunctionName": versions, "Resource": f"{versions}:live"}
    world.alarms.add(errors_alarm("alias-errors", alias))
    world.alarms.add(errors_alarm("alias-on-2-errors", {**alias, "ExecutedVersion": "2"}))
    world.alarms.add(errors_alarm("version-2-errors", {"FunctionName": versions, "Resource": f"{versions}:2"}))
    lambda_api.add_version(versions, "2", None, fault_rate=1.0)  # version 2 now fails every invocation
    assert invoke(lambda_api, versions, "2")[2] == "Unhandled"
    world.clock.advance(60)
    assert world.alarms.evaluate(world.clock.now()) == {
        "alias-errors": OK,
        "alias-on-2-errors": OK,
        "version-2-errors": ALARM,
    }
    client("lambda", lambda_api.url).update_alias(FunctionName=versions, Name="live", FunctionVersion="2")
    executed, payload, error = invoke(lambda_api, versions, "live")
    assert (executed, payload["errorType"], error) == ("2", "InjectedFault", "Unhandled")
    world.clock.advance(60)
    assert world.alarms.evaluate(world.clock.now()) == {
        "alias-errors": ALARM,
        "alias-on-2-errors": ALARM,
        "version-2-errors": ALARM,
    }
    minute = (world.clock.now() - 60, world.clock.now())
    duration = world.store.statistic(
        LAMBDA_NAMESPACE, "Duration", {**alias, "ExecutedVersion": "2"}, "SampleCount", *minute
    )
    assert duration == 1.0


def test_a_fault_rate_fails_that_fraction_of_the_versions_invocations_deterministically(
    lambda_api: LambdaApi, versions: str, stand_in: Callable[[str], Emulator]
) -> None:
    lambda_api.add_version(versions, "2", stand_in("2"), fault_rate=0.25)
    outcomes = [invoke(lambda_api, versions, "2") for _ in range(12)]
    failed = [i for i, (_, _, error) in enumerate(outcomes, start=1) if error == "Unhandled"]
    assert failed == [4, 8, 12]
    assert outcomes[3][1] == {"errorType": "InjectedFault", "errorMessage": f"fault injected into {versions}:2"}
    assert outcomes[0] == ("2", {"version": "2"}, None)


class Held:
    """A function whose invocations wait until released: a request in flight on demand."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def invoke(self, payload: Any, raw: bytes | None = None, timeout: float = 60) -> Invocation:
        self.entered.set()
        self.release.wait(10)
        return Invocation("held", 200, {"held": True}, 0.0)


def test_requests_beyond_reserved_concurrency_are_throttled_and_counted_as_throttles(
    lambda_api: LambdaApi, versions: str, world: World, moto: MotoServer
) -> None:
    api = client("lambda", lambda_api.url)
    api.put_function_concurrency(FunctionName=versions, ReservedConcurrentExecutions=0)
    throttled = ("TooManyRequestsException", "Rate Exceeded.")
    assert error_of(lambda: invoke(lambda_api, versions, "live")) == throttled
    api.put_function_concurrency(FunctionName=versions, ReservedConcurrentExecutions=1)
    held = Held()
    lambda_api.add_version(versions, "1", held)
    answers: list[tuple[str, dict[str, Any], str | None]] = []
    first = threading.Thread(target=lambda: answers.append(invoke(lambda_api, versions, "live")))
    first.start()
    assert held.entered.wait(10)
    assert error_of(lambda: invoke(lambda_api, versions, "live")) == throttled  # one in flight already
    held.release.set()
    first.join(10)
    assert answers == [("1", {"held": True}, None)]
    world.clock.advance(60)
    minute = (world.clock.now() - 60, world.clock.now())
    alias = {"FunctionName": versions, "Resource": f"{versions}:live"}
    assert world.store.statistic(LAMBDA_NAMESPACE, "Throttles", alias, "Sum", *minute) == 2.0
    assert world.store.statistic(LAMBDA_NAMESPACE, "Invocations", alias, "Sum", *minute) == 1.0


def test_a_version_an_alias_references_cannot_be_deleted(
    lambda_api: LambdaApi, versions: str, moto: MotoServer
) -> None:
    api = client("lambda", lambda_api.url)
    api.update_alias(
        FunctionName=versions, Name="live", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}}
    )
    referenced = (
        "ResourceConflictException",
        "Unable to delete version because the following aliases reference it: [live]",
    )
    assert error_of(lambda: api.delete_function(FunctionName=versions, Qualifier="1")) == referenced  # its version
    assert error_of(lambda: api.delete_function(FunctionName=versions, Qualifier="2")) == referenced  # its weight
    api.update_alias(
        FunctionName=versions, Name="live", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {}}
    )
    api.delete_function(FunctionName=versions, Qualifier="2")
    listed = moto.client("lambda").list_versions_by_function(FunctionName=versions)["Versions"]
    assert [v["Version"] for v in listed] == ["$LATEST", "1"]


def test_without_a_control_plane_only_invocations_are_served(stand_in: Callable[[str], Emulator]) -> None:
    api = LambdaApi({"solo": stand_in("$LATEST")})
    try:
        assert invoke(api, "solo") == ("$LATEST", {"version": "$LATEST"}, None)
        assert error_of(lambda: client("lambda", api.url).get_alias(FunctionName="solo", Name="live"))[0] == (
            "UnknownOperationException"
        )
    finally:
        api.close()
