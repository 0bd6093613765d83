"""ci_access, a Pulumi project of its own: what the CI may do in the account (see __main__.py)."""
