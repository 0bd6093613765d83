"""The corpus of fabricated cases (tests/policies/corpus_cases/*.yaml) through the real pack over gRPC, as
the engine sends a preview: Analyze per resource, then one AnalyzeStack. A case to block must draw a
mandatory violation from the policy it names; a case to pass must draw no diagnostic at all.

The figures per category (recall on the cases to block, false positives on the cases to pass) are
printed at the end of the run (tests/policies/conftest.py) and quoted in the README."""

from __future__ import annotations

from collections import Counter

import pytest

from offline.analyzer import Diagnostic, PolicyPackClient
from tests.policies.corpus import Case, case_ids, load

CATEGORIES = (
    "1-secret-provenance",
    "2-value-shapes",
    "3-public-identifiers",
    "4-iam",
    "5-public-invoke",
    "6-shipping",
    "7-federated-trust",
    "8-combined-principals",
    "9-condition-semantics",
    "10-secret-routes",
    "11-public-data-by-structure",
    "12-provenance-by-output",
    "13-resource-forms",
    "14-necessary-wildcards",
)
# (category, expect) -> [(case id, whether the verdict was right)], read by conftest's summary.
RESULTS: dict[tuple[str, str], list[tuple[str, bool]]] = {}


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Case]:
    return {f"{c.category}/{c.id}": c for c in load(tmp_path_factory.mktemp("corpus"))}


def diagnostics_of(pack: PolicyPackClient, case: Case) -> list[Diagnostic]:
    pack.configure(case.config)
    found: list[Diagnostic] = []
    for r in case.resources:
        found += pack.analyze(r.type, r.name, r.urn, r.properties, r.parent)
    return found + pack.analyze_stack(case.resources)


@pytest.mark.parametrize("case_id", case_ids())
def test_case(pack: PolicyPackClient, cases: dict[str, Case], case_id: str) -> None:
    case = cases[case_id]
    try:
        found = diagnostics_of(pack, case)
    finally:
        pack.configure({})
    summary = [(d.policy_name, d.enforcement_level, d.violation) for d in found]
    if case.expect == "block":
        right = any(d.policy_name == case.policy and d.enforcement_level == "mandatory" for d in found)
    else:
        right = found == []
    RESULTS.setdefault((case.category, case.expect), []).append((case.id, right))
    assert right, f"{case.expect} expected ({case.why}); the pack reported {summary}"
    # Every violation says what to change and which escape exists for this one resource.
    assert [d.violation for d in found if not names_its_escape(d.violation)] == []


ESCAPES = (
    "If it is intended, add ",
    "If the value is no secret, list ",
    "to allowedPublicFunctions",
    "to exemptResources",
)


def names_its_escape(violation: str) -> bool:
    return any(escape in violation for escape in ESCAPES) or "can't run policy" in violation


def test_corpus_shape() -> None:
    """At least 150 cases, every category with both verdicts, about half to block."""
    ids = case_ids()
    assert len(ids) == len(set(ids)) >= 150
    categories = Counter(i.split("/")[0] for i in ids)
    assert sorted(categories) == sorted(CATEGORIES)
    assert all(count >= 20 for count in categories.values()), categories


def test_every_category_has_both_verdicts(cases: dict[str, Case]) -> None:
    verdicts = Counter((c.category, c.expect) for c in cases.values())
    for category in CATEGORIES:
        assert verdicts[(category, "block")] >= 10, category
        assert verdicts[(category, "pass")] >= 10, category
    blocked = sum(n for (_, expect), n in verdicts.items() if expect == "block")
    assert 0.4 <= blocked / len(cases) <= 0.6
    assert all(c.policy for c in cases.values() if c.expect == "block")
