"""Lambda's control plane as the emulators of harness/ read it: moto's Lambda (functions, versions,
aliases) through boto3, and Lambda's error answers (`LambdaError`), so that the emulators layered
over moto (harness/lambda_api.py, harness/provisioned_concurrency.py,
harness/managed_instances.py) answer the way Lambda does.

Error types and HTTP statuses are those of botocore's Lambda service model; messages are Lambda's
where they are known (each is marked where it is ours).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.exceptions import ClientError

from harness.moto import CREDENTIALS, REGION

# moto's account, which appears in every ARN it returns.
ACCOUNT_ID = "123456789012"


def function_arn(function: str, qualifier: str | None = None) -> str:
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{function}"
    return f"{arn}:{qualifier}" if qualifier else arn


@dataclass(eq=False)
class LambdaError(Exception):
    """One of Lambda's error answers: HTTP status, error type (`x-amzn-ErrorType`), message."""

    status: int
    error_type: str
    message: str
    extra: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.error_type}: {self.message}"

    def body(self) -> bytes:
        # Lambda's error bodies carry the message as `message` (as `Message` for
        # ResourceNotFoundException, per the service model); botocore reads either.
        key = "Message" if self.error_type == "ResourceNotFoundException" else "message"
        return json.dumps({"Type": "User", key: self.message, **self.extra}).encode()


def not_found(function: str, qualifier: str | None = None) -> LambdaError:
    return LambdaError(404, "ResourceNotFoundException", f"Function not found: {function_arn(function, qualifier)}")


def invalid(message: str) -> LambdaError:
    return LambdaError(400, "InvalidParameterValueException", message)


def conflict(message: str) -> LambdaError:
    return LambdaError(409, "ResourceConflictException", message)


@dataclass(frozen=True)
class Alias:
    name: str
    version: str
    weights: dict[str, float]

    def versions(self) -> set[str]:
        """Every version the alias routes to."""
        return {self.version, *self.weights}


class ControlPlane:
    """Reads moto's Lambda control plane at `url`; moto's errors come back as `LambdaError`."""

    def __init__(self, url: str) -> None:
        self.client = boto3.client(
            "lambda",
            endpoint_url=url,
            region_name=REGION,
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        try:
            answer: dict[str, Any] = getattr(self.client, operation)(**kwargs)
            return answer
        except ClientError as error:
            details = error.response.get("Error", {})
            raise LambdaError(
                int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400)),
                str(details.get("Code", "ServiceException")),
                str(details.get("Message", "")),
            ) from None

    def alias(self, function: str, name: str) -> Alias:
        found = self._call("get_alias", FunctionName=function, Name=name)
        weights = (found.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
        return Alias(name, str(found["FunctionVersion"]), {str(k): float(v) for k, v in weights.items()})

    def aliases(self, function: str) -> list[Alias]:
        found = self._call("list_aliases", FunctionName=function)["Aliases"]
        return [
            Alias(
                str(a["Name"]),
                str(a["FunctionVersion"]),
                {
                    str(k): float(v)
                    for k, v in ((a.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}).items()
                },
            )
            for a in found
        ]

    def versions(self, function: str) -> list[str]:
        """The function's numbered (published) versions, oldest first."""
        found = self._call("list_versions_by_function", FunctionName=function)["Versions"]
        return sorted((str(v["Version"]) for v in found if str(v["Version"]).isdigit()), key=int)

    def exists(self, function: str) -> bool:
        try:
            self._call("get_function", FunctionName=function)
        except LambdaError as error:
            if error.status == 404:
                return False
            raise
        return True
