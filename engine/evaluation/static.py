"""Derivations that depend on the knowledge base alone, computed once per knowledge base and cached.

Every run used to derive the ~1,800 causal paths of the metric graph (rules D01, D02) and the
metrics each path reaches (D19) in the engine, from facts that only the knowledge base supplies
(issue 9). Those rules are found generically: a rule is *static* when every kind it reads, negates
or derives is a knowledge kind (``KNOWLEDGE_KINDS``) or a kind that only static rules derive.
Their results (derived facts, and the matches of any static check rule) are a function of the
input facts of those kinds and of the rules, so they are stored in the on-disk cache under the
digest of exactly those facts and rules: an organization that adds a metric or an influence edge
gets its own entry. A run then asserts the stored facts as input and leaves the static rules out
of the engine. The answers are the same as evaluating every rule together:

* a static rule reads only static kinds, whose facts are the same in both runs;
* a static kind has only static producers, so a kept kind (``one_per``) chooses among the same
  candidates, and a negation of a static kind sees it complete either way (it is complete before
  the dynamic rules' first stratum);
* the derived kinds of the two sets are disjoint, and so are their check rules: the results are
  merged, deduplicated and sorted the way ``Evaluator.run`` sorts them.

Of the stored facts, only those that can join a fact of the run enter the engine (``joinable``):
most paths start from metrics no plan pays, and each one stored costs the engine partial matches.

tests/read/test_cache.py compares every output format with and without the cache.
"""
from __future__ import annotations

import bisect
import json
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any

from interlock.evaluation import incremental
from interlock.evaluation.adapter import RESERVED_FIELDS, Fact
from interlock.read.cache import Store, key
from interlock.evaluation.compiler import Arith, CompiledRule, Pattern, Ref, Same, prefilter
from interlock.evaluation.evaluate import Evaluator, Match
from dataclasses import dataclass
from functools import cached_property
from interlock.evaluation.rulebook import Rule

#: The kinds of fact only the knowledge base (built in, plus an organization's additions) supplies (facts._catalog).
KNOWLEDGE_KINDS = frozenset({"metric", "quality_pair", "influence", "non_conflict"})
#: The layout of a stored result (StaticResult.to_json): another layout is another entry.
STORED_FORM = "2: shapes and rows"
#: Results kept in memory: a process linting a few organizations (or rule examples) in a row reuses them.
MEMORY_ENTRIES = 4
#: The most recently used results, by entry key (the key covers the rules, so evaluators share them).
_RECENT: dict[str, StaticResult] = {}

Rules = Sequence[tuple[Rule, CompiledRule]]


@dataclass(frozen=True)
class Split:
    """The rules whose results depend on knowledge kinds alone, the others, and the static kinds."""

    static: tuple[tuple[Rule, CompiledRule], ...]
    dynamic: tuple[tuple[Rule, CompiledRule], ...]
    kinds: frozenset[str]


def split(rules: Rules, base_kinds: Collection[str] = KNOWLEDGE_KINDS) -> Split:
    """Partition ``rules``: a rule is dynamic when it reads, negates or derives a dynamic kind; a kind is
    dynamic when it is neither a base kind nor derived by a rule, or when a dynamic rule derives it."""
    derived = {compiled.derives for _rule, compiled in rules if compiled.derives}

    def touched(compiled: CompiledRule) -> frozenset[str]:
        return compiled.uses | compiled.negates | ({compiled.derives} if compiled.derives else set())

    dynamic_kinds = {kind for _rule, compiled in rules for kind in touched(compiled)
                     if kind not in base_kinds and kind not in derived}
    dynamic: set[int] = set()
    changed = True
    while changed:
        changed = False
        for index, (_rule, compiled) in enumerate(rules):
            if index not in dynamic and touched(compiled) & dynamic_kinds:
                dynamic.add(index)
                if compiled.derives:
                    dynamic_kinds.add(compiled.derives)
                changed = True
    static = tuple(pair for index, pair in enumerate(rules) if index not in dynamic)
    kinds = frozenset(base_kinds) | {kind for _rule, compiled in static for kind in touched(compiled)}
    return Split(static, tuple(pair for index, pair in enumerate(rules) if index in dynamic), kinds - dynamic_kinds)


