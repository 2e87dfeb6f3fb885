"""Evaluate compiled rules over facts on durable-rules; return the raw matches.

Derivation rules add facts (forward chaining, inside the engine); check rules
produce matches that ``findings`` turns into findings. A rule's optional
``check`` expression filters its matches in both cases.
"""
from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from interlock.evaluation import expressions
from interlock.evaluation.adapter import Bindings, DurableEngine, Fact
from interlock.evaluation.compiler import CompiledRule, CompileError, fields_read, prefilter, split_alternatives, to_durable, unify_aliases
from interlock.evaluation.guards import bound_negations, guard_missing_refs, negation_holds
from interlock.errors import InputError
from interlock.evaluation.rulebook import Rule
from interlock.evaluation.stages import check_groups, derivation_components, kinds_read


@dataclass(frozen=True)
class Match:
    """One activation of a check rule: the facts bound to each alias."""

    rule_id: str
    bindings: Mapping[str, Fact]

    def sort_key(self) -> tuple[str, str]:
        return self.rule_id, json.dumps(self.bindings, sort_keys=True)


#: A derivation's fields, each compiled once: (field, the compiled expression), by field name.
Program = tuple[tuple[str, Callable[[Mapping[str, Any]], Any]], ...]


def derive_program(rule: Rule) -> Program:
    """The derivation's field expressions in field order, compiled (a run derives a fact per match)."""
    assert rule.derive is not None
    return tuple((name, expressions.compile_expression(source)) for name, source in sorted(rule.derive["fields"].items()))


def derived_fact(rule: Rule, options: Mapping[str, Any], bindings: Bindings, program: Program | None = None) -> Fact:
    """The fact a derivation rule adds for one match (fields are Jinja expressions; ``program``, when
    given, is ``derive_program(rule)``)."""
    assert rule.derive is not None
    ctx = expressions.context(bindings, options)
    fact: Fact = {"kind": rule.derive["kind"]}
    for name, run in program if program is not None else derive_program(rule):
        value = run(ctx)
        if value is not None:
            fact[name] = value
    return fact


def kept_key(rule: Rule, fact: Fact) -> tuple[Any, ...] | None:
    """For a derivation with ``one_per``: the fields that name its single kept fact."""
    assert rule.derive is not None
    per = rule.derive.get("one_per")
    return None if not per else (rule.derive["kind"], *(fact.get(name) for name in per))


def preference(rule: Rule, fact: Fact) -> tuple[Any, ...]:
    """Rank of a derived fact among those with the same ``one_per`` key: smallest wins (``keep_best``
    breaks a tie by the facts' sorted items, so the choice never depends on order)."""
    assert rule.derive is not None
    return tuple(expressions.evaluate(src, fact) for src in rule.derive["prefer"])


def _tie(fact: Fact) -> str:
    return repr(sorted(fact.items()))


#: one_per key -> (rank, best fact so far, gathered field -> the distinct values seen)
Kept = dict[tuple[Any, ...], tuple[tuple[Any, ...], Fact, dict[str, set[Any]]]]


def keep_best(kept: Kept, key: tuple[Any, ...], rank: tuple[Any, ...], fact: Fact,
              gather: Mapping[str, str] | None = None) -> None:
    """Remember ``fact`` if it is the best so far for ``key`` (the smallest rank, then the smallest
    sorted items: computed only on a tie), and gather the values of the fields ``gather`` names
    (new field -> field of the candidate) over every candidate."""
    entry = kept.get(key)
    if entry is None or rank < entry[0] or (rank == entry[0] and _tie(fact) < _tie(entry[1])):
        entry = kept[key] = (rank, fact, entry[2] if entry else {name: set() for name in gather or ()})
    for name, source in (gather or {}).items():
        value = fact.get(source)
        if value is not None:
            entry[2][name].add(value)


def kept_fact(entry: tuple[tuple[Any, ...], Fact, dict[str, set[Any]]]) -> Fact:
    """The fact a kept key becomes: its best candidate, plus each gathered field's distinct values, sorted."""
    _rank, fact, gathered = entry
    return {**fact, **{name: sorted(values) for name, values in gathered.items()}} if gathered else fact


def gathered(rule: Rule) -> Mapping[str, str] | None:
    """A kept derivation's ``gather``: new field -> the candidates' field whose values it lists."""
    assert rule.derive is not None
    return rule.derive.get("gather")


