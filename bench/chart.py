"""The chart of the report: cold start and peak memory, Rust vs Python."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.stats import stat


def chart(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [n for n in report["results"] if "python" in report["results"][n]]
    results = report["results"]

    def values(runtime: str, getter: Callable[[dict[str, Any]], Any]) -> list[float]:
        return [float(getter(results[n].get(runtime, {})) or 0) for n in names]

    figure, (cold_axis, memory_axis) = plt.subplots(1, 2, figsize=(12, 4.5))
    positions = list(range(len(names)))
    width = 0.38
    for axis, getter, title, unit in (
        (
            cold_axis,
            lambda r: stat(r, "cold_start", "total_ms", "p50"),
            "Cold start P50 (init + first invocation)",
            "ms",
        ),
        (memory_axis, lambda r: (r.get("peak_rss_kib") or 0) / 1024, "Peak RSS (VmHWM)", "MiB"),
    ):
        rust, python = values("rust", getter), values("python", getter)
        axis.bar([p - width / 2 for p in positions], rust, width, label="Rust", color="#b7410e")
        axis.bar([p + width / 2 for p in positions], python, width, label="Python", color="#3776ab")
        for p, value in zip(positions, rust, strict=True):
            axis.annotate(f"{value:.1f}", (p - width / 2, value), ha="center", va="bottom", fontsize=7)
        for p, value in zip(positions, python, strict=True):
            axis.annotate(f"{value:.0f}", (p + width / 2, value), ha="center", va="bottom", fontsize=7)
        axis.set_title(title)
        axis.set_ylabel(unit)
        axis.set_xticks(positions)
        axis.set_xticklabels(names, rotation=20, ha="right")
        axis.legend()
    figure.suptitle(
        f"Rust vs Python under aws-lambda-rie ({report['date'][:10]}, {report['machine']['cpu']})", fontsize=9
    )
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
