"""Lambda Managed Instances for the Lambda emulator (harness/lambda_api.py): which functions run on
a capacity provider, the state of their published versions, PutFunctionScalingConfig and
GetFunctionScalingConfig (`/2025-11-30/functions/{name}/function-scaling-config`), and the
capacity provider's version quota, on emulated time (harness/clock.py). moto knows nothing of
capacity providers.

Modelled, from AWS's documentation ("Lambda Managed Instances" and "Scaling Lambda Managed
Instances" in the Lambda Developer Guide, "Lambda Managed Instances quotas", "Lambda function
states", the API reference of PutFunctionScalingConfig and GetFunctionScalingConfig):
- Publishing a version of a function on a capacity provider launches its execution environments
  before Lambda marks the version Active: the version is `Pending` (StateReasonCode `Creating`)
  for `activation_seconds` of emulated time, and Lambda does not invoke a Pending version
  (ResourceConflictException, as for any function not yet Active).
- "Function versions per capacity provider: 100 ... Cannot be increased": publishing one more
  version of any function on a full provider fails with
  FunctionVersionsPerCapacityProviderLimitExceededException (the service model's description as
  message); deleting a version (DeleteFunction with Qualifier) frees its place. Versions are
  counted from the control plane (moto), so versions published or deleted anywhere count.
- The scaling configuration is per published version: Qualifier `$LATEST.PUBLISHED` or a version
  number (the API's pattern); Min/MaxExecutionEnvironments 0 to 15000 (the service model), the
  minimum at most the maximum; only for a function on a capacity provider. A new configuration is
  RequestedFunctionScalingConfig at once and becomes the AppliedFunctionScalingConfig after
  `scaling_seconds`.

Omitted: capacity providers themselves (CreateCapacityProvider and its VPC, instance
requirements and scaling; a provider is a name given to `register`), instances and their
scaling by CPU, the three-environment default and scaling by the configured minimum (a version
becomes Active after a fixed delay), `$LATEST.PUBLISHED` as a version of its own (`PublishTo` is
refused rather than modelled), the rates of the capacity provider APIs, and what a function's
execution environments cost. The quota is checked before a publish reaches moto, so on a full
provider a PublishVersion that Lambda would answer with the existing version (nothing changed
since) is refused too.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from harness.lambda_control import ControlPlane, LambdaError, conflict, function_arn, invalid, not_found

VERSIONS_PER_CAPACITY_PROVIDER = 100
SCALING_QUALIFIER = re.compile(r"^(\$LATEST\.PUBLISHED|[0-9]+)$")
MAX_EXECUTION_ENVIRONMENTS = 15_000
PENDING = "Pending"
ACTIVE = "Active"


@dataclass
class Scaling:
    requested: dict[str, int]
    applied: dict[str, int] | None
    settles_at: float


class ManagedInstances:
    """The Managed Instances functions behind one Lambda emulator, and their versions' states."""

    def __init__(
        self,
        control: ControlPlane,
        now: Callable[[], float],
        activation_seconds: float = 60.0,
        scaling_seconds: float = 30.0,
        versions_per_provider: int = VERSIONS_PER_CAPACITY_PROVIDER,
    ) -> None:
        self.control = control
        self.now = now
        self.activation_seconds = activation_seconds
        self.scaling_seconds = scaling_seconds
        self.versions_per_provider = versions_per_provider
        self.providers: dict[str, str] = {}  # function -> its capacity provider
        self._active_at: dict[tuple[str, str], float] = {}
        self._scaling: dict[tuple[str, str], Scaling] = {}
        self._lock = threading.Lock()

    def register(self, function: str, provider: str) -> None:
        with self._lock:
            self.providers[function] = provider

    def is_managed(self, function: str) -> bool:
        return function in self.providers

    def versions_on(self, provider: str) -> int:
        """How many published versions the provider holds, across its functions."""
        held = 0
        for function in [f for f, p in self.providers.items() if p == provider]:
            try:
                held += len(self.control.versions(function))
            except LambdaError as error:
                if error.status != 404:  # a function registered before it was created holds none
                    raise
        return held

    def check_publish(self, function: str, body: Mapping[str, Any]) -> None:
        """Refuses a publish the capacity provider has no room for (before it reaches moto)."""
        provider = self.providers.get(function)
        if provider is None:
            return
        if body.get("PublishTo"):
            raise invalid(
                "PublishTo (the $LATEST.PUBLISHED version) is not modelled by this emulator: publish a numbered "
                "version (Publish without PublishTo, or PublishVersion)"
            )
        if self.versions_on(provider) >= self.versions_per_provider:
            raise LambdaError(
                400,
                "FunctionVersionsPerCapacityProviderLimitExceededException",
                "The maximum number of function versions that can be associated with a single capacity provider has "
                f"been exceeded. ({provider} holds {self.versions_per_provider}; delete versions to publish more.)",
            )

    def published(self, function: str, version: str) -> None:
        """A version was published: Pending until its execution environments are up."""
        if function not in self.providers or not version.isdigit():
            return
        with self._lock:
            self._active_at.setdefault((function, version), self.now() + self.activation_seconds)

    def state(self, function: str, version: str) -> str | None:
        """Pending or Active for a published version of a Managed Instances function, else None."""
        if function not in self.providers or not version.isdigit():
            return None
        active_at = self._active_at.get((function, version))
        return PENDING if active_at is not None and self.now() < active_at else ACTIVE

    def configuration_fields(self, function: str, version: str) -> dict[str, str]:
        """What GetFunctionConfiguration says of the version's state (nothing for other functions)."""
        state = self.state(function, version)
        if state == PENDING:
            return {"State": PENDING, "StateReason": "The function is being created.", "StateReasonCode": "Creating"}
        if state == ACTIVE:
            return {"State": ACTIVE}
        return {}

    def check_invocable(self, function: str, version: str) -> None:
        if self.state(function, version) == PENDING:
            raise conflict(
                "The operation cannot be performed at this time. The function is currently in the following state: "
                "Pending"
            )

    def _scaling_target(self, function: str, qualifier: str | None) -> str:
        if not self.control.exists(function):
            raise not_found(function)
        if function not in self.providers:
            raise invalid(
                f"{function} has no capacity provider: a function scaling config applies to Lambda Managed Instances "
                "functions only"
            )
        if qualifier is None or not SCALING_QUALIFIER.match(qualifier):
            raise invalid(f"Qualifier must be $LATEST.PUBLISHED or a version number, got {qualifier!r}")
        if qualifier.isdigit() and qualifier not in self.control.versions(function):
            raise not_found(function, qualifier)
        return qualifier

    def put_scaling(self, function: str, qualifier: str | None, body: Mapping[str, Any]) -> dict[str, Any]:
        target = self._scaling_target(function, qualifier)
        config = body.get("FunctionScalingConfig") or {}
        found: dict[str, int] = {}
        for key in ("MinExecutionEnvironments", "MaxExecutionEnvironments"):
            value = config.get(key)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_EXECUTION_ENVIRONMENTS:
                raise invalid(f"FunctionScalingConfig.{key} must be a whole number from 0 to 15000, got {value!r}")
            found[key] = value
        low, high = found.get("MinExecutionEnvironments"), found.get("MaxExecutionEnvironments")
        if low is not None and high is not None and low > high:
            raise invalid(
                f"FunctionScalingConfig.MinExecutionEnvironments ({low}) must not exceed "
                f"MaxExecutionEnvironments ({high})"
            )
        with self._lock:
            previous = self._scaling.get((function, target))
            applied = self._settled(previous)
            self._scaling[(function, target)] = Scaling(found, applied, self.now() + self.scaling_seconds)
        return {"FunctionState": self.state(function, target) or ACTIVE}

    def _settled(self, scaling: Scaling | None) -> dict[str, int] | None:
        if scaling is None:
            return None
        return scaling.requested if self.now() >= scaling.settles_at else scaling.applied

    def get_scaling(self, function: str, qualifier: str | None) -> dict[str, Any]:
        target = self._scaling_target(function, qualifier)
        found: dict[str, Any] = {"FunctionArn": function_arn(function, target)}
        with self._lock:
            scaling = self._scaling.get((function, target))
            if scaling is not None:
                # While a change settles Lambda reports it as requested (beside what still applies);
                # once it takes effect it is reported as applied only (GetFunctionScalingConfig; the
                # AWS provider for Terraform waits on exactly this to call a change done).
                if self.now() < scaling.settles_at:
                    found["RequestedFunctionScalingConfig"] = scaling.requested
                applied = self._settled(scaling)
                if applied is not None:
                    found["AppliedFunctionScalingConfig"] = applied
        return found

    def forget(self, function: str, version: str | None = None) -> None:
        """A deleted version (or, without version, function) takes its state and scaling with it."""
        with self._lock:
            for table in (self._active_at, self._scaling):
                for key in [k for k in table if k[0] == function and version in (None, k[1])]:
                    del table[key]
