"""The plan diff, on small plans: additions, removals, property changes, text and markdown."""

from __future__ import annotations

from typing import Any

from offline.diff import (
    CostChange,
    PropertyChange,
    ResourceDiff,
    diff_costs,
    diff_plans,
    format_cost_markdown,
    format_cost_text,
    format_markdown,
    format_text,
)


def resource(name: str, **inputs: Any) -> dict[str, Any]:
    return {
        "urn": f"urn:pulumi:dev::rustlambda::aws:lambda/function:Function::{name}",
        "type": "aws:lambda/function:Function",
        "name": name,
        "inputs": inputs,
    }


BASE = {
    "resources": [
        resource("a", memorySize=128.0, code={"path": "a.zip", "sha256": "11"}),
        resource("b", memorySize=128.0),
    ]
}


def test_no_changes() -> None:
    assert diff_plans(BASE, BASE) == []
    assert format_text([]) == "No changes."


def test_one_property_change_is_reported_alone() -> None:
    head = {
        "resources": [
            resource("a", memorySize=256.0, code={"path": "a.zip", "sha256": "11"}),
            resource("b", memorySize=128.0),
        ]
    }
    assert diff_plans(BASE, head) == [
        ResourceDiff("change", "aws:lambda/function:Function", "a", (PropertyChange("memorySize", 128.0, 256.0),))
    ]


def test_adds_removes_and_code_changes() -> None:
    head = {"resources": [resource("a", memorySize=128.0, code={"path": "a.zip", "sha256": "22"}), resource("c")]}
    diffs = diff_plans(BASE, head)
    assert [(d.kind, d.name) for d in diffs] == [("change", "a"), ("remove", "b"), ("add", "c")]
    assert format_text(diffs) == (
        "~ aws:lambda/function:Function a\n"
        "    code.sha256: 11 -> 22\n"
        "- aws:lambda/function:Function b\n"
        "+ aws:lambda/function:Function c\n"
        "1 to add, 1 to change, 1 to remove."
    )
    assert format_markdown(diffs).splitlines()[2:7] == [
        "1 to add, 1 to change, 1 to remove.",
        "",
        "| | Resource | Property | Before | After |",
        "| --- | --- | --- | --- | --- |",
        "| ~ | `a` (aws:lambda/function:Function) | `code.sha256` | `11` | `22` |",
    ]


def test_whole_numbers_print_as_written() -> None:
    """The wire format makes every number a float; the diff prints 128, not 128.0, inside lists too."""
    base = {"resources": [resource("a", memorySize=128.0, scaling=[{"maxVcpuCount": 16.0, "ratio": 2.5}])]}
    head = {"resources": [resource("a", memorySize=256.0, scaling=[{"maxVcpuCount": 64.0, "ratio": 2.5}])]}
    diffs = diff_plans(base, head)
    assert format_text(diffs).splitlines()[1:3] == [
        "    memorySize: 128 -> 256",
        '    scaling: [{"maxVcpuCount": 16, "ratio": 2.5}] -> [{"maxVcpuCount": 64, "ratio": 2.5}]',
    ]
    assert format_markdown(diffs).splitlines()[6] == (
        "| ~ | `a` (aws:lambda/function:Function) | `memorySize` | `128` | `256` |"
    )


def costed(total: float, **monthly: float | None) -> dict[str, Any]:
    return {"resources": [], "cost": {"total": total, "functions": {n: {"monthly": m} for n, m in monthly.items()}}}


def test_the_monthly_cost_delta() -> None:
    base = costed(11.0024, api=10.0, job=0.002433, old=1.0)
    head = costed(10.0049, api=10.0, job=0.004867, cron=None)
    changes = diff_costs(base, head)
    assert changes == [
        CostChange("cron", None, None, "added"),
        CostChange("job", 0.002433, 0.004867),
        CostChange("old", 1.0, None, "removed"),
        CostChange("", 11.0024, 10.0049),
    ]
    assert format_cost_text(changes) == (
        "Monthly cost (estimate):\n"
        "    cron: - -> - (added)\n"
        "    job: $0.0024 -> $0.0049 (+$0.0024)\n"
        "    old: $1.00 -> - (removed)\n"
        "    stack total: $11.00 -> $10.00 (-$1.00)"
    )
    assert format_cost_markdown(changes).splitlines() == [
        "#### Monthly cost (estimate)",
        "",
        "| Function | Before | After | Change |",
        "| --- | --- | --- | --- |",
        "| `cron` | - | - | added |",
        "| `job` | $0.0024 | $0.0049 | +$0.0024 |",
        "| `old` | $1.00 | - | removed |",
        "| **Stack total** | $11.00 | $10.00 | -$1.00 |",
    ]


def test_a_memory_bump_doubles_the_compute_bill() -> None:
    base = costed(2.2333, api=2.2333)
    head = costed(2.4667, api=2.4667)
    assert format_cost_text(diff_costs(base, head)) == (
        "Monthly cost (estimate):\n    api: $2.23 -> $2.47 (+$0.23)\n    stack total: $2.23 -> $2.47 (+$0.23)"
    )


def test_unchanged_and_uncomparable_costs() -> None:
    assert format_cost_text(diff_costs(costed(3.0, api=3.0), costed(3.0, api=3.0))) == (
        "Monthly cost: unchanged, $3.00 (estimate)."
    )
    assert format_cost_text(diff_costs({"resources": []}, costed(3.0, api=3.0))) == (
        "Monthly cost: not compared: the base plan carries no estimate."
    )
    unavailable = {"resources": [], "cost": {"error": "aws:region='xx-east-9' has no prices"}}
    assert format_cost_markdown(diff_costs(costed(3.0, api=3.0), unavailable)) == (
        "#### Monthly cost\n\nNot compared: the head plan carries no estimate (aws:region='xx-east-9' has no prices)."
    )
