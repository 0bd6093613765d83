"""The function contract: what each function crate declares in its Cargo.toml, as one typed model.

`[package.metadata.lambda.deploy]` is cargo-lambda's table (memory, timeout, tracing, env settings);
`[package.metadata.stack]` is this project's (description, the trigger, where the function runs, the
tables, buckets and secrets the function uses and the env var that carries each one's reference).
Both are read from `cargo metadata` and validated here, once: types, bounds, defaults and the
cross-field rules live in these models and nowhere else. The trigger (what invokes the function) is
a union with one model per kind, selected by `type`; `components/triggers/` holds one module per
kind that wires it. The compute placement (where it runs: `standard`, or `managed-instances` with
its settings) is a separate union, so any trigger works on either placement. `functions/contract.schema.json`
is generated from these models (`python -m model.contract --write-schema`) and a test keeps it
current, so editors and other tools can check a Cargo.toml too.

Errors name the crate, the field and what to set. Pure: no Pulumi, no AWS.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from model.validation import describe

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "functions" / "contract.schema.json"

ENV_NAME_PATTERN = r"^(?!AWS_|_X_AMZN)[A-Z][A-Z0-9_]{0,63}$"
RESOURCE_NAME_PATTERN = r"^[a-z][a-z0-9-]{0,39}$"
ROUTE_KEY_PATTERN = r"^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) (/[A-Za-z0-9._~{}+-]*)+$"
SCHEDULE_PATTERN = r"^(rate\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\)|cron\(\S+ \S+ \S+ \S+ \S+ \S+\))$"

EnvName = Annotated[
    str,
    Field(
        pattern=ENV_NAME_PATTERN,
        description="an environment variable name: upper case letters, digits and underscores, at most 64 "
        "characters, not starting with AWS_ or _X_AMZN (reserved by Lambda)",
    ),
]
ResourceName = Annotated[
    str,
    Field(
        pattern=RESOURCE_NAME_PATTERN,
        description="a logical name: lower case letters, digits and hyphens, starting with a letter, at most 40 "
        "characters",
    ),
]
TableAction = Literal[
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
]
BucketAction = Literal["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]


class ContractError(ValueError):
    """A function crate's contract is invalid; the message says where and what to set."""


class _Table(BaseModel):
    """A contract table: unknown keys are errors, values are not coerced ("128" is not 128)."""

    # python-re: the env name pattern needs a look-ahead, which the default (Rust) engine lacks.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, regex_engine="python-re")


# --- triggers: one model per kind ----------------------------------------------------------------


class HttpTrigger(_Table):
    """An API Gateway HTTP API (payload 2.0) in front of the function, and optionally a Function URL."""

    type: Literal["http"]
    routes: Annotated[
        tuple[
            Annotated[
                str,
                Field(
                    pattern=ROUTE_KEY_PATTERN,
                    description="an API Gateway v2 route key, METHOD /path, path parameters in braces "
                    "(e.g. GET /items/{id})",
                ),
            ],
            ...,
        ],
        Field(min_length=1, description="a list of route keys"),
    ]
    function_url: Annotated[bool, Field(description="also expose the function through a Lambda Function URL")] = False

    @model_validator(mode="after")
    def _routes_unique(self) -> HttpTrigger:
        repeated = sorted({r for r in self.routes if self.routes.count(r) > 1})
        if repeated:
            raise ValueError(f"routes lists {repeated} more than once: list each route once")
        return self


class SqsTrigger(_Table):
    """A work queue the stack creates (with a dead-letter queue), read by an event source mapping."""

    type: Literal["sqs"]
    batch_size: Annotated[int, Field(ge=1, le=10000, description="messages per invocation")]
    maximum_batching_window_seconds: Annotated[
        int, Field(ge=0, le=300, description="seconds to gather a batch before invoking")
    ] = 0
    max_receive_count: Annotated[
        int, Field(ge=1, le=1000, description="receives before a message moves to the dead-letter queue")
    ] = 5


