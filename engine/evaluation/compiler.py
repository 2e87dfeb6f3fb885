"""Compile YAML rules into a small typed form, then into durable-rules' JSON.

The typed form (``Pattern``, ``FieldTest``) is what both evaluators share: the
durable-rules translation in ``to_durable`` and the plain-Python reference
evaluator the tests keep. Options are resolved here, so a compiled rule set
is specific to one configuration. Stratification also happens here: a rule
that negates a kind runs only after every rule that can produce that kind.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Union

from interlock.evaluation.adapter import FRAME_SLOTS, gate

Scalar = Union[str, int, float, bool]


@dataclass(frozen=True)
class Ref:
    """A field of a fact bound earlier in the rule (``{ref: alias.field}``)."""

    alias: str
    field: str


@dataclass(frozen=True)
class Same:
    """Another field of the fact being matched (``{field: name}``)."""

    field: str


@dataclass(frozen=True)
class Arith:
    """Arithmetic over values: add, sub, mul, div (left to right)."""

    op: str
    args: tuple[Value, ...]


Value = Union[Scalar, Ref, Same, Arith]

#: comparison operators of the rule language, and durable's name for each.
OPERATORS = {"eq": None, "ne": "$neq", "lt": "$lt", "lte": "$lte", "gt": "$gt", "gte": "$gte"}
ARITHMETIC = {"add": "$add", "sub": "$sub", "mul": "$mul", "div": "$div"}


@dataclass(frozen=True)
class FieldTest:
    """One field test: ``op`` is a comparison, ``in``, ``exists`` or ``missing``."""

    field: str
    op: str
    value: Value | tuple[Scalar, ...] | None = None


@dataclass(frozen=True)
class Pattern:
    """Match one fact of ``kind`` (bind it to ``alias``), or assert none exists."""

    kind: str
    tests: tuple[FieldTest, ...]
    alias: str | None = None
    any_of: tuple[tuple[FieldTest, ...], ...] = ()

    @property
    def negated(self) -> bool:
        return self.alias is None


@dataclass(frozen=True)
class CompiledRule:
    """A rule ready for evaluation: patterns in order, its stratum and what it derives."""

    rule_id: str
    patterns: tuple[Pattern, ...]
    derives: str | None = None
    stratum: int = 0
    options: Mapping[str, Any] = field(default_factory=dict)
    #: (alias, as): ``alias`` is bound to the very fact bound to ``as`` (a variant of ``unify_aliases``).
    same: tuple[tuple[str, str], ...] = ()

    @property
    def negates(self) -> frozenset[str]:
        return frozenset(p.kind for p in self.patterns if p.negated)

    @property
    def uses(self) -> frozenset[str]:
        return frozenset(p.kind for p in self.patterns if not p.negated)


class CompileError(ValueError):
    """A rule that cannot be compiled; ``path`` locates it inside the rule file."""

    def __init__(self, message: str, path: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.path = path


#: Facts one match may bind, a negating rule's phase gate included (adapter.FRAME_SLOTS). The
#: longest built-in rule binds 11.
MAX_BOUND = FRAME_SLOTS


# -- YAML -> typed form ---------------------------------------------------

def compile_when(steps: Sequence[Mapping[str, Any]], options: Mapping[str, Any]) -> tuple[Pattern, ...]:
    """Turn a rule's ``when`` list into patterns, checking every reference."""
    bound: set[str] = set()
    patterns = []
    for index, step in enumerate(steps):
        ((alias, body),) = step.items()
        where: tuple[str | int, ...] = ("when", index, alias)
        if alias != "not" and alias in bound:
            raise CompileError(f"alias {alias!r} is bound twice", where)
        tests = []
        any_of: list[tuple[FieldTest, ...]] = []
        for name, spec in body.items():
            if name == "kind":
                continue
            if name == "any":
                any_of = [
                    tuple(t for f, s in alt.items() for t in _tests(f, s, bound, options, (*where, "any", i, f)))
                    for i, alt in enumerate(spec)
                ]
                continue
            tests.extend(_tests(name, spec, bound, options, (*where, name)))
        patterns.append(Pattern(
            kind=body["kind"], tests=tuple(tests), alias=None if alias == "not" else alias, any_of=tuple(any_of)
        ))
        if alias != "not":
            bound.add(alias)
    if patterns and patterns[0].negated:
        raise CompileError("a rule cannot start with `not`: bind a fact first", ("when", 0))
    binds = len(bound) + any(p.negated for p in patterns)
    if binds > MAX_BOUND:
        raise CompileError(f"a rule may bind at most {MAX_BOUND} facts (a rule with `not` uses one more for its "
                           f"phase gate); this one binds {binds}: split it, or derive an intermediate fact", ("when",))
    return tuple(patterns)


