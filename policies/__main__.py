"""The policy pack's entry point: the engine runs `python -m pulumi.policy <engine> <this directory>`,
which puts this directory on sys.path, so the pack's package imports by its own name."""

from rustlambda_guardrails.pack import serve

serve()
