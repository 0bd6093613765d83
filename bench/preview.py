"""Benchmark of the offline preview and the policy pack (figures, not pass/fail: a shared 2-core
machine is too noisy for timed tests).

    .venv/bin/python -m bench.preview [--runs 5] [--resources 1000] [--pack-only]

1. The offline preview of the dev stack after the build (the build is run first, so its skip
   costs only the source hash): wall time per run and the process's peak RSS (ru_maxrss).
2. N resources analyzed through the real pack over gRPC (the dev plan's resources repeated
   under new names), one Analyze each plus one AnalyzeStack, after the pack has started (its
   start, including loading the IAM database, is printed apart), in --runs rounds: the median wall
   time against the target of 1,000 resources in 2 s, the best round, the pack process's own CPU
   time (the rest is gRPC and this client, which share the machine's cores), and its peak RSS.
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

from bench.memory import vm_hwm_kib
from offline.analyzer import PolicyPackClient, registrations_to_resources
from offline.engine import REPO_ROOT, run_program, stack_config


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


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (from /proc/<pid>/stat, in clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_pack(count: int, rounds: int) -> None:
    config = stack_config(REPO_ROOT, "dev")
    raw, _ = run_program(REPO_ROOT, "dev", config)
    base = [asdict(r) for r in raw if r.custom]
    launched = time.monotonic()
    with PolicyPackClient(REPO_ROOT / "policies") as pack:
        pack.configure({})
        start_up = time.monotonic() - launched
        walls, analyze_walls, cpus, violations = [], [], [], 0
        for round_ in range(rounds):
            resources = []
            for i in range(count):
                r = dict(base[i % len(base)])
                r["name"] = f"{r['name']}-{round_}-{i}"
                r["urn"] = f"{r['urn']}-{round_}-{i}"
                resources.append(r)
            cpu_before = cpu_seconds(pack.pid)
            started = time.monotonic()
            violations = 0
            for r in resources:
                violations += len(pack.analyze(r["type"], r["name"], r["urn"], r["inputs"]))
            analyze_walls.append(time.monotonic() - started)
            violations += len(pack.analyze_stack(registrations_to_resources(resources)))
            walls.append(time.monotonic() - started)
            cpus.append(cpu_seconds(pack.pid) - cpu_before)
        peak = vm_hwm_kib(pack.pid) / 1024
        policies = len(pack.info().policies)
    wall, target = statistics.median(walls), 2.0 * count / 1000
    verdict = "met" if wall <= target else "MISSED"
    print(
        f"policy pack ({policies} policies), {count} resources (the dev plan's, repeated), {rounds} rounds: "
        f"{count} Analyze calls + one AnalyzeStack = median {wall:.2f} s wall (best {min(walls):.2f} s; Analyze "
        f"median {statistics.median(analyze_walls):.2f} s), {count / wall:.0f} resources/s; target {target:.1f} s: "
        f"{verdict}; the pack's own CPU median {statistics.median(cpus):.2f} s (the rest is gRPC and this client); "
        f"pack start {start_up:.2f} s (imports, IAM database); pack peak RSS {peak:.0f} MiB; {violations} violations"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--resources", type=int, default=1000)
    parser.add_argument("--pack-only", action="store_true", help="only the policy pack's figures")
    args = parser.parse_args()
    if not args.pack_only:
        bench_preview(args.runs)
    bench_pack(args.resources, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