def _tests(name: str, spec: Any, bound: set[str], options: Mapping[str, Any], where: tuple[str | int, ...]) -> list[FieldTest]:
    """One field's tests; several operators on one field all have to hold."""
    if isinstance(spec, Mapping) and spec and set(spec) <= {*OPERATORS, "in", "exists"}:
        tests = []
        for op, arg in spec.items():
            if op == "in":
                tests.append(FieldTest(name, "in", tuple(arg)))
            elif op == "exists":
                tests.append(FieldTest(name, "exists" if arg else "missing"))
            else:
                tests.append(FieldTest(name, op, _value(arg, bound, options, (*where, op))))
        return tests
    return [FieldTest(name, "eq", _value(spec, bound, options, where))]


def _value(spec: Any, bound: set[str], options: Mapping[str, Any], where: tuple[str | int, ...]) -> Value:
    if not isinstance(spec, Mapping):
        return spec  # type: ignore[no-any-return]
    ((op, arg),) = spec.items()
    if op == "ref":
        alias, _, fieldname = str(arg).partition(".")
        if alias not in bound:
            raise CompileError(f"`ref: {arg}` names {alias!r}, which is not bound earlier in `when`", where)
        if fieldname == "id":
            raise CompileError("never join on `id`: durable-rules leaves it dangling across assert calls", where)
        return Ref(alias, fieldname)
    if op == "field":
        return Same(str(arg))
    if op == "option":
        if arg not in options:
            raise CompileError(f"unknown option {arg!r} (declare it under `options`)", where)
        return options[arg]  # type: ignore[no-any-return]
    args = tuple(_value(a, bound, options, (*where, op, i)) for i, a in enumerate(arg))
    if all(isinstance(a, (int, float)) and not isinstance(a, bool) for a in args):
        return _fold(op, args)  # type: ignore[arg-type]
    return Arith(op, args)


def _fold(op: str, args: tuple[float, ...]) -> float:
    """Constant arithmetic (typically over options) is computed once, here."""
    result = args[0]
    for arg in args[1:]:
        result = {"add": result + arg, "sub": result - arg, "mul": result * arg}.get(op, result / arg if arg else 0.0)
    return round(result, 12)


# -- stratification -------------------------------------------------------

def stratify(rules: Sequence[CompiledRule], kept: frozenset[str] = frozenset()) -> list[CompiledRule]:
    """Give each rule the stratum after every producer of what it negates.

    A derived kind lives in the stratum of its latest producer; a rule sits at
    or above its inputs and strictly above the kinds it negates, and above the
    ``kept`` kinds (one per key, final only when their stratum ends) it reads.
    A negation through a derivation cycle has no such order and is refused.
    """
    strata = {id(r): 0 for r in rules}
    limit = len(rules) + 1
    changed = True
    while changed:
        changed = False
        kind_stratum: dict[str, int] = {}
        for rule in rules:
            if rule.derives:
                kind_stratum[rule.derives] = max(kind_stratum.get(rule.derives, 0), strata[id(rule)])
        for rule in rules:
            level = max(
                [kind_stratum.get(k, 0) + (k in kept) for k in rule.uses]
                + [kind_stratum.get(k, 0) + 1 for k in rule.negates] + [0]
            )
            if level > strata[id(rule)]:
                if level > limit:
                    raise CompileError(f"rule {rule.rule_id} negates a kind that depends on itself (no stratified order)")
                strata[id(rule)] = level
                changed = True
    return [replace(r, stratum=strata[id(r)]) for r in rules]


# -- typed form -> durable-rules JSON --------------------------------------

def joins_facts(value: object) -> bool:
    """The value reads a field (of another fact, or of the fact itself): not a constant."""
    return next(fields_read_by(value), None) is not None


