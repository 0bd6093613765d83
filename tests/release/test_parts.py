"""The release step's pure parts: which versions go, what CodeDeploy's records say, what the probe
accepts, how the step reads its settings. (The step against AWS's rules: test_step.py.)"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import ClassVar

import pytest

from release import history, pretraffic, retention
from release.alias_state import AliasState
from release.capacity import Capacity
from release.step import ReleaseFailed, Request, appspec, iam_requests


def test_retention_keeps_the_live_the_newer_the_aliased_and_the_newest_older_versions() -> None:
    versions = list(range(1, 13))
    # live 10, 11 and 12 newer (one being released, one rejected), 3 held by another alias.
    assert retention.to_delete(versions, live=10, held={3, 10}, retain=2) == [1, 2, 4, 5, 6, 7]
    assert retention.to_delete(versions, live=10, held={10}, retain=0) == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert retention.to_delete([1], live=1, held={1}, retain=2) == []


def test_a_deployments_target_version_comes_from_its_appspec() -> None:
    request = Request("sqs-processor", "rl-prod-sqs", "live", "8", "canary")
    info = {"revision": {"revisionType": "AppSpecContent", "appSpecContent": {"content": appspec(request, "7")}}}
    assert history.target_version(info) == "8"
    assert history.target_version({"revision": {"revisionType": "S3"}}) == ""
    assert history.target_version({"revision": {"appSpecContent": {"content": "not json"}}}) == ""


def test_codedeploys_reason_joins_its_error_and_its_rollback() -> None:
    info = {
        "errorInformation": {"code": "ALARM_ACTIVE", "message": "alarms fired: <a>"},
        "rollbackInfo": {"rollbackMessage": "rolled back by d-2"},
    }
    assert history.reason_of(info) == "ALARM_ACTIVE: alarms fired: <a>; rollback: rolled back by d-2"
    assert history.reason_of({}) == "CodeDeploy gave no reason"


def probe(response: object, error: str | None = None, version: str = "8") -> pretraffic.Probe:
    return pretraffic.Probe("rl-prod-sqs", "8", "n-1", error, version, json.dumps(response))


def test_the_probe_passes_only_on_its_own_answer_from_the_version_asked_for() -> None:
    pretraffic.check(probe({"probe": "n-1", "function": "rl-prod-sqs", "version": "8"}))
    cases = [
        (
            probe({"errorType": "Runtime.ExitError", "errorMessage": "exit status 1"}, "Unhandled"),
            "version 8 of rl-prod-sqs did not start or answer: Runtime.ExitError: exit status 1",
        ),
        (
            probe({"errorType": "InvalidEvent", "errorMessage": "missing field `Records`"}, "Unhandled"),
            "version 8 of rl-prod-sqs did not start or answer: InvalidEvent: missing field `Records`",
        ),
        (
            probe({"batchItemFailures": []}),
            "version 8 of rl-prod-sqs answered the probe with '{\"batchItemFailures\": []}': rebuild it with the "
            "workspace's `common` (common::invocation answers the probe)",
        ),
        (
            probe({"probe": "n-1", "function": "rl-prod-sqs", "version": "7"}),
            "version 8 of rl-prod-sqs was asked for, but version 7 answered",
        ),
    ]
    for given, message in cases:
        with pytest.raises(pretraffic.PreTrafficFailure) as failure:
            pretraffic.check(given)
        assert str(failure.value) == message


ENV = {
    "RELEASE_CRATE": "lmi-worker",
    "RELEASE_FUNCTION": "rl-prod-lmi-worker",
    "RELEASE_ALIAS": "live",
    "RELEASE_VERSION": "4",
    "RELEASE_STYLE": "canary",
    "RELEASE_REGION": "eu-west-1",
    "RELEASE_RETAIN_VERSIONS": "1",
    "RELEASE_ALARMS": json.dumps(["rl-prod-lmi-worker-errors"]),
    "RELEASE_PLACEMENT": "managed-instances",
    "RELEASE_MIN_ENVIRONMENTS": "3",
    "RELEASE_MAX_ENVIRONMENTS": "8",
    "RELEASE_CODEDEPLOY_APPLICATION": "rl-prod",
    "RELEASE_CODEDEPLOY_GROUP": "rl-prod-lmi-worker",
    "RELEASE_DEPLOYMENT_CONFIG": "CodeDeployDefault.LambdaCanary10Percent5Minutes",
    "RELEASE_STEP_MINUTES": "5",
}


def test_the_step_reads_its_settings_from_the_environment_components_release_gives_it() -> None:
    request = Request.from_env(ENV)
    assert request.capacity == Capacity("managed-instances", None, 3, 8)
    assert (request.retain_versions, request.alarms, request.retry_version) == (
        1,
        ("rl-prod-lmi-worker-errors",),
        None,
    )
    assert request.timeout_seconds == 5 * 60 + 600
    with pytest.raises(ReleaseFailed, match="the release step needs RELEASE_CODEDEPLOY_GROUP"):
        Request.from_env({k: v for k, v in ENV.items() if k != "RELEASE_CODEDEPLOY_GROUP"})


def test_the_calls_the_step_makes_are_scoped_to_its_function_group_and_alarms() -> None:
    calls = dict(iam_requests(ENV, "123456789012"))
    function = "arn:aws:lambda:eu-west-1:123456789012:function:rl-prod-lmi-worker"
    assert calls["lambda:PutFunctionScalingConfig"] == [f"{function}:*"]
    assert calls["lambda:InvokeFunction"] == [f"{function}:4"]
    assert calls["cloudwatch:DescribeAlarms"] == [
        "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:rl-prod-lmi-worker-errors"
    ]
    assert calls["codedeploy:CreateDeployment"] == [
        "arn:aws:codedeploy:eu-west-1:123456789012:deploymentgroup:rl-prod/rl-prod-lmi-worker"
    ]
    assert calls["codedeploy:StopDeployment"] == ["*"], "IAM authorizes StopDeployment on `*` only"
    assert "lambda:PutProvisionedConcurrencyConfig" not in calls
    assert "lambda:UpdateAlias" not in calls, "CodeDeploy moves the alias of a gradual release"


def test_the_alias_state_round_trips() -> None:
    for state in (AliasState(False), AliasState(True, "3", {}), AliasState(True, "3", {"4": 0.1})):
        assert AliasState.from_json(state.to_json()) == state
    assert AliasState.from_json('{"exists": false}') == AliasState(False)


def test_the_newest_rejection_of_a_version_is_the_one_reported() -> None:
    class CodeDeploy:
        infos: ClassVar[dict[str, tuple[str, datetime, str]]] = {
            "d-1": ("8", datetime(2026, 12, 1, tzinfo=UTC), "old"),
            "d-2": ("8", datetime(2026, 12, 3, tzinfo=UTC), "new"),
            "d-3": ("7", datetime(2026, 12, 4, tzinfo=UTC), "other"),
        }

        def list_deployments(self, **kwargs: object) -> dict[str, list[str]]:
            assert kwargs["includeOnlyStatuses"] == ["Stopped", "Failed"]
            return {"deployments": list(self.infos)}

        def get_deployment(self, deploymentId: str) -> dict[str, object]:
            target, created, message = self.infos[deploymentId]
            request = Request("x", "f", "live", target, "canary")
            return {
                "deploymentInfo": {
                    "status": "Stopped",
                    "createTime": created,
                    "errorInformation": {"code": "ALARM_ACTIVE", "message": message},
                    "revision": {"appSpecContent": {"content": appspec(request, "6")}},
                }
            }

    found = history.rejection(CodeDeploy(), "app", "group", "8")
    assert found is not None and (found.deployment_id, found.reason) == ("d-2", "ALARM_ACTIVE: new")
    assert history.rejection(CodeDeploy(), "app", "group", "9") is None
