"""The bootstrap Pulumi project: the CI deploy roles (see __main__.py)."""
