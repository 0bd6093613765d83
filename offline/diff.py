"""What a pull request changes: the difference between two offline plans (the base branch's and the
PR's), resource by resource and property by property, as text for a terminal or markdown for a PR
comment.

    python -m offline.diff base-plan.json head-plan.json --format markdown

Plans are the JSON `scripts/preview --json` writes; each function's code appears as the sha256 of
its zip, so a source edit shows as a code change of exactly the functions whose bytes changed.
Values print as the user wrote them (`memorySize` 128, not the wire format's 128.0). After the
resources, the change in the monthly cost estimate the plans carry (offline.cost), per function and
for the stack.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from model.cost import money
from offline.plan import render_value


@dataclass(frozen=True)
class PropertyChange:
    path: str
    before: Any
    after: Any


@dataclass(frozen=True)
class ResourceDiff:
    kind: str  # "add", "remove" or "change"
    type: str
    name: str
    changes: tuple[PropertyChange, ...] = field(default=())


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested inputs as dotted paths (`environment.variables.RUST_LOG`); lists stay whole."""
    if isinstance(value, dict) and value:
        flat: dict[str, Any] = {}
        for key in sorted(value):
            flat.update(flatten(value[key], f"{prefix}.{key}" if prefix else key))
        return flat
    return {prefix: value}


def diff_plans(base: dict[str, Any], head: dict[str, Any]) -> list[ResourceDiff]:
    before = {r["urn"]: r for r in base["resources"]}
    after = {r["urn"]: r for r in head["resources"]}
    diffs: list[ResourceDiff] = []
    for urn in sorted(after.keys() - before.keys()):
        diffs.append(ResourceDiff("add", after[urn]["type"], after[urn]["name"]))
    for urn in sorted(before.keys() - after.keys()):
        diffs.append(ResourceDiff("remove", before[urn]["type"], before[urn]["name"]))
    for urn in sorted(before.keys() & after.keys()):
        old, new = flatten(before[urn]["inputs"]), flatten(after[urn]["inputs"])
        changes = tuple(
            PropertyChange(path, old.get(path), new.get(path))
            for path in sorted(old.keys() | new.keys())
            if old.get(path) != new.get(path)
        )
        if changes:
            diffs.append(ResourceDiff("change", after[urn]["type"], after[urn]["name"], changes))
    return sorted(diffs, key=lambda d: (d.type, d.name, d.kind))


SYMBOLS = {"add": "+", "remove": "-", "change": "~"}


def _short(value: Any) -> str:
    value = render_value(value)
    text = json.dumps(value) if not isinstance(value, str) else value
    return text if len(text) <= 80 else text[:77] + "..."


def format_text(diffs: list[ResourceDiff]) -> str:
    if not diffs:
        return "No changes."
    lines = []
    for d in diffs:
        lines.append(f"{SYMBOLS[d.kind]} {d.type} {d.name}")
        lines.extend(f"    {c.path}: {_short(c.before)} -> {_short(c.after)}" for c in d.changes)
    counts = {kind: sum(1 for d in diffs if d.kind == kind) for kind in SYMBOLS}
    lines.append(f"{counts['add']} to add, {counts['change']} to change, {counts['remove']} to remove.")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    return "`" + _short(value).replace("|", "\\|").replace("`", "'") + "`"


def format_markdown(diffs: list[ResourceDiff]) -> str:
    if not diffs:
        return "### Offline plan diff\n\nNo changes."
    counts = {kind: sum(1 for d in diffs if d.kind == kind) for kind in SYMBOLS}
    lines = [
        "### Offline plan diff",
        "",
        f"{counts['add']} to add, {counts['change']} to change, {counts['remove']} to remove.",
        "",
        "| | Resource | Property | Before | After |",
        "| --- | --- | --- | --- | --- |",
    ]
    for d in diffs:
        resource = f"`{d.name}` ({d.type})"
        if not d.changes:
            lines.append(f"| {SYMBOLS[d.kind]} | {resource} | | | |")
        for c in d.changes:
            lines.append(f"| {SYMBOLS[d.kind]} | {resource} | `{c.path}` | {_cell(c.before)} | {_cell(c.after)} |")
    return "\n".join(lines)


@dataclass(frozen=True)
class CostChange:
    name: str  # a function, or "" for the stack's total
    before: float | None  # None: not estimated
    after: float | None
    kind: str = "change"  # or "added", "removed"

    @property
    def change(self) -> str:
        if self.kind != "change":
            return self.kind
        if self.before is None or self.after is None:
            return "-"
        delta = self.after - self.before
        return ("+" if delta >= 0 else "") + money(delta)


def diff_costs(base: dict[str, Any], head: dict[str, Any]) -> list[CostChange] | str:
    """The functions whose monthly cost changes (or that come or go), then the stack's total; or
    why there is nothing to compare (a plan without an estimate)."""
    before, after = base.get("cost") or {}, head.get("cost") or {}
    for plan, cost in (("base", before), ("head", after)):
        if "functions" not in cost:
            return f"the {plan} plan carries no estimate" + (f" ({cost['error']})" if "error" in cost else "")
    old, new = before["functions"], after["functions"]
    changes = []
    for name in sorted(old.keys() | new.keys()):
        kind = "added" if name not in old else "removed" if name not in new else "change"
        was, now = (old.get(name) or {}).get("monthly"), (new.get(name) or {}).get("monthly")
        if kind != "change" or was != now:
            changes.append(CostChange(name, was, now, kind))
    return [*changes, CostChange("", before["total"], after["total"])]


def _dollars(value: float | None) -> str:
    return "-" if value is None else money(value)


def format_cost_text(changes: list[CostChange] | str) -> str:
    if isinstance(changes, str):
        return f"Monthly cost: not compared: {changes}."
    *functions, total = changes
    if not functions:
        return f"Monthly cost: unchanged, {money(total.after or 0)} (estimate)."
    lines = ["Monthly cost (estimate):"]
    for c in [*functions, total]:
        label = c.name or "stack total"
        lines.append(f"    {label}: {_dollars(c.before)} -> {_dollars(c.after)} ({c.change})")
    return "\n".join(lines)


def format_cost_markdown(changes: list[CostChange] | str) -> str:
    if isinstance(changes, str):
        return f"#### Monthly cost\n\nNot compared: {changes}."
    *functions, total = changes
    if not functions:
        return f"#### Monthly cost\n\nUnchanged: {money(total.after or 0)} (estimate)."
    lines = ["#### Monthly cost (estimate)", "", "| Function | Before | After | Change |", "| --- | --- | --- | --- |"]
    for c in functions:
        lines.append(f"| `{c.name}` | {_dollars(c.before)} | {_dollars(c.after)} | {c.change} |")
    lines.append(f"| **Stack total** | {_dollars(total.before)} | {_dollars(total.after)} | {total.change} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description="Diff two offline plans (scripts/preview --json)")
    parser.add_argument("base", type=Path)
    parser.add_argument("head", type=Path)
    parser.add_argument("--format", choices=("text", "markdown"), default="text")
    args = parser.parse_args()
    base, head = json.loads(args.base.read_text()), json.loads(args.head.read_text())
    diffs, costs = diff_plans(base, head), diff_costs(base, head)
    if args.format == "markdown":
        print(format_markdown(diffs) + "\n\n" + format_cost_markdown(costs))
    else:
        print(format_text(diffs) + "\n" + format_cost_text(costs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
