"""Benchmark of the offline preview and the policy pack (figures, not pass/fail: a shared 2-core
machine is too noisy for timed tests).

    .venv/bin/python -m bench.preview [--runs 5] [--resources 1000] [--pack-only]

1. The offline preview of the dev stack after the build (the build is run first, so its skip
   costs only the source hash): wall time per run and the process's peak RSS (ru_maxrss).
2. N resources analyzed through the real pack over gRPC (the dev plan's resources repeated
   under new names), one Analyze each plus one AnalyzeStack, after the pack has started (its
   start, including loading the IAM database, is printed apart): wall time against the target of
   1,000 resources in 2 s, and the pack's peak RSS.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

from offline.analyzer import PolicyPackClient, registrations_to_resources
from offline.engine import REPO_ROOT, run_program
from offline.preview import offline_config


def vm_hwm_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def bench_preview(runs: int) -> None:
    subprocess.run([str(REPO_ROOT / "scripts" / "build-functions")], check=True, stdout=subprocess.DEVNULL)
    walls, peaks = [], []
    for _ in range(runs):
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-m", "offline.preview", "--stack", "dev"],
            cwd=REPO_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _, status, usage = os.wait4(process.pid, 0)
        walls.append(time.monotonic() - started)
        peaks.append(usage.ru_maxrss / 1024)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit("the offline preview failed: run scripts/preview to see why")
    print(
        f"offline preview (dev, after the build), {runs} runs: wall median {statistics.median(walls):.2f} s, "
        f"max {max(walls):.2f} s; peak RSS median {statistics.median(peaks):.0f} MiB (target: under 3 s)"
    )


def bench_pack(count: int) -> None:
    config, _ = offline_config(REPO_ROOT, "dev")
    raw, _ = run_program(REPO_ROOT, "dev", config)
    base = [asdict(r) for r in raw if r.custom]
    resources = []
    for i in range(count):
        r = dict(base[i % len(base)])
        r["name"] = f"{r['name']}-{i}"
        r["urn"] = f"{r['urn']}-{i}"
        resources.append(r)
    launched = time.monotonic()
    with PolicyPackClient(REPO_ROOT / "policies") as pack:
        pack.configure({})
        start_up = time.monotonic() - launched
        started = time.monotonic()
        violations = 0
        for r in resources:
            violations += len(pack.analyze(r["type"], r["name"], r["urn"], r["inputs"]))
        per_resource = time.monotonic() - started
        violations += len(pack.analyze_stack(registrations_to_resources(resources)))
        total = time.monotonic() - started
        peak = vm_hwm_kib(pack.pid) / 1024
    target = 2.0 * count / 1000
    verdict = "met" if total <= target else "MISSED"
    print(
        f"policy pack ({len(pack.info().policies)} policies), {count} resources: {count} Analyze calls "
        f"{per_resource:.2f} s + one AnalyzeStack = {total:.2f} s wall ({count / total:.0f} resources/s; target "
        f"{target:.1f} s: {verdict}); pack start {start_up:.2f} s; pack peak RSS {peak:.0f} MiB; "
        f"{violations} violations"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--resources", type=int, default=1000)
    parser.add_argument("--pack-only", action="store_true", help="only the policy pack's figures")
    args = parser.parse_args()
    if not args.pack_only:
        bench_preview(args.runs)
    bench_pack(args.resources)
    return 0


if __name__ == "__main__":
    sys.exit(main())