def split_alternatives(rule: CompiledRule) -> list[CompiledRule]:
    """One rule per choice of alternatives whose tests refer to other fields.

    durable-rules evaluates ``$or`` wrongly when an alternative compares with
    another fact (measured: wrong in 30 of 30 random fact sets), so such
    alternatives become separate rules with the same id; their matches are
    merged. Alternatives over literals stay one ``$or`` pattern.
    """
    variants: list[tuple[Pattern, ...]] = [()]
    for pattern in rule.patterns:
        if pattern.any_of and not pattern.negated and any(joins_facts(t.value) for alt in pattern.any_of for t in alt):
            choices = [Pattern(pattern.kind, pattern.tests + alt, pattern.alias) for alt in pattern.any_of]
        else:
            choices = [pattern]
        variants = [(*head, choice) for head in variants for choice in choices]
    return [replace(rule, patterns=v) for v in variants]


def unify_aliases(rule: CompiledRule) -> list[CompiledRule]:
    """The rule, then one variant per way one fact may fill several of its patterns of a kind.

    In the rule language every pattern matches on its own, so two aliases may bind the same
    fact (X05's two paths from discounting may be one path). durable-rules never binds one
    fact to two patterns of a rule (docs/engine.md), so each such case becomes a variant in
    which the aliases are one pattern carrying all of their tests, a join between them being
    a test of the fact against itself; the dispatcher binds every alias of the group to the
    fact (``same``). Variants whose own tests rule out the shared fact (``key: {ne: {ref:
    a.key}}``, two different constants) are dropped here.
    """
    groups: dict[str, list[str]] = {}
    for pattern in rule.patterns:
        if not pattern.negated:
            groups.setdefault(pattern.kind, []).append(pattern.alias)  # type: ignore[arg-type]
    choices = [list(_partitions(aliases)) for aliases in groups.values() if len(aliases) > 1]
    variants = [rule]
    for chosen in itertools.product(*choices):
        rep = {alias: block[0] for blocks in chosen for block in blocks for alias in block}
        if all(alias == first for alias, first in rep.items()):
            continue
        variant = _unified(rule, rep)
        if variant is not None:
            variants.append(variant)
    return variants


def _partitions(items: list[str]) -> Iterator[list[list[str]]]:
    """Every way to split ``items`` into blocks, each block in the items' order."""
    if not items:
        yield []
        return
    head, rest = items[0], items[1:]
    for partition in _partitions(rest):
        yield [[head], *partition]
        for i, block in enumerate(partition):
            yield [*partition[:i], [head, *block], *partition[i + 1:]]


def _unified(rule: CompiledRule, rep: Mapping[str, str]) -> CompiledRule | None:
    """``rule`` with every alias bound to the fact of its representative, or None when impossible."""
    merged: dict[str, Pattern] = {}
    others: list[Pattern] = []
    for pattern in rule.patterns:
        own = rep.get(pattern.alias, pattern.alias) if pattern.alias else None
        tests = tuple(rebind(t, rep, own) for t in pattern.tests)
        any_of = tuple(tuple(rebind(t, rep, own) for t in alt) for alt in pattern.any_of)
        if own is None:
            others.append(Pattern(pattern.kind, tests, None, any_of))
        elif own in merged:
            first = merged[own]
            alts = tuple((*a, *b) for a in (first.any_of or ((),)) for b in (any_of or ((),)))
            merged[own] = Pattern(first.kind, first.tests + tests, own, alts if alts != ((),) else ())
        else:
            merged[own] = Pattern(pattern.kind, tests, own, any_of)
            others.append(merged[own])
    patterns = []
    for pattern in others:
        if pattern.alias is not None:
            pattern = merged[pattern.alias]
        tests = settled(pattern.tests)
        if tests is None:
            return None
        alternatives = [a for a in (settled(alt) for alt in pattern.any_of) if a is not None]
        if pattern.any_of and not alternatives:
            return None
        any_of = () if any(not a for a in alternatives) else tuple(alternatives)
        patterns.append(Pattern(pattern.kind, tests, pattern.alias, any_of))
    ordered = _in_binding_order(patterns)
    if ordered is None:
        return None
    same = tuple(sorted((alias, first) for alias, first in rep.items() if alias != first))
    return replace(rule, patterns=tuple(ordered), same=same)


