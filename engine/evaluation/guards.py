"""Guards for two engine defects a compiled rule can meet (docs/engine.md, defect table).

A negation never re-tests a fact the rule has already bound, so a negated pattern of a kind the rule
also binds is re-tested here, in Python, on the bound facts after the match. A comparison that reads
another fact's field fails the whole run when that fact lacks the field, so a rule is split into
variants in which every field it reads is known to be present (or known to be absent).
"""
from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from interlock.evaluation.compiler import (
    COMPARISONS, Arith, CompiledRule, FieldTest, Pattern, Ref, Same, both_numbers, fields_read_by, joins_facts, may_equal,
    rebind, settled)


# -- negations the engine cannot see through: re-tested in Python after the match --------

#: A negated pattern, and the aliases of the rule bound to facts of its kind that it may match.
Recheck = tuple[Pattern, tuple[str, ...]]


def bound_negations(rule: CompiledRule) -> tuple[Recheck, ...]:
    """Per negation of a kind the rule also binds, the aliases whose facts it must be re-tested on.

    durable-rules never tests a negation against a fact the rule binds (docs/engine.md: `a`, then
    `not` a fact of a's kind with a's key, holds for every `a`); in the rule language the negation
    sees every fact. The evaluator drops a match when a bound fact satisfies the negated pattern
    (``negation_holds``). An alias whose own tests rule the negation out (``key: {ne: {ref:
    a.key}}``, two different constants) needs no re-test, so such rules cost nothing more.
    """
    found: list[Recheck] = []
    for negated in rule.patterns:
        if not negated.negated:
            continue
        aliases = tuple(p.alias for p in rule.patterns  # type: ignore[misc]
                        if not p.negated and p.kind == negated.kind and _may_be(p, negated))
        if aliases:
            found.append((negated, aliases))
    return tuple(found)


def _may_be(bound: Pattern, negated: Pattern) -> bool:
    """Whether the fact bound by ``bound`` may also satisfy ``negated`` (by their own tests)."""
    rep = {bound.alias: bound.alias}  # type: ignore[dict-item]
    own = tuple(rebind(t, rep, bound.alias) for t in negated.tests)
    for mine in bound.any_of or ((),):
        for theirs in negated.any_of or ((),):
            alternative = tuple(rebind(t, rep, bound.alias) for t in theirs)
            tests = settled((*bound.tests, *mine, *own, *alternative))
            if tests is not None and not _contradictory(tests):
                return True
    return False


#: Where a value may lie against another for each comparison (<, =, >): two tests of one field
#: against the same value contradict when their sets do not meet. ``eq`` and ``ne`` are decided
#: with a rounding tolerance, the orderings exactly, so only the pairs that stay disjoint are used.
_SIDES = {"lt": {"<"}, "lte": {"<", "="}, "gt": {">"}, "gte": {">", "="}}


def _contradictory(tests: Sequence[FieldTest]) -> bool:
    """The tests of one fact cannot all hold: a missing field tested, a constant outside an `in`
    list or against a bound on a constant, or one value both equal and unequal (less and not less)."""
    by_field: dict[str, list[FieldTest]] = {}
    for test in tests:
        by_field.setdefault(test.field, []).append(test)
    for same_field in by_field.values():
        ops = {t.op for t in same_field}
        if "missing" in ops and ops != {"missing"}:
            return True
        constants = [t.value for t in same_field if t.op == "eq" and not joins_facts(t.value)]
        for test in same_field:
            if test.op == "in" and any(not any(may_equal(c, v) for v in test.value) for c in constants):  # type: ignore[union-attr]
                return True
            if test.op in COMPARISONS and not joins_facts(test.value) and any(
                    both_numbers(c, test.value) and not COMPARISONS[test.op](c, test.value) for c in constants):
                return True
        for test in same_field:
            for other in same_field:
                if test.value != other.value or not joins_facts(test.value):
                    continue
                if {test.op, other.op} == {"eq", "ne"}:
                    return True
                if test.op in _SIDES and other.op in _SIDES and not _SIDES[test.op] & _SIDES[other.op]:
                    return True
    return False


def negation_holds(rechecks: Sequence[Recheck], bindings: Mapping[str, Mapping[str, Any]]) -> bool:
    """False when a fact of the match satisfies one of the rule's negated patterns (``bound_negations``)."""
    return not any(_satisfies(negated, bindings[alias], bindings)
                   for negated, aliases in rechecks for alias in aliases)


def _satisfies(pattern: Pattern, fact: Mapping[str, Any], bound: Mapping[str, Mapping[str, Any]]) -> bool:
    """``fact`` passes every test of ``pattern`` as the engine evaluates them (and the reference)."""
    if fact.get("kind") != pattern.kind or not all(_test_holds(t, fact, bound) for t in pattern.tests):
        return False
    return not pattern.any_of or any(all(_test_holds(t, fact, bound) for t in alt) for alt in pattern.any_of)


