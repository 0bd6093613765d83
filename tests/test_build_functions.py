"""The arm64 build script's pure parts: reproducible zips, the source hash, the artifact checks.
(The build itself runs for real in scripts/test and in the e2e suites' arm64 flavour.)"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import stat
import sys
import tomllib
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def load_build_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_functions", REPO_ROOT / "scripts" / "build_functions.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_functions"] = module
    spec.loader.exec_module(module)
    return module


build = load_build_module()
AARCH64_HEADER = b"\x7fELF" + bytes(14) + (183).to_bytes(2, "little")


def test_zips_are_byte_identical_and_hold_an_executable_bootstrap(tmp_path: Path) -> None:
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    build.write_zip(b"binary bytes", first)
    build.write_zip(b"binary bytes", second)
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        (info,) = archive.infolist()
        assert info.filename == "bootstrap"
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert stat.S_IMODE(info.external_attr >> 16) == 0o755
        assert archive.read("bootstrap") == b"binary bytes"


def test_a_zip_is_zopfli_deflate_that_unzip_reads_and_smaller_than_zlib_at_level_9(tmp_path: Path) -> None:
    """A binary-like payload (repeated code with variations) must come back byte for byte, pass the
    zip's CRC check, and take less room than zipfile's own deflate at level 9 (Lambda's unzip reads
    any deflate stream)."""
    binary = b"".join(i.to_bytes(4, "little") + b"\x48\x89\xe5\x53" * (i % 7) + b"fn_%d\x00" % i for i in range(20_000))
    ours, zlib9 = tmp_path / "ours.zip", tmp_path / "zlib9.zip"
    build.write_zip(binary, ours, "extensions/telemetry-extension")
    with zipfile.ZipFile(zlib9, "w") as archive:
        archive.writestr(zipfile.ZipInfo("extensions/telemetry-extension"), binary, zipfile.ZIP_DEFLATED, 9)
    with zipfile.ZipFile(ours) as archive:
        assert archive.testzip() is None
        (info,) = archive.infolist()
        assert (info.filename, info.compress_type, info.file_size) == (
            "extensions/telemetry-extension",
            zipfile.ZIP_DEFLATED,
            len(binary),
        )
        assert archive.read(info) == binary
    assert ours.stat().st_size < zlib9.stat().st_size


def write_workspace(root: Path, memory: int, body: str) -> None:
    (root / "f" / "src").mkdir(parents=True, exist_ok=True)
    (root / "Cargo.lock").write_text("# lock\n")
    (root / "f" / "Cargo.toml").write_text(
        f'[package]\nname = "f"\n\n[package.metadata.lambda.deploy]\nmemory = {memory}\n'
    )
    (root / "f" / "src" / "main.rs").write_text(body)


def test_the_source_hash_ignores_deploy_metadata_but_not_code(tmp_path: Path) -> None:
    write_workspace(tmp_path, 128, "fn main() {}\n")
    base = build.source_hash(tmp_path, "rustc 1.95.0")
    write_workspace(tmp_path, 1024, "fn main() {}\n")
    assert build.source_hash(tmp_path, "rustc 1.95.0") == base
    write_workspace(tmp_path, 1024, "fn main() { println!(); }\n")
    assert build.source_hash(tmp_path, "rustc 1.95.0") != base
    assert build.source_hash(tmp_path, "rustc 1.96.0") != build.source_hash(tmp_path, "rustc 1.95.0")


def test_the_source_hash_follows_the_code_generation_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_workspace(tmp_path, 128, "fn main() {}\n")
    base = build.source_hash(tmp_path, "rustc 1.95.0")
    monkeypatch.setattr(build, "CODEGEN_FLAGS", ("-C", "target-cpu=neoverse-v1"))
    assert build.source_hash(tmp_path, "rustc 1.95.0") != base


def test_the_features_are_part_of_the_source_hash(tmp_path: Path) -> None:
    """Switching the OpenTelemetry exporter rebuilds, and so does switching back: the hash of each
    feature set differs from the others and is the same every time."""
    write_workspace(tmp_path, 128, "fn main() {}\n")
    hashes = {
        features: build.source_hash(tmp_path, "rustc 1.95.0", features)
        for features in [(), ("common/otel",), ("common/otel-lite",)]
    }
    assert len(set(hashes.values())) == 3
    assert hashes[()] == build.source_hash(tmp_path, "rustc 1.95.0")
    assert hashes[("common/otel",)] == build.source_hash(tmp_path, "rustc 1.95.0", ("common/otel",))


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", ()), ("common/otel", ("common/otel",)), (" common/otel-lite ,", ("common/otel-lite",))],
)
def test_features_are_read_from_a_comma_separated_list(value: str, expected: tuple[str, ...]) -> None:
    assert build.parse_features(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "otel",
            "--features 'otel': unknown otel: set one of common/otel, common/otel-lite",
        ),
        (
            "common/otel,common/otel-lite",
            "--features 'common/otel,common/otel-lite': common/otel and common/otel-lite exclude each other: set one",
        ),
    ],
)
def test_unknown_or_conflicting_features_are_refused(value: str, message: str) -> None:
    with pytest.raises(build.BuildError) as error:
        build.parse_features(value)
    assert str(error.value) == message


# A function crate's contract, as in functions/*/Cargo.toml. Its build.rs (contract-env) turns the
# env var names into the crate's `env` module, so they reach the binary; nothing else here does.
CONTRACT = """[package]
name = "f"
version = "0.1.0"

