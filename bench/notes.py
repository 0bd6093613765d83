"""What the figures mean, as notes under the report, with the figures computed from the run."""

from __future__ import annotations

from typing import Any

from bench.stats import stat


def rust_figures(results: dict[str, Any], names: list[str], *path: str) -> tuple[Any, list[float]]:
    """The hello world's Rust figure at `path`, and the functions' where they were measured."""
    figures = [stat(results, n, "rust", *path) for n in names]
    return stat(results, "hello", "rust", *path), [f for f in figures if f is not None]


def notes(results: dict[str, Any], size_info: dict[str, Any], names: list[str]) -> list[str]:
    """What the figures mean, with the figures computed from this run. The reasons quoted for the
    init figures were measured separately, with perf over repeated starts of the release binaries."""
    out = [
        "Rust runs here as native x86_64 release builds; the deployed artifacts are the arm64 builds, "
        "whose sizes are reported but which were not timed (under qemu the emulator would be timed, not "
        "the code). On Lambda, add the sandbox's own start-up, which is the same for both runtimes.",
        "The function under test (the emulator and its bootstrap) runs pinned to one CPU, the harness "
        "(this process, its timing Runtime API, moto) to the other, for both runtimes alike.",
        "The Python baselines write records one after another and serve one invocation at a time per "
        "process; the Rust sqs-processor writes up to 32 records at once and lmi-worker serves many "
        "invocations per process (the e2e concurrency tests run on the Rust builds only).",
        "The AWS path's latency is mostly moto's (a Python server on the same 2 CPUs): it compares the "
        "clients' overhead only roughly, not DynamoDB's or S3's latency.",
    ]
    zips = [size_info[n]["arm64_zip_bytes"] for n in names if "arm64_zip_bytes" in size_info.get(n, {})]
    shares = [size_info[n].get("aws_sdk_text_share") for n in names if size_info.get(n, {}).get("aws_sdk_text_share")]
    tls = [size_info[n].get("tls_text_share") for n in names if size_info.get(n, {}).get("tls_text_share")]
    own = [size_info[n].get("own_code_text_share") or 0.0 for n in names]
    hello = size_info.get("hello", {}).get("x86_64_stripped_bytes")
    stripped = [size_info[n].get("x86_64_stripped_bytes") or 0 for n in names]
    crc_fast = max(size_info[n].get("top_crates_rodata_bytes", {}).get("crc_fast", 0) for n in names) if names else 0
    if zips and shares and hello:
        out.append(
            f"Size: the arm64 zips are {min(zips) / 1e6:.2f}-{max(zips) / 1e6:.2f} MB: fat LTO, one codegen "
            'unit, stripped symbols, the function crates at opt-level "s" and the dependencies and common at '
            "\"z\", no aws-config (common::aws builds the SDK config from Lambda's env), zopfli's deflate "
            "(docs/performance.md has each idea's figures). A bare lambda_runtime hello world is "
            f"{hello / 1e6:.1f} MB (x86_64, stripped), the functions {min(stripped) / 1e6:.1f}-"
            f"{max(stripped) / 1e6:.1f} MB: by symbol, the AWS SDK crates are {min(shares) * 100:.0f}-"
            f"{max(shares) * 100:.0f}% of each function's .text and TLS (rustls, ring, webpki) another "
            f"{min(tls) * 100:.0f}-{max(tls) * 100:.0f}%; the handlers and common together "
            f"{max(own) * 100:.0f}% at most. HTTP/2 (h2 and hyper's HTTP/2 side) is linked only with common's "
            "`http2` feature, which no function needs. The arm64 build targets Graviton2 (`-C "
            "target-cpu=neoverse-n1`, the oldest CPU Lambda runs arm64 functions on): with AES and PMULL known "
            "at compile time, crc-fast (the S3 SDK's checksums) leaves out its software fallback and its lookup "
            f"tables for every CRC variant it knows ({crc_fast / 1e3:.0f} KB of read-only data, still in the "
            "x86_64 builds, which target any x86_64 CPU)."
        )
    hello_init, inits = rust_figures(results, names, "cold_start", "init_ms", "p50")
    larger = max(stripped) / hello if hello and stripped else 0.0
    if hello_init and inits:
        out.append(
            f"Init: the functions take {min(inits):.1f}-{max(inits):.1f} ms (P50), {min(inits) / hello_init:.2f}-"
            f"{max(inits) / hello_init:.2f}x the hello world's {hello_init:.1f} ms, with no network calls. Most "
            "of any Rust binary's init is the kernel's and the dynamic loader's (exec, page faults, relocations: "
            "about three quarters of the samples of perf over 40 starts of s3-processor), so a smaller binary "
            "starts faster. What a function adds: its settings, the SDK config from Lambda's env (no "
            "aws-config loader, no credential chain), the HTTP client's TLS config (Mozilla's roots compiled "
            "in as trust anchors by build.rs: no certificate parsed at init) and page faults of a binary "
            f"{larger:.0f}x larger. The SDK clients are built at their first use (common::aws::LazyClient), "
            "not at init: with their endpoint partitions parse, a fifth of s3-processor's init CPU; the first "
            "AWS call pays it once (see the first-call table)."
        )
    hello_ratio, ratios = rust_figures(results, names, "warm_no_aws", "duration_ms", "p99_over_p50")
    if hello_ratio and ratios:
        out.append(
            f"Warm P99/P50 without AWS calls is {min(ratios):.1f}-{max(ratios):.1f}x for the functions and "
            f"{hello_ratio:.1f}x for the hello world, whose handler does nothing: with P50s of about 0.2 ms, "
            "the tail is the emulator's and this shared 2-CPU machine's scheduling (ten hiccups in 1,000 "
            "calls make the P99), not the handlers'."
        )
    pairs = [
        (stat(results, n, "rust", path, "duration_ms", "p50"), stat(results, n, "python", path, "duration_ms", "p50"))
        for n in names
        for path in ("warm_no_aws", "warm_aws")
    ]
    if pairs and all(r is not None and p for r, p in pairs):
        no_aws, aws = pairs[0::2], pairs[1::2]
        gap = max(abs(r - p) for r, p in no_aws)
        ratios = [r / p for r, p in aws]
        out.append(
            f"Warm, without AWS calls, both runtimes take under {max(max(pair) for pair in no_aws):.1f} ms (P50) "
            f"and differ by {gap:.2f} ms at most: what is timed there is mostly the emulator and the two "
            "loopback HTTP requests of the Runtime API, not the handlers. With AWS calls (against the same "
            f"moto), Rust's P50 is {min(ratios):.2f}-{max(ratios):.2f}x Python's."
        )
    return out
