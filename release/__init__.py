"""The release step: moves a function's `live` alias to a new version, after a pre-traffic check,
at once or through a CodeDeploy deployment (run by components/release.py at `pulumi up`)."""