[build-dependencies]
contract-env = { path = "../contract-env" }

[package.metadata.lambda.deploy]
memory = 128
timeout = 10
tracing = "active"
env = { RUST_LOG = "info", TTL_SECONDS = "60" }

[package.metadata.stack]
description = "A function."
trigger = { type = "schedule", expression = "rate(1 hour)" }

[[package.metadata.stack.tables]]
name = "items"
partition_key = "id"
env = "ITEMS_TABLE"
actions = ["dynamodb:GetItem"]

[[package.metadata.stack.tables]]
name = "orders"
partition_key = "id"
env = "ORDERS_TABLE"
actions = ["dynamodb:PutItem"]

[[package.metadata.stack.secrets]]
name = "key"
env = "KEY_SECRET_ARN"
"""


def contract_hash(root: Path, cargo_toml: str) -> str:
    (root / "f" / "src").mkdir(parents=True, exist_ok=True)
    (root / "Cargo.lock").write_text("# lock\n")
    (root / "f" / "src" / "main.rs").write_text("fn main() {}\n")
    (root / "f" / "Cargo.toml").write_text(cargo_toml)
    digest: str = build.source_hash(root, "rustc 1.95.0")
    return digest


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("memory = 128", "memory = 2048"),
        ("timeout = 10", "timeout = 900"),
        ('tracing = "active"', 'tracing = "passthrough"'),
        ('"A function."', '"Another description."'),
        ('{ type = "schedule", expression = "rate(1 hour)" }', '{ type = "sqs", batch_size = 10 }'),
        ('TTL_SECONDS = "60"', 'TTL_SECONDS = "5"'),
        ('name = "items"', 'name = "things"'),
        ('["dynamodb:GetItem"]', '["dynamodb:GetItem", "dynamodb:Query"]'),
    ],
)
def test_a_config_only_change_keeps_the_source_hash(tmp_path: Path, before: str, after: str) -> None:
    assert before in CONTRACT
    assert contract_hash(tmp_path, CONTRACT.replace(before, after)) == contract_hash(tmp_path, CONTRACT)


def test_reordering_declarations_keeps_the_source_hash(tmp_path: Path) -> None:
    """The generated module lists the names sorted, whatever their order in Cargo.toml."""
    items, orders = CONTRACT.split("[[package.metadata.stack.tables]]")[1:3]
    orders = orders.split("[[package.metadata.stack.secrets]]")[0]
    swapped = CONTRACT.replace(items, "\0").replace(orders, items).replace("\0", orders)
    assert swapped != CONTRACT
    reordered_settings = swapped.replace(
        '{ RUST_LOG = "info", TTL_SECONDS = "60" }', '{ TTL_SECONDS = "60", RUST_LOG = "info" }'
    )
    assert contract_hash(tmp_path, reordered_settings) == contract_hash(tmp_path, CONTRACT)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ('env = "ITEMS_TABLE"', 'env = "ITEM_TABLE"'),
        ('env = "KEY_SECRET_ARN"', 'env = "SIGNING_KEY_ARN"'),
        ('TTL_SECONDS = "60"', 'CACHE_TTL_SECONDS = "60"'),
        ('TTL_SECONDS = "60"', 'TTL_SECONDS = "60", EXTRA = "1"'),
        ("[[package.metadata.stack.secrets]]", "[[package.metadata.stack.buckets]]"),
    ],
)
def test_an_env_name_change_changes_the_source_hash(tmp_path: Path, before: str, after: str) -> None:
    """Renaming, adding or moving a declared name changes the generated `env` module: it rebuilds."""
    assert before in CONTRACT
    assert contract_hash(tmp_path, CONTRACT.replace(before, after)) != contract_hash(tmp_path, CONTRACT)


def test_the_hash_covers_the_env_names_of_every_real_function() -> None:
    """What the hash keeps of each function crate's metadata: the names its `env` module holds."""
    manifest = tomllib.loads((REPO_ROOT / "functions" / "s3-processor" / "Cargo.toml").read_text())
    assert build.env_names(manifest["package"]["metadata"]) == {
        "tables": [],
        "buckets": ["INPUT_BUCKET", "OUTPUT_BUCKET"],
        "secrets": ["SIGNING_KEY_SECRET_ARN"],
        "settings": ["MANIFEST_PREFIX", "SECRET_TTL_SECONDS"],
    }


