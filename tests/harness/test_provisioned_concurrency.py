"""harness/provisioned_concurrency.py through the Lambda API: allocation takes time on the clock,
one configuration per version, none on $LATEST or on a weighted alias, FAILED beyond the
account's limit, and an alias that moves reallocates."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from harness.lambda_api import LambdaApi
from harness.moto import MotoServer
from tests.harness.conftest import World, client, code, error_of

ALLOCATION_SECONDS = 120.0  # LambdaApi's default: "a minute or two of preparation"


def figures(answer: dict[str, Any]) -> tuple[str, int, int, int]:
    return (
        answer["Status"],
        answer["RequestedProvisionedConcurrentExecutions"],
        answer["AllocatedProvisionedConcurrentExecutions"],
        answer["AvailableProvisionedConcurrentExecutions"],
    )


@pytest.fixture
def function(
    lambda_api: LambdaApi, create_function: Callable[[str], None], function_name: str, moto: MotoServer
) -> str:
    """Versions 1 and 2, `live` on 1."""
    create_function(function_name)
    moto.client("lambda").update_function_code(FunctionName=function_name, ZipFile=code("2"), Publish=True)
    return function_name


def test_an_alias_is_ready_only_after_the_allocation_time(lambda_api: LambdaApi, function: str, world: World) -> None:
    api = client("lambda", lambda_api.url)
    put = api.put_provisioned_concurrency_config(
        FunctionName=function, Qualifier="live", ProvisionedConcurrentExecutions=5
    )
    assert figures(put) == ("IN_PROGRESS", 5, 0, 0)
    world.clock.advance(ALLOCATION_SECONDS - 1)
    assert figures(api.get_provisioned_concurrency_config(FunctionName=function, Qualifier="live")) == (
        "IN_PROGRESS",
        5,
        0,
        0,
    )
    world.clock.advance(1)
    assert figures(api.get_provisioned_concurrency_config(FunctionName=function, Qualifier="live")) == (
        "READY",
        5,
        5,
        5,
    )


def test_moving_the_alias_reallocates_on_the_new_version(lambda_api: LambdaApi, function: str, world: World) -> None:
    api = client("lambda", lambda_api.url)
    api.put_provisioned_concurrency_config(FunctionName=function, Qualifier="live", ProvisionedConcurrentExecutions=2)
    world.clock.advance(ALLOCATION_SECONDS)
    api.update_alias(FunctionName=function, Name="live", FunctionVersion="2")
    world.clock.advance(60)
    assert figures(api.get_provisioned_concurrency_config(FunctionName=function, Qualifier="live"))[0] == "IN_PROGRESS"
    world.clock.advance(ALLOCATION_SECONDS - 60)
    assert figures(api.get_provisioned_concurrency_config(FunctionName=function, Qualifier="live"))[0] == "READY"


def test_a_version_takes_one_configuration_and_latest_none(lambda_api: LambdaApi, function: str) -> None:
    api = client("lambda", lambda_api.url)
    api.put_provisioned_concurrency_config(FunctionName=function, Qualifier="live", ProvisionedConcurrentExecutions=1)
    assert error_of(
        lambda: api.put_provisioned_concurrency_config(
            FunctionName=function, Qualifier="1", ProvisionedConcurrentExecutions=1
        )
    ) == (
        "ResourceConflictException",
        f"Version 1 of {function} already has provisioned concurrency, configured on live: a version takes one "
        "configuration, on itself or on one alias",
    )
    assert error_of(
        lambda: api.put_provisioned_concurrency_config(
            FunctionName=function, Qualifier="$LATEST", ProvisionedConcurrentExecutions=1
        )
    ) == (
        "InvalidParameterValueException",
        "Provisioned Concurrency Configs cannot be applied to unpublished function versions.",
    )
    # Version 2 has none yet: it takes one.
    put = api.put_provisioned_concurrency_config(
        FunctionName=function, Qualifier="2", ProvisionedConcurrentExecutions=1
    )
    assert put["Status"] == "IN_PROGRESS"


def test_a_weighted_alias_takes_no_provisioned_concurrency_settings(lambda_api: LambdaApi, function: str) -> None:
    api = client("lambda", lambda_api.url)
    api.put_provisioned_concurrency_config(FunctionName=function, Qualifier="live", ProvisionedConcurrentExecutions=1)
    api.update_alias(
        FunctionName=function, Name="live", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"2": 0.1}}
    )
    refused = ("InvalidParameterValueException", "Alias with weights can not be used with Provisioned Concurrency.")
    assert (
        error_of(
            lambda: api.put_provisioned_concurrency_config(
                FunctionName=function, Qualifier="live", ProvisionedConcurrentExecutions=3
            )
        )
        == refused
    )
    assert (
        error_of(lambda: api.delete_provisioned_concurrency_config(FunctionName=function, Qualifier="live")) == refused
    )


def test_beyond_the_accounts_limit_the_allocation_fails_with_a_reason(
    moto: MotoServer, world: World, create_function: Callable[[str], None], function_name: str
) -> None:
    api_server = LambdaApi({}, control_plane=moto.url, clock=world.clock, provisioned_account_limit=10)
    try:
        create_function(function_name)
        api = client("lambda", api_server.url)
        put = api.put_provisioned_concurrency_config(
            FunctionName=function_name, Qualifier="live", ProvisionedConcurrentExecutions=11
        )
        assert figures(put) == ("FAILED", 11, 0, 0)
        assert put["StatusReason"] == (
            "The account cannot allocate 11 more: 11 provisioned concurrent executions requested in all, over its "
            "limit of 10."
        )
        world.clock.advance(ALLOCATION_SECONDS)
        got = api.get_provisioned_concurrency_config(FunctionName=function_name, Qualifier="live")
        assert figures(got) == ("FAILED", 11, 0, 0)
    finally:
        api_server.close()


def test_configurations_are_listed_and_deleted(lambda_api: LambdaApi, function: str) -> None:
    api = client("lambda", lambda_api.url)
    api.put_provisioned_concurrency_config(FunctionName=function, Qualifier="2", ProvisionedConcurrentExecutions=4)
    listed = api.list_provisioned_concurrency_configs(FunctionName=function)["ProvisionedConcurrencyConfigs"]
    assert [(c["FunctionArn"], c["RequestedProvisionedConcurrentExecutions"]) for c in listed] == [
        (f"arn:aws:lambda:us-east-1:123456789012:function:{function}:2", 4)
    ]
    api.delete_provisioned_concurrency_config(FunctionName=function, Qualifier="2")
    assert error_of(lambda: api.get_provisioned_concurrency_config(FunctionName=function, Qualifier="2")) == (
        "ProvisionedConcurrencyConfigNotFoundException",
        "No Provisioned Concurrency Config found for this function",
    )
