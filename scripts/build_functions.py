"""Builds every function and extension of the workspace for arm64 in ONE cargo invocation and
writes one reproducible zip per function and one layer zip per extension, skipping the build when
the sources have not changed.

Run through `scripts/build-functions` (which sets the toolchain env). Steps:
1. `cargo metadata` lists the function crates (those with a `[package.metadata.stack]` table) and
   the extension crates (those with a `[package.metadata.extension]` table).
2. A hash of the sources (Cargo.toml without `[package.metadata]` but with the env var names it
   declares, Cargo.lock, *.rs, build.rs), of rust-toolchain.toml, of the compiler version and of
   the code generation flags (`CODEGEN_FLAGS`: the CPU Lambda's arm64 functions run on) and of the
   cargo features asked for decides whether to build: when it matches the last build and every
   zip exists, nothing runs. Switching features (the stack's OpenTelemetry exporter:
   `--features common/otel`) changes the hash, and so does switching back.
3. The sources are mirrored into a fixed directory under the cache, so the compiler sees the
   same paths whatever the clone path, and `--remap-path-prefix` hides that directory and
   CARGO_HOME: the binaries do not depend on where they were built.
4. `cargo lambda build --release --locked --target aarch64-unknown-linux-gnu.2.34` (glibc pinned
   to Amazon Linux 2023's 2.34), for Graviton2 (`-C target-cpu=neoverse-n1`) and newer, with
   `--features <features>` when any are asked for.
5. Each binary is checked (ELF machine aarch64, no GLIBC symbol version above 2.34) and zipped
   (zopfli's deflate, 3% smaller than zlib's) with mode 0755 and fixed timestamps: a function's as
   `bootstrap`, an extension's as
   `extensions/<crate>`, where Lambda looks for extensions in a layer (unpacked under /opt).

Output: `build/lambda/<function>.zip` and `build/lambda/layers/<extension>.zip` in the repo, and
`build/lambda/manifest.json` with each zip's sha256 and size (`functions`, `layers`), the
`features` they were built with and, with `--commit`, the commit built (the deploy workflow's build
job records it: model/artifacts.py). Prints one JSON line with the manifest path last, for callers.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import time
import tomllib
import zipfile
import zlib
from pathlib import Path
from typing import Any

import zopfli.zopfli

from model.contract import ContractError, cargo_metadata, contracts_of

REPO_ROOT = Path(__file__).resolve().parent.parent

WORKSPACE = REPO_ROOT / "functions"
OUTPUT_DIR = REPO_ROOT / "build" / "lambda"
LAYERS_DIR = OUTPUT_DIR / "layers"
# The table that makes a workspace crate an extension, packaged as a layer.
EXTENSION_TABLE = "extension"
TARGET = "aarch64-unknown-linux-gnu"
# Lambda runs arm64 functions on Graviton2 (Arm Neoverse N1) or newer, so the code may use what N1
# has: AES and PMULL (with them crc-fast, the SDK's checksum crate, compiles out its software
# fallback and the ~700 KB of tables it links, which keeps s3-processor's zip under 3 MB), LSE
# atomics and the CRC32 instructions. A CPU without them is not one Lambda runs functions on.
CODEGEN_FLAGS = ("-C", "target-cpu=neoverse-n1")
GLIBC_MAX = (2, 34)
ELF_MACHINE_AARCH64 = 183
# 1980-01-01 00:00:00, the earliest time a zip entry can hold.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
SOURCE_SUFFIXES = (".rs",)
SOURCE_NAMES = ("Cargo.toml", "Cargo.lock", "build.rs")
# The workspace-level features a stack may ask for (README, "OpenTelemetry"); at most one of them.
FEATURES = ("common/otel", "common/otel-lite")


class BuildError(Exception):
    """A build step failed; the message says what and what to do."""


def log(message: str) -> None:
    print(f"[build-functions] {message}", file=sys.stderr, flush=True)


def workspace_packages(workspace: Path) -> list[dict[str, Any]]:
    """`cargo metadata`'s packages, read once per build."""
    try:
        packages: list[dict[str, Any]] = cargo_metadata(workspace)["packages"]
    except ContractError as error:
        raise BuildError(str(error)) from error
    return packages


