"""Federated trust: a role that trusts an identity provider must say which tokens it accepts.

Every Allow statement of a trust policy whose principal is federated (an OIDC provider ARN, a SAML
provider ARN, Cognito identity pools, Google, Amazon or Facebook) must pin the provider's audience
and subject claims, so that a token minted for another audience, or for another subject of the
same provider, cannot assume the role. Whether the conditions pin them is the condition
evaluator's answer for the actor each requirement stops (conditions.py):

- audience: a token of the same provider for another audience (`<provider>:aud`; Cognito's
  identity pool; SAML's `SAML:aud`);
- subject: a token for another subject (`<provider>:sub`); for Cognito, an unauthenticated
  identity (`cognito-identity.amazonaws.com:amr`);
- GitHub Actions (`token.actions.githubusercontent.com`): a workflow of another repository (another
  owner, or another repository of the same owner), and, of the trusted repository, a job on any
  branch, any environment, or a pull request: the subject must name the exact repository and a
  ref or an environment.
- any other provider (GitLab, EKS, Terraform Cloud, ...): a token for another subject, and for a
  subject given with wildcards, a subject the wildcards stand for (another project, namespace or
  workspace of the same issuer).

SAML roles need only the audience: the identity provider chooses which of its users get which
role (AWS's own SAML trust policies check `SAML:aud` alone).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from dataclasses import dataclass

from pulumi_policy import ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .common import escape, exempt_config, is_unknown, judged_at_update, string_list
from .conditions import Probe, admits
from .iam_documents import RESOURCE_POLICY_PROPERTY, Statement, judged_resource, sentence, statements

POLICY_NAME = "iam-role-federated-trust"
GITHUB = "token.actions.githubusercontent.com"
COGNITO = "cognito-identity.amazonaws.com"
# Web identity providers AWS names by host, and their (audience, subject) claim keys.
WEB_IDENTITY_KEYS = {
    COGNITO: ("cognito-identity.amazonaws.com:aud", "cognito-identity.amazonaws.com:amr"),
    "accounts.google.com": ("accounts.google.com:aud", "accounts.google.com:sub"),
    "graph.facebook.com": ("graph.facebook.com:app_id", "graph.facebook.com:id"),
    "www.amazon.com": ("www.amazon.com:app_id", "www.amazon.com:user_id"),
}
OTHER = "zz-other"


@dataclass(frozen=True)
class Requirement:
    """One claim the trust must pin: a request with `probe`'s values must not get through."""

    claim: str
    what: str  # what the statement admits if the probe gets through
    probe: Probe


def provider_host(principal: str) -> tuple[str, bool] | None:
    """(provider host or path, whether it is SAML) of a federated principal, or None."""
    if principal.startswith("arn:"):
        resource = principal.split(":", 5)[-1]
        kind, _, rest = resource.partition("/")
        if kind == "oidc-provider":
            return rest, False
        if kind == "saml-provider":
            return rest, True
        return None
    return principal, False


def _probe(**fixed: object) -> Probe:
    return Probe(fixed={k.lower(): v for k, v in fixed.items()})  # type: ignore[misc]


def _github_requirements(host: str, condition: object) -> Iterator[Requirement]:
    """Another owner's workflow, another repository of the owner, and any branch, environment or pull
    request of each repository the subject names (each probe keeps the rest of the subject, so a
    wildcard in one part is what lets it through)."""
    sub = f"{host}:sub"
    yield Requirement(sub, "a workflow of any repository", _probe(**{sub: f"repo:{OTHER}/{OTHER}:ref:refs/heads/main"}))
    for value in sorted(_subject_values(condition, sub)):
        parts = value.split(":", 2)
        if len(parts) < 3 or parts[0] != "repo" or "/" not in parts[1]:
            continue
        owner, _, name = parts[1].partition("/")
        context = _concrete(parts[2])
        repository = f"{owner}/{name}"
        yield Requirement(
            sub,
            "a workflow of another owner's repository",
            _probe(**{sub: f"repo:{OTHER}/{_concrete(name)}:{context}"}),
        )
        yield Requirement(
            sub,
            f"a workflow of another repository of {owner}",
            _probe(**{sub: f"repo:{_concrete(owner)}/{OTHER}:{context}"}),
        )
        concrete = f"{_concrete(owner)}/{_concrete(name)}"
        for other, what in (
            (f"ref:refs/heads/{OTHER}", "a job on any branch"),
            (f"environment:{OTHER}", "a job in any environment"),
            ("pull_request", "a pull request's job"),
        ):
            yield Requirement(sub, f"{what} of {repository}", _probe(**{sub: f"repo:{concrete}:{other}"}))


