"""Where a function's alias points in AWS right now: the program reads it at preview and at up
(components/alias.py, through pulumi-command's `local.run`), so the alias's inputs are what AWS has
and a `pulumi up` never moves traffic behind the release step's back.

    python -m release.alias_state --function rustlambda-prod-http-api --alias live --region eu-west-1

Prints one JSON object: {"exists": false} when the function or the alias does not exist yet (a new
stack, a new function), else {"exists": true, "version": "7", "weights": {"8": 0.1}} (the alias's
version and its routing weights, as GetAlias returns them). AWS credentials come from the usual
environment, as for the Pulumi AWS provider. Any other AWS error (no credentials, access denied)
fails with AWS's own words and what to do.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from typing import Any

# The command components/alias.py runs; the offline engine answers it from its model of AWS.
COMMAND = "./scripts/alias-state"


@dataclass(frozen=True)
class AliasState:
    """An alias as AWS has it, or `exists=False`."""

    exists: bool
    version: str = ""
    weights: dict[str, float] | None = None

    def to_json(self) -> str:
        if not self.exists:
            return json.dumps({"exists": False})
        return json.dumps({"exists": True, "version": self.version, "weights": self.weights or {}}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> AliasState:
        data = json.loads(text)
        if not data.get("exists"):
            return cls(False)
        return cls(True, str(data["version"]), {str(k): float(v) for k, v in (data.get("weights") or {}).items()})


def read(lambda_client: Any, function: str, alias: str) -> AliasState:
    """GetAlias, with a missing function or alias as `exists=False`."""
    try:
        found = lambda_client.get_alias(FunctionName=function, Name=alias)
    except lambda_client.exceptions.ResourceNotFoundException:
        return AliasState(False)
    weights = (found.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
    return AliasState(True, str(found["FunctionVersion"]), {str(k): float(v) for k, v in weights.items()})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Where a function's alias points in AWS (JSON on stdout)")
    parser.add_argument("--function", required=True)
    parser.add_argument("--alias", required=True)
    parser.add_argument("--region", required=True)
    args = parser.parse_args(argv)
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        state = read(boto3.client("lambda", region_name=args.region), args.function, args.alias)
    except (BotoCoreError, ClientError) as error:
        print(
            f"could not read the alias {args.function}:{args.alias} in {args.region}: {error}. The program reads "
            "each function's live alias at preview and at up (lambda:GetAlias): run it with AWS credentials "
            "that may read the stack's functions",
            file=sys.stderr,
        )
        return 1
    print(state.to_json())
    return 0


if __name__ == "__main__":
    sys.exit(main())
