"""The static derivations of a knowledge base close to one already derived, by its difference alone.

An organization that adds a metric or three influence edges to the built-in knowledge base has its
own causal paths, so its first run (a cold cache) used to derive all ~10,000 of them again: half
the run. Most are the built-in knowledge base's own, already derived when Interlock was installed
(engine/prebuilt/). So every full static derivation also records its *provenance*: the input facts
it read, and for each derived fact every match that derived it. A later knowledge base is then
derived from that base (``static.CachedEvaluator._from_provenance``), the semi-naive way:

* **kept**: a base fact survives when one of its derivations reads only inputs that are still there
  and facts that survive (a positive rule set: nothing derived from a removed edge is kept);
* **new**: every other fact of the new knowledge base has a derivation that reads an added input,
  or a fact itself new. So the rules run once more in the engine, each as one variant per pattern in
  which that pattern must bind a *fresh* fact (an added input, or a fact this run derives): a match
  of old facts alone gives a kept fact, and is never made again. Of the kept facts, a variant needs
  only those that join a fresh input of a kind no rule derives (a path ending where an added edge
  starts), and a semi-join on the added inputs' values finds them.

Taken only where it is exact and pays: static rules that derive facts (no check rule), with no
negation and no kept kind (``one_per``), and a difference of at most a quarter of the inputs; any
other case derives everything, as before. tests/evaluation/test_incremental.py compares both ways
on random edits of the knowledge base.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from interlock.evaluation.adapter import Bindings, Fact
from interlock.evaluation.compiler import CompiledRule, FieldTest, Pattern, Ref
from interlock.evaluation.evaluate import Evaluator
from interlock.evaluation.rulebook import Rule

#: The field that marks a fact as fresh (1) or old (0) in a difference's run; never a fact's own.
FRESH = "interlock_fresh"
#: The largest difference (added and removed inputs) derived incrementally, as a share of the inputs.
MAX_CHANGE = 0.25

Rules = Sequence[tuple[Rule, CompiledRule]]


def eligible(rules: Rules, input_kinds: frozenset[str]) -> bool:
    """Whether ``rules`` can be derived by difference: each derives a kind no input has (without the
    field ``FRESH``), none negates, none keeps one fact per key."""
    return bool(rules) and all(
        rule.derive is not None and "one_per" not in rule.derive and compiled.derives not in input_kinds
        and FRESH not in rule.derive.get("fields", {}) and not compiled.negates for rule, compiled in rules)


@dataclass(frozen=True)
class Provenance:
    """A full derivation's inputs (their canonical texts, sorted) and, per derived fact (in the order of
    the stored result), its derivations: each the facts it read, ``i >= 0`` input ``i``, ``i < 0``
    derived fact ``-1 - i``."""

    inputs: Sequence[str]
    derivations: Sequence[Sequence[Sequence[int]]]

    def to_json(self) -> dict[str, Any]:
        return {"inputs": list(self.inputs), "derivations": [[list(d) for d in ds] for ds in self.derivations]}

    @staticmethod
    def from_json(value: Any) -> Provenance:
        """A stored provenance, refused (ValueError) unless every reference names an input or a derived fact."""
        inputs, derivations = value["inputs"], value["derivations"]
        if type(inputs) is not list or not all(type(t) is str for t in inputs) or type(derivations) is not list:
            raise ValueError("not a provenance")
        if not all(type(ds) is list and all(type(d) is list for d in ds) for ds in derivations):
            raise ValueError("not a derivation")
        references = [i for ds in derivations for d in ds for i in d]
        if references and ({type(i) for i in references} != {int} or min(references) < -len(derivations)
                           or max(references) >= len(inputs)):
            raise ValueError("not a reference")
        return Provenance(inputs, derivations)


class TracingEvaluator(Evaluator):
    """An ``Evaluator`` that records every derivation: the derived fact and the facts its match bound."""

    def __init__(self, rules: Rules) -> None:
        super().__init__(rules)
        self.trace: list[tuple[Fact, tuple[Fact, ...]]] = []

    def _dispatch(self, name: str, bindings: Bindings, emit: Callable[[Fact], None]) -> None:
        parents = tuple(bindings.values())

        def traced(fact: Fact) -> None:
            self.trace.append((fact, parents))
            emit(fact)

        super()._dispatch(name, bindings, traced)


def provenance(inputs: Sequence[str], derived: Sequence[str], trace: Iterable[tuple[Fact, tuple[Fact, ...]]],
               canonical: Callable[[Fact], str], sort_key: Callable[[Fact], str]) -> Provenance:
    """The provenance of a full run: ``inputs`` its inputs' canonical texts (sorted), ``derived`` the
    sort keys of its derived facts in stored order, ``trace`` the run's ``TracingEvaluator.trace``."""
    at_input = {text: index for index, text in enumerate(inputs)}
    at_derived = {text: index for index, text in enumerate(derived)}
    seen: dict[int, int] = {}  # id of a fact object -> its reference

    def reference(fact: Fact) -> int:
        found = seen.get(id(fact))
        if found is None:
            text = sort_key(fact)
            found = -1 - at_derived[text] if text in at_derived else at_input[canonical(fact)]
            seen[id(fact)] = found
        return found

    per_fact: list[set[tuple[int, ...]]] = [set() for _ in derived]
    for fact, parents in trace:
        per_fact[at_derived[sort_key(fact)]].add(tuple(reference(p) for p in parents))
    return Provenance(list(inputs), [sorted(ds) for ds in per_fact])