def _pack_failure(rule: Rule, exc: Exception) -> Exception:
    """A rule pack's `check` or `derive` expression failed on a match: bad input, located at the
    rule's key; a built-in rule's failure is a bug and stays what it is."""
    if rule.builtin:
        return exc
    key: tuple[str, ...] = ("check",) if rule.check else ("derive", "fields")
    detail = " ".join(f"{type(exc).__name__}: {exc}".split())
    detail = "".join(c if c.isprintable() else repr(c)[1:-1] for c in detail)[:300]
    return InputError([rule.problem(key, f"rule {rule.id} failed on a match: {detail}")])


def check_kept_kinds(rules: Sequence[tuple[Rule, CompiledRule]]) -> None:
    """A kept kind is final only when its stratum ends: producers must agree on how
    to keep it, and every consumer must sit in a later stratum."""
    producers: dict[str, list[tuple[Rule, CompiledRule]]] = {}
    for rule, compiled in rules:
        if rule.derive is not None:
            producers.setdefault(rule.derive["kind"], []).append((rule, compiled))
    for kind, makers in producers.items():
        specs = {(tuple(r.derive.get("one_per") or ()), tuple(r.derive.get("prefer") or ())) for r, _c in makers}  # type: ignore[union-attr]
        if len(specs) > 1:
            raise CompileError(f"the rules deriving {kind!r} ({', '.join(sorted(r.id for r, _c in makers))}) "
                               "must agree on one_per and prefer")
        if specs == {((), ())}:
            continue
        last = max(c.stratum for _r, c in makers)
        for rule, compiled in rules:
            if kind in (compiled.uses | compiled.negates) and rule.derive is not None and rule.derive["kind"] == kind:
                raise CompileError(f"rule {rule.id} derives {kind!r} from itself, which one_per cannot keep")
            if kind in (compiled.uses | compiled.negates) and compiled.stratum <= last:
                raise CompileError(f"rule {rule.id} reads {kind!r}, kept one per {specs.pop()[0]}, in the stratum "
                                   "that derives it; it must negate something derived later or not read it")


def accepts(rule: Rule, options: Mapping[str, Any], bindings: Bindings) -> bool:
    """The rule's ``check`` expression, true when the rule has none."""
    if not rule.check:
        return True
    return bool(expressions.evaluate(rule.check, expressions.context(bindings, options)))


#: From this many facts a run is staged (engine/evaluation/stages.py): the engine holds one stage's
#: facts and partial matches at a time, not all of them, and its hash chains stay short. A smaller
#: run stays in one session, which asserts each fact once (staging 1,000 departments costs ~12% more CPU).
STAGE_FROM = 50_000