def _concrete(pattern: str) -> str:
    """A value a wildcard pattern matches, the wildcards standing for a name nobody uses."""
    return pattern.replace("*", OTHER).replace("?", "z")


def requirements(principal: str, condition: object) -> list[Requirement]:
    """What a statement trusting `principal` must keep out."""
    found = provider_host(principal)
    if found is None:
        return []
    host, saml = found
    if saml:
        return [
            Requirement(
                "SAML:aud",
                "assertions for any service provider",
                _probe(**{"SAML:aud": f"https://{OTHER}.example/saml"}),
            )
        ]
    audience, subject = WEB_IDENTITY_KEYS.get(host, (f"{host}:aud", f"{host}:sub"))
    needs = [Requirement(audience, "tokens issued for any audience", _probe(**{audience: OTHER}))]
    if host == COGNITO:
        needs.append(Requirement(subject, "unauthenticated identities", _probe(**{subject: "unauthenticated"})))
    elif host == GITHUB:
        needs += list(_github_requirements(host, condition))
    else:
        needs.append(Requirement(subject, "tokens of any subject", _probe(**{subject: OTHER})))
        for pattern in sorted(_subject_values(condition, subject)):
            if any(c in pattern for c in "*?"):
                # What a wildcard stands for is any subject the provider issues: another project,
                # workspace, service account or user of the same issuer.
                needs.append(
                    Requirement(subject, f"any subject matching {pattern!r}", _probe(**{subject: _concrete(pattern)}))
                )
    return needs


def _subject_values(condition: object, subject: str) -> set[str]:
    if not isinstance(condition, dict):
        return set()
    return {
        v
        for block in condition.values()
        if isinstance(block, dict)
        for key, values in block.items()
        if str(key).lower() == subject.lower()
        for v in string_list(values)
    }


# Actions that assume a role with a federated token (a statement granting only sts:TagSession or
# sts:SetSourceIdentity assumes nothing).
ASSUMING = ("sts:assumerolewithwebidentity", "sts:assumerolewithsaml")


def _assumes(statement: Statement) -> bool:
    if statement.body.get("NotAction") is not None:
        return True
    patterns = [a.lower() for a in statement.strings("Action")]
    return any(fnmatch.fnmatchcase(action, pattern) for action in ASSUMING for pattern in patterns)


def _federated(statement: Statement) -> list[str]:
    principal = statement.body.get("Principal")
    if not isinstance(principal, dict) or not _assumes(statement):
        return []
    return [p for p in string_list(principal.get("Federated")) if not is_unknown(p)]


def open_claims(statement: Statement) -> list[tuple[str, Requirement]]:
    """(federated principal, requirement) pairs a statement lets through."""
    condition = statement.body.get("Condition")
    return [
        (principal, need)
        for principal in _federated(statement)
        for need in requirements(principal, condition)
        if admits(condition, need.probe)
    ]


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    judged = judged_resource(args, POLICY_NAME)
    if judged is None:
        return
    props, name = judged
    prop, kind = RESOURCE_POLICY_PROPERTY[args.resource_type]
    deferred: list[str] = []
    for statement in statements(f"{kind} ({prop})", props.get(prop), deferred):
        if statement.effect != "Allow":
            continue
        by_claim: dict[tuple[str, str], list[str]] = {}
        for principal, need in open_claims(statement):
            by_claim.setdefault((principal, need.claim), []).append(need.what)
        for (principal, claim), admitted in by_claim.items():
            report_violation(
                f"{sentence(statement.label)} of {name} trusts {principal} without pinning {claim}, so it admits "
                f"{'; '.join(admitted)}: add a StringEquals condition on {claim} with the exact value"
                f"{_hint(claim)}.{escape(name)}",
                None,
            )
    if deferred:
        judged_at_update(f"the trust policy of {name}")


def _hint(claim: str) -> str:
    if claim.startswith(GITHUB):
        return " ('repo:<owner>/<name>:environment:<environment>' or 'repo:<owner>/<name>:ref:refs/heads/<branch>')"
    if claim.endswith(":amr"):
        return " ('authenticated', with ForAnyValue:StringLike)"
    if claim.lower().endswith(":aud"):
        return " (the audience your tokens carry, e.g. 'sts.amazonaws.com')"
    return ""


federated_trust = ResourceValidationPolicy(
    name=POLICY_NAME,
    description=(
        "Checks whether roles trusted by a federated identity provider (OIDC such as GitHub Actions, SAML, Cognito) "
        "pin the provider's audience and subject, so that no other repository, audience or subject can assume them."
    ),
    validate=_validate,
    config_schema=exempt_config(),
    remediation_steps=(
        "Add StringEquals conditions on the provider's audience (<provider>:aud) and subject (<provider>:sub); for "
        "GitHub, the subject names the exact repository and an environment or ref."
    ),
)
