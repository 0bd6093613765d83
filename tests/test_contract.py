"""The function contract: the workspace's crates load, and each bad field gives its message."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from model.contract import ContractError, FunctionContract, validate_metadata

VALID: dict[str, Any] = {
    "lambda": {"deploy": {"memory": 128, "timeout": 10, "env": {"RUST_LOG": "info"}}},
    "stack": {
        "description": "demo",
        "trigger": {"type": "s3", "bucket": "in", "events": ["s3:ObjectCreated:*"]},
        "buckets": [
            {"name": "in", "env": "INPUT_BUCKET", "actions": ["s3:GetObject"]},
            {"name": "out", "env": "OUTPUT_BUCKET", "actions": ["s3:PutObject"]},
        ],
    },
}
PREFIX = "function crate 'demo', [package.metadata]: "


def test_the_workspace_functions_load(contracts: dict[str, FunctionContract]) -> None:
    assert sorted(contracts) == ["http-api", "lmi-worker", "s3-processor", "scheduled-job", "sqs-processor"]
    assert {name: c.trigger_type for name, c in contracts.items()} == {
        "http-api": "http",
        "lmi-worker": "managed-instances",
        "s3-processor": "s3",
        "scheduled-job": "schedule",
        "sqs-processor": "sqs",
    }
    assert contracts["s3-processor"].reference_envs == ("INPUT_BUCKET", "OUTPUT_BUCKET", "SIGNING_KEY_SECRET_ARN")
    assert contracts["http-api"].trigger["routes"] == ["GET /health", "GET /items/{id}", "POST /items"]


def test_the_valid_metadata_passes() -> None:
    validate_metadata("demo", VALID)


def set_memory(m: dict[str, Any]) -> None:
    m["lambda"]["deploy"]["memory"] = 64


def drop_timeout(m: dict[str, Any]) -> None:
    del m["lambda"]["deploy"]["timeout"]


def bad_trigger_type(m: dict[str, Any]) -> None:
    m["stack"]["trigger"]["type"] = "kafka"


def misspelt_trigger_field(m: dict[str, Any]) -> None:
    m["stack"]["trigger"]["filter_prefx"] = "incoming/"


def reserved_env(m: dict[str, Any]) -> None:
    m["stack"]["buckets"][0]["env"] = "AWS_BUCKET"


def duplicate_env(m: dict[str, Any]) -> None:
    m["stack"]["buckets"][1]["env"] = "INPUT_BUCKET"


def setting_collides(m: dict[str, Any]) -> None:
    m["lambda"]["deploy"]["env"]["OUTPUT_BUCKET"] = "x"


def undeclared_trigger_bucket(m: dict[str, Any]) -> None:
    m["stack"]["trigger"]["bucket"] = "other"


def writes_trigger_bucket(m: dict[str, Any]) -> None:
    m["stack"]["buckets"][0]["actions"] = ["s3:GetObject", "s3:PutObject"]


def bad_schedule(m: dict[str, Any]) -> None:
    m["stack"]["trigger"] = {"type": "schedule", "expression": "every hour"}


def bad_concurrency(m: dict[str, Any]) -> None:
    m["stack"]["trigger"] = {"type": "managed-instances", "max_concurrency": 1601, "memory_gib_per_vcpu": 2}


def bad_memory_ratio(m: dict[str, Any]) -> None:
    m["stack"]["trigger"] = {"type": "managed-instances", "max_concurrency": 8, "memory_gib_per_vcpu": 3}


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (set_memory, "lambda.deploy.memory: 64 is less than the minimum of 128 (Memory size in MB.)"),
        (drop_timeout, "lambda.deploy: 'timeout' is a required property"),
        (
            bad_trigger_type,
            "stack.trigger.type: 'kafka' is not a trigger type; allowed: http, sqs, s3, schedule, managed-instances",
        ),
        (
            misspelt_trigger_field,
            "stack.trigger: Additional properties are not allowed ('filter_prefx' was unexpected); "
            "allowed fields: bucket, events, filter_prefix, filter_suffix, type",
        ),
        (
            reserved_env,
            "stack.buckets.0.env: 'AWS_BUCKET' does not match '^(?!AWS_|_X_AMZN)[A-Z][A-Z0-9_]{0,63}$' "
            "(An environment variable name: upper case, digits and underscores; not AWS_ or _X_AMZN "
            "(reserved by Lambda).)",
        ),
        (
            duplicate_env,
            "stack.buckets[1].env 'INPUT_BUCKET' is already used by stack.buckets[0]; "
            "give each reference its own env var",
        ),
        (
            setting_collides,
            "lambda.deploy.env.OUTPUT_BUCKET collides with the reference env of stack.buckets[1]; rename the setting",
        ),
        (
            undeclared_trigger_bucket,
            "stack.trigger.bucket 'other' is not declared in stack.buckets; declare it there (declared: in, out)",
        ),
        (
            writes_trigger_bucket,
            "stack.trigger.bucket 'in' also has s3:PutObject: objects the function writes there would "
            "trigger it again; write to another bucket",
        ),
        (
            bad_schedule,
            "stack.trigger.expression: 'every hour' does not match "
            "'^(rate\\\\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\\\\)|cron\\\\(\\\\S+ \\\\S+ \\\\S+ \\\\S+ "
            "\\\\S+ \\\\S+\\\\))$' (An EventBridge schedule: rate(N unit) or cron(6 fields).)",
        ),
        (
            bad_concurrency,
            "stack.trigger.max_concurrency: 1601 is greater than the maximum of 1600 "
            "(Invocations one execution environment serves at once.)",
        ),
        (
            bad_memory_ratio,
            "stack.trigger.memory_gib_per_vcpu: 3 is not one of [2, 4, 8] "
            "(Memory per vCPU of an execution environment, in GiB.)",
        ),
    ],
)
def test_each_bad_field_names_itself(edit: Callable[[dict[str, Any]], None], message: str) -> None:
    metadata = copy.deepcopy(VALID)
    edit(metadata)
    with pytest.raises(ContractError) as error:
        validate_metadata("demo", metadata)
    assert str(error.value) == PREFIX + message
