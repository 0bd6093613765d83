"""Which published versions of a function the release step keeps, and deleting the others.

Kept: the version the alias serves, every version an alias points to or routes to, versions newer
than the live one (the one being released, or one CodeDeploy rejected, which stays so it can be
retried), and the `retain` newest versions older than the live one (for a quick manual rollback).
Deleted: every other numbered version (DeleteFunction with the version as qualifier). On Managed
Instances this keeps each function at a bounded number of versions on the capacity provider, which
holds at most 100 function versions, a quota AWS does not raise; on standard Lambda it bounds the
code storage the account's 75 GB quota counts.
"""

from __future__ import annotations

from typing import Any


def published_versions(lambda_client: Any, function: str) -> list[int]:
    """The function's numbered versions (not $LATEST or $LATEST.PUBLISHED), ascending."""
    versions: list[int] = []
    for page in lambda_client.get_paginator("list_versions_by_function").paginate(FunctionName=function):
        versions += [int(v["Version"]) for v in page.get("Versions") or [] if str(v["Version"]).isdigit()]
    return sorted(versions)


def aliased_versions(lambda_client: Any, function: str) -> set[int]:
    """Every version an alias of the function points to or routes traffic to."""
    held: set[int] = set()
    for page in lambda_client.get_paginator("list_aliases").paginate(FunctionName=function):
        for alias in page.get("Aliases") or []:
            weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
            held |= {int(v) for v in [alias["FunctionVersion"], *weights] if str(v).isdigit()}
    return held


def to_delete(versions: list[int], live: int, held: set[int], retain: int) -> list[int]:
    """The versions to delete (see the module docstring), oldest first. Pure."""
    older = [v for v in versions if v < live and v not in held]
    kept_older = set(sorted(older)[-retain:]) if retain > 0 else set()
    return [v for v in older if v not in kept_older]


def prune(lambda_client: Any, function: str, live: str, retain: int) -> list[int]:
    """Deletes what `to_delete` names; returns the deleted versions."""
    if not live.isdigit():
        return []
    doomed = to_delete(
        published_versions(lambda_client, function), int(live), aliased_versions(lambda_client, function), retain
    )
    for version in doomed:
        lambda_client.delete_function(FunctionName=function, Qualifier=str(version))
    return doomed