class S3Trigger(_Table):
    """Notifications of one of the contract's buckets."""

    type: Literal["s3"]
    bucket: Annotated[
        str,
        Field(
            pattern=RESOURCE_NAME_PATTERN,
            description="the name of an entry of stack.buckets whose notifications invoke this function",
        ),
    ]
    events: Annotated[
        tuple[
            Annotated[
                str,
                Field(pattern=r"^s3:[A-Za-z]+:[A-Za-z*]+$", description="an S3 event type (e.g. s3:ObjectCreated:*)"),
            ],
            ...,
        ],
        Field(min_length=1, description="a list of S3 event types"),
    ]
    filter_prefix: (
        Annotated[str, Field(max_length=1024, description="a key prefix, at most 1024 characters")] | None
    ) = None
    filter_suffix: (
        Annotated[str, Field(max_length=1024, description="a key suffix, at most 1024 characters")] | None
    ) = None


class ScheduleTrigger(_Table):
    """An EventBridge rule on a schedule."""

    type: Literal["schedule"]
    expression: Annotated[
        str,
        Field(pattern=SCHEDULE_PATTERN, description="an EventBridge schedule: rate(N unit) or cron(6 fields)"),
    ]


class InvokeTrigger(_Table):
    """No event source: other services and accounts' callers invoke the function's `live` alias
    directly (lambda:InvokeFunction, granted outside this stack)."""

    type: Literal["invoke"]


Trigger = Annotated[
    HttpTrigger | SqsTrigger | S3Trigger | ScheduleTrigger | InvokeTrigger,
    Field(discriminator="type"),
]


# --- compute placement: where the function runs, whatever invokes it -----------------------------


class StandardCompute(_Table):
    """Lambda's own fleet: one request per execution environment, billed per request and duration."""

    type: Literal["standard"]


class ManagedInstancesCompute(_Table):
    """Lambda Managed Instances: the stack's capacity provider (EC2 instances in its VPC), many requests
    per execution environment. Applies in stacks that enable `managedInstances`; elsewhere the function
    runs on standard Lambda with the same code."""

    type: Literal["managed-instances"]
    max_concurrency: Annotated[
        int, Field(ge=1, le=1600, description="invocations one execution environment serves at once")
    ]
    memory_gib_per_vcpu: Annotated[
        Literal[2, 4, 8], Field(description="memory per vCPU of an execution environment, in GiB")
    ]


Compute = Annotated[StandardCompute | ManagedInstancesCompute, Field(discriminator="type")]
STANDARD = StandardCompute(type="standard")


# --- what the function uses ----------------------------------------------------------------------


class TableUse(_Table):
    """A DynamoDB table and the item-level actions the function needs on it."""

    name: ResourceName
    partition_key: Annotated[
        str,
        Field(
            pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,254}$",
            description="an attribute name: letters, digits and underscores, not starting with a digit",
        ),
    ]
    env: EnvName
    actions: Annotated[tuple[TableAction, ...], Field(min_length=1)]


class BucketUse(_Table):
    """An S3 bucket, the key prefix the function works under, and the object-level actions it needs
    there (the function's role gets them on `<bucket>/<prefix>*` only)."""

    name: ResourceName
    env: EnvName
    prefix: Annotated[
        str,
        Field(
            pattern=r"^([A-Za-z0-9!_.*'()-]+/)*$",
            max_length=512,
            description="the key prefix the function reads or writes under, ending in '/' (e.g. incoming/), "
            "or '' for the whole bucket",
        ),
    ]
    actions: Annotated[tuple[BucketAction, ...], Field(min_length=1)]


class SecretUse(_Table):
    """A Secrets Manager secret whose ARN (never its value) the function gets in `env`."""

    name: ResourceName
    env: EnvName


class Deploy(_Table):
    """`[package.metadata.lambda.deploy]`: cargo-lambda's deploy settings this project reads."""

    memory: Annotated[int, Field(ge=128, le=10240, description="memory size in MB")]
    timeout: Annotated[int, Field(ge=1, le=900, description="timeout in seconds")]
    tracing: Annotated[Literal["active", "passthrough"], Field(description="X-Ray tracing mode")] = "passthrough"
    env: Annotated[
        dict[EnvName, str],
        Field(
            description="non-secret settings only; references are wired through the env names in stack",
            # pydantic's schema leaves dict key constraints out: state the key pattern for other tools.
            json_schema_extra={"propertyNames": {"pattern": ENV_NAME_PATTERN}},
        ),
    ] = {}

    @model_validator(mode="after")
    def _no_log_filter(self) -> Deploy:
        if "RUST_LOG" in self.env:
            raise ValueError(
                f"env.RUST_LOG={self.env['RUST_LOG']!r} is invalid: the log level comes from the stack config "
                "logLevel (per function: functions.<name>.logLevel), which Lambda passes as AWS_LAMBDA_LOG_LEVEL: "
                "remove it"
            )
        return self


