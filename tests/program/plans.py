"""Runs the real program under Pulumi's mock monitor (offline.engine, one process per run) and gives
tests its registrations by type and name."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Plan:
    registrations: list[dict[str, Any]]
    outputs: dict[str, Any]

    def of_type(self, type_: str) -> list[dict[str, Any]]:
        return [r for r in self.registrations if r["type"] == type_]

    def named(self, name: str) -> dict[str, Any]:
        found = [r for r in self.registrations if r["name"] == name]
        assert len(found) == 1, f"{len(found)} resources named {name!r}"
        return found[0]

    def inputs(self, name: str) -> dict[str, Any]:
        inputs: dict[str, Any] = self.named(name)["inputs"]
        return inputs

    def counts(self) -> dict[str, int]:
        result: dict[str, int] = {}
        for r in self.registrations:
            if r["type"] != "pulumi:pulumi:Stack":
                result[r["type"]] = result.get(r["type"], 0) + 1
        return dict(sorted(result.items()))


def run_plan(
    stack: str,
    tmp_dir: Path,
    project_dir: Path = REPO_ROOT,
    extra_config: dict[str, Any] | None = None,
    mode: str = "up",
    state: Path | None = None,
    new_stack: bool = False,
    env: dict[str, str] | None = None,
) -> Plan:
    """The program's registrations: by default as the first `up` of a new stack registers them
    (versions numbered from 1); `mode="preview"` as a preview sees them (what the provider cannot
    know yet is unknown); `state` is what AWS holds from earlier runs (offline/deployed.py), which an
    `up` updates. `new_stack` (with `mode="preview"`) as the real engine previews a stack that does
    not exist yet: every output AWS computes is unknown. `env` is added to the program's environment."""
    out = tmp_dir / f"plan-{stack}-{mode}{'-new' if new_stack else ''}.json"
    config = extra_config or {}
    extra = ["--state", str(state)] if state is not None else []
    subprocess.run(
        [
            sys.executable,
            "-m",
            "offline.engine",
            "--stack",
            stack,
            "--project-dir",
            str(project_dir),
            "--config-json",
            json.dumps(config),
            "--out",
            str(out),
            "--mode",
            mode,
            *extra,
            *(["--new-stack"] if new_stack else []),
        ],
        cwd=REPO_ROOT,
        env={**os.environ, **(env or {})},
        check=True,
        timeout=1800,
    )
    data = json.loads(out.read_text())
    return Plan(data["registrations"], data["outputs"])
