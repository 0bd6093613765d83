"""Provisioned concurrency for the Lambda emulator (harness/lambda_api.py): PutProvisionedConcurrencyConfig,
GetProvisionedConcurrencyConfig, DeleteProvisionedConcurrencyConfig and
ListProvisionedConcurrencyConfigs (`/2019-09-30/functions/{name}/provisioned-concurrency`), on
emulated time (harness/clock.py). moto does not serve these operations.

Modelled, from AWS's documentation ("Configuring provisioned concurrency" in the Lambda Developer
Guide, the API reference of PutProvisionedConcurrencyConfig and GetProvisionedConcurrencyConfig):
- A configuration is on an alias or a published version, never on $LATEST ("Provisioned
  Concurrency Configs cannot be applied to unpublished function versions.").
- Each version has at most one configuration: on itself, or on one alias that points to it; two
  aliases cannot allocate for the same version (ResourceConflictException; the message is ours).
- An alias with a routing configuration (weights) takes no provisioned concurrency settings
  ("Alias with weights can not be used with Provisioned Concurrency.").
- Allocation is not immediate: Status IN_PROGRESS with nothing allocated, then READY with all of it
  allocated after `allocation_seconds` of emulated time (the guide: "a minute or two of
  preparation"; default 120 s). When the alias moves to another version, Lambda deallocates from
  the old version and allocates to the new one: IN_PROGRESS again from the moment it moved.
- A request beyond what the account can allocate (`account_limit`, summed over every
  configuration) ends FAILED with a StatusReason (the wording is ours).

Omitted: the burst and per-minute allocation rates (allocation is all at once after the delay),
the check against the function's reserved concurrency, how an alias's provisioned concurrency is
shared between versions while it has weights, provisioned concurrency's effect on invocations
(the emulator has no cold starts to remove) and its CloudWatch metrics, and Application Auto
Scaling.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from harness.lambda_control import Alias, ControlPlane, LambdaError, conflict, function_arn, invalid, not_found

IN_PROGRESS = "IN_PROGRESS"
READY = "READY"
FAILED = "FAILED"


def lambda_timestamp(at: float) -> str:
    """Lambda's timestamp format (its Timestamp shape is a string): 2026-01-01T00:00:00.000+0000."""
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


@dataclass
class Allocation:
    function: str
    qualifier: str
    requested: int
    version: str  # the version it is allocated on (an alias's version when it was last moved)
    started_at: float
    status: str
    reason: str | None = None

    def answer(self) -> dict[str, Any]:
        allocated = self.requested if self.status == READY else 0
        found: dict[str, Any] = {
            "RequestedProvisionedConcurrentExecutions": self.requested,
            "AvailableProvisionedConcurrentExecutions": allocated,
            "AllocatedProvisionedConcurrentExecutions": allocated,
            "Status": self.status,
            "LastModified": lambda_timestamp(self.started_at),
        }
        if self.reason:
            found["StatusReason"] = self.reason
        return found


