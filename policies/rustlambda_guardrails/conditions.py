"""IAM condition semantics, in one evaluator every policy of the pack asks.

A check asks whether a statement applies to the request of the actor it stops: another account's
principal calling a resource policy, a role reaching a resource it was not meant to, a workflow of
another repository assuming a federated role. The request is a `Probe`: the condition keys whose
values the actor cannot choose (its own identity, the resource's attributes), each with the value
the actor's request carries or absent; every other key is the actor's to choose, so a clause on it
is satisfiable. `admits(condition, probe)` says whether the condition block lets such a request
through, with AWS's rules (IAM User Guide, "Condition operators"):

- operators: String*, Arn*, Numeric*, Date*, Bool, BinaryEquals, IpAddress/NotIpAddress, Null;
  `...IgnoreCase`; StringLike/ArnLike wildcards (`*`, `?`), Arn* matched part by part;
- `...IfExists`: true when the key is absent;
- negated operators (StringNotEquals, ArnNotLike, NotIpAddress, ...): true when the key is absent,
  and for a present key when no value matches;
- `ForAnyValue:` (some request value matches; false when absent) and `ForAllValues:` (every request
  value matches; true when absent);
- a block is the AND of its operators, an operator the AND of its keys, a key the OR of its values.

Hand-written because the pack must stay a Python package of its own: iam-simulate (the evaluator
the CI roles' tests run, tests/iam) is a Node library, and parliament checks operator and key types
but evaluates no request. The tests compare this module's answers with iam-simulate's.

Omits: policy variables in condition values (`${aws:username}`) are compared as literal text, and
two clauses on one key the actor chooses are each taken as satisfiable on their own.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from .common import string_list


class Chooser:
    """A key whose value the actor chooses within limits (an ARN of a resource it owns): says
    whether some value it can choose matches a condition value."""

    def can_match(self, operator: str, value: str) -> bool:
        raise NotImplementedError


# A key's value in a probe: the request's value(s), a Chooser, or ABSENT.
ABSENT = None
Value = str | Sequence[str] | Chooser | None


@dataclass(frozen=True)
class Probe:
    """An actor's request: `fixed` keys (lowercased) carry the value the actor cannot change (or
    ABSENT); keys matching one of `absent_patterns` (lowercased globs, e.g. `aws:resourcetag/*`)
    are absent; every other key is the actor's to choose."""

    fixed: Mapping[str, Value] = field(default_factory=dict)
    absent_patterns: tuple[str, ...] = ()

    def lookup(self, key: str) -> tuple[bool, Value]:
        """(whether the actor cannot choose this key, its value or ABSENT)."""
        lowered = key.lower()
        if lowered in self.fixed:
            return True, self.fixed[lowered]
        if any(fnmatch.fnmatchcase(lowered, pattern) for pattern in self.absent_patterns):
            return True, ABSENT
        return False, ABSENT


def _glob(pattern: str) -> re.Pattern[str]:
    return _compiled_glob(pattern, False)


@lru_cache(maxsize=4096)
def _compiled_glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{regex}$", re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _string_equals(request: str, value: str) -> bool:
    return request == value


def _string_equals_ignore_case(request: str, value: str) -> bool:
    return request.casefold() == value.casefold()


def _string_like(request: str, value: str) -> bool:
    return bool(_glob(value).match(request))


def _arn_like(request: str, value: str) -> bool:
    """ARNs compared part by part (the six colon-separated parts), each with wildcards."""
    wanted = value.split(":", 5)
    given = request.split(":", 5)
    if len(wanted) != len(given):
        return bool(_glob(value).match(request))  # not ARN-shaped: a plain wildcard match
    return all(_glob(w).match(g) for w, g in zip(wanted, given, strict=True))


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _numeric(compare: Callable[[float, float], bool]) -> Callable[[str, str], bool]:
    def match(request: str, value: str) -> bool:
        a, b = _number(request), _number(value)
        return a is not None and b is not None and compare(a, b)

    return match


def _date(text: str) -> float | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return _number(text)  # epoch seconds


def _dates(compare: Callable[[float, float], bool]) -> Callable[[str, str], bool]:
    def match(request: str, value: str) -> bool:
        a, b = _date(request), _date(value)
        return a is not None and b is not None and compare(a, b)

    return match


def _ip_in(request: str, value: str) -> bool:
    try:
        return ipaddress.ip_address(request) in ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False


def _bool(request: str, value: str) -> bool:
    return request.lower() == value.lower()


