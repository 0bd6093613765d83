"""The targets each function is held to, met or not, from the measured figures."""

from __future__ import annotations

from typing import Any

from bench.stats import stat

# A function's init P50 at most this many times the bare hello world's (same run).
INIT_RATIO_TARGET = 1.2
# Every arm64 zip at most this many bytes (2.0 MB).
ZIP_TARGET_BYTES = 2_000_000


def row(function: str, target: str, value: str, met: bool) -> dict[str, Any]:
    return {"function": function, "target": target, "value": value, "met": met}


def signed(value: float | None) -> str:
    """A difference in ms with its sign, "n/a" when it was not measured."""
    return "n/a" if value is None else f"{value:+} ms"


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def targets(results: dict[str, Any], size_info: dict[str, Any], names: list[str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    hello_init = stat(results, "hello", "rust", "cold_start", "init_ms", "p50")
    # The tail against the floor: the hello world's P99/P50 in the same run is what the emulator and
    # the machine add to any handler.
    hello_tail = stat(results, "hello", "rust", "warm_no_aws", "duration_ms", "p99_over_p50")
    for name in names:
        rust, python = results[name].get("rust", {}), results[name].get("python", {})
        rust_cold, python_cold = (
            stat(rust, "cold_start", "total_ms", "p50"),
            stat(python, "cold_start", "total_ms", "p50"),
        )
        cold_ratio = ratio(rust_cold, python_cold)
        init = stat(rust, "cold_start", "init_ms", "p50")
        init_ratio = ratio(init, hello_init)
        rss, python_rss = rust.get("peak_rss_kib"), python.get("peak_rss_kib")
        rss_ratio = ratio(rss, python_rss)
        warm = stat(rust, "warm_no_aws", "duration_ms") or {}
        tail = warm.get("p99_over_p50")
        tail_ratio = ratio(tail, hello_tail)
        zip_bytes = stat(size_info, name, "arm64_zip_bytes")
        rows += [
            row(
                name,
                "cold start P50 (init + first) <= 1/10 of Python's",
                f"{rust_cold} ms vs {python_cold} ms: ratio {cold_ratio}",
                cold_ratio is not None and cold_ratio <= 0.1,
            ),
            row(
                name,
                f"init P50 <= {INIT_RATIO_TARGET}x hello-world's",
                f"{init} ms vs {hello_init} ms: {init_ratio}x",
                init_ratio is not None and init_ratio <= INIT_RATIO_TARGET,
            ),
            row(
                name,
                "peak RSS < 16 MiB and <= 1/4 of Python's",
                f"{rss} KiB vs {python_rss} KiB: ratio {rss_ratio}",
                rss is not None and rss < 16 * 1024 and rss_ratio is not None and rss_ratio <= 0.25,
            ),
            row(
                name,
                "warm P99/P50 <= 1.2x hello-world's (no-AWS path, REPORT Duration)",
                f"P50 {warm.get('p50')} ms, P99 {warm.get('p99')} ms: {tail}x vs {hello_tail}x: {tail_ratio}x",
                tail_ratio is not None and tail_ratio <= 1.2,
            ),
            row(
                name,
                f"arm64 zip <= {ZIP_TARGET_BYTES / 1e6:.1f} MB",
                f"{(zip_bytes or 0) / 1e6:.2f} MB ({zip_bytes} bytes)",
                zip_bytes is not None and zip_bytes <= ZIP_TARGET_BYTES,
            ),
        ]
        first_call = rust.get("first_call")
        if first_call:
            first, warm_call = first_call["first_ms"].get("p50"), first_call["warm_ms"].get("p50")
            over = first_call["over_warm_p50_ms"]
            rows.append(
                row(
                    name,
                    f"first AWS call after a cold start <= {first_call['target_ms']:g} ms over a warm one (P50s)",
                    f"{first} ms vs {warm_call} ms: +{over} ms",
                    over is not None and over <= first_call["target_ms"],
                )
            )
    return rows


def builds_targets(builds: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not builds:
        return []
    clean, no_op = builds["clean_builds"], builds["no_op_rebuild"]
    return [
        row(
            "all",
            "one cargo invocation per build of all functions",
            ", ".join(str(run["cargo_invocations"]) for run in clean) + " (two clean builds)",
            all(run["cargo_invocations"] == 1 for run in clean),
        ),
        row(
            "all",
            "no-op rebuild when nothing changed",
            f"{no_op['seconds']} s, {no_op['cargo_invocations']} cargo invocations",
            no_op["skipped_as_unchanged"] and no_op["cargo_invocations"] == 0,
        ),
        row(
            "all",
            "identical zips across two clean builds at different paths",
            "byte-identical" if builds["identical_zips"] else "different",
            builds["identical_zips"],
        ),
    ]


def extension_targets(extension: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The telemetry extension's overhead at init and per invocation, and whether it kept every
    event (bench/extension.py), when they were measured."""
    if not extension:
        return []
    who = f"{extension['extension']} on {extension['function']}"
    without, with_ = extension["init_without_ms"].get("p50"), extension["init_with_ms"].get("p50")
    overhead = extension["overhead_p50_ms"]
    rows = [
        row(
            who,
            f"adds <= {extension['target_ms']:g} ms to init (P50 with minus P50 without, same run)",
            f"{with_} ms with vs {without} ms without: +{overhead} ms "
            f"(an extension that only registers: +{extension.get('baseline_overhead_p50_ms')} ms)",
            overhead is not None and overhead <= extension["target_ms"],
        )
    ]
    if "invocation_with_ms" in extension:
        per_call = extension["invocation_overhead_p50_ms"]
        rows += [
            row(
                who,
                f"adds <= {extension['invocation_target_ms']:g} ms to each invocation (P50 with minus P50 without)",
                f"{extension['invocation_with_ms'].get('p50')} ms with vs "
                f"{extension['invocation_without_ms'].get('p50')} ms without: {signed(per_call)} (an extension "
                f"registered for INVOKE: {signed(extension.get('invocation_baseline_overhead_p50_ms'))})",
                per_call is not None and per_call <= extension["invocation_target_ms"],
            ),
            row(
                who,
                "registered for SHUTDOWN only, writes a Duration for every report delivered",
                f"{extension['durations_written']} written of {extension['reports_delivered']} delivered",
                extension["durations_written"] == extension["reports_delivered"],
            ),
        ]
    return rows
