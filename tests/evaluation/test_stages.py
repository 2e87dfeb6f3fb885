"""A staged run's sessions (engine/evaluation/stages.py): every rule in exactly one, and no stage
reading what a later one derives. That the answers are the same is tests/evaluation/test_differential.py."""
from __future__ import annotations

from interlock.evaluation.compiler import CompiledRule, Pattern
from interlock.evaluation.evaluate import STAGE_FROM, Evaluator
from interlock.evaluation.rulebook import load_rulebook
from interlock.evaluation.stages import CHECK_GROUPS, check_groups, derivation_components, kinds_read


def _rule(rule_id: str, reads: tuple[str, ...], derives: str | None = None, negates: tuple[str, ...] = ()) -> CompiledRule:
    patterns = tuple(Pattern(kind, (), f"a{i}") for i, kind in enumerate(reads))
    patterns += tuple(Pattern(kind, ()) for kind in negates)
    return CompiledRule(rule_id, patterns, derives)


def test_a_derivation_shares_its_session_with_the_derivations_it_reads() -> None:
    parts = {
        "r1.0": _rule("D1", ("measure",), "x"),
        "r2.0": _rule("D2", ("x", "metric"), "y"),
        "r3.0": _rule("D3", ("department",), "z"),
        "r4.0": _rule("D4", ("plan",), "x"),  # a second producer of x: its candidates meet D1's
        "r5.0": _rule("D5", ("milestone",), "w", negates=("z",)),  # negating z ties it to D3
        "r6.0": _rule("C1", ("x", "y")),  # a check rule: in no derivation component
    }
    assert derivation_components(parts) == [["r1.0", "r2.0", "r4.0"], ["r3.0", "r5.0"]]


def test_the_check_rules_are_split_by_rule_id_into_groups() -> None:
    parts = {f"r{i}.0": _rule(rule_id, ("measure",)) for i, rule_id in enumerate(["X2", "H1", "Q1", "X1", "T1"])}
    parts["r9.0"] = _rule("D1", ("measure",), "x")
    assert check_groups(parts, 2) == [["r1.0", "r2.0", "r4.0"], ["r3.0", "r0.0"]]
    assert check_groups(parts, 10) == [["r1.0"], ["r2.0"], ["r4.0"], ["r3.0"], ["r0.0"]]
    assert check_groups({}, 4) == []


def test_a_session_is_given_the_kinds_its_patterns_read_or_negate() -> None:
    assert kinds_read([_rule("D1", ("measure", "metric"), "x"), _rule("C1", ("plan",), negates=("guard",))]) == [
        "guard", "measure", "metric", "plan"]


def test_the_built_in_rules_in_stages() -> None:
    """Each variant runs in exactly one stage; a stage reads no kind a later stage derives."""
    with Evaluator(load_rulebook().compile()) as evaluator:
        parts = {name: part for name, (_rule, part) in evaluator._rules.items()}
        stages = [*derivation_components(parts), *check_groups(parts)]
        placed = [name for stage in stages for name in stage]
        assert sorted(placed) == sorted(parts) and len(placed) == len(set(placed))
        assert len(check_groups(parts)) == CHECK_GROUPS
        for position, stage in enumerate(stages):
            later = {parts[name].derives for after in stages[position + 1:] for name in after} - {None}
            assert later.isdisjoint(kinds_read([parts[name] for name in stage])), stage
        assert evaluator.stage_from == STAGE_FROM


def test_a_run_is_staged_from_stage_from_facts() -> None:
    """Below ``stage_from`` facts one session runs every rule; from it, the stages do, with the same answer."""
    facts = [{"kind": "measure", "key": f"m{i}", "plan": f"p{i}", "dept": "sales", "metric": "revenue", "dir": 1,
              "weight": 0.01} for i in range(3)]
    with Evaluator(load_rulebook().compile()) as evaluator:
        evaluator.stage_from = len(facts) + 1
        alone = evaluator.run(facts)
        assert [m.rule_id for m in alone[0]] == ["H02"] * 3  # three diluted weights
        assert evaluator._one is not None and evaluator._staged is None
        evaluator.stage_from = len(facts)
        assert evaluator.run(facts) == alone
        assert evaluator._staged is not None