_ABSENT = object()


def _test_holds(test: FieldTest, fact: Mapping[str, Any], bound: Mapping[str, Mapping[str, Any]]) -> bool:
    if test.op == "exists":
        return test.field in fact
    if test.op == "missing":
        return test.field not in fact
    if test.field not in fact:
        return False  # a test on a missing field never matches
    actual = fact[test.field]
    if test.op == "in":
        return any(_equal(actual, v) for v in test.value)  # type: ignore[union-attr]
    expected = _evaluated(test.value, fact, bound)
    if expected is _ABSENT:
        return False
    if test.op == "eq":
        return _equal(actual, expected)
    if test.op == "ne":
        return not _equal(actual, expected)
    if isinstance(actual, str) != isinstance(expected, str):
        return False
    return bool({"lt": actual < expected, "lte": actual <= expected,
                 "gt": actual > expected, "gte": actual >= expected}[test.op])


def _evaluated(value: Any, fact: Mapping[str, Any], bound: Mapping[str, Mapping[str, Any]]) -> Any:
    if isinstance(value, Ref):
        return bound[value.alias].get(value.field, _ABSENT)
    if isinstance(value, Same):
        return fact.get(value.field, _ABSENT)
    if isinstance(value, Arith):
        args = [_evaluated(a, fact, bound) for a in value.args]
        if any(a is _ABSENT or isinstance(a, str) for a in args):
            return _ABSENT
        result = args[0]
        for arg in args[1:]:
            if value.op == "div" and arg == 0:
                return _ABSENT
            result = (result + arg if value.op == "add" else result - arg if value.op == "sub"
                      else result * arg if value.op == "mul" else result / arg)
        return result
    return value


def _equal(a: Any, b: Any) -> bool:
    """Equality as the engine's joins have it: a flag is never a number; numbers within rounding."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if both_numbers(a, b):
        return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))
    return bool(a == b)


# -- comparisons that read another fact's field: only where the field is there ------------

#: Comparisons the engine evaluates by reading the other fact's field (equalities are joined by hash).
_READING = frozenset({"ne", "lt", "lte", "gt", "gte"})


def guard_missing_refs(rule: CompiledRule) -> list[CompiledRule]:
    """The rule with every field a comparison reads from another fact known to be present.

    durable-rules evaluates ``ne``/``lt``/``lte``/``gt``/``gte`` against a bound fact's field (plain
    or inside arithmetic: ``gt: {add: [{ref: c.start_day}, 30]}``) by looking the field up, and when
    that fact lacks it the whole assert fails (error 311: the run stops). In the rule language
    the comparison is false. So the pattern binding that fact requires the field (``exists``) when
    the comparison sits in a positive pattern (no match can hold without it); where it sits in a
    negation or an alternative, the rule becomes two variants, one where the fact has the field and
    one where it lacks it, in which the comparison's pattern (or alternative) can match nothing.
    """
    required: set[tuple[str, str]] = set()
    either: set[tuple[str, str]] = set()
    for pattern in rule.patterns:
        for test in pattern.tests:
            (either if pattern.negated else required).update(_refs_read(test))
        for alternative in pattern.any_of:
            for test in alternative:
                either.update(_refs_read(test))
    either -= required
    if not required and not either:
        return [rule]
    variants = []
    for present in itertools.product((True, False), repeat=len(either)):
        missing = {ref for ref, there in zip(sorted(either), present) if not there}
        variant = _with_fields(rule, required | (either - missing), missing)
        if variant is not None:
            variants.append(variant)
    return variants


def _refs_read(test: FieldTest) -> set[tuple[str, str]]:
    if test.op not in _READING:
        return set()
    return {(alias, field) for field, alias in fields_read_by(test.value) if alias}


def _with_fields(rule: CompiledRule, present: set[tuple[str, str]], missing: set[tuple[str, str]]) -> CompiledRule | None:
    """``rule`` where the bound facts have the fields ``present`` and lack ``missing`` (None: impossible)."""
    patterns: list[Pattern] = []
    for pattern in rule.patterns:
        if any(_refs_read(t) & missing for t in pattern.tests):
            if not pattern.negated:
                return None
            continue  # the negated pattern can match nothing: it holds
        alternatives = tuple(alt for alt in pattern.any_of if not any(_refs_read(t) & missing for t in alt))
        if pattern.any_of and not alternatives:
            if not pattern.negated:
                return None
            continue
        added = tuple(FieldTest(f, "exists") for a, f in sorted(present) if a == pattern.alias) + tuple(
            FieldTest(f, "missing") for a, f in sorted(missing) if a == pattern.alias)
        tests = (*pattern.tests, *(t for t in added if t not in pattern.tests))
        if pattern.alias and _contradictory(tests):
            return None
        patterns.append(replace(pattern, tests=tests, any_of=alternatives))
    return replace(rule, patterns=tuple(patterns))
