"""The documents of AWS managed policies, by name, from moto's copy of AWS's managed policies
(moto 5: `moto/iam/aws_managed_policies.py`, refreshed from AWS with each moto release).

Read as data from the file, without importing moto: importing the package pulls in boto3 and
its service models (about 2.5 s), reading the file takes about 0.2 s, once per pack process.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

# An AWS managed policy: account `aws`, any partition, any path.
AWS_MANAGED_POLICY_ARN = re.compile(r"^arn:[a-z-]+:iam::aws:policy/(?:.+/)?(?P<name>[^/]+)$")
DATA_FILE = ("iam", "aws_managed_policies.py")
DATA_NAME = "aws_managed_policies_data"


def _data_file() -> Path:
    spec = importlib.util.find_spec("moto")  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("moto is not installed: the pack reads AWS managed policies from moto's data")
    return Path(next(iter(spec.submodule_search_locations)), *DATA_FILE)


@cache
def documents() -> dict[str, dict[str, Any]]:
    """Policy name -> its default version's document."""
    tree = ast.parse(_data_file().read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == DATA_NAME for t in node.targets):
            data = json.loads(ast.literal_eval(node.value))
            return {name: entry["Document"] for name, entry in data.items() if isinstance(entry.get("Document"), dict)}
    raise RuntimeError(f"{_data_file()} has no {DATA_NAME}: moto's layout changed")


def name_of(arn: str) -> str | None:
    """The policy name of an AWS managed policy ARN, or None for any other ARN."""
    match = AWS_MANAGED_POLICY_ARN.match(arn)
    return match.group("name") if match else None


def document(arn: str) -> dict[str, Any] | None:
    """The document of an AWS managed policy by ARN, or None (not AWS managed, or unknown to the data)."""
    name = name_of(arn)
    return documents().get(name) if name is not None else None


def _actions_on_any_resource(name: str) -> set[str]:
    found: set[str] = set()
    statements = documents().get(name, {}).get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        if statement.get("Effect") == "Allow" and statement.get("Resource") in ("*", ["*"]):
            actions = statement.get("Action", [])
            found |= {a.lower() for a in ([actions] if isinstance(actions, str) else actions)}
    return found


@cache
def lambda_network_interface_actions() -> frozenset[str]:
    """What a VPC-attached function's execution role needs on "*": the actions AWS's managed
    AWSLambdaVPCAccessExecutionRole grants beyond AWSLambdaBasicExecutionRole's logs actions (the
    network interface actions; lowercased)."""
    return frozenset(
        _actions_on_any_resource("AWSLambdaVPCAccessExecutionRole")
        - _actions_on_any_resource("AWSLambdaBasicExecutionRole")
    )


def load() -> None:
    documents()