@dataclass(frozen=True)
class StaticResult:
    """What the static rules produce: derived facts (in the order of their canonical text) and matches."""

    derived: tuple[Fact, ...]
    matches: tuple[Match, ...]

    @staticmethod
    def of(matches: Sequence[Match], derived: Sequence[Fact]) -> StaticResult:
        return StaticResult(tuple(sorted(derived, key=sort_key)), tuple(matches))

    @cached_property
    def keys(self) -> tuple[str, ...]:
        """Each derived fact's canonical text: only a run that hands out derived facts (the report) needs them."""
        return tuple(map(sort_key, self.derived))

    def to_json(self) -> dict[str, Any]:
        """Compact: each distinct set of fields (a *shape*: kind and field names) once, each fact as
        its shape's number and its values. ~7,700 causal paths are read back by every run."""
        shapes: dict[tuple[str, ...], int] = {}
        rows = []
        for fact in self.derived:
            names = tuple(fact)
            number = shapes.setdefault(names, len(shapes))
            rows.append([number, *fact.values()])
        return {"shapes": [list(names) for names in shapes], "rows": rows,
                "matches": [[m.rule_id, m.bindings] for m in self.matches]}

    @staticmethod
    def from_json(value: Any) -> StaticResult:
        """A stored result, refused (ValueError) unless every fact is a flat mapping of scalars."""
        derived = tuple(_facts(value["shapes"], value["rows"]))
        matches = []
        for rule_id, bindings in value["matches"]:
            if not isinstance(rule_id, str) or not isinstance(bindings, dict):
                raise ValueError("not a match")
            matches.append(Match(rule_id, {str(alias): _fact(f) for alias, f in bindings.items()}))
        return StaticResult(derived, tuple(matches))


def sort_key(fact: Fact) -> str:
    """How ``Evaluator.run`` orders (and deduplicates) derived facts."""
    return json.dumps(fact, sort_keys=True)


def _fact(value: Any) -> Fact:
    if not (type(value) is dict and type(value.get("kind")) is str and not RESERVED_FIELDS & value.keys()
            and all(type(v) in _SCALARS for v in value.values())):
        raise ValueError("not a fact")
    return value


def _facts(shapes: Any, rows: Any) -> list[Fact]:
    """The facts of a compact stored result (``StaticResult.to_json``), checked as a whole: each shape
    names distinct text fields, ``kind`` among them and no reserved one; each row is a shape's number
    and one scalar per field, ``kind`` a text."""
    if type(shapes) is not list or type(rows) is not list or not all(type(row) is list for row in rows):
        raise ValueError("not facts")
    for names in shapes:
        if (type(names) is not list or not all(type(n) is str for n in names) or len(set(names)) != len(names)
                or "kind" not in names or not RESERVED_FIELDS.isdisjoint(names)):
            raise ValueError("not a shape")
    if not {type(v) for row in rows for v in row} <= _SCALAR_TYPES:  # a row starts with its shape's number
        raise ValueError("not a fact")
    try:  # a row of another length, a number naming no shape
        facts = [dict(zip(shapes[row[0]], row[1:], strict=True)) for row in rows]
    except (TypeError, IndexError, KeyError) as error:
        raise ValueError("not a row") from error
    if not all(type(f["kind"]) is str for f in facts):
        raise ValueError("not a fact")
    return facts


_SCALARS = (str, int, float, bool)
_SCALAR_TYPES = frozenset(_SCALARS)