def rebind(test: FieldTest, rep: Mapping[str, str], own: str | None) -> FieldTest:
    """The test with each alias replaced by its representative (rep); a ref to the pattern's own alias reads its own field."""
    if isinstance(test.value, tuple):
        return test
    return FieldTest(test.field, test.op, _rebound(test.value, rep, own))  # type: ignore[arg-type]


def _rebound(value: Any, rep: Mapping[str, str], own: str | None) -> Any:
    if isinstance(value, Ref):
        alias = rep.get(value.alias, value.alias)
        return Same(value.field) if alias == own else Ref(alias, value.field)
    if isinstance(value, Arith):
        return Arith(value.op, tuple(_rebound(a, rep, own) for a in value.args))
    return value


def settled(tests: tuple[FieldTest, ...]) -> tuple[FieldTest, ...] | None:
    """Tests of a fact against its own same field decided; None when they cannot all hold."""
    kept: list[FieldTest] = []
    constants: dict[str, Any] = {}
    for test in tests:
        if isinstance(test.value, Same) and test.value.field == test.field and test.op in OPERATORS:
            if test.op in ("ne", "lt", "gt"):
                return None
            kept.append(FieldTest(test.field, "exists"))  # x == x holds wherever x is present
            continue
        if test.op == "eq" and not joins_facts(test.value):
            known = constants.setdefault(test.field, test.value)
            if not may_equal(known, test.value):
                return None
        if test not in kept:
            kept.append(test)
    return tuple(kept)


def _in_binding_order(patterns: list[Pattern]) -> list[Pattern] | None:
    """The patterns in their order, except that each comes after the aliases its joins read (None: a cycle)."""
    placed: list[Pattern] = []
    bound: set[str] = set()
    pending = list(patterns)
    while pending:
        for index, pattern in enumerate(pending):
            reads = {alias for t in (*pattern.tests, *(t for a in pattern.any_of for t in a))
                     for _f, alias in fields_read_by(t.value) if alias}
            if reads <= bound and (bound or not pattern.negated):
                placed.append(pending.pop(index))
                if pattern.alias:
                    bound.add(pattern.alias)
                break
        else:
            return None
    return placed


def to_durable(rule: CompiledRule) -> dict[str, Any]:
    """durable-rules' JSON for one rule; negating rules start with their phase gate."""
    steps: list[dict[str, Any]] = []
    if rule.negates:
        steps.append(gate(rule.stratum))
    for index, pattern in enumerate(rule.patterns):
        alias = pattern.alias if pattern.alias else f"n{index}$not"
        steps.append({alias: _pattern(pattern)})
    return {"all": steps}


def _pattern(pattern: Pattern) -> dict[str, Any]:
    # A positive discriminator (kind) in every pattern: a pattern of only
    # $nex would also match the session state object and loop forever.
    # Groups (`in` lists, alternatives) go last: stock durable-rules skips every test after a
    # nested group in a join (our build fixes it; see .durable/durable_patches.py, patch 2).
    terms: list[dict[str, Any]] = [{"kind": pattern.kind}]
    terms.extend(_durable_test(t) for t in pattern.tests if t.op != "in")
    terms.extend(_durable_test(t) for t in pattern.tests if t.op == "in")
    if pattern.any_of:
        terms.append({"$or": [{"$and": [_durable_test(t) for t in alt]} for alt in pattern.any_of]})
    return {"$and": terms}


def _durable_test(test: FieldTest) -> dict[str, Any]:
    if test.op == "exists":
        return {"$ex": {test.field: 1}}
    if test.op == "missing":
        return {"$nex": {test.field: 1}}
    if test.op == "in":
        assert isinstance(test.value, tuple)
        return {"$or": [{test.field: v} for v in test.value]}
    value = _durable_value(test.value)  # type: ignore[arg-type]
    durable_op = OPERATORS[test.op]
    return {test.field: value} if durable_op is None else {durable_op: {test.field: value}}


def _durable_value(value: Value) -> Any:
    if isinstance(value, Ref):
        return {value.alias: value.field}
    if isinstance(value, Same):
        return {"$m": value.field}
    if isinstance(value, Arith):
        result = _durable_value(value.args[0])
        for arg in value.args[1:]:
            result = {ARITHMETIC[value.op]: {"$l": result, "$r": _durable_value(arg)}}
        return result
    return value