def kept(base: Provenance, present: frozenset[str]) -> list[int]:
    """The base's derived facts (their indexes) that a derivation still supports when only the inputs
    in ``present`` are there: every one when no input went. Else (delete and rederive) the facts that
    read a removed input, directly or through other facts, are suspect, and of those a derivation
    gives back the ones it supports from facts still there (the least fixpoint: a cycle of
    suspect facts supports nothing by itself)."""
    gone = [index for index, text in enumerate(base.inputs) if text not in present]
    if not gone:
        return list(range(len(base.derivations)))
    readers: dict[int, list[int]] = {}  # a reference -> the derived facts a derivation of which reads it
    for index, derivations in enumerate(base.derivations):
        for reference in {r for d in derivations for r in d}:
            readers.setdefault(reference, []).append(index)
    suspect: set[int] = set()
    pending = list(gone)
    while pending:
        for index in readers.get(pending.pop(), ()):
            if index not in suspect:
                suspect.add(index)
                pending.append(-1 - index)
    removed = frozenset(gone)
    back: set[int] = set()
    changed = True
    while changed:
        changed = False
        for index in suspect - back:
            if any(all(r not in removed if r >= 0 else (-1 - r not in suspect or -1 - r in back) for r in d)
                   for d in base.derivations[index]):
                back.add(index)
                changed = True
    return [index for index in range(len(base.derivations)) if index not in suspect or index in back]


class DifferenceEvaluator(Evaluator):
    """The rules as their semi-naive variants: in each, one pattern binds only fresh facts. The facts
    given carry ``FRESH``; what the variants derive is fresh, and is returned without the mark."""

    def __init__(self, rules: Rules) -> None:
        super().__init__([(rule, replace(compiled, patterns=patterns))
                          for rule, compiled in rules for patterns in _fresh_variants(compiled)])
        self._rules_given = tuple(rules)
        #: whether a derived fact is already there (a kept one, set by the caller): then it is not fresh
        self.known: Callable[[Fact], bool] = lambda fact: False
        #: the facts derived that were not already there (unmarked, maybe twice), since the caller emptied it
        self.fresh: list[Fact] = []

    def _dispatch(self, name: str, bindings: Bindings, emit: Callable[[Fact], None]) -> None:
        plain = {alias: _unmarked(fact) for alias, fact in bindings.items()}

        def fresh(fact: Fact) -> None:
            if not self.known(fact):
                self.fresh.append(fact)
                emit({**fact, FRESH: 1})

        super()._dispatch(name, plain, fresh)

    def needed(self, old: Sequence[Fact], added: Sequence[Fact]) -> list[Fact]:
        """Of the old derived facts ``old``, those some variant can bind beside a fresh fact: joined to a
        fresh input by an equality with one of the added inputs' values (every one, where unsure)."""
        derived = {compiled.derives for _rule, compiled in self._rules_given}
        allowed: dict[tuple[str, str], set[Any]] = {}  # (kind, field) -> values; absent: no restriction known
        unrestricted: set[str] = set()
        for _rule, compiled in self._rules_given:
            for fresh in compiled.patterns:
                for other in compiled.patterns:
                    if other is fresh or other.kind not in derived:
                        continue
                    joins = _joins(fresh, other) if fresh.kind not in derived else []
                    if not joins:
                        unrestricted.add(other.kind)
                        continue
                    field, fresh_field = joins[0]
                    allowed.setdefault((other.kind, field), set()).update(
                        f.get(fresh_field) for f in added if f.get("kind") == fresh.kind)
        checks: dict[str, list[tuple[str, set[Any]]]] = {}
        for (kind, field), values in allowed.items():
            if kind not in unrestricted:
                checks.setdefault(kind, []).append((field, values))
        chosen = []
        for fact in old:
            kind = fact.get("kind")
            if kind in unrestricted:
                chosen.append(fact)
                continue
            for field, values in checks.get(kind, ()):  # type: ignore[arg-type]
                value = fact.get(field)
                if not isinstance(value, str) or value in values:
                    chosen.append(fact)
                    break
        return chosen


def _fresh_variants(compiled: CompiledRule) -> list[tuple[Pattern, ...]]:
    """One pattern list per pattern of ``compiled``, that pattern requiring a fresh fact."""
    mark = FieldTest(FRESH, "eq", 1)
    return [tuple(replace(p, tests=(*p.tests, mark)) if i == index else p for i, p in enumerate(compiled.patterns))
            for index in range(len(compiled.patterns))]


def _joins(fresh: Pattern, other: Pattern) -> list[tuple[str, str]]:
    """(other's field, fresh's field) for each equality between the two patterns, either way."""
    found = [(t.field, t.value.field) for t in other.tests
             if t.op == "eq" and isinstance(t.value, Ref) and t.value.alias == fresh.alias]
    found += [(t.value.field, t.field) for t in fresh.tests
              if t.op == "eq" and isinstance(t.value, Ref) and t.value.alias == other.alias]
    return found


def _unmarked(fact: Mapping[str, Any]) -> Fact:
    return {k: v for k, v in fact.items() if k != FRESH}


def marked(facts: Iterable[Fact], value: int) -> list[Fact]:
    return [{**fact, FRESH: value} for fact in facts]
