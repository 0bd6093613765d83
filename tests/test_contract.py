"""The function contract: the workspace's crates load, each bad field gives its message, and the
JSON Schema and the trigger registry agree with the model."""

from __future__ import annotations

import copy
import json
import typing
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest

from components.triggers import TRIGGER_KINDS
from model.contract import SCHEMA_PATH, ContractError, FunctionContract, Trigger, json_schema, validate_metadata

VALID: dict[str, Any] = {
    "lambda": {"deploy": {"memory": 128, "timeout": 10, "env": {"PAGE_SIZE": "25"}}},
    "stack": {
        "description": "demo",
        "trigger": {"type": "s3", "bucket": "in", "events": ["s3:ObjectCreated:*"], "filter_prefix": "incoming/"},
        "buckets": [
            {"name": "in", "env": "INPUT_BUCKET", "prefix": "incoming/", "actions": ["s3:GetObject"]},
            {"name": "out", "env": "OUTPUT_BUCKET", "prefix": "", "actions": ["s3:PutObject"]},
        ],
    },
}
PREFIX = "function crate 'demo', [package.metadata]: "


def test_the_workspace_functions_load(contracts: dict[str, FunctionContract]) -> None:
    assert sorted(contracts) == ["http-api", "lmi-worker", "s3-processor", "scheduled-job", "sqs-processor"]
    assert {name: c.trigger.type for name, c in contracts.items()} == {
        "http-api": "http",
        "lmi-worker": "invoke",
        "s3-processor": "s3",
        "scheduled-job": "schedule",
        "sqs-processor": "sqs",
    }
    assert contracts["s3-processor"].reference_envs == ("INPUT_BUCKET", "OUTPUT_BUCKET", "SIGNING_KEY_SECRET_ARN")
    http = contracts["http-api"].trigger
    assert http.type == "http"
    assert (http.routes, http.function_url) == (("GET /health", "GET /items/{id}", "POST /items"), True)
    sqs = contracts["sqs-processor"].trigger
    assert sqs.type == "sqs"
    # Declared values, and the model's default where the crate declares none.
    assert (sqs.batch_size, sqs.maximum_batching_window_seconds, sqs.max_receive_count) == (10, 5, 5)


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


def log_filter_setting(m: dict[str, Any]) -> None:
    m["lambda"]["deploy"]["env"]["RUST_LOG"] = "debug"


def undeclared_trigger_bucket(m: dict[str, Any]) -> None:
    m["stack"]["trigger"]["bucket"] = "other"


def trigger_outside_prefix(m: dict[str, Any]) -> None:
    m["stack"]["trigger"]["filter_prefix"] = "other/"


def prefix_without_slash(m: dict[str, Any]) -> None:
    m["stack"]["buckets"][0]["prefix"] = "incoming"


def writes_trigger_bucket(m: dict[str, Any]) -> None:
    m["stack"]["buckets"][0]["actions"] = ["s3:GetObject", "s3:PutObject"]


def bad_schedule(m: dict[str, Any]) -> None:
    m["stack"]["trigger"] = {"type": "schedule", "expression": "every hour"}


def bad_concurrency(m: dict[str, Any]) -> None:
    m["stack"]["compute"] = {"type": "managed-instances", "max_concurrency": 1601, "memory_gib_per_vcpu": 2}


def bad_memory_ratio(m: dict[str, Any]) -> None:
    m["stack"]["compute"] = {"type": "managed-instances", "max_concurrency": 8, "memory_gib_per_vcpu": 3}


def bad_compute_type(m: dict[str, Any]) -> None:
    m["stack"]["compute"] = {"type": "fargate"}


def compute_without_settings(m: dict[str, Any]) -> None:
    m["stack"]["compute"] = {"type": "managed-instances"}


def memory_as_text(m: dict[str, Any]) -> None:
    m["lambda"]["deploy"]["memory"] = "128"


def unknown_action(m: dict[str, Any]) -> None:
    m["stack"]["buckets"][0]["actions"] = ["s3:ListBucket"]


def lower_case_setting(m: dict[str, Any]) -> None:
    m["lambda"]["deploy"]["env"]["log_level"] = "info"


