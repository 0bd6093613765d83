"""The pull-request regression gate (CI's `regression-gate` job): each function against the base
branch, on what a dependency bump or a new feature quietly makes worse.

- The arm64 zip's size, from each branch's build manifest (build/lambda/manifest.json). The builds
  are reproducible, so bytes are exact: a zip more than 5% larger than the base's fails.
- The init time as a ratio to the bare lambda_runtime hello world of the same bench run (P50 of the
  cold starts, from each branch's bench/results.json): the ratio cancels the runner's speed, but
  stays noisy, so a ratio more than 25% above the base's fails only when a second measurement of the
  head agrees. After a first measurement over the limit the gate asks for that second one (exit 3).

    python -m bench.gate --base-manifest B --head-manifest H --base-bench B.json --head-bench H.json \\
        [--head-bench-retry H2.json] [--markdown gate.md]

Exit status: 0 pass, 1 fail, 3 measure the head's init once more and run again with --head-bench-retry.
A function the base does not have, or a base without a manifest or bench results, passes as new.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from bench.stats import stat

ZIP_GROWTH_LIMIT = 0.05
INIT_RATIO_GROWTH_LIMIT = 0.25
HELLO = "hello"
PASS, FAIL, REMEASURE = 0, 1, 3

Verdict = Literal["ok", "new", "not measured", "re-measure", "fail"]


@dataclass(frozen=True)
class Figures:
    """One branch's figures per function: zip bytes, and init P50 over the hello world's."""

    zip_bytes: dict[str, int]
    init_ratio: dict[str, float]


def read_manifest(path: Path) -> dict[str, int]:
    """Each function's zip size from a build manifest; empty when the branch has none."""
    if not path.is_file():
        return {}
    functions: dict[str, Any] = json.loads(path.read_text())["functions"]
    return {name: int(entry["zip_bytes"]) for name, entry in functions.items()}


def read_init_ratios(path: Path) -> dict[str, float]:
    """Each function's init P50 over the hello world's, from a bench results file (the Rust builds);
    empty when the branch has no results or no hello world."""
    if not path.is_file():
        return {}
    results: dict[str, Any] = json.loads(path.read_text()).get("results", {})

    def init_p50(name: str) -> float | None:
        value = stat(results, name, "rust", "cold_start", "init_ms", "p50")
        return float(value) if value else None

    floor = init_p50(HELLO)
    if floor is None:
        return {}
    ratios = {}
    for name in results:
        value = init_p50(name)
        if name != HELLO and value is not None:
            ratios[name] = value / floor
    return ratios


def growth(before: float, after: float) -> float:
    return after / before - 1


def over(before: float, after: float, limit: float) -> bool:
    """Whether `after` grew by more than `limit` (a growth of exactly the limit passes; the
    tolerance absorbs binary floating point: 105 / 100 - 1 is a hair above 0.05)."""
    return growth(before, after) > limit + 1e-9


@dataclass(frozen=True)
class Row:
    function: str
    base_zip: int | None
    head_zip: int | None
    zip_verdict: Verdict
    base_ratio: float | None
    head_ratio: float | None
    retry_ratio: float | None
    init_verdict: Verdict


@dataclass(frozen=True)
class Gate:
    rows: tuple[Row, ...]

    @property
    def status(self) -> int:
        verdicts = {v for r in self.rows for v in (r.zip_verdict, r.init_verdict)}
        return FAIL if "fail" in verdicts else REMEASURE if "re-measure" in verdicts else PASS


def _zip_verdict(base: int | None, head: int | None) -> Verdict:
    if head is None:
        return "not measured"
    if base is None:
        return "new"
    return "fail" if over(base, head, ZIP_GROWTH_LIMIT) else "ok"


def _init_verdict(base: float | None, head: float | None, retry: float | None) -> Verdict:
    if head is None:
        return "not measured"
    if base is None:
        return "new"
    if not over(base, head, INIT_RATIO_GROWTH_LIMIT):
        return "ok"
    if retry is None:
        return "re-measure"
    return "fail" if over(base, retry, INIT_RATIO_GROWTH_LIMIT) else "ok"


