"""Fails closed unless the job's Pulumi Cloud token is the team token of the job's environment.

The login action (.github/actions/pulumi-login) asks Pulumi Cloud's OIDC issuer for a team token
(`urn:pulumi:token-type:access_token:team`, scope `team:<PULUMI_TEAM>`), then checks what it got:

    pulumi whoami --json | python -m pipeline.pulumi_token --team rustlambda-prod

An organization token (it can export, import or edit every stack of the organization) or a personal
token (everything its user can do), which an over-broad issuer policy could hand out, stops the job
before any command uses it, as does a team token of another team. `pulumi whoami --json` reports the
token it is logged in with under `tokenInformation` (name, and `team` for a team token,
`organization` for an organization token; nothing for a personal token).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Mapping
from typing import Any

TEAM_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class TokenRefused(RuntimeError):
    """The token is not the expected team's; the message says what it is and what to configure."""


def check_team_token(whoami: Mapping[str, Any], team: str) -> str:
    """What the token is, if it is `team`'s team token; raises TokenRefused otherwise."""
    if not TEAM_NAME.match(team):
        raise TokenRefused(
            f"PULUMI_TEAM={team!r} is not a team name: set the environment's variable PULUMI_TEAM to the Pulumi "
            "Cloud team that may use this environment's stack"
        )
    info = whoami.get("tokenInformation")
    user = whoami.get("user", "?")
    if not isinstance(info, Mapping):
        raise TokenRefused(
            f"the Pulumi token is a personal token of {user}: the issuer policy for this environment must "
            f"grant only the team token of {team}"
        )
    token_team, organization = info.get("team") or "", info.get("organization") or ""
    if not token_team:
        raise TokenRefused(
            f"the Pulumi token {info.get('name', '?')!r} is an organization token of {organization or '?'}: the "
            f"issuer policy for this environment must grant only the team token of {team}"
        )
    if token_team != team:
        raise TokenRefused(
            f"the Pulumi token is the team token of {token_team}, not of {team}: fix the issuer policy or the "
            "environment's PULUMI_TEAM"
        )
    return f"Pulumi token: the team token of {team} ({info.get('name', '?')})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Refuse a Pulumi token that is not the environment's team token.")
    parser.add_argument("--team", required=True, help="the Pulumi Cloud team of the job's environment")
    args = parser.parse_args(argv)
    try:
        whoami = json.loads(sys.stdin.read())
        if not isinstance(whoami, dict):
            raise TokenRefused("`pulumi whoami --json` printed no JSON object")
        print(check_team_token(whoami, args.team))
    except (TokenRefused, json.JSONDecodeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
