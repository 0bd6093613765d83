"""The offline preview's policy report: each diagnostic with its resource, and the checks a preview
could not judge counted."""

from __future__ import annotations

from offline.analyzer import Diagnostic
from offline.preview import format_report

URN = "urn:pulumi:dev::rustlambda::aws:iam/rolePolicy:RolePolicy::api-policy"


def test_each_diagnostic_names_its_resource_and_unjudged_checks_are_counted() -> None:
    diagnostics = [
        Diagnostic(
            "iam-policy-resource-scope",
            "Checks whether ...\nStatement 1 of api ...",
            "mandatory",
            URN,
            "Checks whether ...",
        ),
        Diagnostic(
            "iam-policy-no-wildcard-actions",
            "Checks whether ...\ncan't run policy 'iam-policy-no-wildcard-actions' ...",
            "advisory",
            URN,
            "Checks whether ...",
        ),
    ]
    assert format_report(diagnostics).splitlines() == [
        "Policy report:",
        "  [advisory] iam-policy-no-wildcard-actions: api-policy: "
        "can't run policy 'iam-policy-no-wildcard-actions' ...",
        "  [mandatory] iam-policy-resource-scope: api-policy: Statement 1 of api ...",
        "  1 checks could not be judged at preview (values unknown until update).",
    ]
