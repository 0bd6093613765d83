"""What CodeDeploy remembers of a deployment group: the active deployment, and the versions it
rolled back. The release step reads them before it starts, so that it never queues behind (or
collides with) a running deployment, and never re-canaries a version CodeDeploy already rejected.

CodeDeploy's own records are the memory: a rolled-back deployment keeps its AppSpec (the target
version), its time and its error, whatever happens to Pulumi's state after the failed `up`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# CodeDeploy allows one active deployment per deployment group: these statuses are active.
ACTIVE_STATUSES = ["Created", "Queued", "InProgress", "Baking", "Ready"]
REJECTING_STATUSES = ["Stopped", "Failed"]
# How many rolled-back deployments to look through, newest first: enough for any retention.
MAX_REJECTIONS_READ = 50


@dataclass(frozen=True)
class Deployment:
    deployment_id: str
    status: str
    target_version: str
    created: datetime | None
    reason: str


def reason_of(info: dict[str, Any]) -> str:
    """CodeDeploy's own account of a failed or stopped deployment."""
    parts = []
    error = info.get("errorInformation") or {}
    if error.get("code") or error.get("message"):
        parts.append(f"{error.get('code', 'error')}: {error.get('message', '')}".strip())
    rollback = info.get("rollbackInfo") or {}
    if rollback.get("rollbackMessage"):
        parts.append(f"rollback: {rollback['rollbackMessage']}")
    return "; ".join(parts) or "CodeDeploy gave no reason"


def target_version(info: dict[str, Any]) -> str:
    """The TargetVersion of a Lambda deployment's AppSpec (its revision's content), or ''."""
    content = ((info.get("revision") or {}).get("appSpecContent") or {}).get("content")
    if not content:
        return ""
    try:
        resources = json.loads(content).get("Resources") or []
        return str(next(iter(resources[0].values()))["Properties"]["TargetVersion"])
    except (ValueError, KeyError, IndexError, StopIteration, AttributeError):
        return ""


def describe(codedeploy: Any, deployment_id: str) -> Deployment:
    info = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
    return Deployment(
        deployment_id=deployment_id,
        status=str(info.get("status")),
        target_version=target_version(info),
        created=info.get("createTime"),
        reason=reason_of(info),
    )


def _ids(codedeploy: Any, application: str, group: str, statuses: list[str]) -> list[str]:
    found = codedeploy.list_deployments(
        applicationName=application, deploymentGroupName=group, includeOnlyStatuses=statuses
    )
    return [str(i) for i in found.get("deployments") or []]


def active_deployment(codedeploy: Any, application: str, group: str) -> Deployment | None:
    ids = _ids(codedeploy, application, group, ACTIVE_STATUSES)
    return describe(codedeploy, ids[0]) if ids else None


def rejection(codedeploy: Any, application: str, group: str, version: str) -> Deployment | None:
    """The newest deployment of `version` that CodeDeploy stopped or failed, if any (a rollback
    deployment itself targets the old version and is not a rejection of the new one)."""
    found = [
        deployment
        for deployment_id in _ids(codedeploy, application, group, REJECTING_STATUSES)[:MAX_REJECTIONS_READ]
        if (deployment := describe(codedeploy, deployment_id)).target_version == version
    ]
    return max(found, key=lambda d: d.created or datetime.min, default=None)
