"""Pulumi ComponentResources for Rust functions on AWS Lambda, one capability per module."""
