"""The CrossGuard policy pack `rustlambda-guardrails`: one module per capability, assembled in pack.py."""