class CachedEvaluator:
    """``Evaluator(rules).run`` with the static rules' results taken from the cache when it has them."""

    def __init__(self, rules: Rules, store: Store) -> None:
        self._split = split(rules)
        self._store = store
        self._dynamic = Evaluator(self._split.dynamic)
        self._static: Evaluator | None = None  # compiled on the first miss only
        self._difference: incremental.DifferenceEvaluator | None = None  # compiled on the first difference only
        self._rules_text = json.dumps([_describe(rule, compiled) for rule, compiled in self._split.static])
        self._derived = frozenset(compiled.derives for _rule, compiled in rules if compiled.derives)
        #: whether a miss can be derived from a stored provenance (engine/evaluation/incremental.py)
        self._by_difference = incremental.eligible(self._split.static, KNOWLEDGE_KINDS)
        self._provenance_key = key("static-provenance", STORED_FORM, self._rules_text)

    def needs(self, fact: Fact) -> bool:
        """Whether the run can use ``fact``: an input of the cached rules, or one the engine can match."""
        return fact.get("kind") in self._split.kinds or self._dynamic.needs(fact)

    def close(self) -> None:
        self._dynamic.close()
        if self._static is not None:
            self._static.close()

    def __enter__(self) -> CachedEvaluator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, facts: Iterable[Fact], derived: bool = True) -> tuple[list[Match], list[Fact]]:
        """Matches of the check rules, and the facts the derivation rules added (as ``Evaluator.run``)."""
        facts = list(facts)
        if not self._split.static:
            return self._dynamic.run(facts, derived)
        kinds = self._split.kinds
        static = self._static_result([f for f in facts if f.get("kind") in kinds])
        others = [f for f in facts if f.get("kind") not in kinds]
        matches, added = self._dynamic.run(
            [*others, *joinable(self._split.dynamic, [*facts, *static.derived], kinds, self._derived)], derived)
        if static.matches:  # else the engine's matches are already deduplicated and sorted (Evaluator.run)
            # copies: the caller owns what it gets; the results kept in memory stay as they were stored
            kept = [Match(m.rule_id, {alias: dict(f) for alias, f in m.bindings.items()}) for m in static.matches]
            every_match = {m.sort_key(): m for m in (*kept, *matches)}
            matches = [every_match[k] for k in sorted(every_match)]
        if not derived:
            return matches, []
        every_fact = dict(zip(static.keys, map(dict, static.derived)))
        every_fact.update((sort_key(f), f) for f in added)
        return matches, [every_fact[k] for k in sorted(every_fact)]

    def _static_result(self, inputs: list[Fact]) -> StaticResult:
        texts = _canonical_texts(inputs)
        entry = self._key([text for text, _fact in texts]) if texts is not None else None
        if entry is not None:
            found = _RECENT.get(entry) or self._store.load("static", entry, self._stored)
            if found is not None:
                _remember(entry, found)
                return found
        difference = self._from_provenance(texts) if texts is not None and self._by_difference else None
        result = difference[0] if difference is not None else self._derive_all(inputs, texts)
        if entry is not None:
            _remember(entry, result)
            self._store.save("static", entry, difference[1] if difference is not None else result.to_json())
        return result

    def _stored(self, value: Any) -> StaticResult:
        """A stored result: whole (``StaticResult.to_json``), or as the difference from a whole one
        (``_from_provenance``): the base's entry, the base facts not kept, the facts added."""
        if "base" not in value:
            return StaticResult.from_json(value)
        base_entry, dropped = value["base"], value["dropped"]
        base = self._whole(base_entry) if type(base_entry) is str else None
        if base is None or type(dropped) is not list or not {type(i) for i in dropped} <= {int}:
            raise ValueError("no base")
        gone = frozenset(dropped)
        kept = [fact for index, fact in enumerate(base.derived) if index not in gone]
        return StaticResult(_Ordered(kept).merged(_facts(value["shapes"], value["rows"])), ())

    def _whole(self, entry: str) -> StaticResult | None:
        """The whole stored result of ``entry`` (a base of differences: never itself a difference)."""
        return _RECENT.get(entry) or self._store.load("static", entry, StaticResult.from_json)

    def _key(self, texts: Sequence[str]) -> str:
        """The digest of the static rules and of exactly their input facts (their canonical texts, sorted)."""
        return key("static-derivations", STORED_FORM, self._rules_text, "\n".join(texts))

    def _derive_all(self, inputs: list[Fact], texts: list[tuple[str, Fact]] | None) -> StaticResult:
        """Every static rule over every input; where a later miss can start from it, its provenance is stored."""
        traced = self._by_difference and texts is not None and self._store.enabled
        if self._static is None or isinstance(self._static, incremental.TracingEvaluator) != traced:
            if self._static is not None:
                self._static.close()
            self._static = incremental.TracingEvaluator(self._split.static) if traced else Evaluator(self._split.static)
        result = StaticResult.of(*self._static.run(inputs))
        if isinstance(self._static, incremental.TracingEvaluator):
            assert texts is not None
            trace, self._static.trace = self._static.trace, []
            found = incremental.provenance([text for text, _fact in texts], result.keys, trace, canonical, sort_key)
            self._store.save("provenance", self._provenance_key, found.to_json())
        return result

    def _from_provenance(self, texts: list[tuple[str, Fact]]) -> tuple[StaticResult, dict[str, Any]] | None:
        """The result derived from the stored provenance's by difference (engine/evaluation/incremental.py),
        and its stored form (the difference from the base's result), or None: no provenance, its result
        missing, or too large a difference."""
        base = self._store.load("provenance", self._provenance_key, incremental.Provenance.from_json)
        if base is None:
            return None
        before, present = frozenset(base.inputs), frozenset(text for text, _fact in texts)
        added = [fact for text, fact in texts if text not in before]
        if len(added) + len(before - present) > incremental.MAX_CHANGE * len(texts):
            return None
        base_entry = self._key(base.inputs)
        stored = self._whole(base_entry)
        if stored is None or len(stored.derived) != len(base.derivations):
            return None
        kept = incremental.kept(base, present)
        survivors = [stored.derived[index] for index in kept]
        ordered = _Ordered(survivors)
        if self._difference is None:
            self._difference = incremental.DifferenceEvaluator(self._split.static)
        difference = self._difference
        difference.known, difference.fresh = ordered.holds, []
        old = [fact for text, fact in texts if text in before]
        difference.run([*incremental.marked(old, 0), *incremental.marked(difference.needed(survivors, added), 0),
                        *incremental.marked(added, 1)], derived=False)
        fresh = list({sort_key(fact): fact for fact in difference.fresh}.values())
        kept_at = frozenset(kept)
        form = StaticResult(tuple(fresh), ()).to_json()
        del form["matches"]
        form.update(base=base_entry, dropped=[i for i in range(len(stored.derived)) if i not in kept_at])
        return StaticResult(ordered.merged(fresh, absent=True), ()), form