def evaluate(base: Figures, head: Figures, retry: Figures | None = None) -> Gate:
    """Every function of the head against the base. `retry`: the head's init measured again, used
    for the functions whose first measurement was over the limit."""
    rows = []
    for name in sorted(head.zip_bytes.keys() | head.init_ratio.keys()):
        base_zip, head_zip = base.zip_bytes.get(name), head.zip_bytes.get(name)
        base_ratio, head_ratio = base.init_ratio.get(name), head.init_ratio.get(name)
        first_over = (
            None not in (base_ratio, head_ratio) and _init_verdict(base_ratio, head_ratio, None) == "re-measure"
        )
        retry_ratio = retry.init_ratio.get(name) if retry is not None and first_over else None
        rows.append(
            Row(
                function=name,
                base_zip=base_zip,
                head_zip=head_zip,
                zip_verdict=_zip_verdict(base_zip, head_zip),
                base_ratio=base_ratio,
                head_ratio=head_ratio,
                retry_ratio=retry_ratio,
                init_verdict=_init_verdict(base_ratio, head_ratio, retry_ratio),
            )
        )
    return Gate(tuple(rows))


# --- the table for the PR comment ----------------------------------------------------------------


def _mb(size: int | None) -> str:
    return "-" if size is None else f"{size / 1_000_000:.2f} MB"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def _change(before: float | None, after: float | None) -> str:
    # + 0.0 turns a rounded -0.0 (a hair below the base) into 0.0.
    return "" if before is None or after is None else f"{round(growth(before, after), 4) + 0.0:+.1%}"


def _verdict(row: Row) -> str:
    problems = []
    if row.zip_verdict == "fail":
        problems.append(f"zip {_change(row.base_zip, row.head_zip)} (limit +{ZIP_GROWTH_LIMIT:.0%})")
    if row.init_verdict == "fail":
        problems.append(
            f"init ratio {_change(row.base_ratio, row.head_ratio)}, then {_change(row.base_ratio, row.retry_ratio)} "
            f"measured again (limit +{INIT_RATIO_GROWTH_LIMIT:.0%})"
        )
    if problems:
        return "**fails: " + "; ".join(problems) + "**"
    if row.init_verdict == "re-measure":
        return "init over the limit once: measuring again"
    if "new" in (row.zip_verdict, row.init_verdict):
        return "new: nothing to compare"
    unmeasured = [what for what, v in (("zip", row.zip_verdict), ("init", row.init_verdict)) if v == "not measured"]
    return "ok" + (f" ({' and '.join(unmeasured)} not measured in the head)" if unmeasured else "")


def markdown(gate: Gate) -> str:
    outcome = {
        PASS: "passes",
        FAIL: "fails",
        REMEASURE: "measures the head's init once more (an init ratio is over the limit once)",
    }
    lines = [
        "### Regression gate",
        "",
        f"The gate {outcome[gate.status]}. Limits against the base branch: arm64 zip +{ZIP_GROWTH_LIMIT:.0%} "
        f"(reproducible bytes), init time over the hello world's +{INIT_RATIO_GROWTH_LIMIT:.0%} (noisy: a second "
        "measurement must agree before it fails).",
        "",
        "| Function | Zip (base → head) | Change | Init / hello world (base → head) | Change | Verdict |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in gate.rows:
        head_ratio = _ratio(r.head_ratio) + (f", again {_ratio(r.retry_ratio)}" if r.retry_ratio is not None else "")
        lines.append(
            f"| `{r.function}` | {_mb(r.base_zip)} → {_mb(r.head_zip)} | {_change(r.base_zip, r.head_zip)} "
            f"| {_ratio(r.base_ratio)} → {head_ratio} | {_change(r.base_ratio, r.head_ratio)} | {_verdict(r)} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description="The regression gate: zip sizes and init ratios against the base")
    parser.add_argument(
        "--base-manifest", type=Path, required=True, help="the base branch's build/lambda/manifest.json"
    )
    parser.add_argument("--head-manifest", type=Path, required=True, help="the head's build/lambda/manifest.json")
    parser.add_argument("--base-bench", type=Path, required=True, help="the base branch's bench results.json")
    parser.add_argument("--head-bench", type=Path, required=True, help="the head's bench results.json")
    parser.add_argument("--head-bench-retry", type=Path, help="the head's bench results.json, measured again")
    parser.add_argument("--markdown", type=Path, help="also write the table here (for the PR comment)")
    args = parser.parse_args()
    base = Figures(read_manifest(args.base_manifest), read_init_ratios(args.base_bench))
    head = Figures(read_manifest(args.head_manifest), read_init_ratios(args.head_bench))
    retry = Figures({}, read_init_ratios(args.head_bench_retry)) if args.head_bench_retry else None
    if not head.zip_bytes:
        print(f"error: {args.head_manifest} lists no zip: run scripts/build-functions first", file=sys.stderr)
        return FAIL
    gate = evaluate(base, head, retry)
    table = markdown(gate)
    print(table)
    if args.markdown:
        args.markdown.write_text(table + "\n")
    return gate.status


if __name__ == "__main__":
    sys.exit(main())