# -- which facts can match at all -------------------------------------------

def prefilter(rules: Sequence[CompiledRule]) -> Callable[[Mapping[str, Any]], bool]:
    """A cheap test of whether a fact can match any pattern of ``rules``.

    The engine stores every fact some pattern's constant tests accept (its alpha
    network), and each stored fact costs memory and hash-chain time for the whole
    run. Facts no pattern can accept are kept out of the engine altogether. Only
    a pattern's kind and its tests against constants (also inside `any`
    alternatives) are checked; a test that joins another fact counts as "may
    match", so the test never drops a fact the engine would have used.
    """
    by_kind: dict[str, set[Screen]] = {}
    for rule in rules:
        for pattern in rule.patterns:
            constant = tuple(t for t in pattern.tests if not joins_facts(t.value))
            alternatives = tuple(tuple(t for t in alt if not joins_facts(t.value)) for alt in pattern.any_of)
            by_kind.setdefault(pattern.kind, set()).add((constant, () if () in alternatives else alternatives))
    screens = {kind: sorted(found, key=repr) for kind, found in by_kind.items()}
    # A pattern testing nothing but the kind takes every fact of it: no screen to run (measures, plans).
    every = frozenset(kind for kind, found in by_kind.items() if ((), ()) in found)

    def matchable(fact: Mapping[str, Any]) -> bool:
        kind = fact.get("kind")
        return kind in every or any(_passes(screen, fact) for screen in screens.get(kind, ()))  # type: ignore[arg-type]

    return matchable


#: A pattern's tests against constants, and its alternatives' (any one must hold; none: no alternatives).
Screen = tuple[tuple[FieldTest, ...], tuple[tuple[FieldTest, ...], ...]]


def _passes(screen: Screen, fact: Mapping[str, Any]) -> bool:
    tests, alternatives = screen
    return all(_may_hold(t, fact) for t in tests) and (
        not alternatives or any(all(_may_hold(t, fact) for t in alt) for alt in alternatives))


def _may_hold(test: FieldTest, fact: Mapping[str, Any]) -> bool:
    """False only when the engine certainly rejects the fact for this constant test."""
    present = test.field in fact
    if test.op == "exists":
        return present
    if test.op == "missing":
        return not present
    if not present:
        return False  # the engine never matches a test on a missing field
    actual = fact[test.field]
    if test.op == "in":
        return any(may_equal(actual, v) for v in test.value)  # type: ignore[union-attr]
    if test.op == "eq":
        return may_equal(actual, test.value)
    if test.op == "ne" or not both_numbers(actual, test.value):
        return True
    return bool(COMPARISONS[test.op](actual, test.value))


def both_numbers(*values: object) -> bool:
    """Every value is a number (a bool is not one)."""
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def may_equal(actual: object, expected: object) -> bool:
    """The engine may find the two equal: numbers within rounding, text exactly, mixed types undecided."""
    if both_numbers(actual, expected):
        return abs(actual - expected) <= 1e-9 * max(1.0, abs(actual), abs(expected))  # type: ignore[operator, arg-type]
    if isinstance(actual, str) and isinstance(expected, str):
        return actual == expected
    if isinstance(actual, bool) and isinstance(expected, bool):
        return actual is expected
    return True  # mixed types: leave the judgement to the engine


def _tolerance(b: float) -> float:
    return 1e-9 * max(1.0, abs(b))


#: Comparisons widened by a rounding tolerance: a near tie is left to the engine.
COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "lt": lambda a, b: a < b + _tolerance(b),
    "lte": lambda a, b: a <= b + _tolerance(b),
    "gt": lambda a, b: a > b - _tolerance(b),
    "gte": lambda a, b: a >= b - _tolerance(b),
}


# -- which fields the engine needs ---------------------------------------------