def no_trigger_type(m: dict[str, Any]) -> None:
    del m["stack"]["trigger"]["type"]


# (edit, message, whether the JSON Schema can see it too: cross-field rules are the model's only)
CASES: list[tuple[Callable[[dict[str, Any]], None], str, bool]] = [
    (set_memory, "lambda.deploy.memory=64 is invalid: set a whole number from 128 to 10240 (memory size in MB)", True),
    (
        memory_as_text,
        "lambda.deploy.memory='128' is invalid: set a whole number from 128 to 10240 (memory size in MB)",
        True,
    ),
    (drop_timeout, "lambda.deploy.timeout is not set: set a whole number from 1 to 900 (timeout in seconds)", True),
    (
        bad_trigger_type,
        "stack.trigger.type='kafka' is invalid: set one of http, sqs, s3, schedule, invoke",
        True,
    ),
    (no_trigger_type, "stack.trigger has no type: set type to one of http, sqs, s3, schedule, invoke", True),
    (
        misspelt_trigger_field,
        "stack.trigger has unknown keys ['filter_prefx']: allowed keys are type, bucket, events, filter_prefix, "
        "filter_suffix",
        True,
    ),
    (
        reserved_env,
        "stack.buckets.0.env='AWS_BUCKET' is invalid: set an environment variable name: upper case letters, digits "
        "and underscores, at most 64 characters, not starting with AWS_ or _X_AMZN (reserved by Lambda)",
        True,
    ),
    (
        lower_case_setting,
        "lambda.deploy.env has the key 'log_level', which is invalid: use an environment variable name: upper "
        "case letters, digits and underscores, at most 64 characters, not starting with AWS_ or _X_AMZN "
        "(reserved by Lambda)",
        True,
    ),
    (
        unknown_action,
        "stack.buckets.0.actions.0='s3:ListBucket' is invalid: set one of s3:GetObject, s3:PutObject, s3:DeleteObject",
        True,
    ),
    (
        duplicate_env,
        "stack.buckets.1.env='INPUT_BUCKET' is already used by stack.buckets.0: give each reference its own env var",
        False,
    ),
    (
        setting_collides,
        "lambda.deploy.env.OUTPUT_BUCKET collides with the reference env of stack.buckets.1: rename the setting",
        False,
    ),
    (
        log_filter_setting,
        "lambda.deploy.env.RUST_LOG='debug' is invalid: the log level comes from the stack config logLevel (per "
        "function: functions.<name>.logLevel), which Lambda passes as AWS_LAMBDA_LOG_LEVEL: remove it",
        False,
    ),
    (
        undeclared_trigger_bucket,
        "stack.trigger.bucket='other' is not declared in stack.buckets: declare it there (declared: in, out)",
        False,
    ),
    (
        trigger_outside_prefix,
        "stack.trigger.filter_prefix='other/' is outside the prefix 'incoming/' the function may read in bucket "
        "'in': set the filter to a key prefix under it",
        False,
    ),
    (
        prefix_without_slash,
        "stack.buckets.0.prefix='incoming' is invalid: set the key prefix the function reads or writes under, "
        "ending in '/' (e.g. incoming/), or '' for the whole bucket",
        True,
    ),
    (
        writes_trigger_bucket,
        "stack.trigger.bucket='in' also has s3:PutObject: objects the function writes there would trigger it again; "
        "write to another bucket",
        False,
    ),
    (
        bad_schedule,
        "stack.trigger.expression='every hour' is invalid: set an EventBridge schedule: rate(N unit) or cron(6 fields)",
        True,
    ),
    (
        bad_concurrency,
        "stack.compute.max_concurrency=1601 is invalid: set a whole number from 1 to 1600 (invocations one execution "
        "environment serves at once)",
        True,
    ),
    (
        bad_memory_ratio,
        "stack.compute.memory_gib_per_vcpu=3 is invalid: set one of 2, 4, 8 (memory per vCPU of an execution "
        "environment, in GiB)",
        True,
    ),
    (bad_compute_type, "stack.compute.type='fargate' is invalid: set one of standard, managed-instances", True),
    (
        compute_without_settings,
        "stack.compute.max_concurrency is not set: set a whole number from 1 to 1600 (invocations one execution "
        "environment serves at once)\n"
        f"{PREFIX}stack.compute.memory_gib_per_vcpu is not set: set one of 2, 4, 8 (memory per vCPU of an execution "
        "environment, in GiB)",
        True,
    ),
]


