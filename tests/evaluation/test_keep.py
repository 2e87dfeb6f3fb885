"""Derivations that keep one fact per key (`one_per` + `prefer`): fewer facts, same answers.

A kept kind is final only when the stratum that derives it ends, so the engine
and the reference evaluator must agree on which fact survives whatever the
order of the facts, and the compiler must refuse rule sets where a reader
could see a candidate before the best one is known.
"""
from __future__ import annotations

import random
from typing import Any

import pytest

import reference
from interlock.evaluation.compiler import CompiledRule, CompileError, compile_when, prefilter, stratify
from interlock.evaluation.evaluate import Evaluator, check_kept_kinds
from interlock.evaluation.rulebook import Rule


def _rule(rule_id: str, when: list[dict[str, Any]], *, derive: dict[str, Any] | None = None,
          prefer: tuple[str, ...] = ()) -> Rule:
    return Rule(id=rule_id, name=rule_id.lower(), family="derivation" if derive else "vertical", title=rule_id,
                summary=rule_id, rationale=rule_id, when=tuple(when), file=f"{rule_id}.yaml", line=1,
                message="" if derive else "{{ m.key }}", derive=derive, identity=("m.key",) if not derive else (),
                prefer=prefer)


BEST_EDGE = _rule("K1", [{"m": {"kind": "measure"}}, {"e": {"kind": "edge", "src": {"ref": "m.metric"}}}], derive={
    "kind": "reach", "one_per": ["plan", "dst"], "prefer": ["-strength", "via"],
    "fields": {"plan": "m.plan", "dst": "e.dst", "strength": "e.conf", "via": "e.name"},
})
WEAK_ONLY = _rule("K2", [{"m": {"kind": "measure"}},
                         {"not": {"kind": "reach", "plan": {"ref": "m.plan"}, "strength": {"gte": 0.8}}}])


def _book(*rules: Rule) -> list[tuple[Rule, CompiledRule]]:
    compiled = stratify([r.compile() for r in rules])
    return list(zip(rules, compiled))