def fields_read(rules: Sequence[CompiledRule]) -> dict[str, frozenset[str]]:
    """Per kind, the fields some pattern tests or some join reads: all the engine needs of a fact.

    Matches bind the facts as Interlock built them (the adapter maps each back by its id), so the
    engine's copy can leave out everything else (locations, names, amounts no pattern looks at):
    every stored fact costs its JSON text and a property table in the engine.
    """
    needed: dict[str, set[str]] = {}
    for rule in rules:
        kinds = {p.alias: p.kind for p in rule.patterns if p.alias}
        for pattern in rule.patterns:
            own = needed.setdefault(pattern.kind, {"kind"})
            for test in (*pattern.tests, *(t for alt in pattern.any_of for t in alt)):
                own.add(test.field)
                for field, alias in fields_read_by(test.value):
                    (needed.setdefault(kinds[alias], {"kind"}) if alias else own).add(field)
    return {kind: frozenset(fields) for kind, fields in needed.items()}


def fields_read_by(value: object) -> Iterator[tuple[str, str | None]]:
    """(field, alias) pairs a test value reads; alias None for the fact's own field."""
    if isinstance(value, Ref):
        yield value.field, value.alias
    elif isinstance(value, Same):
        yield value.field, None
    elif isinstance(value, Arith):
        for arg in value.args:
            yield from fields_read_by(arg)


# -- the fact vocabulary: kinds, fields and their types ------------------------

#: Per kind, its fields and each field's type (``number``, ``text``, ``bool``; ``any`` for a field
#: a rule pack's derivation adds, whose type is whatever its expression gives).
Vocabulary = Mapping[str, Mapping[str, str]]
#: Where a problem is, inside the rule file, and what it is.
VocabularyProblem = tuple[tuple[str | int, ...], str]


def check_vocabulary(steps: Sequence[Mapping[str, Any]], options: Mapping[str, Any],
                     kinds: Vocabulary) -> list[VocabularyProblem]:
    """What a rule's ``when`` gets wrong about the facts: unknown kinds and fields, comparisons
    across types, arithmetic on text, and divisions not guarded against zero.

    A pattern on a kind no fact has, or a field no fact carries, can never match, and the engine
    compares a number with a text as true for every pair (docs/engine.md); a division by a field
    that is 0 at run time kills the process (SIGFPE). A divisor is *guarded* when it is a non-zero
    constant or option, or a field with a test earlier in the rule that keeps 0 out: ``ne: 0``,
    ``gt:`` a number >= 0, ``lt:`` a number <= 0, ``eq:`` a non-zero number, or ``in:`` numbers
    without 0 (on the alias the divisor reads, or earlier in the same pattern).
    """
    problems: list[VocabularyProblem] = []
    bound: dict[str, str] = {}
    guarded: set[tuple[str | None, str]] = set()
    for index, step in enumerate(steps):
        ((alias, body),) = step.items()
        where: tuple[str | int, ...] = ("when", index, alias)
        kind = body.get("kind")
        if kind not in kinds:
            problems.append(((*where, "kind"), f"unknown fact kind {kind!r}{_did_you_mean(kind, kinds)} "
                                               "(`interlock facts` lists them)"))
            continue
        own: set[tuple[str | None, str]] = set()
        context = _Context(kinds, kind, bound, options, guarded, own)
        for name, spec in body.items():
            if name == "kind":
                continue
            if name == "any":
                for i, alt in enumerate(spec):
                    for field_name, field_spec in alt.items():
                        problems += context.field(field_name, field_spec, (*where, "any", i, field_name))
                continue
            problems += context.field(name, spec, (*where, name))
        if alias != "not":
            bound[alias] = kind
            guarded |= {(alias, f) for _a, f in own}
    return problems


