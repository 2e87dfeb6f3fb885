"""Evaluate compiled rules over facts on durable-rules; return the raw matches.

Derivation rules add facts (forward chaining, inside the engine); check rules
produce matches that ``findings`` turns into findings. A rule's optional
``check`` expression filters its matches in both cases.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from interlock import expressions
from interlock.adapter import Bindings, DurableEngine, Fact
from interlock.compiler import CompiledRule, split_alternatives, to_durable
from interlock.rulebook import Rule


@dataclass(frozen=True)
class Match:
    """One activation of a check rule: the facts bound to each alias."""

    rule_id: str
    bindings: Mapping[str, Fact]

    def sort_key(self) -> tuple[str, str]:
        return self.rule_id, json.dumps(self.bindings, sort_keys=True)


def derived_fact(rule: Rule, options: Mapping[str, Any], bindings: Bindings) -> Fact:
    """The fact a derivation rule adds for one match (fields are Jinja expressions)."""
    assert rule.derive is not None
    ctx = expressions.context(bindings, options)
    fact: Fact = {"kind": rule.derive["kind"]}
    for name, source in sorted(rule.derive["fields"].items()):
        value = expressions.evaluate(source, ctx)
        if value is not None:
            fact[name] = value
    return fact


def accepts(rule: Rule, options: Mapping[str, Any], bindings: Bindings) -> bool:
    """The rule's ``check`` expression, true when the rule has none."""
    if not rule.check:
        return True
    return bool(expressions.evaluate(rule.check, expressions.context(bindings, options)))


class Evaluator:
    """Compiled rules bound to one durable-rules ruleset; ``run`` may be called many times."""

    def __init__(self, rules: Sequence[tuple[Rule, CompiledRule]]) -> None:
        self._rules = {
            f"r{index}.{variant}": (rule, part)
            for index, (rule, compiled) in enumerate(rules)
            for variant, part in enumerate(split_alternatives(compiled))
        }
        self._matches: list[Match] = []
        self._derived: list[Fact] = []
        self._engine = DurableEngine(
            {name: to_durable(compiled) for name, (_rule, compiled) in self._rules.items()},
            self._dispatch,
            strata=max([c.stratum for _r, c in rules] + [1]),
        )

    def close(self) -> None:
        self._engine.close()

    def __enter__(self) -> Evaluator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, facts: Iterable[Fact]) -> tuple[list[Match], list[Fact]]:
        """Matches of the check rules, and the facts the derivation rules added."""
        self._matches, self._derived = [], []
        self._engine.run(facts)
        matches, derived = self._matches, self._derived
        self._matches, self._derived = [], []
        unique = {json.dumps(f, sort_keys=True): f for f in derived}
        # split alternatives may report one binding twice: keep each once
        distinct = {m.sort_key(): m for m in matches}
        return [distinct[k] for k in sorted(distinct)], [unique[k] for k in sorted(unique)]

    def _dispatch(self, name: str, bindings: Bindings, emit: Callable[[Fact], None]) -> None:
        rule, compiled = self._rules[name]
        if not accepts(rule, compiled.options, bindings):
            return
        if rule.derive is not None:
            fact = derived_fact(rule, compiled.options, bindings)
            self._derived.append(fact)
            emit(fact)
        else:
            self._matches.append(Match(rule.id, bindings))
