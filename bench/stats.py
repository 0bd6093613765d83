"""Summaries of measured figures, and reading one figure back from a results tree."""

from __future__ import annotations

import statistics
from typing import Any


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (no interpolation): a value that was measured."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary(values: list[float], *fractions: float) -> dict[str, float]:
    if not values:
        return {}
    out = {f"p{round(f * 100)}": round(percentile(values, f), 3) for f in fractions}
    out["mean"] = round(statistics.fmean(values), 3)
    out["n"] = len(values)
    return out


def stat(result: dict[str, Any], *path: str) -> Any:
    node: Any = result
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node