def canonical(fact: Fact) -> str:
    """An input's text in a key: compact, fields sorted, no value JSON cannot hold exactly."""
    return json.dumps(fact, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _canonical_texts(inputs: Iterable[Fact]) -> list[tuple[str, Fact]] | None:
    """Each input with its canonical text, sorted by it; None when a value cannot be written exactly
    (then the result is computed, not cached)."""
    try:
        return sorted(((canonical(fact), fact) for fact in inputs), key=lambda pair: pair[0])
    except (TypeError, ValueError):
        return None


class _Ordered:
    """Facts in the order of their sort keys, each key computed only when a comparison needs it."""

    def __init__(self, facts: Sequence[Fact]) -> None:
        self._facts = facts
        self._keys: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self._facts)

    def __getitem__(self, index: int) -> str:
        found = self._keys.get(index)
        if found is None:
            found = self._keys[index] = sort_key(self._facts[index])
        return found

    def holds(self, fact: Fact) -> bool:
        text = sort_key(fact)
        at = bisect.bisect_left(self, text)  # type: ignore[arg-type]
        return at < len(self) and self[at] == text

    def merged(self, added: Iterable[Fact], absent: bool = False) -> tuple[Fact, ...]:
        """These facts and ``added`` (those not among them; ``absent``: none is), in sort-key order."""
        extra = {text: fact for fact in added if absent or not self.holds(fact) for text in (sort_key(fact),)}
        merged: list[Fact] = []
        start = 0
        for text in sorted(extra):
            at = bisect.bisect_left(self, text, lo=start)  # type: ignore[arg-type]
            merged.extend(self._facts[start:at])
            merged.append(extra[text])
            start = at
        merged.extend(self._facts[start:])
        return tuple(merged)