class _Context:
    """One pattern being checked: its kind, the aliases bound before it, and the guards so far."""

    def __init__(self, kinds: Vocabulary, kind: str, bound: Mapping[str, str], options: Mapping[str, Any],
                 guarded: set[tuple[str | None, str]], own: set[tuple[str | None, str]]) -> None:
        self.kinds, self.kind, self.bound, self.options = kinds, kind, bound, options
        self.guarded, self.own = guarded, own

    def field(self, name: str, spec: Any, where: tuple[str | int, ...]) -> list[VocabularyProblem]:
        fields = self.kinds[self.kind]
        if name not in fields:
            return [(where, f"a {self.kind!r} fact has no field {name!r}{_did_you_mean(name, fields)}")]
        mine = fields[name]
        problems: list[VocabularyProblem] = []
        tests = spec.items() if isinstance(spec, Mapping) and spec and set(spec) <= {*OPERATORS, "in", "exists"} \
            else [("eq", spec)]
        for op, arg in tests:
            at = where if (op, arg) == ("eq", spec) else (*where, op)
            if op == "exists":
                continue
            values = list(arg) if op == "in" and isinstance(arg, (list, tuple)) else [arg]
            for value in values:
                theirs, issues = self.value(value, at)
                problems += issues
                if not issues and not _compatible(mine, theirs):
                    problems.append((at, f"compares {self.kind}.{name} ({mine}) with {_shown_value(value)} ({theirs}): "
                                         "values of different types never match"))
            if not problems and _keeps_zero_out(op, arg, self.options):
                self.own.add((None, name))
        return problems

    def value(self, spec: Any, where: tuple[str | int, ...]) -> tuple[str, list[VocabularyProblem]]:
        """The type of a value, and what is wrong with it."""
        if not isinstance(spec, Mapping):
            return _type_of(spec), []
        ((op, arg),) = spec.items()
        if op == "ref":
            alias, _, name = str(arg).partition(".")
            kind = self.bound.get(alias)
            if kind is None:
                return "any", []  # compile_when reports it
            if name not in self.kinds[kind]:
                return "any", [(where, f"`ref: {arg}`: a {kind!r} fact has no field {name!r}"
                                       f"{_did_you_mean(name, self.kinds[kind])}")]
            return self.kinds[kind][name], []
        if op == "field":
            if arg not in self.kinds[self.kind]:
                return "any", [(where, f"`field: {arg}`: a {self.kind!r} fact has no field {arg!r}"
                                       f"{_did_you_mean(str(arg), self.kinds[self.kind])}")]
            return self.kinds[self.kind][arg], []
        if op == "option":
            return _type_of(self.options.get(arg)), []
        problems: list[VocabularyProblem] = []
        for i, item in enumerate(arg):
            kind, issues = self.value(item, (*where, op, i))
            problems += issues
            if not issues and kind not in ("number", "any"):
                problems.append(((*where, op, i), f"`{op}` works on numbers, not on {_shown_value(item)} ({kind})"))
            if op == "div" and i > 0 and not issues and not self._safe_divisor(item):
                problems.append(((*where, op, i), f"divides by {_shown_value(item)}, which may be 0 (the rules engine "
                                                  f"would crash): test it first, e.g. `{_field_of(item)}: {{ne: 0}}` "
                                                  "where its fact is bound"))
        return "number", problems

    def _safe_divisor(self, spec: Any) -> bool:
        if not isinstance(spec, Mapping):
            return _nonzero(spec)
        ((op, arg),) = spec.items()
        if op == "option":
            return _nonzero(self.options.get(arg))
        if op == "ref":
            alias, _, name = str(arg).partition(".")
            return (alias, name) in self.guarded
        if op == "field":
            return (None, str(arg)) in self.own
        return False  # an expression: no guard can be written for it


def _keeps_zero_out(op: str, arg: Any, options: Mapping[str, Any]) -> bool:
    """The test (with a constant or option) rejects a 0: a divisor guard."""
    if isinstance(arg, Mapping) and set(arg) == {"option"}:
        arg = options.get(arg["option"])
    if op == "in":
        return isinstance(arg, (list, tuple)) and all(_nonzero(v) for v in arg)
    if not both_numbers(arg):
        return False
    return {"ne": arg == 0, "eq": arg != 0, "gt": arg >= 0, "gte": arg > 0, "lt": arg <= 0, "lte": arg < 0}.get(op, False)


def _nonzero(value: Any) -> bool:
    return both_numbers(value) and value != 0


def _type_of(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "text"
    return "any"


def _compatible(a: str, b: str) -> bool:
    return a == b or "any" in (a, b)


def _field_of(spec: Any) -> str:
    if isinstance(spec, Mapping) and len(spec) == 1:
        ((_op, arg),) = spec.items()
        return str(arg).rpartition(".")[2]
    return "field"


def _shown_value(spec: Any) -> str:
    if isinstance(spec, Mapping) and len(spec) == 1:
        ((op, arg),) = spec.items()
        if op in ("ref", "field", "option"):
            return f"`{op}: {arg}`"
        return f"`{op}: ...`"
    return repr(spec)


def _did_you_mean(name: Any, known: Iterable[str]) -> str:
    import difflib

    close = difflib.get_close_matches(str(name), sorted(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
