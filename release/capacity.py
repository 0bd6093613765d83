"""What each version holds while it serves, set by the release step per version.

- Standard Lambda with provisioned concurrency: the version gets its provisioned concurrency
  (PutProvisionedConcurrencyConfig on the version) and the step waits until it is READY before any
  traffic moves to it; a version that no longer serves gives it back (DeleteProvisionedConcurrency-
  Config). Per version rather than on the alias because an alias's allocation follows the alias:
  Lambda moves it to the new version only after the alias does, so traffic would reach the new
  version before it is warm. During a canary both versions hold it (the cost is in the README).
- Managed Instances: the version gets its scaling config (PutFunctionScalingConfig: the stack's
  minimum and maximum execution environments) and the step waits until the config is applied and
  the version is Active; versions kept for a quick rollback are scaled to a minimum of 0, so they
  hold no execution environments ("Deploying and updating Lambda Managed Instances functions": each
  numbered version has its own scaling config).

Every wait is bounded by the caller's deadline and polls with the caller's clock and sleep.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class CapacityFailed(Exception):
    """A version could not get its capacity; the message says what Lambda reported."""


@dataclass(frozen=True)
class Capacity:
    """The capacity settings of one function (components/release.py sets them)."""

    placement: str  # "standard" or "managed-instances"
    provisioned_concurrency: int | None = None
    min_environments: int | None = None
    max_environments: int | None = None

    @property
    def managed_instances(self) -> bool:
        return self.placement == "managed-instances"


@dataclass(frozen=True)
class Waiter:
    clock: Callable[[], float]
    sleep: Callable[[float], None]
    poll_seconds: float
    timeout_seconds: float

    def until(self, what: str, check: Callable[[], bool]) -> None:
        """Polls `check` until it is true; raises CapacityFailed after the timeout."""
        deadline = self.clock() + self.timeout_seconds
        while not check():
            if self.clock() >= deadline:
                raise CapacityFailed(f"{what} after {self.timeout_seconds:.0f} s")
            self.sleep(self.poll_seconds)


def wait_active(lambda_client: Any, function: str, version: str, waiter: Waiter) -> None:
    """Waits until the version's State is Active (a Managed Instances version is Pending until its
    execution environments run); fails on Failed or Inactive with Lambda's reason."""

    def active() -> bool:
        config = lambda_client.get_function_configuration(FunctionName=function, Qualifier=version)
        state = config.get("State", "Active")
        if state in ("Failed", "Inactive"):
            raise CapacityFailed(
                f"version {version} of {function} is {state}: {config.get('StateReasonCode', '')} "
                f"{config.get('StateReason', '')}".rstrip()
            )
        return bool(state == "Active")

    waiter.until(f"version {version} of {function} is still not Active", active)


def prepare(lambda_client: Any, function: str, version: str, capacity: Capacity, waiter: Waiter) -> list[str]:
    """Gives `version` what it needs before traffic reaches it and waits for it; returns what it did."""
    done: list[str] = []
    if capacity.managed_instances:
        _put_scaling(lambda_client, function, version, capacity.min_environments, capacity.max_environments, waiter)
        done.append(
            f"scaling config of version {version}: {capacity.min_environments} to {capacity.max_environments} "
            "execution environments, applied"
        )
    elif capacity.provisioned_concurrency is not None:
        if _provisioned(lambda_client, function, version) != capacity.provisioned_concurrency:
            lambda_client.put_provisioned_concurrency_config(
                FunctionName=function,
                Qualifier=version,
                ProvisionedConcurrentExecutions=capacity.provisioned_concurrency,
            )

        def ready() -> bool:
            found = lambda_client.get_provisioned_concurrency_config(FunctionName=function, Qualifier=version)
            if found.get("Status") == "FAILED":
                raise CapacityFailed(
                    f"provisioned concurrency of version {version} of {function} failed: {found.get('StatusReason')}"
                )
            return bool(found.get("Status") == "READY")

        waiter.until(f"provisioned concurrency of version {version} of {function} is still not READY", ready)
        done.append(f"provisioned concurrency of version {version}: {capacity.provisioned_concurrency}, READY")
    wait_active(lambda_client, function, version, waiter)
    return done


def retire(lambda_client: Any, function: str, version: str, capacity: Capacity, waiter: Waiter) -> str | None:
    """What a version that no longer serves gives back (it stays published for a rollback)."""
    if capacity.managed_instances:
        applied = _scaling_of(lambda_client, function, version)
        if applied is not None and applied.get("MinExecutionEnvironments") == 0:
            return None
        _put_scaling(lambda_client, function, version, 0, capacity.max_environments, waiter)
        return f"version {version} scaled to 0 execution environments at least"
    try:
        lambda_client.delete_provisioned_concurrency_config(FunctionName=function, Qualifier=version)
    except lambda_client.exceptions.ProvisionedConcurrencyConfigNotFoundException:
        return None
    return f"provisioned concurrency of version {version} released"


def _provisioned(lambda_client: Any, function: str, version: str) -> int | None:
    """The provisioned concurrency a version has asked for, or None."""
    try:
        found = lambda_client.get_provisioned_concurrency_config(FunctionName=function, Qualifier=version)
    except lambda_client.exceptions.ProvisionedConcurrencyConfigNotFoundException:
        return None
    requested = found.get("RequestedProvisionedConcurrentExecutions")
    return int(requested) if requested is not None else None


def _scaling_of(lambda_client: Any, function: str, version: str) -> dict[str, Any] | None:
    """The scaling config a version has asked for (or has, once applied), or None."""
    try:
        found = lambda_client.get_function_scaling_config(FunctionName=function, Qualifier=version)
    except lambda_client.exceptions.ResourceNotFoundException:
        return None
    config: dict[str, Any] | None = found.get("RequestedFunctionScalingConfig") or found.get(
        "AppliedFunctionScalingConfig"
    )
    return config


def _put_scaling(
    lambda_client: Any, function: str, version: str, minimum: int | None, maximum: int | None, waiter: Waiter
) -> None:
    config: dict[str, int] = {}
    if minimum is not None:
        config["MinExecutionEnvironments"] = minimum
    if maximum is not None:
        config["MaxExecutionEnvironments"] = maximum
    if _scaling_of(lambda_client, function, version) != config:
        lambda_client.put_function_scaling_config(
            FunctionName=function, Qualifier=version, FunctionScalingConfig=config
        )

    def applied() -> bool:
        # Lambda reports the new config as requested while it settles, then as applied.
        found = lambda_client.get_function_scaling_config(FunctionName=function, Qualifier=version)
        return not found.get("RequestedFunctionScalingConfig") and found.get("AppliedFunctionScalingConfig") == config

    waiter.until(f"the scaling config of version {version} of {function} is still not applied", applied)
