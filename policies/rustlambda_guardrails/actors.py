"""The actors the pack's controls stop, as requests the condition evaluator (conditions.py) judges.

Each control asks whether a statement lets its actor through:

- `OTHER_ACCOUNT_CALLER` and `OTHER_ACCOUNT_SERVICE`: a principal of another account and
  organization calling a resource policy directly, or through an AWS service acting for a resource
  it owns (iam-resource-policy-no-public-principal);
- `FOREIGN_RESOURCE`: a role using an identity policy on a resource it was not meant to reach,
  untagged or in another account (iam-policy-resource-scope);
- `NO_BOUNDARY`: a principal that creates or changes roles and users without a permissions
  boundary (iam-policy-privilege-escalation);
- federated callers (another repository's workflow, another audience): built per provider in
  trust.py.

Identities here are reserved values no real resource has (the 999988887777 account, TEST-NET
addresses), so no condition written for a real stack can name them.
"""

from __future__ import annotations

import fnmatch

from .conditions import ABSENT, Chooser, Probe

ATTACKER_ACCOUNT = "999988887777"
ATTACKER_ORG = "o-zzattacker00"


class AttackerArn(Chooser):
    """An ARN of a resource the attacker creates: any name in its own account, or for resources
    whose ARNs carry no account (S3 buckets), any name not taken, which a wildcard pattern lets
    it pick."""

    def can_match(self, operator: str, value: str) -> bool:
        parts = value.split(":", 5)
        if len(parts) < 6:
            return value.strip("*?") == ""
        account, resource = parts[4], parts[5]
        if account:
            return (
                fnmatch.fnmatchcase(ATTACKER_ACCOUNT, account)
                if "like" in operator or "arn" in operator
                else (account == ATTACKER_ACCOUNT)
            )
        return any(c in resource for c in "*?")


OTHER_ACCOUNT_CALLER = Probe(
    fixed={
        "aws:principalaccount": ATTACKER_ACCOUNT,
        "aws:principalorgid": ATTACKER_ORG,
        "aws:principalorgpaths": [f"{ATTACKER_ORG}/r-zz00/ou-zz00-attacker0/"],
        "aws:principalarn": f"arn:aws:iam::{ATTACKER_ACCOUNT}:role/attacker",
        "aws:userid": "AROAZZATTACKER0000000:attacker",
        "aws:sourceip": "203.0.113.66",
        "aws:principalisawsservice": "false",
        "aws:viaawsservice": "false",
        "kms:calleraccount": ATTACKER_ACCOUNT,
        **{
            key: ABSENT
            for key in (
                "aws:sourcevpce", "aws:sourcevpc", "aws:vpcsourceip", "aws:sourcearn", "aws:sourceaccount",
                "aws:sourceowner", "aws:sourceorgid", "aws:sourceorgpaths", "aws:principalservicename",
                "aws:principalservicenameslist", "aws:calledvia", "aws:calledviafirst", "aws:calledvialast",
                "lambda:functionarn", "lambda:eventsourcetoken",
            )
        },
    }
)  # fmt: skip
OTHER_ACCOUNT_SERVICE = Probe(
    fixed={
        "aws:sourcearn": AttackerArn(),
        "aws:sourceaccount": ATTACKER_ACCOUNT,
        "aws:sourceowner": ATTACKER_ACCOUNT,
        "aws:sourceorgid": ATTACKER_ORG,
        "aws:sourceorgpaths": [f"{ATTACKER_ORG}/r-zz00/ou-zz00-attacker0/"],
        "aws:principalisawsservice": "true",
        "kms:calleraccount": ATTACKER_ACCOUNT,
        **{
            key: ABSENT
            for key in (
                "aws:principalaccount", "aws:principalorgid", "aws:principalorgpaths", "aws:principalarn",
                "aws:userid", "aws:sourcevpce", "aws:sourcevpc", "aws:vpcsourceip", "aws:sourceip",
                "lambda:functionarn", "lambda:eventsourcetoken",
            )
        },
    }
)  # fmt: skip
FOREIGN_RESOURCE = Probe(
    fixed={
        "aws:resourceaccount": ATTACKER_ACCOUNT,
        "aws:resourceorgid": ATTACKER_ORG,
        "aws:resourceorgpaths": [f"{ATTACKER_ORG}/r-zz00/ou-zz00-attacker0/"],
        "s3:resourceaccount": ATTACKER_ACCOUNT,
    },
    absent_patterns=("*:resourcetag/*", "s3:existingobjecttag/*"),
)
NO_BOUNDARY = Probe(fixed={"iam:permissionsboundary": ABSENT})
