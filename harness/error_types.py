"""The documented `errorType` values: README's "Error types" table, read here so that the tests
hold every error response to what the README promises."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
SECTION = "### Error types"
EVERY_FUNCTION = "every function"


def documented_error_types(functions: list[str], readme: Path = README) -> dict[str, frozenset[str]]:
    """Function name -> the error types the README documents for it."""
    text = readme.read_text()
    if SECTION not in text:
        raise ValueError(f"{readme.name} has no {SECTION!r} section")
    section = text.split(SECTION, 1)[1].split("\n#", 1)[0]
    documented: dict[str, set[str]] = {name: set() for name in functions}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 2 or not re.fullmatch(r"`[A-Za-z]+`", cells[0]):
            continue
        error_type = cells[0].strip("`")
        names = functions if cells[1] == EVERY_FUNCTION else re.findall(r"`([a-z0-9-]+)`", cells[1])
        for name in names:
            if name not in documented:
                raise ValueError(f"{readme.name}: {error_type} is documented for {name!r}, which is no function")
            documented[name].add(error_type)
    return {name: frozenset(types) for name, types in documented.items()}
