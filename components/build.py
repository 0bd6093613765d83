"""The workspace build: every function and extension compiled for arm64 by ONE cargo invocation,
through pulumi-command's `local.run` invoke, or, when a deploy promotes a build made elsewhere, that
build's zips checked against its manifest instead.

An invoke (not a `local.Command` resource) runs at preview as well as at up, so a preview after any
edit shows exactly the functions whose bytes changed. `scripts/build-functions` skips the cargo build
when the source hash matches and the zips exist, so repeated previews cost a hash. The command is
the repo-relative script path: no machine path or venv PATH reaches a resource input. A failed
build fails the program with cargo's message. Each function gets a zip, each extension a layer zip.
The stack's OpenTelemetry exporter turns on one cargo feature for the whole workspace
(`--features common/otel`); the build's source hash covers it, so a switch rebuilds.

Build once, promote by digest (docs/pipeline.md): with `RUSTLAMBDA_PREBUILT_MANIFEST` set to a
build's manifest (`build/lambda/manifest.json`, its zip paths relative to the project), nothing is
built: every zip must have the sha256 the manifest lists (model/artifacts.py), else the program
fails naming each file that differs, and the build must have the stack's cargo features. The deploy
workflow sets it, so dev and prod deploy the bytes of one build, made in a job without credentials.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pulumi
from pulumi_command import local

from model.artifacts import load_manifest, verify

BUILD_COMMAND = "./scripts/build-functions"
# Where a deploy points the program at a build made elsewhere (docs/pipeline.md).
PREBUILT_MANIFEST_ENV = "RUSTLAMBDA_PREBUILT_MANIFEST"


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
    # A build made elsewhere (its manifest, relative to project_dir or absolute): checked, not built.
    prebuilt_manifest: Path | None = None


def prebuilt_manifest() -> Path | None:
    """The manifest `RUSTLAMBDA_PREBUILT_MANIFEST` names, if set (the deploy workflow sets it)."""
    value = os.environ.get(PREBUILT_MANIFEST_ENV, "").strip()
    return Path(value) if value else None


def build_command(features: tuple[str, ...]) -> str:
    """The build's command line: the script, and the features when any are asked for."""
    return f"{BUILD_COMMAND} --features {','.join(features)}" if features else BUILD_COMMAND


class WorkspaceBuild(pulumi.ComponentResource):
    """Runs the build at program time, or checks a prebuilt one; `artifacts` maps each function name to
    its zip, `layers` each extension's name to its layer zip, `commit` is the commit the build job
    built (None for a local build)."""

    artifacts: dict[str, Artifact]
    layers: dict[str, LayerArtifact]
    commit: str | None

    def __init__(self, name: str, args: WorkspaceBuildArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("rustlambda:index:WorkspaceBuild", name, None, opts)
        if args.prebuilt_manifest is None:
            command = build_command(args.features)
            result = local.run(command=command, opts=pulumi.InvokeOptions(parent=self))
            manifest_path = args.project_dir / json.loads(result.stdout.strip().splitlines()[-1])["manifest"]
            manifest = load_manifest(manifest_path)
            wrong_features_hint = f"{command} wrote it: run it again"
        else:
            manifest_path = args.project_dir / args.prebuilt_manifest
            manifest = load_manifest(manifest_path)
            # Raises, naming each zip whose bytes are not the ones the build listed.
            verify(manifest, args.project_dir)
            wrong_features_hint = "build with the stack's openTelemetry exporter, or unset " + PREBUILT_MANIFEST_ENV
        if manifest.features != args.features:
            raise RuntimeError(
                f"{manifest_path} lists a build with features {list(manifest.features)}, not "
                f"{list(args.features)}: {wrong_features_hint}"
            )
        self.artifacts = {n: Artifact(zip_path=a.zip_path, sha256=a.sha256) for n, a in manifest.functions.items()}
        self.layers = {
            n: LayerArtifact(zip_path=a.zip_path, sha256=a.sha256, description=a.description)
            for n, a in manifest.layers.items()
        }
        self.commit = manifest.commit
        self.register_outputs(
            {
                "artifacts": {n: a.sha256 for n, a in self.artifacts.items()},
                "layers": {n: a.sha256 for n, a in self.layers.items()},
                "features": list(args.features),
                "commit": self.commit,
            }
        )