class LambdaTable(BaseModel):
    """`[package.metadata.lambda]`: cargo-lambda may keep other tables (build, ...) beside deploy."""

    model_config = ConfigDict(extra="ignore", frozen=True, strict=True, regex_engine="python-re")
    deploy: Deploy


class Stack(_Table):
    """`[package.metadata.stack]`: this project's table."""

    description: Annotated[str, Field(min_length=1, max_length=256, description="1 to 256 characters")]
    trigger: Trigger
    compute: Annotated[
        Compute, Field(description="where the function runs: standard (the default) or managed-instances")
    ] = STANDARD
    tables: tuple[TableUse, ...] = ()
    buckets: tuple[BucketUse, ...] = ()
    secrets: tuple[SecretUse, ...] = ()


class CrateMetadata(BaseModel):
    """`[package.metadata]` of a function crate (other tools' tables are left alone)."""

    model_config = ConfigDict(
        extra="ignore", frozen=True, strict=True, regex_engine="python-re", title="Function contract"
    )
    lambda_: Annotated[LambdaTable, Field(alias="lambda")]
    stack: Stack

    @model_validator(mode="after")
    def _cross_field_rules(self) -> CrateMetadata:
        stack = self.stack
        envs: dict[str, str] = {}
        references: tuple[tuple[str, tuple[TableUse | BucketUse | SecretUse, ...]], ...] = (
            ("tables", stack.tables),
            ("buckets", stack.buckets),
            ("secrets", stack.secrets),
        )
        for kind, uses in references:
            for index, use in enumerate(uses):
                if use.env in envs:
                    raise ValueError(
                        f"stack.{kind}.{index}.env={use.env!r} is already used by {envs[use.env]}: "
                        "give each reference its own env var"
                    )
                envs[use.env] = f"stack.{kind}.{index}"
        for setting in self.lambda_.deploy.env:
            if setting in envs:
                raise ValueError(
                    f"lambda.deploy.env.{setting} collides with the reference env of {envs[setting]}: "
                    "rename the setting"
                )
        trigger = stack.trigger
        if isinstance(trigger, S3Trigger):
            buckets = {b.name: b for b in stack.buckets}
            source = buckets.get(trigger.bucket)
            if source is None:
                raise ValueError(
                    f"stack.trigger.bucket={trigger.bucket!r} is not declared in stack.buckets: declare it there "
                    f"(declared: {', '.join(sorted(buckets)) or 'none'})"
                )
            if not (trigger.filter_prefix or "").startswith(source.prefix):
                raise ValueError(
                    f"stack.trigger.filter_prefix={trigger.filter_prefix!r} is outside the prefix "
                    f"{source.prefix!r} the function may read in bucket {trigger.bucket!r}: set the filter to a key "
                    "prefix under it"
                )
            if "s3:PutObject" in source.actions:
                raise ValueError(
                    f"stack.trigger.bucket={trigger.bucket!r} also has s3:PutObject: objects the function writes "
                    "there would trigger it again; write to another bucket"
                )
        return self


# --- the contract as the program uses it ---------------------------------------------------------


@dataclass(frozen=True)
class FunctionContract:
    """One function crate's validated contract."""

    name: str
    metadata: CrateMetadata

    @property
    def description(self) -> str:
        return self.metadata.stack.description

    @property
    def deploy(self) -> Deploy:
        return self.metadata.lambda_.deploy

    @property
    def memory(self) -> int:
        return self.deploy.memory

    @property
    def timeout(self) -> int:
        return self.deploy.timeout

    @property
    def tracing(self) -> str:
        return self.deploy.tracing

    @property
    def settings(self) -> dict[str, str]:
        """The non-secret settings, by env var name."""
        return dict(self.deploy.env)

    @property
    def trigger(self) -> HttpTrigger | SqsTrigger | S3Trigger | ScheduleTrigger | InvokeTrigger:
        return self.metadata.stack.trigger

    @property
    def compute(self) -> StandardCompute | ManagedInstancesCompute:
        return self.metadata.stack.compute

    @property
    def tables(self) -> tuple[TableUse, ...]:
        return self.metadata.stack.tables

    @property
    def buckets(self) -> tuple[BucketUse, ...]:
        return self.metadata.stack.buckets

    @property
    def secrets(self) -> tuple[SecretUse, ...]:
        return self.metadata.stack.secrets

    @property
    def reference_envs(self) -> tuple[str, ...]:
        """The env names that carry references (table names, bucket names, secret ARNs), in order."""
        uses: tuple[TableUse | BucketUse | SecretUse, ...] = (*self.tables, *self.buckets, *self.secrets)
        return tuple(use.env for use in uses)


