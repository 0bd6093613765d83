"""Smoke test of a deployed stack, run after `pulumi up` (.github/workflows/deploy.yml).

Run through `scripts/smoke-test --stack <name>` (or with `--outputs <file>`, the JSON of
`pulumi stack output --json`). Steps:
1. The stack outputs: `pulumi stack output --json --stack <name>` (the CLI logged in to the
   stack's backend), or the file given.
2. The targets: each function below, by its `functionArns` output (its live alias), else its
   `functionNames` output.
3. One Lambda Invoke per target (boto3: the credentials, region and endpoint come from the usual
   AWS environment variables; the deploy role allows exactly IAM_ACTIONS on its stack's functions):
   - http-api: an API Gateway v2 (payload 2.0) `GET /health` event; expects status 200 and the
     body {"status": "ok"};
   - lmi-worker: {"item_ids": ["smoke"]}; expects a JSON object without errorType.
Prints one line per function (`ok` or `FAIL` with the reason and the response); exits 1 if any failed.
The release step runs the same checks on each new version before it gets traffic
(release/pretraffic.py).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

# What the smoke test calls, for the deploy role (tests/ci_access checks the role allows it).
IAM_ACTIONS = ("lambda:InvokeFunction",)
REPO_ROOT = Path(__file__).resolve().parent.parent
READ_TIMEOUT_S = 120

HEALTH_EVENT: dict[str, Any] = {
    "version": "2.0",
    "routeKey": "GET /health",
    "rawPath": "/health",
    "rawQueryString": "",
    "headers": {"accept": "application/json", "user-agent": "rustlambda-smoke-test"},
    "requestContext": {
        "accountId": "anonymous",
        "apiId": "smoke",
        "domainName": "smoke.invalid",
        "domainPrefix": "smoke",
        "http": {
            "method": "GET",
            "path": "/health",
            "protocol": "HTTP/1.1",
            "sourceIp": "127.0.0.1",
            "userAgent": "rustlambda-smoke-test",
        },
        "requestId": "smoke-test",
        "routeKey": "GET /health",
        "stage": "$default",
        "time": "01/Jan/2026:00:00:00 +0000",
        "timeEpoch": 1767225600000,
    },
    "isBase64Encoded": False,
}


class SmokeFailure(Exception):
    """One function's invocation did not give the expected answer; the message says how."""


def check_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict) or "errorType" in body:
        raise SmokeFailure("expected a JSON object without errorType")
    return body


def check_health(body: Any) -> None:
    response = check_object(body)
    if response.get("statusCode") != 200:
        raise SmokeFailure(f"expected statusCode 200, got {response.get('statusCode')!r}")
    try:
        payload = json.loads(response.get("body") or "")
    except json.JSONDecodeError as error:
        raise SmokeFailure("the HTTP body is not JSON") from error
    if payload != {"status": "ok"}:
        raise SmokeFailure('expected the body {"status": "ok"}')


def check_lmi_worker(body: Any) -> None:
    check_object(body)


# function -> (event, check of the parsed response)
CHECKS: Mapping[str, tuple[dict[str, Any], Callable[[Any], None]]] = {
    "http-api": (HEALTH_EVENT, check_health),
    "lmi-worker": ({"item_ids": ["smoke"]}, check_lmi_worker),
}


def stack_outputs(stack: str) -> dict[str, Any]:
    completed = subprocess.run(
        ["pulumi", "stack", "output", "--json", "--stack", stack, "--cwd", str(REPO_ROOT)],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"error: pulumi stack output failed for stack {stack}: {completed.stderr.strip()}")
    outputs: dict[str, Any] = json.loads(completed.stdout)
    return outputs


def targets(outputs: Mapping[str, Any]) -> dict[str, str]:
    arns = outputs.get("functionArns") or {}
    names = outputs.get("functionNames") or {}
    missing = [name for name in CHECKS if not (arns.get(name) or names.get(name))]
    if missing:
        raise SystemExit(
            f"error: the stack outputs name no function {', '.join(missing)} "
            f"(functionArns has: {', '.join(sorted(arns)) or 'nothing'})"
        )
    return {name: str(arns.get(name) or names[name]) for name in CHECKS}


def invoke(client: Any, name: str, target: str, qualifier: str | None = None) -> str:
    """Invokes once (`target` at `qualifier`, when given); returns the raw response, raising
    SmokeFailure on a function error or an answer its check refuses."""
    event, check = CHECKS[name]
    extra = {"Qualifier": qualifier} if qualifier else {}
    response = client.invoke(FunctionName=target, Payload=json.dumps(event).encode(), **extra)
    raw: str = response["Payload"].read().decode("utf-8", "replace")
    try:
        if response.get("FunctionError"):
            raise SmokeFailure(f"function error ({response['FunctionError']})")
        try:
            body = json.loads(raw)
        except json.JSONDecodeError as error:
            raise SmokeFailure("the response is not JSON") from error
        check(body)
    except SmokeFailure as failure:
        raise SmokeFailure(f"{failure}; response: {raw[:2000]}") from None
    return raw


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Smoke test of a deployed stack")
    parser.add_argument("--stack", required=True, help="the stack to test (e.g. dev, or org/rustlambda/dev)")
    parser.add_argument("--outputs", type=Path, help="the stack outputs as JSON, instead of asking the Pulumi CLI")
    args = parser.parse_args(argv)
    outputs = json.loads(args.outputs.read_text()) if args.outputs else stack_outputs(args.stack)
    invoked = targets(outputs)
    import boto3  # after the argument checks: boto3 takes half a second to import
    from botocore.config import Config

    client = boto3.client("lambda", config=Config(read_timeout=READ_TIMEOUT_S, retries={"max_attempts": 2}))
    print(f"smoke test of stack {args.stack}", flush=True)
    failed = 0
    for name, target in invoked.items():
        print(f"invoking {name} ({target})", flush=True)
        try:
            raw = invoke(client, name, target)
        except SmokeFailure as failure:
            print(f"FAIL {name}: {failure}", flush=True)
            failed += 1
            continue
        except Exception as error:  # botocore's errors: access denied, no such function, timeouts
            print(f"FAIL {name}: the invocation failed: {error}", flush=True)
            failed += 1
            continue
        print(f"ok   {name}: {raw[:200]}", flush=True)
    if failed:
        print(f"error: smoke test of stack {args.stack} failed ({failed} of {len(CHECKS)} functions)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
