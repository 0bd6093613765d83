"""What a pull request changes: the difference between two offline plans (the base branch's and the
PR's), resource by resource and property by property, as text for a terminal or markdown for a PR
comment.

    python -m offline.diff base-plan.json head-plan.json --format markdown

Plans are the JSON `scripts/preview --json` writes; each function's code appears as the sha256 of
its zip, so a source edit shows as a code change of exactly the functions whose bytes changed.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


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


def main() -> int:
    parser = argparse.ArgumentParser(description="Diff two offline plans (scripts/preview --json)")
    parser.add_argument("base", type=Path)
    parser.add_argument("head", type=Path)
    parser.add_argument("--format", choices=("text", "markdown"), default="text")
    args = parser.parse_args()
    diffs = diff_plans(json.loads(args.base.read_text()), json.loads(args.head.read_text()))
    print(format_markdown(diffs) if args.format == "markdown" else format_text(diffs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
