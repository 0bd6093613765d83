"""The CrossGuard policy pack `rustlambda-guardrails` (assembled in __main__.py)."""
