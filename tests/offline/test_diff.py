"""The plan diff, on small plans: additions, removals, property changes, text and markdown."""

from __future__ import annotations

from typing import Any

from offline.diff import PropertyChange, ResourceDiff, diff_plans, format_markdown, format_text


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
