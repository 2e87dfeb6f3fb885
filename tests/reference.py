"""An independent plain-Python evaluation of compiled rules: the test oracle.

durable-rules can fail silently (dropped facts, mis-fired negations), so the
tests compare it with this deliberately naive evaluator: nested loops over the
compiled patterns, derivations run to a fixpoint stratum by stratum, and
negations checked only against complete fact sets. It shares nothing with the
engine path except the compiled patterns and the rule expressions.
"""
from __future__ import annotations

import json
import operator
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from interlock.evaluation.compiler import Arith, CompiledRule, Pattern, Ref, Same, FieldTest
from interlock.evaluation.evaluate import Kept, Match, accepts, derived_fact, gathered, keep_best, kept_fact, kept_key, preference
from interlock.evaluation.rulebook import Rule

_COMPARE = {"eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "lte": operator.le,
            "gt": operator.gt, "gte": operator.ge}
_ARITH = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv}
_MISSING = object()


def _value(value: Any, fact: Mapping[str, Any], bound: Mapping[str, Mapping[str, Any]]) -> Any:
    if isinstance(value, Ref):
        return bound[value.alias].get(value.field, _MISSING)
    if isinstance(value, Same):
        return fact.get(value.field, _MISSING)
    if isinstance(value, Arith):
        args = [_value(a, fact, bound) for a in value.args]
        if any(a is _MISSING or isinstance(a, str) for a in args):
            return _MISSING
        result = args[0]
        for arg in args[1:]:
            if value.op == "div" and arg == 0:
                return _MISSING
            result = _ARITH[value.op](result, arg)
        return result
    return value


def _holds(test: FieldTest, fact: Mapping[str, Any], bound: Mapping[str, Mapping[str, Any]]) -> bool:
    present = test.field in fact
    if test.op == "exists":
        return present
    if test.op == "missing":
        return not present
    if not present:
        return False  # durable: a test on a missing field never matches
    actual = fact[test.field]
    if test.op == "in":
        assert isinstance(test.value, tuple)
        return any(_same(actual, v) for v in test.value)
    expected = _value(test.value, fact, bound)
    if expected is _MISSING:
        return False
    if test.op == "eq":
        return _same(actual, expected)
    if test.op == "ne":
        return not _same(actual, expected)
    if isinstance(actual, str) != isinstance(expected, str):
        return False
    return bool(_COMPARE[test.op](actual, expected))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or (isinstance(a, bool) and isinstance(b, bool) and a == b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))
    return bool(a == b)


def _matches(pattern: Pattern, fact: Mapping[str, Any], bound: Mapping[str, Mapping[str, Any]]) -> bool:
    if fact.get("kind") != pattern.kind:
        return False
    if not all(_holds(t, fact, bound) for t in pattern.tests):
        return False
    return not pattern.any_of or any(all(_holds(t, fact, bound) for t in alt) for alt in pattern.any_of)


class Index:
    """Facts by kind, plus lazily built (kind, field) -> value lookups for string joins."""

    def __init__(self, facts: Iterable[Mapping[str, Any]]) -> None:
        self.by_kind: dict[str, list[Mapping[str, Any]]] = {}
        for fact in facts:
            self.by_kind.setdefault(str(fact.get("kind")), []).append(fact)
        self._by_field: dict[tuple[str, str], dict[Any, list[Mapping[str, Any]]]] = {}

    def candidates(self, pattern: Pattern, bound: Mapping[str, Mapping[str, Any]]) -> Sequence[Mapping[str, Any]]:
        for test in pattern.tests:
            if test.op == "eq" and isinstance(test.value, Ref):
                value = bound[test.value.alias].get(test.value.field)
                if isinstance(value, str):
                    table = self._by_field.get((pattern.kind, test.field))
                    if table is None:
                        table = {}
                        for fact in self.by_kind.get(pattern.kind, ()):
                            table.setdefault(fact.get(test.field), []).append(fact)
                        self._by_field[(pattern.kind, test.field)] = table
                    return table.get(value, ())
        return self.by_kind.get(pattern.kind, ())


def _index(facts: Iterable[Mapping[str, Any]]) -> Index:
    return Index(facts)


def _bindings(patterns: Sequence[Pattern], facts: Index,
              bound: dict[str, Mapping[str, Any]]) -> Iterator[dict[str, Mapping[str, Any]]]:
    if not patterns:
        yield dict(bound)
        return
    head, rest = patterns[0], patterns[1:]
    candidates = facts.candidates(head, bound)
    if head.negated:
        if not any(_matches(head, f, bound) for f in candidates):
            yield from _bindings(rest, facts, bound)
        return
    assert head.alias is not None
    for fact in candidates:
        if _matches(head, fact, bound):
            bound[head.alias] = fact
            yield from _bindings(rest, facts, bound)
            del bound[head.alias]


def _key(fact: Mapping[str, Any]) -> str:
    """Fact identity as Python equality has it: {x: 1} and {x: 1.0} are one fact (so in the engine)."""
    return json.dumps({k: int(v) if type(v) is float and v.is_integer() and abs(v) < 2.0 ** 53 else v
                       for k, v in fact.items()}, sort_keys=True)


def evaluate(rules: Sequence[tuple[Rule, CompiledRule]], facts: Iterable[Mapping[str, Any]]) -> list[Match]:
    """Matches of every check rule, computed without the engine."""
    known: dict[str, Mapping[str, Any]] = {}
    for fact in facts:
        known.setdefault(_key(fact), dict(fact))
    top = max([c.stratum for _r, c in rules] + [0])
    derivations = [(r, c) for r, c in rules if r.derive is not None]
    # one_per derivations: every candidate is collected; the best per key becomes a fact
    # once every producer of its kind is done (its consumers sit in later strata).
    last_producer: dict[str, int] = {}
    for rule, compiled in derivations:
        kind = rule.derive["kind"]  # type: ignore[index]
        last_producer[kind] = max(last_producer.get(kind, 0), compiled.stratum)
    kept: Kept = {}
    # Matches already derived from are skipped on later passes (facts in ``known`` are never
    # replaced, so a match is the identity of its facts); the index is rebuilt once per pass.
    seen: set[tuple[int, ...]] = set()
    for stratum in range(top + 1):
        changed = True
        while changed:
            changed = False
            index = _index(known.values())
            for number, (rule, compiled) in enumerate(derivations):
                if compiled.stratum > stratum:
                    continue
                for bound in list(_bindings(compiled.patterns, index, {})):
                    done = (number, *(id(bound[p.alias]) for p in compiled.patterns if p.alias))
                    if done in seen:
                        continue
                    seen.add(done)
                    if not accepts(rule, compiled.options, bound):
                        continue
                    fact = derived_fact(rule, compiled.options, bound)
                    key = kept_key(rule, fact)
                    if key is not None:
                        keep_best(kept, key, preference(rule, fact), fact, gathered(rule))
                    elif _key(fact) not in known:
                        known[_key(fact)] = fact
                        changed = True
        for key in [k for k in kept if last_producer[k[0]] <= stratum]:
            fact = kept_fact(kept.pop(key))
            known.setdefault(_key(fact), dict(fact))
    everything = _index(known.values())
    matches = [
        Match(rule.id, {alias: dict(f) for alias, f in bound.items()})
        for rule, compiled in rules if rule.derive is None
        for bound in _bindings(compiled.patterns, everything, {})
        if accepts(rule, compiled.options, bound)
    ]
    unique = {m.sort_key(): m for m in matches}
    return [unique[k] for k in sorted(unique)]