# operator (lowercased, without set prefix and IfExists) -> (value matcher, negated)
OPERATORS: dict[str, tuple[Callable[[str, str], bool], bool]] = {
    "stringequals": (_string_equals, False),
    "stringnotequals": (_string_equals, True),
    "stringequalsignorecase": (_string_equals_ignore_case, False),
    "stringnotequalsignorecase": (_string_equals_ignore_case, True),
    "stringlike": (_string_like, False),
    "stringnotlike": (_string_like, True),
    "arnequals": (_arn_like, False),
    "arnlike": (_arn_like, False),
    "arnnotequals": (_arn_like, True),
    "arnnotlike": (_arn_like, True),
    "numericequals": (_numeric(lambda a, b: a == b), False),
    "numericnotequals": (_numeric(lambda a, b: a == b), True),
    "numericlessthan": (_numeric(lambda a, b: a < b), False),
    "numericlessthanequals": (_numeric(lambda a, b: a <= b), False),
    "numericgreaterthan": (_numeric(lambda a, b: a > b), False),
    "numericgreaterthanequals": (_numeric(lambda a, b: a >= b), False),
    "dateequals": (_dates(lambda a, b: a == b), False),
    "datenotequals": (_dates(lambda a, b: a == b), True),
    "datelessthan": (_dates(lambda a, b: a < b), False),
    "datelessthanequals": (_dates(lambda a, b: a <= b), False),
    "dategreaterthan": (_dates(lambda a, b: a > b), False),
    "dategreaterthanequals": (_dates(lambda a, b: a >= b), False),
    "bool": (_bool, False),
    "binaryequals": (_string_equals, False),
    "ipaddress": (_ip_in, False),
    "notipaddress": (_ip_in, True),
}


@dataclass(frozen=True)
class Operator:
    name: str  # as written
    base: str  # lowercased, without the set prefix and IfExists
    if_exists: bool
    set_prefix: str  # "", "forallvalues" or "foranyvalue"

    @property
    def negated(self) -> bool:
        known = OPERATORS.get(self.base)
        return known is not None and known[1]


def parse_operator(name: str) -> Operator:
    lowered = name.lower()
    prefix, _, base = lowered.rpartition(":")
    if_exists = base.endswith("ifexists")
    return Operator(name, base.removesuffix("ifexists"), if_exists, prefix)


def _chosen(operator: Operator, values: list[str], chooser: Chooser) -> bool:
    """One key of one operator, for a key the actor chooses within the chooser's limits."""
    if operator.base == "null":
        return True
    known = OPERATORS.get(operator.base)
    if known is None or known[1]:
        # Negated: the actor picks a value outside the listed ones unless they cover everything.
        return known is None or not any(v.strip("*") == "" for v in values)
    return any(chooser.can_match(operator.base, v) for v in values)


def _clause(operator: Operator, values: list[str], present: bool, request: list[str]) -> bool:
    """One key of one operator, for a key the actor cannot choose."""
    if operator.base == "null":
        wants_absent = any(v.lower() == "true" for v in values)
        return wants_absent != present
    known = OPERATORS.get(operator.base)
    if known is None:
        return True  # an operator this evaluator does not know: assume it lets the actor through
    match, negated = known
    if not present:
        if operator.if_exists or operator.set_prefix == "forallvalues":
            return True
        return negated and operator.set_prefix != "foranyvalue"
    matched = [any(match(r, v) for v in values) for r in request]
    if operator.set_prefix == "forallvalues":
        return all(not m for m in matched) if negated else all(matched)
    if operator.set_prefix == "foranyvalue":
        return any(not m for m in matched) if negated else any(matched)
    return not any(matched) if negated else any(matched)


def _forced(operator: Operator, values: list[str], chooser: Chooser) -> bool:
    """One key of one operator holds whatever value the actor chooses within the chooser's limits."""
    known = OPERATORS.get(operator.base)
    if known is None or not known[1]:
        return any(v.strip("*") == "" for v in values) and operator.base.endswith("like")
    return not any(chooser.can_match(operator.base, v) for v in values)


def _evaluate(condition: object, probe: Probe, actor_wants: bool) -> bool:
    if not isinstance(condition, Mapping):
        return True
    for operator_name, block in condition.items():
        if not isinstance(block, Mapping):
            continue
        operator = parse_operator(str(operator_name))
        for key, raw in block.items():
            fixed, value = probe.lookup(str(key))
            values = string_list(raw)
            if not fixed:
                if actor_wants:
                    continue  # the actor picks a value that satisfies the clause
                return False  # the actor picks a value that fails it
            if isinstance(value, Chooser):
                holds = _chosen(operator, values, value) if actor_wants else _forced(operator, values, value)
            else:
                request = [] if value is ABSENT else string_list(value)
                holds = _clause(operator, values, value is not ABSENT, request)
            if not holds:
                return False
    return True


def admits(condition: object, probe: Probe) -> bool:
    """Whether a statement's Condition block can let the probe's request through, the actor choosing
    the keys it controls to satisfy it (for Allow statements; no block: yes)."""
    return _evaluate(condition, probe, actor_wants=True)


def forces(condition: object, probe: Probe) -> bool:
    """Whether a statement's Condition block holds for the probe's request whatever the actor
    chooses for the keys it controls (for Deny statements that must apply to it; no block: yes)."""
    return _evaluate(condition, probe, actor_wants=False)


def constrained_keys(condition: object) -> set[str]:
    """The keys (lowercased) a condition block names, whatever the operator (for messages)."""
    if not isinstance(condition, Mapping):
        return set()
    return {str(k).lower() for block in condition.values() if isinstance(block, Mapping) for k in block}
