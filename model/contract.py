"""The function contract: what each function crate declares in its Cargo.toml.

Reads `cargo metadata` for the workspace, keeps the crates that carry a `[package.metadata.stack]`
table, and validates each crate's `[package.metadata]` against `functions/contract.schema.json`
(jsonschema), plus the cross-field rules a schema cannot say. Errors name the crate, the field and
what is allowed. Pure: no Pulumi, no AWS.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "functions" / "contract.schema.json"


class ContractError(ValueError):
    """A function crate's contract is invalid; the message says where and what to set."""


@dataclass(frozen=True)
class TableUse:
    name: str
    partition_key: str
    env: str
    actions: tuple[str, ...]


@dataclass(frozen=True)
class BucketUse:
    name: str
    env: str
    actions: tuple[str, ...]


@dataclass(frozen=True)
class SecretUse:
    name: str
    env: str


@dataclass(frozen=True)
class FunctionContract:
    """One function crate's deploy settings and the resources it needs."""

    name: str
    description: str
    memory: int
    timeout: int
    tracing: str
    settings: dict[str, str]
    trigger: dict[str, Any]
    tables: tuple[TableUse, ...] = ()
    buckets: tuple[BucketUse, ...] = ()
    secrets: tuple[SecretUse, ...] = ()
    reference_envs: tuple[str, ...] = field(default=())

    @property
    def trigger_type(self) -> str:
        return str(self.trigger["type"])


# Trigger type -> the schema definition of that trigger (the schema's `oneOf` branches).
TRIGGER_DEFINITIONS = {
    "http": "httpTrigger",
    "sqs": "sqsTrigger",
    "s3": "s3Trigger",
    "schedule": "scheduleTrigger",
    "managed-instances": "managedInstancesTrigger",
}


def _describe(error: ValidationError, schema: dict[str, Any]) -> str:
    """`stack.trigger.batch_size: 0 is less than the minimum of 1` style text."""
    path = ".".join(str(p) for p in error.absolute_path) or "(root)"
    if error.validator == "oneOf" and path == "stack.trigger" and isinstance(error.instance, dict):
        # jsonschema reports "not valid under any of the given schemas"; validate against the
        # branch the trigger's type selects instead, for an error that names the field.
        kind = error.instance.get("type")
        definition = TRIGGER_DEFINITIONS.get(str(kind))
        if definition is None:
            return f"{path}.type: {kind!r} is not a trigger type; allowed: {', '.join(TRIGGER_DEFINITIONS)}"
        branch = jsonschema.Draft202012Validator({"$ref": f"#/$defs/{definition}", "$defs": schema["$defs"]})
        sub = jsonschema.exceptions.best_match(branch.iter_errors(error.instance))
        if sub is not None:
            sub_path = ".".join(str(p) for p in sub.absolute_path)
            return _describe_leaf(f"{path}.{sub_path}" if sub_path else path, sub)
    return _describe_leaf(path, error)


def _describe_leaf(path: str, error: ValidationError) -> str:
    if error.validator == "additionalProperties":
        allowed = sorted((error.schema.get("properties") or {}).keys())
        return f"{path}: {error.message}; allowed fields: {', '.join(allowed)}"
    description = error.schema.get("description") if isinstance(error.schema, dict) else None
    hint = f" ({description})" if description and error.validator != "required" else ""
    return f"{path}: {error.message}{hint}"


def validate_metadata(crate: str, metadata: dict[str, Any]) -> None:
    """Raises ContractError naming the crate and the first invalid field."""
    schema = json.loads(SCHEMA_PATH.read_text())
    validator = jsonschema.Draft202012Validator(schema)
    best = jsonschema.exceptions.best_match(validator.iter_errors(metadata))
    if best is not None:
        raise ContractError(f"function crate {crate!r}, [package.metadata]: {_describe(best, schema)}")
    _check_cross_field_rules(crate, metadata)


def _check_cross_field_rules(crate: str, metadata: dict[str, Any]) -> None:
    stack = metadata["stack"]
    where = f"function crate {crate!r}, [package.metadata]"
    envs: dict[str, str] = {}
    for kind in ("tables", "buckets", "secrets"):
        for index, entry in enumerate(stack.get(kind, [])):
            env = entry["env"]
            if env in envs:
                raise ContractError(
                    f"{where}: stack.{kind}[{index}].env {env!r} is already used by {envs[env]}; "
                    "give each reference its own env var"
                )
            envs[env] = f"stack.{kind}[{index}]"
    for setting in metadata["lambda"]["deploy"].get("env", {}):
        if setting in envs:
            raise ContractError(
                f"{where}: lambda.deploy.env.{setting} collides with the reference env of {envs[setting]}; "
                "rename the setting"
            )
    trigger = stack["trigger"]
    if trigger["type"] == "s3":
        buckets = {b["name"]: b for b in stack.get("buckets", [])}
        source = buckets.get(trigger["bucket"])
        if source is None:
            raise ContractError(
                f"{where}: stack.trigger.bucket {trigger['bucket']!r} is not declared in stack.buckets; "
                f"declare it there (declared: {', '.join(sorted(buckets)) or 'none'})"
            )
        if "s3:PutObject" in source["actions"]:
            raise ContractError(
                f"{where}: stack.trigger.bucket {trigger['bucket']!r} also has s3:PutObject: "
                "objects the function writes there would trigger it again; write to another bucket"
            )


def contract_from_metadata(crate: str, metadata: dict[str, Any]) -> FunctionContract:
    validate_metadata(crate, metadata)
    deploy = metadata["lambda"]["deploy"]
    stack = metadata["stack"]
    tables = tuple(
        TableUse(t["name"], t["partition_key"], t["env"], tuple(t["actions"])) for t in stack.get("tables", [])
    )
    buckets = tuple(BucketUse(b["name"], b["env"], tuple(b["actions"])) for b in stack.get("buckets", []))
    secrets = tuple(SecretUse(s["name"], s["env"]) for s in stack.get("secrets", []))
    return FunctionContract(
        name=crate,
        description=stack["description"],
        memory=deploy["memory"],
        timeout=deploy["timeout"],
        tracing=deploy.get("tracing", "passthrough"),
        settings=dict(deploy.get("env", {})),
        trigger=dict(stack["trigger"]),
        tables=tables,
        buckets=buckets,
        secrets=secrets,
        reference_envs=tuple([t.env for t in tables] + [b.env for b in buckets] + [s.env for s in secrets]),
    )


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
    """Every function crate of the workspace, sorted by name."""
    packages = cargo_metadata(workspace)["packages"]
    contracts = [
        contract_from_metadata(package["name"], package["metadata"])
        for package in packages
        if (package.get("metadata") or {}).get("stack") is not None
    ]
    return sorted(contracts, key=lambda c: c.name)