def function_crates(packages: list[dict[str, Any]]) -> list[str]:
    """The names of the function crates, their contracts validated."""
    try:
        return [contract.name for contract in contracts_of(packages)]
    except ContractError as error:
        raise BuildError(str(error)) from error


def extension_crates(packages: list[dict[str, Any]]) -> dict[str, str]:
    """The extension crates (a `[package.metadata.extension]` table), each with its layer's
    description, by name."""
    extensions: dict[str, str] = {}
    for package in packages:
        table = (package.get("metadata") or {}).get(EXTENSION_TABLE)
        if table is None:
            continue
        description = table.get("description") if isinstance(table, dict) else None
        if not isinstance(description, str) or not description.strip():
            raise BuildError(
                f"extension crate {package['name']!r}: [package.metadata.extension] description is not set: "
                "set it to what the layer does (1 to 256 characters)"
            )
        extensions[package["name"]] = description
    return dict(sorted(extensions.items()))


def source_files(workspace: Path) -> list[Path]:
    """Files that can change a binary, relative to the workspace, in a stable order."""
    files = []
    for path in workspace.rglob("*"):
        relative = path.relative_to(workspace)
        if relative.parts[0] in ("target", ".cargo-lambda") or not path.is_file():
            continue
        if path.name in SOURCE_NAMES or path.suffix in SOURCE_SUFFIXES:
            files.append(relative)
    return sorted(files)


def env_names(metadata: dict[str, Any]) -> dict[str, list[str]]:
    """The part of a crate's [package.metadata] that reaches its binary: each env var name and
    the table declaring it, which its build.rs turns into the `env` module (contract-env's
    `Contract::parse` and `env_module` read exactly these). Values, memory, timeout, tracing,
    description and trigger are deploy settings: they change no binary."""
    stack = metadata.get("stack") or {}
    deploy = (metadata.get("lambda") or {}).get("deploy") or {}
    names = {
        kind: sorted(str(entry.get("env")) for entry in stack.get(kind) or [])
        for kind in ("tables", "buckets", "secrets")
    }
    names["settings"] = sorted(deploy.get("env") or {})
    return names


def hashable_bytes(path: Path) -> bytes:
    """A file's bytes for the source hash; for a Cargo.toml, its [package.metadata] tables
    reduced to the env var names they declare (see `env_names`)."""
    if path.name != "Cargo.toml":
        return path.read_bytes()
    manifest = tomllib.loads(path.read_text())
    package = manifest.get("package", {})
    metadata = package.pop("metadata", None)
    if metadata is not None:
        package["env_names"] = env_names(metadata)
    return json.dumps(manifest, sort_keys=True).encode()


def toolchain_file(workspace: Path) -> Path:
    """The rust-toolchain.toml that pins the workspace's toolchain (the repository root's)."""
    return workspace.parent / "rust-toolchain.toml"


def parse_features(value: str) -> tuple[str, ...]:
    """`--features`' comma-separated list, checked against FEATURES, in a stable order."""
    features = tuple(sorted({f.strip() for f in value.split(",") if f.strip()}))
    unknown = [f for f in features if f not in FEATURES]
    if unknown:
        raise BuildError(f"--features {value!r}: unknown {', '.join(unknown)}: set one of {', '.join(FEATURES)}")
    if len(features) > 1:
        raise BuildError(f"--features {value!r}: {' and '.join(features)} exclude each other: set one")
    return features


def source_hash(workspace: Path, rustc_version: str, features: tuple[str, ...] = ()) -> str:
    digest = hashlib.sha256(rustc_version.encode())
    digest.update(" ".join(CODEGEN_FLAGS).encode())
    digest.update(("features=" + ",".join(features) + "\0").encode())
    pinned = toolchain_file(workspace)
    digest.update(pinned.read_bytes() if pinned.is_file() else b"")
    for relative in source_files(workspace):
        digest.update(str(relative).encode() + b"\0")
        digest.update(hashlib.sha256(hashable_bytes(workspace / relative)).digest())
    return digest.hexdigest()


