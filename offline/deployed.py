"""What AWS holds between offline runs: the offline engine's model of a deployed stack.

The real engine previews and updates against resources that exist; the offline engine keeps the few
facts of AWS the program's plan depends on, so that a sequence of runs (a first `up`, a source
edit, a preview of it) shows what the real CLI would:

- Published function versions, as Lambda numbers them: `publish = true` publishes version N+1 when
  the code or configuration differs from the last published version, and returns the last version
  when nothing changed ("Lambda function versions": a version is an immutable snapshot; publishing an
  unchanged function creates no version). `publishTo = LATEST_PUBLISHED` (Managed Instances only)
  republishes `$LATEST.PUBLISHED` and creates no numbered version, and without `publish` the
  version output is `$LATEST`, as the provider reports them. At preview a function that would
  publish has an unknown version (the provider cannot know the number before it publishes).
- Aliases: where each points and its routing weights, as the program's last update left them, or as
  a test sets them (a release step moved them). The program reads them through
  `scripts/alias-state` (release/alias_state.py), which the engine answers from here.
- Subnets' Availability Zones, for the program's check that Managed Instances spans three AZs: the
  engine cannot know a real subnet's AZ, so a subnet it has not been told about gets the next of the
  region's zones a, b, c in the order the program asks (distinct zones for up to three subnets).

Omitted: every other resource's state (the engine's plan shows each resource as the program
registers it, all as creations), deletions of versions, and quotas (harness/lambda_api.py models the
ones a release relies on).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from release.alias_state import AliasState

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
LATEST = "$LATEST"
LATEST_PUBLISHED = "$LATEST.PUBLISHED"
ZONES = ("a", "b", "c")


@dataclass
class PublishedFunction:
    """A function's published versions as Lambda numbers them."""

    latest: int = 0
    last_digest: str = ""


@dataclass
class Deployed:
    functions: dict[str, PublishedFunction] = field(default_factory=dict)
    # function name -> alias name -> the alias as AWS has it.
    aliases: dict[str, dict[str, AliasState]] = field(default_factory=dict)
    subnet_zones: dict[str, str] = field(default_factory=dict)

    # --- versions --------------------------------------------------------------------------------

    def version(self, function: str, inputs: dict[str, Any], digest: str, preview: bool) -> str:
        """The `version` output of a function registered with `inputs` (see the module docstring)."""
        if not inputs.get("publish"):
            return LATEST
        if inputs.get("publishTo") == "LATEST_PUBLISHED":
            return LATEST_PUBLISHED
        published = self.functions.get(function)
        if published is not None and published.last_digest == digest:
            return str(published.latest)
        if preview:
            return UNKNOWN
        published = self.functions.setdefault(function, PublishedFunction())
        published.latest += 1
        published.last_digest = digest
        return str(published.latest)

    # --- aliases ---------------------------------------------------------------------------------

    def alias(self, function: str, name: str) -> AliasState:
        return self.aliases.get(function, {}).get(name, AliasState(False))

    def set_alias(self, function: str, name: str, version: str, weights: dict[str, float] | None = None) -> None:
        """Where an alias points: recorded by an update that registers it, or set by a test as a
        release step would have moved it."""
        self.aliases.setdefault(function, {})[name] = AliasState(True, version, dict(weights or {}))

    def record_alias(self, inputs: dict[str, Any]) -> None:
        """An update's alias registration: AWS now has it as its inputs say."""
        version = inputs.get("functionVersion")
        if not isinstance(version, str) or version == UNKNOWN:
            return
        weights = (inputs.get("routingConfig") or {}).get("additionalVersionWeights") or {}
        self.set_alias(str(inputs.get("functionName")), str(inputs.get("name")), version, weights)

    # --- subnets ---------------------------------------------------------------------------------

    def subnet_zone(self, subnet_id: str, region: str) -> str:
        if subnet_id not in self.subnet_zones:
            self.subnet_zones[subnet_id] = region + ZONES[len(self.subnet_zones) % len(ZONES)]
        return self.subnet_zones[subnet_id]

    # --- persistence -----------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "functions": {n: {"latest": f.latest, "lastDigest": f.last_digest} for n, f in self.functions.items()},
            "aliases": {
                fn: {a: {"version": s.version, "weights": s.weights or {}} for a, s in aliases.items() if s.exists}
                for fn, aliases in self.aliases.items()
            },
            "subnetZones": dict(self.subnet_zones),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Deployed:
        deployed = cls(
            functions={
                n: PublishedFunction(int(f["latest"]), str(f.get("lastDigest", "")))
                for n, f in (data.get("functions") or {}).items()
            },
            subnet_zones={str(k): str(v) for k, v in (data.get("subnetZones") or {}).items()},
        )
        for function, aliases in (data.get("aliases") or {}).items():
            for name, state in aliases.items():
                deployed.set_alias(function, name, str(state["version"]), state.get("weights"))
        return deployed

    @classmethod
    def read(cls, path: Path) -> Deployed:
        return cls.from_json(json.loads(path.read_text())) if path.is_file() else cls()

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=1, sort_keys=True) + "\n")
