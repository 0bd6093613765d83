"""What every Python baseline shares: error responses shaped like the Rust functions' (so the same
e2e assertions hold), JSON log lines carrying the request id, and required env settings.

Importing it replaces awslambdaric's error formatter: awslambdaric would add requestId and a stack
trace of source lines to every error response, where lambda_runtime sends errorType and
errorMessage only.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from typing import Any

import awslambdaric.bootstrap as ric  # type: ignore[import-untyped]

# Lambda sets AWS_REGION (boto3 reads AWS_DEFAULT_REGION, which Lambda also sets).
REGION = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")


def error_response(message: Any, error_type: Any, stack_trace: Any, invoke_id: Any = None) -> dict[str, Any]:
    return {"errorType": error_type or "", "errorMessage": message or ""}


ric.make_error = error_response


# Lambda's log levels, lowest first; AWS_LAMBDA_LOG_LEVEL (set from the function's logging config)
# drops the lines below it, as the Rust functions do.
LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")


class Logger:
    """One JSON line on stdout per call; every line of an invocation carries its request id."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.request_id = ""
        level = os.environ.get("AWS_LAMBDA_LOG_LEVEL", "INFO").strip().upper()
        self.threshold = LEVELS.index(level) if level in LEVELS else LEVELS.index("INFO")

    def __call__(self, level: str, message: str, **fields: Any) -> None:
        if LEVELS.index(level) < self.threshold:
            return
        line: dict[str, Any] = {"timestamp": datetime.now(UTC).isoformat(), "level": level, "message": message}
        line.update(fields)
        line["target"] = self.target
        if self.request_id:
            line["span"] = {"requestId": self.request_id, "name": "Lambda runtime invoke"}
        sys.stdout.write(json.dumps(line, default=str) + "\n")
        sys.stdout.flush()


def required_env(name: str, hint: str) -> str:
    value = os.environ.get(name, "")
    if not value.strip():
        raise RuntimeError(f"environment variable {name} is not set: {hint}")
    return value


def whole_number_env(name: str, default: int, hint: str) -> int:
    """An optional whole number, `default` when unset; otherwise an error naming the variable."""
    value = os.environ.get(name)
    if value is None:
        return default
    if not value.strip().isdigit():
        raise RuntimeError(f"environment variable {name} is {json.dumps(value)}: {hint}")
    return int(value)
