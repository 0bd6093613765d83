"""The workspace build: every function and extension compiled for arm64 by ONE cargo invocation,
through pulumi-command's `local.run` invoke.

An invoke (not a `local.Command` resource) runs at preview as well as at up, so a preview after any
edit shows exactly the functions whose bytes changed, and a fresh CI runner builds what it deploys
instead of trusting artifacts from another machine. `scripts/build-functions` skips the cargo build
when the source hash matches and the zips exist, so repeated previews cost a hash. The command is
the repo-relative script path: no machine path or venv PATH reaches a resource input. A failed
build fails the program with cargo's message. Each function gets a zip, each extension a layer zip.
The stack's OpenTelemetry exporter turns on one cargo feature for the whole workspace
(`--features common/otel`); the build's source hash covers it, so a switch rebuilds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pulumi
from pulumi_command import local

BUILD_COMMAND = "./scripts/build-functions"


@dataclass(frozen=True)
class Artifact:
    """One function's zip: a path relative to the project directory, and its sha256."""

    zip_path: str
    sha256: str

    def archive(self) -> pulumi.FileArchive:
        return pulumi.FileArchive(self.zip_path)


@dataclass(frozen=True)
class LayerArtifact(Artifact):
    """One extension's layer zip (`extensions/<name>` inside), and what the layer does."""

    description: str


@dataclass(frozen=True)
class WorkspaceBuildArgs:
    project_dir: Path
    # Cargo features for the whole workspace (the stack's OpenTelemetry exporter: `common/otel`).
    features: tuple[str, ...] = ()


def build_command(features: tuple[str, ...]) -> str:
    """The build's command line: the script, and the features when any are asked for."""
    return f"{BUILD_COMMAND} --features {','.join(features)}" if features else BUILD_COMMAND


class WorkspaceBuild(pulumi.ComponentResource):
    """Runs the build at program time; `artifacts` maps each function name to its zip, `layers` each
    extension's name to its layer zip."""

    artifacts: dict[str, Artifact]
    layers: dict[str, LayerArtifact]

    def __init__(self, name: str, args: WorkspaceBuildArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("rustlambda:index:WorkspaceBuild", name, None, opts)
        command = build_command(args.features)
        result = local.run(command=command, opts=pulumi.InvokeOptions(parent=self))
        manifest_path = json.loads(result.stdout.strip().splitlines()[-1])["manifest"]
        manifest = json.loads((args.project_dir / manifest_path).read_text())
        if tuple(manifest.get("features", ())) != args.features:
            raise RuntimeError(
                f"{command} wrote a manifest built with features {manifest.get('features', [])}, not "
                f"{list(args.features)}: run it again"
            )
        self.artifacts = {
            name: Artifact(zip_path=entry["zip"], sha256=entry["sha256"])
            for name, entry in sorted(manifest["functions"].items())
        }
        self.layers = {
            name: LayerArtifact(zip_path=entry["zip"], sha256=entry["sha256"], description=entry["description"])
            for name, entry in sorted(manifest.get("layers", {}).items())
        }
        self.register_outputs(
            {
                "artifacts": {n: a.sha256 for n, a in self.artifacts.items()},
                "layers": {n: a.sha256 for n, a in self.layers.items()},
                "features": list(args.features),
            }
        )
