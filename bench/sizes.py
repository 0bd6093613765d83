"""Sizes: each arm64 zip and its unzipped bootstrap; the x86_64 release binary's .text by crate
(`nm --size-sort`), of which the AWS SDK's and TLS's shares; the Python baseline's source."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from bench.binaries import NATIVE_RELEASE
from harness import functions

# Crates of the AWS SDK for Rust (generated clients, smithy runtime, config and signing).
AWS_SDK_CRATE = re.compile(
    r"^(aws_sdk_\w+|aws_smithy_\w+|aws_config|aws_runtime|aws_types|aws_credential_types|aws_sigv4)$"
)
# What the SDK's HTTPS client brings besides the SDK: TLS (rustls with ring) and HTTP/2 (lambda_runtime
# itself uses hyper's HTTP/1 client, so hyper is in the hello world too).
TLS_CRATE = re.compile(r"^(rustls\w*|ring|webpki\w*|hyper_rustls|tokio_rustls|h2|\[C\])$")
# The first segment of each path in a symbol (an identifier followed by "::", not preceded by one).
RUST_PATH = re.compile(r"(?<![A-Za-z0-9_:])([A-Za-z_][A-Za-z0-9_]*)::")
STD_CRATES = frozenset({"core", "alloc", "std"})


def crate_of(symbol: str) -> str:
    """The crate a demangled Rust symbol is attributed to: the first crate named in it that is not
    the standard library (so `core::ptr::drop_in_place<aws_smithy_runtime::..>` counts for
    aws_smithy_runtime), else the standard library crate, else "[C]" (ring's C and assembly, libc)."""
    crates: list[str] = RUST_PATH.findall(symbol)
    if not crates:
        return "[C]"
    return next((crate for crate in crates if crate not in STD_CRATES), crates[0])


# nm's symbol types, by what they hold: code (.text) and read-only data (.rodata: tables, strings).
SYMBOL_KINDS = {"t": "text", "T": "text", "r": "rodata", "R": "rodata"}


def symbols_by_crate(binary: Path) -> dict[str, dict[str, int]]:
    """Bytes of code ("text") and of read-only data ("rodata") per crate, from one
    `nm --size-sort` over an unstripped binary."""
    output = subprocess.run(
        ["nm", "--size-sort", "--radix=d", "-C", str(binary)], capture_output=True, text=True, check=True
    ).stdout
    by_kind: dict[str, dict[str, int]] = {"text": {}, "rodata": {}}
    for line in output.splitlines():
        # With --size-sort, nm prints each symbol's size in place of its address: "size type name".
        parts = line.split(" ", 2)
        if len(parts) < 3 or parts[1] not in SYMBOL_KINDS:
            continue
        by_crate = by_kind[SYMBOL_KINDS[parts[1]]]
        crate = crate_of(parts[2])
        by_crate[crate] = by_crate.get(crate, 0) + int(parts[0])
    return by_kind


def section_sizes(binary: Path) -> dict[str, int]:
    """Every section's size, from one `size -A`."""
    output = subprocess.run(["size", "-A", str(binary)], capture_output=True, text=True, check=True).stdout
    return {
        parts[0]: int(parts[1])
        for parts in map(str.split, output.splitlines())
        if len(parts) >= 2 and parts[1].isdigit()
    }


def sizes(names: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in [*names, "hello"]:
        entry: dict[str, Any] = {}
        zip_path = functions.REPO_ROOT / "build" / "lambda" / f"{name}.zip"
        if zip_path.exists():
            with zipfile.ZipFile(zip_path) as archive:
                entry["arm64_zip_bytes"] = zip_path.stat().st_size
                entry["arm64_bootstrap_bytes"] = archive.getinfo("bootstrap").file_size
        binary = NATIVE_RELEASE / name
        if binary.exists() and shutil.which("nm"):
            symbols, sections = symbols_by_crate(binary), section_sizes(binary)
            crates = symbols["text"]
            total = sum(crates.values())
            aws = sum(size for crate, size in crates.items() if AWS_SDK_CRATE.match(crate))
            top = sorted(crates.items(), key=lambda item: -item[1])[:8]
            entry["x86_64_text_bytes"] = sections.get(".text", 0)
            with tempfile.TemporaryDirectory() as tmp:
                stripped = Path(tmp) / "bootstrap"
                subprocess.run(["strip", "-o", str(stripped), str(binary)], check=True)
                entry["x86_64_stripped_bytes"] = stripped.stat().st_size
            entry["x86_64_symbol_text_bytes"] = total
            entry["aws_sdk_text_bytes"] = aws
            entry["aws_sdk_text_share"] = round(aws / total, 3) if total else None
            tls = sum(size for crate, size in crates.items() if TLS_CRATE.match(crate))
            entry["tls_text_share"] = round(tls / total, 3) if total else None
            own = sum(size for crate, size in crates.items() if crate in (name.replace("-", "_"), "common"))
            entry["own_code_text_share"] = round(own / total, 3) if total else None
            entry["top_crates_text_bytes"] = dict(top)
            rodata = symbols["rodata"]
            entry["x86_64_rodata_bytes"] = sections.get(".rodata", 0)
            entry["top_crates_rodata_bytes"] = dict(sorted(rodata.items(), key=lambda item: -item[1])[:4])
        baseline = functions.BASELINES / name
        if baseline.is_dir():
            entry["python_source_bytes"] = sum(p.stat().st_size for p in baseline.iterdir() if p.is_file())
        out[name] = entry
    return out