class Evaluator:
    """Compiled rules bound to one durable-rules ruleset; ``run`` may be called many times."""

    def __init__(self, rules: Sequence[tuple[Rule, CompiledRule]]) -> None:
        self._rules = {
            f"r{index}.{variant}": (rule, part)
            for index, (rule, compiled) in enumerate(rules)
            for variant, part in enumerate(guarded for split in split_alternatives(compiled)
                                           for unified in unify_aliases(split) for guarded in guard_missing_refs(unified))
        }
        check_kept_kinds(rules)
        #: the negations the engine cannot test against the match's own facts, re-tested here
        self._rechecks = {name: found for name, (_rule, part) in self._rules.items() if (found := bound_negations(part))}
        #: each derivation's compiled fields, by variant name (compiled on its first match)
        self._programs: dict[str, Program] = {}
        self._matches: list[Match] = []
        self._derived: list[Fact] = []
        #: one_per key -> (rank, fact): the best candidate so far, asserted when its stratum ends
        self._kept: Kept = {}
        self._last_producer: dict[str, int] = {}
        for rule, compiled in rules:
            if rule.derive is not None:
                kind = rule.derive["kind"]
                self._last_producer[kind] = max(self._last_producer.get(kind, 0), compiled.stratum)
        parts = [compiled for _rule, compiled in self._rules.values()]
        #: Whether some pattern can match a fact: the engine never sees the others.
        self.needs = prefilter(parts)
        self._one: DurableEngine | None = None  # every rule in one session (compiled on first use)
        self._staged: list[tuple[DurableEngine, list[str]]] | None = None  # derivations, then checks
        self.stage_from = STAGE_FROM

    def _engine(self, names: Sequence[str], between: bool,
                matchable: Callable[[Fact], bool] | None = None) -> DurableEngine:
        """One durable-rules ruleset over the rule variants ``names`` (``matchable``: their prefilter, when
        the caller has it already)."""
        parts = [self._rules[name][1] for name in names]
        return DurableEngine(
            {name: to_durable(self._rules[name][1]) for name in names},
            self._dispatch,
            strata=max([c.stratum for c in parts] + [1]),
            matchable=matchable or prefilter(parts),
            fields=fields_read(parts),
            between_strata=self._release_kept if between else None,
        )

    def _stages(self) -> list[tuple[DurableEngine, list[str]]]:
        """The staged run's sessions, in order, each with the kinds it is given (engine/evaluation/stages.py)."""
        if self._staged is None:
            parts = {name: part for name, (_rule, part) in self._rules.items()}
            self._staged = [(self._engine(names, part_of_derivations), kinds_read([parts[n] for n in names]))
                            for names, part_of_derivations in
                            [*((c, True) for c in derivation_components(parts)), *((g, False) for g in check_groups(parts))]]
        return self._staged

    def close(self) -> None:
        for engine in [self._one, *(engine for engine, _kinds in self._staged or ())]:
            if engine is not None:
                engine.close()

    def __enter__(self) -> Evaluator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, facts: Iterable[Fact], derived: bool = True) -> tuple[list[Match], list[Fact]]:
        """Matches of the check rules, and the facts the derivation rules added (none without
        ``derived``: only reports read them, and ordering them costs a run time)."""
        self._matches, self._derived, self._kept = [], [], {}
        facts = facts if isinstance(facts, list) else list(facts)
        if len(facts) < self.stage_from:
            if self._one is None:
                self._one = self._engine(list(self._rules), True, self.needs)  # every rule: the prefilter is self.needs
            self._one.run(facts)
            self._release_kept()
        else:
            self._run_staged(facts)
        matches, added = self._matches, self._derived
        self._matches, self._derived = [], []
        # split alternatives may report one binding twice: keep each once
        distinct = {m.sort_key(): m for m in matches}
        if not derived:
            return [distinct[k] for k in sorted(distinct)], []
        unique = {json.dumps(f, sort_keys=True): f for f in added}
        return [distinct[k] for k in sorted(distinct)], [unique[k] for k in sorted(unique)]

    def _run_staged(self, facts: list[Fact]) -> None:
        """Each stage's session in turn, given the facts and derived facts of the kinds it reads."""
        by_kind: dict[str, list[Fact]] = {}
        for fact in facts:
            by_kind.setdefault(fact.get("kind"), []).append(fact)  # type: ignore[arg-type]
        for engine, kinds in self._stages():
            seen = len(self._derived)
            engine.run(itertools.chain.from_iterable(by_kind.get(kind, ()) for kind in kinds))
            self._release_kept()
            for fact in self._derived[seen:]:
                by_kind.setdefault(fact.get("kind"), []).append(fact)  # type: ignore[arg-type]

    def _release_kept(self, stratum: int | None = None) -> list[Fact]:
        """The kept facts whose producers have all finished before ``stratum`` (all when None),
        for the engine and the report; they are final now."""
        done = [key for key in sorted(self._kept, key=repr)
                if stratum is None or self._last_producer[key[0]] < stratum]
        released = [kept_fact(self._kept.pop(key)) for key in done]
        self._derived.extend(released)
        return released

    def _dispatch(self, name: str, bindings: Bindings, emit: Callable[[Fact], None]) -> None:
        rule, compiled = self._rules[name]
        if compiled.same:  # a variant in which one fact fills several patterns: bind it to each alias
            bindings = {**bindings, **{alias: bindings[first] for alias, first in compiled.same}}
            bindings = {alias: bindings[alias] for alias in sorted(bindings)}
        rechecks = self._rechecks.get(name)
        if rechecks and not negation_holds(rechecks, bindings):
            return
        try:
            if not accepts(rule, compiled.options, bindings):
                return
            if rule.derive is None:
                fact = None
            else:
                program = self._programs.get(name)
                if program is None:
                    program = self._programs[name] = derive_program(rule)
                fact = derived_fact(rule, compiled.options, bindings, program)
        except Exception as exc:
            raise _pack_failure(rule, exc) from exc
        if fact is not None:
            assert rule.derive is not None
            key = kept_key(rule, fact)
            if key is not None:
                keep_best(self._kept, key, preference(rule, fact), fact, gathered(rule))
                return
            self._derived.append(fact)
            emit(fact)
        else:
            self._matches.append(Match(rule.id, bindings))
