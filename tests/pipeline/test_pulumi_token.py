"""The login refuses any Pulumi token but the environment's team token (pipeline/pulumi_token.py), fed
what `pulumi whoami --json` prints, as the login action runs it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from offline.engine import REPO_ROOT

URL = "https://app.pulumi.com/my-org"


def check(whoami: object, team: str = "rustlambda-prod") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline.pulumi_token", "--team", team],
        input=json.dumps(whoami), cwd=REPO_ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("whoami", "refusal"),
    [
        pytest.param(
            {"user": "my-org", "organizations": ["my-org"], "url": URL,
             "tokenInformation": {"name": "ci", "organization": "my-org"}},
            "the Pulumi token 'ci' is an organization token of my-org: the issuer policy for this environment "
            "must grant only the team token of rustlambda-prod",
            id="organization-token",
        ),
        pytest.param(
            {"user": "alice", "organizations": ["my-org"], "url": URL},
            "the Pulumi token is a personal token of alice: the issuer policy for this environment must grant "
            "only the team token of rustlambda-prod",
            id="personal-token",
        ),
        pytest.param(
            {"user": "rustlambda-dev", "url": URL,
             "tokenInformation": {"name": "gh", "organization": "my-org", "team": "rustlambda-dev"}},
            "the Pulumi token is the team token of rustlambda-dev, not of rustlambda-prod: fix the issuer policy "
            "or the environment's PULUMI_TEAM",
            id="another-teams-token",
        ),
    ],
)  # fmt: skip
def test_an_organization_personal_or_other_teams_token_stops_the_job(whoami: object, refusal: str) -> None:
    result = check(whoami)
    assert (result.returncode, result.stdout, result.stderr) == (1, "", f"error: {refusal}\n")


def test_the_environments_team_token_goes_on() -> None:
    whoami = {"user": "rustlambda-prod", "url": URL, "tokenInformation": {"name": "gh", "team": "rustlambda-prod"}}
    result = check(whoami)
    assert (result.returncode, result.stdout) == (0, "Pulumi token: the team token of rustlambda-prod (gh)\n")


def test_a_team_name_that_is_no_name_is_refused_before_the_token_is_read() -> None:
    result = check({"tokenInformation": {"team": ""}}, team="")
    assert result.returncode == 1
    assert result.stderr == (
        "error: PULUMI_TEAM='' is not a team name: set the environment's variable PULUMI_TEAM to the Pulumi Cloud "
        "team that may use this environment's stack\n"
    )