class ProvisionedConcurrency:
    """The provisioned concurrency configurations of every function behind one Lambda emulator."""

    def __init__(
        self,
        control: ControlPlane,
        now: Callable[[], float],
        allocation_seconds: float = 120.0,
        account_limit: int = 1000,
    ) -> None:
        self.control = control
        self.now = now
        self.allocation_seconds = allocation_seconds
        self.account_limit = account_limit
        self.allocations: dict[tuple[str, str], Allocation] = {}
        self._lock = threading.Lock()

    def _target(self, function: str, qualifier: str | None) -> tuple[str, str, Alias | None]:
        """(qualifier, the version it names, the alias when it is one): an alias names its version."""
        if not self.control.exists(function):
            raise not_found(function)
        if not qualifier or qualifier.startswith("$LATEST"):
            raise invalid("Provisioned Concurrency Configs cannot be applied to unpublished function versions.")
        if qualifier.isdigit():
            if qualifier not in self.control.versions(function):
                raise not_found(function, qualifier)
            return qualifier, qualifier, None
        alias = self.control.alias(function, qualifier)
        return qualifier, alias.version, alias

    def _refresh(self, allocation: Allocation, now: float) -> None:
        """Follows the alias to its current version, and completes the allocation once due."""
        if not allocation.qualifier.isdigit():
            version = self.control.alias(allocation.function, allocation.qualifier).version
            if version != allocation.version and allocation.status != FAILED:
                allocation.version, allocation.started_at, allocation.status = version, now, IN_PROGRESS
        if allocation.status == IN_PROGRESS and now >= allocation.started_at + self.allocation_seconds:
            allocation.status = READY

    def put(self, function: str, qualifier: str | None, body: Mapping[str, Any]) -> dict[str, Any]:
        requested = body.get("ProvisionedConcurrentExecutions")
        if isinstance(requested, bool) or not isinstance(requested, int) or requested < 1:
            raise invalid(
                f"ProvisionedConcurrentExecutions must be a whole number of 1 or more, got {requested!r}: set it"
            )
        qualifier, version, alias = self._target(function, qualifier)
        if alias is not None and alias.weights:
            raise invalid("Alias with weights can not be used with Provisioned Concurrency.")
        now = self.now()
        with self._lock:
            others = [a for key, a in self.allocations.items() if key != (function, qualifier)]
            for other in others:
                self._refresh(other, now)
                if other.function == function and other.version == version:
                    raise conflict(
                        f"Version {version} of {function} already has provisioned concurrency, configured on "
                        f"{other.qualifier}: a version takes one configuration, on itself or on one alias"
                    )
            total = requested + sum(a.requested for a in others if a.status != FAILED)
            allocation = Allocation(function, qualifier, requested, version, now, IN_PROGRESS)
            if total > self.account_limit:
                allocation.status = FAILED
                allocation.reason = (
                    f"The account cannot allocate {requested} more: {total} provisioned concurrent executions "
                    f"requested in all, over its limit of {self.account_limit}."
                )
            self.allocations[(function, qualifier)] = allocation
            return allocation.answer()

    def _existing(self, function: str, qualifier: str | None) -> Allocation:
        qualifier = self._target(function, qualifier)[0]
        found = self.allocations.get((function, qualifier))
        if found is None:
            raise LambdaError(
                404,
                "ProvisionedConcurrencyConfigNotFoundException",
                "No Provisioned Concurrency Config found for this function",
            )
        return found

    def get(self, function: str, qualifier: str | None) -> dict[str, Any]:
        with self._lock:
            allocation = self._existing(function, qualifier)
            self._refresh(allocation, self.now())
            return allocation.answer()

    def delete(self, function: str, qualifier: str | None) -> None:
        with self._lock:
            allocation = self._existing(function, qualifier)
            if not allocation.qualifier.isdigit() and self.control.alias(function, allocation.qualifier).weights:
                raise invalid("Alias with weights can not be used with Provisioned Concurrency.")
            del self.allocations[(function, allocation.qualifier)]

    def list(self, function: str) -> dict[str, Any]:
        if not self.control.exists(function):
            raise not_found(function)
        now = self.now()
        with self._lock:
            found = []
            for (name, qualifier), allocation in sorted(self.allocations.items()):
                if name == function:
                    self._refresh(allocation, now)
                    found.append({"FunctionArn": function_arn(function, qualifier), **allocation.answer()})
            return {"ProvisionedConcurrencyConfigs": found}

    def alias_moved(self, function: str, alias: str, version: str) -> None:
        """The alias was pointed at `version` (UpdateAlias through the emulator): reallocation starts now."""
        with self._lock:
            allocation = self.allocations.get((function, alias))
            if allocation is not None and allocation.version != version and allocation.status != FAILED:
                allocation.version, allocation.started_at, allocation.status = version, self.now(), IN_PROGRESS

    def forget(self, function: str, qualifier: str | None = None) -> None:
        """A deleted version (or, without qualifier, function) takes its configurations with it."""
        with self._lock:
            for key in [k for k in self.allocations if k[0] == function and qualifier in (None, k[1])]:
                del self.allocations[key]
