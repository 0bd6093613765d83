"""The build's manifest (`build/lambda/manifest.json`, written by scripts/build-functions) and the check
that the zips beside it are the bytes it lists.

Build once, promote by digest: the deploy workflow builds in a job without credentials, and the jobs
that deploy dev and then prod run the program on that build's files (`RUSTLAMBDA_PREBUILT_MANIFEST`,
components/build.py) instead of building. Both the workflow's check before `pulumi up`
(`python -m model.artifacts verify build/lambda/manifest.json`) and the program go through `verify`:
every zip the manifest names must be a file inside the project with exactly the sha256 and size the
manifest lists, so a zip changed by one byte between the build and a deploy fails that deploy.

Zip paths in the manifest are relative to the project directory (scripts/build-functions writes
them so); an absolute path or one that climbs out of the project is refused.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

SHA256 = re.compile(r"^[0-9a-f]{64}$")
COMMIT = re.compile(r"^[0-9a-f]{40}$")


class ArtifactError(ValueError):
    """The manifest is malformed, or a file differs from what it lists; the message says which."""


@dataclass(frozen=True)
class Artifact:
    """One zip of the build: its path relative to the project directory, sha256 and size."""

    name: str
    zip_path: str
    sha256: str
    size: int
    description: str = ""  # an extension layer's; empty for a function


@dataclass(frozen=True)
class Manifest:
    functions: dict[str, Artifact]
    layers: dict[str, Artifact]
    features: tuple[str, ...]
    # The commit the build job built (scripts/build-functions --commit); None for a local build.
    commit: str | None

    def artifacts(self) -> list[Artifact]:
        return [*self.functions.values(), *self.layers.values()]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _artifact(where: str, name: str, entry: Any, layer: bool) -> Artifact:
    if not isinstance(entry, dict):
        raise ArtifactError(f"{where}.{name} is not an object: rebuild with scripts/build-functions")
    zip_path, sha256, size = entry.get("zip"), entry.get("sha256"), entry.get("zip_bytes")
    if not isinstance(zip_path, str) or not zip_path:
        raise ArtifactError(f"{where}.{name}.zip is not set: set it to the zip's path relative to the project")
    relative = PurePosixPath(zip_path)
    if relative.is_absolute() or ".." in relative.parts:
        raise ArtifactError(f"{where}.{name}.zip={zip_path!r} leaves the project: set a path relative to the project")
    if not isinstance(sha256, str) or not SHA256.match(sha256):
        raise ArtifactError(f"{where}.{name}.sha256={sha256!r} is not a sha256: set the zip's 64 hex digits")
    if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
        raise ArtifactError(f"{where}.{name}.zip_bytes={size!r} is not a size: set the zip's size in bytes")
    description = entry.get("description", "") if layer else ""
    return Artifact(name, zip_path, sha256, size, str(description))


def parse_manifest(data: Any) -> Manifest:
    if not isinstance(data, dict):
        raise ArtifactError("the manifest is not a JSON object: rebuild with scripts/build-functions")
    functions, layers = data.get("functions"), data.get("layers", {})
    if not isinstance(functions, dict) or not functions:
        raise ArtifactError("the manifest lists no functions: rebuild with scripts/build-functions")
    if not isinstance(layers, dict):
        raise ArtifactError("the manifest's layers is not an object: rebuild with scripts/build-functions")
    features = data.get("features", [])
    if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
        raise ArtifactError(f"the manifest's features={features!r} is not a list of cargo features")
    commit = data.get("commit")
    if commit is not None and (not isinstance(commit, str) or not COMMIT.match(commit)):
        raise ArtifactError(f"the manifest's commit={commit!r} is not a commit: set the 40 hex digits of a commit")
    return Manifest(
        functions={n: _artifact("functions", n, e, layer=False) for n, e in sorted(functions.items())},
        layers={n: _artifact("layers", n, e, layer=True) for n, e in sorted(layers.items())},
        features=tuple(features),
        commit=commit,
    )


def load_manifest(path: Path) -> Manifest:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ArtifactError(f"{path}: no such manifest: download the build's artifact there") from None
    except json.JSONDecodeError as error:
        raise ArtifactError(f"{path}: not JSON ({error}): download the build's artifact again") from None
    return parse_manifest(data)


def verify(manifest: Manifest, project_dir: Path) -> None:
    """Every zip the manifest lists is a file under `project_dir` with the listed size and sha256;
    raises ArtifactError naming every file that is not."""
    problems = []
    for artifact in manifest.artifacts():
        path = project_dir / artifact.zip_path
        if not path.is_file():
            problems.append(f"{artifact.zip_path}: missing, the manifest lists it for {artifact.name}")
            continue
        actual = file_sha256(path)
        if actual != artifact.sha256:
            problems.append(
                f"{artifact.zip_path}: sha256 {actual}, the manifest lists {artifact.sha256} "
                f"({path.stat().st_size} bytes, listed {artifact.size})"
            )
    if problems:
        raise ArtifactError(
            "the build's artifacts differ from its manifest, so this is not the build that was tested: "
            "deploy the build's artifact unchanged\n  " + "\n  ".join(problems)
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check a build's zips against its manifest.")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("verify", help="every zip the manifest lists has its sha256 and size")
    check.add_argument("manifest", type=Path, help="build/lambda/manifest.json")
    check.add_argument("--project-dir", type=Path, default=Path.cwd(), help="where the zip paths start (default: here)")
    check.add_argument("--commit", help="the commit the build must have been made from (40 hex digits)")
    args = parser.parse_args(argv)
    try:
        manifest = load_manifest(args.manifest)
        if args.commit is not None and manifest.commit != args.commit:
            raise ArtifactError(
                f"{args.manifest}: built from commit {manifest.commit}, not {args.commit}: "
                "deploy the artifact of this commit's build"
            )
        verify(manifest, args.project_dir)
    except ArtifactError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(
        f"{len(manifest.artifacts())} zips match {args.manifest} "
        f"(sha256 {file_sha256(args.manifest)}, commit {manifest.commit})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