def mirror(source: Path, destination: Path) -> None:
    """Makes `destination` hold exactly the workspace's files, writing only files whose bytes
    differ so that cargo's mtime-based freshness checks see unchanged files as unchanged."""
    wanted = set()
    for path in source.rglob("*"):
        relative = path.relative_to(source)
        if relative.parts[0] == "target" or not path.is_file():
            continue
        wanted.add(relative)
        target = destination / relative
        data = path.read_bytes()
        if not target.is_file() or target.read_bytes() != data:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    if destination.exists():
        for path in sorted(destination.rglob("*"), reverse=True):
            relative = path.relative_to(destination)
            if path.is_file() and relative not in wanted:
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()


def run_cargo_lambda(build_dir: Path, target_dir: Path, rustc: str, features: tuple[str, ...]) -> None:
    cargo_home = os.environ.get("CARGO_HOME", str(Path.home() / ".cargo"))
    rustflags = " ".join(
        [
            f"--remap-path-prefix={build_dir}=/build",
            f"--remap-path-prefix={cargo_home}=/cargo",
            *CODEGEN_FLAGS,
        ]
    )
    env = dict(os.environ, RUSTC=rustc, CARGO_TARGET_DIR=str(target_dir), RUSTFLAGS=rustflags)
    command = [
        "cargo",
        "lambda",
        "build",
        "--release",
        "--locked",
        "--skip-target-check",
        "--target",
        f"{TARGET}.2.34",
        *(["--features", ",".join(features)] if features else []),
    ]
    log(f"$ {' '.join(command)}  (RUSTC={rustc})")
    started = time.monotonic()
    # cargo's progress goes to our stderr as it happens; its messages are kept for the error.
    process = subprocess.Popen(command, cwd=build_dir, env=env, stdout=sys.stderr, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    captured: list[str] = []
    for line in process.stderr:
        sys.stderr.write(line)
        captured.append(line)
    if process.wait() != 0:
        errors = [line for line in captured if line.startswith(("error", "  -->", "warning: unused"))]
        tail = "".join(errors[-40:] or captured[-40:])
        raise BuildError(f"cargo lambda build failed (exit {process.returncode}):\n{tail}")
    log(f"cargo lambda build finished in {time.monotonic() - started:.0f}s")


def check_binary(name: str, binary: bytes, readelf_output: str) -> None:
    if binary[:4] != b"\x7fELF":
        raise BuildError(f"{name}: bootstrap is not an ELF file")
    machine = int.from_bytes(binary[18:20], "little")
    if machine != ELF_MACHINE_AARCH64:
        raise BuildError(f"{name}: bootstrap is for ELF machine {machine}, expected aarch64 (183)")
    versions = {(int(major), int(minor)) for major, minor in re.findall(r"GLIBC_(\d+)\.(\d+)", readelf_output)}
    too_new = sorted(v for v in versions if v > GLIBC_MAX)
    if too_new:
        listed = ", ".join(f"GLIBC_{a}.{b}" for a, b in too_new)
        raise BuildError(
            f"{name}: bootstrap needs {listed}, newer than Amazon Linux 2023's glibc 2.34: "
            "build with --target aarch64-unknown-linux-gnu.2.34"
        )


# Zopfli's passes over each binary's deflate stream: 5 gives all but 0.05% of what its default 15
# does, in 30% less time (about 6-10 s per arm64 binary here).
ZOPFLI_ITERATIONS = 5


def deflated(data: bytes) -> bytes:
    """`data` as a raw deflate stream, compressed by zopfli: 3% smaller than zlib at level 9 for the
    same inflate (every unzip reads it), deterministic."""
    stream = zopfli.zopfli.compress(data, numiterations=ZOPFLI_ITERATIONS)  # zlib format
    return bytes(stream[2:-4])  # without the zlib header (2 bytes) and Adler-32 trailer (4)


def write_zip(binary: bytes, destination: Path, entry: str = "bootstrap") -> None:
    """A zip holding the binary as `entry` (executable, mode 0755, 1980-01-01 00:00:00), byte-for-byte
    the same for the same binary. Written here because zipfile compresses with zlib only: the
    entry's data is zopfli's deflate stream (`deflated`), in a zip with one entry and no extras."""
    data, name = deflated(binary), entry.encode()
    crc, dos_time, dos_date = zlib.crc32(binary), 0, (ZIP_EPOCH[0] - 1980) << 9 | ZIP_EPOCH[1] << 5 | ZIP_EPOCH[2]
    # version needed 2.0, no flags, deflate, time, date, CRC-32, sizes
    fields = struct.pack("<HHHHHIII", 20, 0, zipfile.ZIP_DEFLATED, dos_time, dos_date, crc, len(data), len(binary))
    local = struct.pack("<I", 0x04034B50) + fields + struct.pack("<HH", len(name), 0) + name
    # made by Unix (3) with version 2.0, so that the mode in the external attributes is honoured
    central = (
        struct.pack("<IH", 0x02014B50, 3 << 8 | 20)
        + fields
        + struct.pack("<HHHHHII", len(name), 0, 0, 0, 0, (0o100755 & 0xFFFF) << 16, 0)
        + name
    )
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), len(local) + len(data), 0)
    destination.parent.mkdir(parents=True, exist_ok=True)
    temporary = destination.with_suffix(".zip.tmp")
    temporary.write_bytes(local + data + central + end)
    temporary.replace(destination)


