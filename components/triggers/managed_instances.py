"""The `managed-instances` trigger: no event source; other services invoke the function directly
(lambda:InvokeFunction on its published version). When the stack enables Managed Instances, the
function runs on the stack's capacity provider; otherwise it runs as a classic Lambda function.
"""

from __future__ import annotations

from components.function import ManagedInstancesAttachment
from components.triggers.base import TriggerPlan, TriggerScope
from model.contract import ManagedInstancesTrigger


class ManagedInstancesKind:
    type: str = "managed-instances"
    exports: tuple[str, ...] = ()

    def prepare(self, trigger: ManagedInstancesTrigger, scope: TriggerScope) -> TriggerPlan:
        provider = scope.shared.capacity_provider_arn
        if provider is None:
            return TriggerPlan()
        settings = scope.stack.managed_instances
        return TriggerPlan(
            managed_instances=ManagedInstancesAttachment(
                capacity_provider_arn=provider,
                memory_gib_per_vcpu=trigger.memory_gib_per_vcpu,
                max_concurrency=trigger.max_concurrency,
                min_environments=settings.min_environments,
                max_environments=settings.max_environments,
            )
        )


KIND = ManagedInstancesKind()