@pytest.mark.parametrize(("edit", "message"), [(edit, message) for edit, message, _ in CASES])
def test_each_bad_field_names_itself(edit: Callable[[dict[str, Any]], None], message: str) -> None:
    metadata = copy.deepcopy(VALID)
    edit(metadata)
    with pytest.raises(ContractError) as error:
        validate_metadata("demo", metadata)
    assert str(error.value) == PREFIX + message


def test_every_bad_field_is_reported_at_once() -> None:
    metadata = copy.deepcopy(VALID)
    set_memory(metadata)
    drop_timeout(metadata)
    misspelt_trigger_field(metadata)
    with pytest.raises(ContractError) as error:
        validate_metadata("demo", metadata)
    assert str(error.value).splitlines() == [
        PREFIX + "lambda.deploy.memory=64 is invalid: set a whole number from 128 to 10240 (memory size in MB)",
        PREFIX + "lambda.deploy.timeout is not set: set a whole number from 1 to 900 (timeout in seconds)",
        PREFIX + "stack.trigger has unknown keys ['filter_prefx']: allowed keys are type, bucket, events, "
        "filter_prefix, filter_suffix",
    ]


def test_the_committed_json_schema_is_generated_from_the_model() -> None:
    assert json.loads(SCHEMA_PATH.read_text()) == json_schema(), (
        "functions/contract.schema.json is stale: run .venv/bin/python -m model.contract --write-schema"
    )


@pytest.mark.parametrize(("edit", "seen_by_schema"), [(edit, seen) for edit, _, seen in CASES])
def test_the_json_schema_agrees_with_the_model(edit: Callable[[dict[str, Any]], None], seen_by_schema: bool) -> None:
    schema = jsonschema.Draft202012Validator(json_schema())
    assert list(schema.iter_errors(VALID)) == []
    metadata = copy.deepcopy(VALID)
    edit(metadata)
    assert bool(list(schema.iter_errors(metadata))) is seen_by_schema


def test_every_trigger_type_of_the_contract_has_a_kind() -> None:
    union = typing.get_args(typing.get_args(Trigger)[0])
    types = [typing.get_args(model.model_fields["type"].annotation)[0] for model in union]
    assert sorted(types) == sorted(TRIGGER_KINDS)


def test_where_a_function_runs_is_not_what_invokes_it(contracts: dict[str, FunctionContract]) -> None:
    assert {name: c.compute.type for name, c in contracts.items()} == {
        "http-api": "standard",
        "lmi-worker": "managed-instances",
        "s3-processor": "standard",
        "scheduled-job": "standard",
        "sqs-processor": "standard",
    }
    worker = contracts["lmi-worker"].compute
    assert worker.type == "managed-instances"
    assert (worker.max_concurrency, worker.memory_gib_per_vcpu) == (64, 2)


@pytest.mark.parametrize(
    "trigger",
    [
        {"type": "invoke"},
        {"type": "sqs", "batch_size": 10},
        {"type": "schedule", "expression": "rate(1 hour)"},
        {"type": "http", "routes": ["GET /health"]},
        {"type": "s3", "bucket": "in", "events": ["s3:ObjectCreated:*"], "filter_prefix": "incoming/"},
    ],
)
@pytest.mark.parametrize(
    "compute",
    [{"type": "standard"}, {"type": "managed-instances", "max_concurrency": 32, "memory_gib_per_vcpu": 4}],
)
def test_any_trigger_works_on_either_placement(trigger: dict[str, Any], compute: dict[str, Any]) -> None:
    metadata = copy.deepcopy(VALID)
    metadata["stack"]["trigger"] = trigger
    metadata["stack"]["compute"] = compute
    validated = validate_metadata("demo", metadata)
    assert (validated.stack.trigger.type, validated.stack.compute.type) == (trigger["type"], compute["type"])
