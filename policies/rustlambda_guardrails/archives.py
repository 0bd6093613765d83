"""Reading the local code archives of functions and layers (zip, tar, directory, or Pulumi's
AssetArchive), one member at a time and only as far as a policy needs.

Remote archives, S3 objects and images are not readable from here: `Unreadable` says why, and the
policy reports itself not applicable rather than passing in silence.
"""

from __future__ import annotations

import os
import tarfile
import zipfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pulumi

PROJECT_DIR_HINT = "set the policy's projectDir to the Pulumi project's directory"
PROJECT_DIR_PROPERTY = {
    "type": "string",
    "default": "",
    "description": (
        "Directory that relative code archive paths are resolved against; empty means the pack's working "
        "directory (the engine runs the pack in the Pulumi project's directory)."
    ),
}

# How many bytes of a member a caller wants, given its name and size (0: skip it).
Wanted = Callable[[str, int], int]


def project_dir(config: Mapping[str, Any]) -> Path:
    """Where relative archive paths start: the policy's projectDir, else the working directory."""
    return Path(str(config.get("projectDir") or os.getcwd()))


class Unreadable(Exception):
    """The code archive cannot be read from here: the policy does not apply."""


def read_members(code: object, project_dir: Path, wanted: Wanted) -> tuple[str, Iterator[tuple[str, bytes]]]:
    """Where the code comes from (for messages), and (member name, its first `wanted` bytes) for
    every member the caller wants. Raises Unreadable when the code is not a local archive."""
    if isinstance(code, pulumi.AssetArchive):
        return "the asset archive", _asset_members(code, project_dir, wanted)
    if not isinstance(code, pulumi.FileArchive):
        raise Unreadable("the code is not a local archive (S3 object, image or remote archive)")
    source = str(code.path)
    path = project_dir / source
    if not path.exists():
        raise Unreadable(f"the code archive {path} does not exist; {PROJECT_DIR_HINT}")
    if path.is_dir():
        return source, _directory_members(path, wanted)
    if zipfile.is_zipfile(path):
        return source, _zip_members(path, wanted)
    if tarfile.is_tarfile(path):
        return source, _tar_members(path, wanted)
    raise Unreadable(f"the code archive {path} is not a zip, tar or directory")


def _asset_members(archive: pulumi.AssetArchive, project_dir: Path, wanted: Wanted) -> Iterator[tuple[str, bytes]]:
    for name, asset in archive.assets.items():
        if isinstance(asset, pulumi.StringAsset):
            data = asset.text.encode()
            size = wanted(name, len(data))
            if size:
                yield name, data[:size]
        elif isinstance(asset, pulumi.FileAsset):
            path = project_dir / str(asset.path)
            try:
                size = wanted(name, path.stat().st_size)
                if size:
                    yield name, _read_head(path, size)
            except OSError as e:
                raise Unreadable(f"the asset {path} is not readable ({e.strerror}); {PROJECT_DIR_HINT}") from e


def _directory_members(root: Path, wanted: Wanted) -> Iterator[tuple[str, bytes]]:
    for path in sorted(root.rglob("*")):
        if path.is_file():
            name = path.relative_to(root).as_posix()
            size = wanted(name, path.stat().st_size)
            if size:
                yield name, _read_head(path, size)


def _zip_members(path: Path, wanted: Wanted) -> Iterator[tuple[str, bytes]]:
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                size = 0 if info.is_dir() else wanted(info.filename, info.file_size)
                if size:
                    with archive.open(info) as f:
                        yield info.filename, f.read(size)
    except (OSError, zipfile.BadZipFile) as e:
        raise Unreadable(f"the code archive {path} is not readable ({e})") from e


def _tar_members(path: Path, wanted: Wanted) -> Iterator[tuple[str, bytes]]:
    try:
        with tarfile.open(path) as archive:
            for member in archive.getmembers():
                size = wanted(member.name.removeprefix("./"), member.size) if member.isfile() else 0
                extracted = archive.extractfile(member) if size else None
                if extracted is not None:
                    yield member.name.removeprefix("./"), extracted.read(size)
    except (OSError, tarfile.TarError) as e:
        raise Unreadable(f"the code archive {path} is not readable ({e})") from e


def _read_head(path: Path, size: int) -> bytes:
    with path.open("rb") as f:
        return f.read(size)