def _remember(entry: str, result: StaticResult) -> None:
    """Keep ``result`` as the most recently used, dropping the least recently used beyond MEMORY_ENTRIES."""
    _RECENT.pop(entry, None)
    _RECENT[entry] = result
    while len(_RECENT) > MEMORY_ENTRIES:
        del _RECENT[next(iter(_RECENT))]


#: A pattern's constant tests, and the text values each of its joined fields must take.
_Need = tuple[Callable[[Fact], bool], tuple[tuple[str, frozenset[str]], ...]]


def joinable(rules: Rules, facts: Sequence[Fact], kinds: Collection[str], derived: Collection[str] = ()) -> list[Fact]:
    """The facts of ``kinds`` that can take part in a match of ``rules`` (a semi-join), in order.

    The causal paths are many, and most start from metrics no plan pays; every one the engine
    stores costs it partial matches in each rule that starts from the metric graph. A fact can
    fill a pattern (or block a negated one) only if it passes the pattern's constant tests and,
    for each equality with another positive pattern (``{ref: alias.field}``, either way), some
    fact of that pattern's kind passing its constant tests holds the same value. Only the facts of
    kinds that no rule derives (neither in ``rules`` nor in ``derived``: not the many causal paths)
    are known in advance, few, and scanned for those values; a join on anything else, or on a value
    that is not text, is taken as possible, so no fact the engine would use is refused.
    """
    by_kind: dict[str, list[Fact]] = {}
    for fact in facts:
        by_kind.setdefault(str(fact.get("kind")), []).append(fact)
    needs = _needs(rules, by_kind, kinds, derived)
    chosen: set[int] = set()
    indexes: dict[tuple[str, str], tuple[dict[str, list[Fact]], list[Fact]]] = {}
    for kind, kind_needs in needs.items():
        candidates = by_kind.get(kind, [])
        for screen, joins in kind_needs:
            if joins:  # start from the facts whose most selective joined field holds an allowed value
                name, allowed = min(joins, key=lambda join: len(join[1]))
                if (kind, name) not in indexes:
                    indexes[(kind, name)] = _index(candidates, name)
                by_value, untyped = indexes[(kind, name)]
                start: Iterable[Fact] = [*untyped, *(f for v in allowed for f in by_value.get(v, ()))]
            else:
                start = candidates
            for fact in start:
                if id(fact) in chosen:
                    continue
                for name, allowed in joins:
                    value = fact.get(name)
                    if isinstance(value, str) and value not in allowed:
                        break
                else:
                    if screen(fact):
                        chosen.add(id(fact))
    return [fact for fact in facts if fact.get("kind") in kinds and id(fact) in chosen]


def _index(facts: Sequence[Fact], name: str) -> tuple[dict[str, list[Fact]], list[Fact]]:
    """``facts`` by their text value of ``name``, and those without one (candidates whatever is allowed)."""
    by_value: dict[str, list[Fact]] = {}
    untyped: list[Fact] = []
    for fact in facts:
        value = fact.get(name)
        if isinstance(value, str):
            by_value.setdefault(value, []).append(fact)
        else:
            untyped.append(fact)
    return by_value, untyped