def test_a_glibc_newer_than_2_34_is_refused() -> None:
    build.check_binary("f", AARCH64_HEADER, "Name: GLIBC_2.17  Name: GLIBC_2.34")
    with pytest.raises(build.BuildError, match=r"f: bootstrap needs GLIBC_2\.35, newer than Amazon Linux 2023"):
        build.check_binary("f", AARCH64_HEADER, "Name: GLIBC_2.35")


def test_an_x86_64_binary_is_refused() -> None:
    x86 = b"\x7fELF" + bytes(14) + (62).to_bytes(2, "little")
    with pytest.raises(build.BuildError, match=r"ELF machine 62, expected aarch64"):
        build.check_binary("f", x86, "")


def test_the_mirror_writes_only_changed_files(tmp_path: Path) -> None:
    source, mirror = tmp_path / "src", tmp_path / "mirror"
    write_workspace(source, 128, "fn main() {}\n")
    build.mirror(source, mirror)
    lock = mirror / "Cargo.lock"
    before = lock.stat().st_mtime_ns
    (source / "f" / "src" / "main.rs").write_text("fn main() { }\n")
    (source / "stale.rs").write_text("")
    build.mirror(source, mirror)
    assert lock.stat().st_mtime_ns == before
    assert (mirror / "f" / "src" / "main.rs").read_text() == "fn main() { }\n"
    (source / "stale.rs").unlink()
    build.mirror(source, mirror)
    assert not (mirror / "stale.rs").exists()


def test_built_artifacts_match_the_manifest(arm64_binaries: Path) -> None:
    """After the real build (the fixture runs it): each zip's sha256 and size are the manifest's."""
    manifest = json.loads((REPO_ROOT / "build" / "lambda" / "manifest.json").read_text())
    assert sorted(manifest["functions"]) == sorted(p.name for p in arm64_binaries.iterdir() if p.name != "layers")
    assert sorted(manifest["layers"]) == ["telemetry-extension"]
    for name, artifact in [*manifest["functions"].items(), *manifest["layers"].items()]:
        data = (REPO_ROOT / artifact["zip"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == artifact["sha256"], name
        assert len(data) == artifact["zip_bytes"], name
    layer = manifest["layers"]["telemetry-extension"]
    assert layer["zip"] == "build/lambda/layers/telemetry-extension.zip"
    assert layer["description"] == (
        "CloudWatch metrics (EMF) from the Lambda Telemetry API: init duration, duration, memory, cold starts."
    )
    unpacked = arm64_binaries / "layers" / "telemetry-extension" / "extensions" / "telemetry-extension"
    binary = unpacked.read_bytes()
    assert binary[:4] == b"\x7fELF" and int.from_bytes(binary[18:20], "little") == 183
    assert stat.S_IMODE(unpacked.stat().st_mode) == 0o755


def test_an_extension_is_zipped_under_extensions_executable_and_reproducible(tmp_path: Path) -> None:
    first, second = tmp_path / "a.zip", tmp_path / "layers" / "b.zip"
    build.write_zip(b"extension bytes", first, "extensions/telemetry-extension")
    build.write_zip(b"extension bytes", second, "extensions/telemetry-extension")
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        (info,) = archive.infolist()
        assert (info.filename, info.date_time) == ("extensions/telemetry-extension", (1980, 1, 1, 0, 0, 0))
        assert stat.S_IMODE(info.external_attr >> 16) == 0o755
        assert archive.read(info) == b"extension bytes"
