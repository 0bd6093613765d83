"""docs/security.md's IAM section names, for each actor, the controls and the tests that attack
them: every test it names must exist, so that a renamed or deleted attack test fails here."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from offline.engine import REPO_ROOT

SECURITY_DOC = REPO_ROOT / "docs" / "security.md"
TESTS = REPO_ROOT / "tests" / "ci_access"
ACTORS = (
    "Anyone who can push a branch",
    "A fork PR author",
    "A compromised dependency or action",
    "A leaked CI token",
    "A dev-stack operator",
)
# `test_x.py::test_name`, `::test_other` for another of the same file, `test_x.py` (all).
REFERENCE = re.compile(r"`([\w/]*test_\w+\.py)?(?:::(test_\w+))?`( \(all\))?")


def iam_section() -> str:
    text = SECURITY_DOC.read_text()
    return text.split("## IAM and accounts", 1)[1].split("\n## ", 1)[0]


def functions_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}


def named_tests() -> list[tuple[str, str | None]]:
    """Every (file, test) the section names, in order; a bare `::test` belongs to the file before it."""
    named: list[tuple[str, str | None]] = []
    last_file = ""
    for match in REFERENCE.finditer(iam_section()):
        file, test, everything = match.groups()
        if file is None and test is None:
            continue
        file = Path(file).name if file else last_file
        last_file = file
        named.append((file, None if everything or test is None else test))
    return named


def test_the_threat_model_names_the_actors_and_the_assets() -> None:
    text = SECURITY_DOC.read_text()
    for actor in ACTORS:
        assert f"- **{actor}**" in text
        assert f"### {actor}" in iam_section()
    for asset in ("Prod data", "Secrets", "State", "The account"):
        assert f"- **{asset}**" in text


def test_every_test_the_iam_section_names_exists() -> None:
    named = named_tests()
    assert len(named) > 40
    missing = []
    for file, test in named:
        path = TESTS / file
        if not path.is_file():
            missing.append(file)
        elif test is not None and test not in functions_of(path):
            missing.append(f"{file}::{test}")
    assert missing == []