def validate_metadata(crate: str, metadata: dict[str, Any]) -> CrateMetadata:
    """The crate's `[package.metadata]` as a typed model; raises ContractError naming the crate and
    every invalid field."""
    try:
        # JSON mode: the metadata comes from `cargo metadata` (lists for tuples), and strict types still
        # hold (a string "128" is not a number).
        return CrateMetadata.model_validate_json(json.dumps(metadata))
    except ValidationError as error:
        problems = describe(error, CrateMetadata)
        where = f"function crate {crate!r}, [package.metadata]"
        raise ContractError("\n".join(f"{where}: {problem}" for problem in problems)) from None


def contract_from_metadata(crate: str, metadata: dict[str, Any]) -> FunctionContract:
    return FunctionContract(crate, validate_metadata(crate, metadata))


def cargo_metadata(workspace: Path) -> dict[str, Any]:
    result = subprocess.run(
        ["cargo", "metadata", "--no-deps", "--format-version", "1", "--locked"],
        cwd=workspace,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise ContractError(f"cargo metadata failed in {workspace.name}/: {result.stderr.strip()}")
    metadata: dict[str, Any] = json.loads(result.stdout)
    return metadata


def load_contracts(workspace: Path) -> list[FunctionContract]:
    """Every function crate of the workspace (those with a `[package.metadata.stack]` table), sorted
    by name."""
    return contracts_of(cargo_metadata(workspace)["packages"])


def contracts_of(packages: Sequence[Mapping[str, Any]]) -> list[FunctionContract]:
    """The contracts of `cargo metadata`'s packages that are function crates, sorted by name."""
    contracts = [
        contract_from_metadata(package["name"], package["metadata"])
        for package in packages
        if (package.get("metadata") or {}).get("stack") is not None
    ]
    return sorted(contracts, key=lambda c: c.name)


def declared_tables(contracts: Sequence[FunctionContract]) -> dict[str, str]:
    """Table name -> partition key, across every contract; the same table must agree on its key."""
    keys: dict[str, tuple[str, str]] = {}
    for contract in contracts:
        for table in contract.tables:
            seen = keys.setdefault(table.name, (table.partition_key, contract.name))
            if seen[0] != table.partition_key:
                raise ContractError(
                    f"function crate {contract.name!r} declares table {table.name!r} with partition_key "
                    f"{table.partition_key!r}, but {seen[1]!r} declares it with {seen[0]!r}: use the same key"
                )
    return {name: key for name, (key, _) in sorted(keys.items())}


def table_access(contracts: Sequence[FunctionContract]) -> dict[str, tuple[str, ...]]:
    """Table name -> the item actions these contracts declare on it (sorted, each once)."""
    access: dict[str, set[str]] = {}
    for contract in contracts:
        for table in contract.tables:
            access.setdefault(table.name, set()).update(table.actions)
    return {name: tuple(sorted(actions)) for name, actions in sorted(access.items())}


def declared_buckets(contracts: Sequence[FunctionContract]) -> list[str]:
    return sorted({bucket.name for contract in contracts for bucket in contract.buckets})


def declared_secrets(contracts: Sequence[FunctionContract]) -> list[str]:
    return sorted({secret.name for contract in contracts for secret in contract.secrets})


def json_schema() -> dict[str, Any]:
    """The JSON Schema of `[package.metadata]`, generated from the models."""
    schema = CrateMetadata.model_json_schema(by_alias=True)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$comment": "Generated by `python -m model.contract --write-schema` from model/contract.py: do not edit.",
        **schema,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description="The function contract's JSON Schema")
    parser.add_argument("--write-schema", action="store_true", help=f"write {SCHEMA_PATH.name}")
    args = parser.parse_args()
    text = json.dumps(json_schema(), indent=2) + "\n"
    if args.write_schema:
        SCHEMA_PATH.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