def checked_binary(name: str, target_dir: Path) -> bytes:
    """The binary cargo lambda built for crate `name`, once its architecture and glibc are checked."""
    binary_path = target_dir / "lambda" / name / "bootstrap"
    if not binary_path.is_file():
        raise BuildError(f"{name}: cargo lambda produced no {binary_path.name}")
    binary = binary_path.read_bytes()
    readelf = subprocess.run(
        ["readelf", "--wide", "--dyn-syms", "--version-info", str(binary_path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    check_binary(name, binary, readelf)
    return binary


def zipped(name: str, binary: bytes, zip_path: Path, entry: str) -> dict[str, object]:
    write_zip(binary, zip_path, entry)
    data = zip_path.read_bytes()
    artifact: dict[str, object] = {
        "zip": str(zip_path.relative_to(REPO_ROOT)),
        "sha256": hashlib.sha256(data).hexdigest(),
        "zip_bytes": len(data),
        "bootstrap_bytes": len(binary),
    }
    log(f"{name}: {len(data)} bytes zipped as {entry}, sha256 {artifact['sha256']}")
    return artifact


def package(functions: list[str], target_dir: Path) -> dict[str, dict[str, object]]:
    """Each function's binary as `bootstrap` in `build/lambda/<function>.zip`."""
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    return {
        name: zipped(name, checked_binary(name, target_dir), OUTPUT_DIR / f"{name}.zip", "bootstrap")
        for name in functions
    }


def package_layers(extensions: dict[str, str], target_dir: Path) -> dict[str, dict[str, object]]:
    """Each extension's binary as `extensions/<name>` in `build/lambda/layers/<name>.zip`."""
    layers: dict[str, dict[str, object]] = {}
    for name, description in extensions.items():
        artifact = zipped(name, checked_binary(name, target_dir), LAYERS_DIR / f"{name}.zip", f"extensions/{name}")
        layers[name] = {**artifact, "description": description}
    return layers


def rustc_version(rustc: str) -> str:
    return subprocess.run([rustc, "-vV"], capture_output=True, text=True, check=True).stdout


def build(cache_root: Path, rustc: str, force: bool, features: tuple[str, ...] = (), commit: str | None = None) -> Path:
    packages = workspace_packages(WORKSPACE)
    functions = function_crates(packages)
    if not functions:
        raise BuildError("no function crates: a crate needs a [package.metadata.stack] table")
    extensions = extension_crates(packages)
    version = rustc_version(rustc)
    wanted_hash = source_hash(WORKSPACE, version, features)
    manifest_path = OUTPUT_DIR / "manifest.json"
    if not force and manifest_path.is_file():
        previous = json.loads(manifest_path.read_text())
        previous_layers = previous.get("layers", {})
        artifacts = [*previous["functions"].values(), *previous_layers.values()]
        zips_exist = all((REPO_ROOT / a["zip"]).is_file() for a in artifacts)
        same_crates = sorted(previous["functions"]) == functions and sorted(previous_layers) == sorted(extensions)
        if previous.get("source_hash") == wanted_hash and zips_exist and same_crates:
            log(f"sources and features unchanged (hash {wanted_hash[:12]}): reusing {len(artifacts)} zips")
            # A layer's description reaches no binary: kept current without a build.
            for name, description in extensions.items():
                previous_layers[name]["description"] = description
            write_manifest(manifest_path, with_commit(previous, commit))
            return manifest_path
    crates = [*functions, *extensions]
    log(f"building {len(crates)} crates for arm64 ({len(extensions)} of them extensions): {', '.join(crates)}")
    log(f"compiler: {version.splitlines()[0]}; features: {', '.join(features) or 'none'}")
    build_dir = cache_root / "build-src" / "functions"
    mirror(WORKSPACE, build_dir)
    # Beside the mirror, so that rustup gives cargo there the pinned toolchain too.
    shutil.copyfile(toolchain_file(WORKSPACE), build_dir.parent / "rust-toolchain.toml")
    target_dir = cache_root / "target-arm64"
    run_cargo_lambda(build_dir, target_dir, rustc, features)
    manifest = {
        "source_hash": wanted_hash,
        "features": list(features),
        "target": f"{TARGET}.2.34",
        "functions": package(functions, target_dir),
        "layers": package_layers(extensions, target_dir),
    }
    write_manifest(manifest_path, with_commit(manifest, commit))
    return manifest_path


def with_commit(manifest: dict[str, Any], commit: str | None) -> dict[str, Any]:
    """The manifest naming the commit built, or none: the commit reaches no byte of a zip."""
    unstamped = {k: v for k, v in manifest.items() if k != "commit"}
    return unstamped if commit is None else {**unstamped, "commit": commit}


def parse_commit(value: str) -> str | None:
    if not value:
        return None
    if not re.fullmatch(r"[0-9a-f]{40}", value):
        raise BuildError(f"--commit {value!r}: set the 40 lowercase hex digits of the commit being built")
    return value


def write_manifest(path: Path, manifest: dict[str, Any]) -> None:
    """Writes the manifest when its content changed (an unchanged file keeps its time)."""
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    if not path.is_file() or path.read_text() != text:
        path.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="build even when sources are unchanged")
    parser.add_argument(
        "--features", default="", help=f"cargo features for the whole workspace: one of {', '.join(FEATURES)}"
    )
    parser.add_argument(
        "--commit", default="", help="the commit being built, recorded in the manifest (the deploy workflow's build)"
    )
    args = parser.parse_args()
    cache_root = Path(os.environ["RUSTLAMBDA_CACHE_ROOT"])
    rustc_file = cache_root / "arm64-rustc"
    if not rustc_file.is_file():
        print("error: the arm64 toolchain is not set up: run scripts/setup", file=sys.stderr)
        return 1
    # One build at a time per cache: builds share the mirrored sources and the target dir.
    with (cache_root / "build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            features = parse_features(args.features)
            commit = parse_commit(args.commit)
            manifest_path = build(cache_root, rustc_file.read_text().strip(), args.force, features, commit)
        except BuildError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
    print(json.dumps({"manifest": str(manifest_path.relative_to(REPO_ROOT))}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