def _needs(rules: Rules, by_kind: Mapping[str, Sequence[Fact]], kinds: Collection[str],
           derived: Collection[str]) -> dict[str, list[_Need]]:
    """For every pattern over ``kinds``: its constant tests and the values each joined field may take."""
    produced = {compiled.derives for _rule, compiled in rules if compiled.derives} | set(derived)
    held: dict[tuple[str, str, str], frozenset[str] | None] = {}
    grouped: dict[tuple[str, str], tuple[dict[str, list[Fact]], list[Fact]]] = {}  # once per kind and field

    def values(pattern: Pattern, name: str) -> frozenset[str] | None:
        """The text values of ``name`` among facts passing ``pattern``'s constant tests (None: any value).

        The facts are grouped by their value of ``name`` and screened group by group until one passes:
        a value held by many facts (a metric that a thousand measures pay on) costs one test, not a thousand."""
        constant = [t for t in pattern.tests if not isinstance(t.value, (Ref, Same, Arith))]
        slot = (pattern.kind, repr((constant, pattern.any_of)), name)  # patterns testing the same constants alike
        if slot not in held:
            found: frozenset[str] | None = None
            if pattern.kind not in produced:
                screen = prefilter([CompiledRule("", (pattern,))])
                narrowed = _narrowed(pattern, by_kind, grouped)
                if narrowed is not None:  # few candidates: screen each (a passing fact without a text value: any)
                    passing = [f for f in narrowed if screen(f)]
                    if all(isinstance(f.get(name), str) for f in passing):
                        found = frozenset(f[name] for f in passing)
                    held[slot] = found
                    return found
                if (pattern.kind, name) not in grouped:
                    grouped[(pattern.kind, name)] = _index(by_kind.get(pattern.kind, ()), name)
                by_value, untyped = grouped[(pattern.kind, name)]
                if not any(map(screen, untyped)):  # a passing fact without a text value: any value may join
                    found = frozenset(value for value, group in by_value.items() if any(map(screen, group)))
            held[slot] = found
        return held[slot]

    needs: dict[str, list[_Need]] = {}
    for _rule, compiled in rules:
        for index, pattern in enumerate(compiled.patterns):
            if pattern.kind not in kinds:
                continue
            joins: list[tuple[str, frozenset[str] | None]] = []
            bound = {p.alias: p for p in compiled.patterns[:index] if p.alias}
            for test in pattern.tests:  # this pattern's field equals an earlier fact's, or a text constant
                if test.op == "eq" and isinstance(test.value, Ref) and test.value.alias in bound:
                    joins.append((test.field, values(bound[test.value.alias], test.value.field)))
                elif test.op == "eq" and isinstance(test.value, str):
                    joins.append((test.field, frozenset({test.value})))
            for later in compiled.patterns[index + 1:] if pattern.alias else ():  # a later fact's equals this one's
                for test in later.tests if later.alias is not None else ():  # a negation needs no fact at all
                    if test.op == "eq" and isinstance(test.value, Ref) and test.value.alias == pattern.alias:
                        joins.append((test.value.field, values(later, test.field)))
            constrained = tuple((name, found) for name, found in joins if found is not None)
            needs.setdefault(pattern.kind, []).append((prefilter([CompiledRule("", (pattern,))]), constrained))
    return needs


def _narrowed(pattern: Pattern, by_kind: Mapping[str, Sequence[Fact]],
              grouped: dict[tuple[str, str], tuple[dict[str, list[Fact]], list[Fact]]]) -> list[Fact] | None:
    """The only facts of ``pattern``'s kind that can pass a text equality of its own (``metric: dpo``):
    those holding that text, and those whose value is not text (a mixed comparison is left to the engine);
    None when the pattern tests no field against a text constant. At 10,000 departments the measures
    of one metric are a hundred of 50,000."""
    best: list[Fact] | None = None
    for test in pattern.tests:
        if test.op == "eq" and type(test.value) is str:
            if (pattern.kind, test.field) not in grouped:
                grouped[(pattern.kind, test.field)] = _index(by_kind.get(pattern.kind, ()), test.field)
            by_value, untyped = grouped[(pattern.kind, test.field)]
            found = [*by_value.get(test.value, ()), *untyped]
            if best is None or len(found) < len(best):
                best = found
    return best


def _describe(rule: Rule, compiled: CompiledRule) -> list[Any]:
    """Everything a static rule's results depend on: its patterns (options resolved), stratum, check and fields."""
    derive: Mapping[str, Any] | None = rule.derive
    return [rule.id, rule.file, rule.builtin, repr(compiled), rule.check,
            json.dumps(derive, sort_keys=True, default=repr)]
