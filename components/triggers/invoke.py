"""The `invoke` trigger: no event source. Other services invoke the function's `live` alias directly
(lambda:InvokeFunction, granted to them outside this stack), as lmi-worker's callers do; the
function's `functionArns` output is the alias's ARN they call."""

from __future__ import annotations

from components.triggers.base import TriggerPlan, TriggerScope
from model.contract import InvokeTrigger


class InvokeKind:
    type: str = "invoke"
    exports: tuple[str, ...] = ()

    def prepare(self, trigger: InvokeTrigger, scope: TriggerScope) -> TriggerPlan:
        return TriggerPlan()


KIND = InvokeKind()
