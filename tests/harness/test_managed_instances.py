"""harness/managed_instances.py through the Lambda API: a published version is Pending until its
execution environments are up, the scaling config settles on the clock, and a capacity provider
holds at most 100 function versions across its functions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from harness.emulator import Emulator
from harness.lambda_api import LambdaApi
from harness.moto import MotoServer
from tests.harness.conftest import World, client, code, error_of

ACTIVATION_SECONDS = 60.0  # LambdaApi's defaults
SCALING_SECONDS = 30.0
PROVIDER_ARN = "arn:aws:lambda:us-east-1:123456789012:capacity-provider:rl-prod-workers"


def state(api: Any, function: str, version: str) -> tuple[str, str | None, str | None]:
    found = api.get_function_configuration(FunctionName=function, Qualifier=version)
    return found["State"], found.get("StateReason"), found.get("StateReasonCode")


@pytest.fixture
def managed(lambda_api: LambdaApi, create_function: Callable[[str], None], function_name: str) -> str:
    """A function on the capacity provider rl-prod-workers, version 1 published before it was."""
    create_function(function_name)
    lambda_api.register_capacity_provider(function_name, "rl-prod-workers")
    return function_name


def test_a_published_version_is_pending_until_its_environments_are_up(
    lambda_api: LambdaApi, managed: str, world: World, stand_in: Callable[[str], Emulator]
) -> None:
    api = client("lambda", lambda_api.url)
    version = api.update_function_code(FunctionName=managed, ZipFile=code("2"), Publish=True)["Version"]
    lambda_api.add_version(managed, version, stand_in(version))
    assert state(api, managed, version) == ("Pending", "The function is being created.", "Creating")
    assert api.get_function(FunctionName=managed, Qualifier=version)["Configuration"]["State"] == "Pending"
    assert error_of(lambda: api.invoke(FunctionName=managed, Qualifier=version, Payload=b"{}")) == (
        "ResourceConflictException",
        "The operation cannot be performed at this time. The function is currently in the following state: Pending",
    )
    world.clock.advance(ACTIVATION_SECONDS)
    assert state(api, managed, version) == ("Active", None, None)
    assert api.invoke(FunctionName=managed, Qualifier=version, Payload=b"{}")["ExecutedVersion"] == version


def test_the_scaling_config_is_requested_then_applied_per_version(
    lambda_api: LambdaApi, managed: str, world: World
) -> None:
    api = client("lambda", lambda_api.url)
    first = {"MinExecutionEnvironments": 3, "MaxExecutionEnvironments": 30}
    assert (
        api.put_function_scaling_config(FunctionName=managed, Qualifier="1", FunctionScalingConfig=first)[
            "FunctionState"
        ]
        == "Active"
    )
    got = api.get_function_scaling_config(FunctionName=managed, Qualifier="1")
    assert (got["FunctionArn"], got["RequestedFunctionScalingConfig"], "AppliedFunctionScalingConfig" in got) == (
        f"arn:aws:lambda:us-east-1:123456789012:function:{managed}:1",
        first,
        False,
    )
    world.clock.advance(SCALING_SECONDS)
    got = api.get_function_scaling_config(FunctionName=managed, Qualifier="1")
    # Settled: reported as applied only (a client waits for the requested one to go).
    assert (got.get("RequestedFunctionScalingConfig"), got["AppliedFunctionScalingConfig"]) == (None, first)
    second = {"MinExecutionEnvironments": 6, "MaxExecutionEnvironments": 60}
    api.put_function_scaling_config(FunctionName=managed, Qualifier="1", FunctionScalingConfig=second)
    got = api.get_function_scaling_config(FunctionName=managed, Qualifier="1")
    assert (got["RequestedFunctionScalingConfig"], got["AppliedFunctionScalingConfig"]) == (second, first)
    world.clock.advance(SCALING_SECONDS)
    assert (
        api.get_function_scaling_config(FunctionName=managed, Qualifier="1")["AppliedFunctionScalingConfig"] == second
    )


def test_a_scaling_config_needs_a_published_version_of_a_managed_instances_function(
    lambda_api: LambdaApi, managed: str, create_function: Callable[[str], None]
) -> None:
    api = client("lambda", lambda_api.url)
    config = {"MinExecutionEnvironments": 3, "MaxExecutionEnvironments": 30}
    assert error_of(
        lambda: api.put_function_scaling_config(FunctionName=managed, Qualifier="live", FunctionScalingConfig=config)
    ) == ("InvalidParameterValueException", "Qualifier must be $LATEST.PUBLISHED or a version number, got 'live'")
    assert error_of(
        lambda: api.put_function_scaling_config(
            FunctionName=managed,
            Qualifier="1",
            FunctionScalingConfig={"MinExecutionEnvironments": 9, "MaxExecutionEnvironments": 3},
        )
    ) == (
        "InvalidParameterValueException",
        "FunctionScalingConfig.MinExecutionEnvironments (9) must not exceed MaxExecutionEnvironments (3)",
    )
    standard = f"{managed}-standard"
    create_function(standard)
    assert error_of(
        lambda: api.put_function_scaling_config(FunctionName=standard, Qualifier="1", FunctionScalingConfig=config)
    ) == (
        "InvalidParameterValueException",
        f"{standard} has no capacity provider: a function scaling config applies to Lambda Managed Instances "
        "functions only",
    )


def test_a_capacity_provider_holds_at_most_100_versions_across_its_functions(
    lambda_api: LambdaApi, managed: str, moto: MotoServer
) -> None:
    api = client("lambda", lambda_api.url)
    role = moto.client("lambda").get_function(FunctionName=managed)["Configuration"]["Role"]
    # A second function joins the provider at creation (its CapacityProviderConfig names it).
    other = f"{managed}-b"
    api.create_function(
        FunctionName=other,
        Runtime="provided.al2023",
        Role=role,
        Handler="bootstrap",
        Code={"ZipFile": code("b-1")},
        Publish=True,
        CapacityProviderConfig={"LambdaManagedInstancesCapacityProviderConfig": {"CapacityProviderArn": PROVIDER_ARN}},
    )
    # 1 + 1 versions so far; publish 98 more, alternating between the two functions.
    for index in range(98):
        function = managed if index % 2 else other
        api.update_function_code(FunctionName=function, ZipFile=code(f"n-{index}"), Publish=True)
    assert lambda_api.rules is not None and lambda_api.rules.managed.versions_on("rl-prod-workers") == 100
    full = (
        "FunctionVersionsPerCapacityProviderLimitExceededException",
        "The maximum number of function versions that can be associated with a single capacity provider has been "
        "exceeded. (rl-prod-workers holds 100; delete versions to publish more.)",
    )
    assert error_of(lambda: api.update_function_code(FunctionName=managed, ZipFile=code("x"), Publish=True)) == full
    api.update_function_code(FunctionName=other, ZipFile=code("b-changed"))  # $LATEST changes; no version yet
    assert error_of(lambda: api.publish_version(FunctionName=other)) == full
    # Deleting a version frees its place (version 2 of the first function: no alias references it).
    api.delete_function(FunctionName=managed, Qualifier="2")
    assert api.publish_version(FunctionName=other)["Version"] == "51"
    assert lambda_api.rules.managed.versions_on("rl-prod-workers") == 100


def test_publishing_to_latest_published_is_refused_rather_than_mistaken_for_a_numbered_version(
    lambda_api: LambdaApi, managed: str
) -> None:
    """moto would publish a numbered version where Lambda republishes $LATEST.PUBLISHED."""
    api = client("lambda", lambda_api.url)
    assert error_of(
        lambda: api.update_function_code(
            FunctionName=managed, ZipFile=code("3"), Publish=True, PublishTo="LATEST_PUBLISHED"
        )
    ) == (
        "InvalidParameterValueException",
        "PublishTo (the $LATEST.PUBLISHED version) is not modelled by this emulator: publish a numbered version "
        "(Publish without PublishTo, or PublishVersion)",
    )