def _facts(seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    facts: list[dict[str, Any]] = []
    for plan in range(6):
        facts.append({"kind": "measure", "key": f"p{plan}", "plan": f"p{plan}", "metric": f"m{plan % 3}"})
    for n in range(12):
        facts.append({"kind": "edge", "src": f"m{n % 3}", "dst": f"d{n % 2}", "conf": rng.choice([0.5, 0.7, 0.9]),
                      "name": f"e{n}"})
    rng.shuffle(facts)
    return facts


@pytest.mark.parametrize("seed", range(8))
def test_engine_and_reference_keep_the_same_best_fact_in_any_order(seed: int) -> None:
    rules = _book(BEST_EDGE, WEAK_ONLY)
    facts = _facts(seed)
    with Evaluator(rules) as evaluator:
        matches, derived = evaluator.run(facts)
        again, derived_again = evaluator.run(list(reversed(facts)))
    assert matches == again == reference.evaluate(rules, facts)
    assert derived == derived_again
    kept = [f for f in derived if f["kind"] == "reach"]
    assert len(kept) == len({(f["plan"], f["dst"]) for f in kept})  # one per key
    for fact in kept:  # and it is the strongest candidate
        metric = next(f["metric"] for f in facts if f.get("key") == fact["plan"])
        strongest = max(f["conf"] for f in facts if f["kind"] == "edge" and f["src"] == metric and f["dst"] == fact["dst"])
        assert fact["strength"] == strongest


def test_producers_of_a_kept_kind_must_agree() -> None:
    other = _rule("K3", [{"m": {"kind": "measure"}}], derive={
        "kind": "reach", "one_per": ["plan"], "prefer": ["via"], "fields": {"plan": "m.plan", "via": "m.key"}})
    with pytest.raises(CompileError, match="must agree on one_per and prefer"):
        check_kept_kinds(_book(BEST_EDGE, other))


def test_a_reader_in_the_deriving_stratum_is_refused() -> None:
    positive_reader = _rule("K4", [{"m": {"kind": "measure"}}, {"r": {"kind": "reach", "plan": {"ref": "m.plan"}}}])
    with pytest.raises(CompileError, match="in the stratum that derives it"):
        check_kept_kinds(_book(BEST_EDGE, positive_reader))


def test_prefilter_keeps_out_facts_no_pattern_accepts() -> None:
    patterns = compile_when([{"m": {"kind": "measure", "weight": {"gte": 0.2}, "team": False}},
                             {"p": {"kind": "path", "src": {"ref": "m.metric"}}}], {})
    matchable = prefilter([CompiledRule("R", patterns)])
    assert matchable({"kind": "measure", "weight": 0.5, "team": False})
    assert matchable({"kind": "path", "src": "anything"})  # a join is left to the engine
    assert not matchable({"kind": "measure", "weight": 0.1, "team": False})
    assert not matchable({"kind": "measure", "weight": 0.5, "team": True})
    assert not matchable({"kind": "measure", "team": False})  # a test on a missing field never matches
    assert not matchable({"kind": "department"})
    assert matchable({"kind": "measure", "weight": 0.2 - 1e-12, "team": False})  # near ties go to the engine


def test_prefilter_reads_alternatives_over_constants() -> None:
    patterns = compile_when([{"c": {"kind": "curve", "any": [{"monotone": False}, {"max_rate": {"gt": 3}}]}}], {})
    matchable = prefilter([CompiledRule("R", patterns)])
    assert matchable({"kind": "curve", "monotone": False, "max_rate": 1})
    assert matchable({"kind": "curve", "monotone": True, "max_rate": 5})
    assert not matchable({"kind": "curve", "monotone": True, "max_rate": 1})
    joined = compile_when([{"m": {"kind": "m"}}, {"c": {"kind": "curve", "any": [{"monotone": False},
                                                                             {"max_rate": {"ref": "m.x"}}]}}], {})
    assert prefilter([CompiledRule("J", joined)])({"kind": "curve", "monotone": True, "max_rate": 1})


PAYERS = _rule("K5", [{"m": {"kind": "measure"}}], derive={
    "kind": "payers", "one_per": ["metric"], "prefer": ["dept"], "gather": {"depts": "dept"},
    "fields": {"metric": "m.metric", "dept": "m.dept"},
})
CROWDED = _rule("K6", [{"m": {"kind": "measure"}}, {"c": {"kind": "payers", "metric": {"ref": "m.metric"}}}])


@pytest.mark.parametrize("seed", range(6))
def test_a_kept_fact_gathers_every_candidates_value_in_any_order(seed: int) -> None:
    rules = list(zip((PAYERS, CROWDED), stratify([PAYERS.compile(), CROWDED.compile()], frozenset({"payers"}))))
    rng = random.Random(seed)
    facts = [{"kind": "measure", "key": f"k{i}", "metric": f"m{i % 3}", "dept": f"d{rng.randrange(8)}"}
             for i in range(30)]
    rng.shuffle(facts)
    with Evaluator(rules) as evaluator:
        matches, derived = evaluator.run(facts)
        again, derived_again = evaluator.run(list(reversed(facts)))
    assert matches == again == reference.evaluate(rules, facts)
    assert derived == derived_again
    for fact in (f for f in derived if f["kind"] == "payers"):
        depts = sorted({f["dept"] for f in facts if f["metric"] == fact["metric"]})
        assert fact["depts"] == depts and fact["dept"] == depts[0]
    assert len(matches) == len(facts)  # each measure sees its metric's one payers fact


def test_a_reader_of_a_kept_kind_is_stratified_after_it() -> None:
    payers, crowded = stratify([PAYERS.compile(), CROWDED.compile()], frozenset({"payers"}))
    assert crowded.stratum > payers.stratum
    check_kept_kinds([(PAYERS, payers), (CROWDED, crowded)])
