"""The trigger kinds, one module each, and the registry LambdaService looks a contract's trigger up in.

Adding a kind: a model in model/contract.py (added to its `Trigger` union), a module here with a
`KIND` (see base.TriggerKind), and its line below. A test checks that every contract trigger type
has a kind here.
"""

from __future__ import annotations

from typing import Any

from components.triggers import http, invoke, s3, schedule, sqs
from components.triggers.base import TriggerKind

TRIGGER_KINDS: dict[str, TriggerKind[Any]] = {
    kind.type: kind for kind in (http.KIND, sqs.KIND, s3.KIND, schedule.KIND, invoke.KIND)
}
# Every stack output a trigger kind can add to, per function (exported even when empty).
TRIGGER_EXPORTS: tuple[str, ...] = tuple(dict.fromkeys(e for kind in TRIGGER_KINDS.values() for e in kind.exports))


def trigger_kind(trigger_type: str) -> TriggerKind[Any]:
    kind = TRIGGER_KINDS.get(trigger_type)
    if kind is None:
        raise KeyError(
            f"no trigger kind handles the contract trigger type {trigger_type!r}: add a module to components/triggers/ "
            f"(registered: {', '.join(TRIGGER_KINDS)})"
        )
    return kind
