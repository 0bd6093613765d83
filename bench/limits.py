"""Bounds of the benchmarks' request loops: each stops at its count or at its budget, whichever
comes first, and no request waits longer than its timeout."""

LOOP_BUDGET_S = 300.0
INVOKE_TIMEOUT_S = 30.0
