"""The rule compiler: typed patterns, durable JSON, strata."""
from __future__ import annotations

import pytest

from interlock.evaluation.compiler import Arith, CompiledRule, CompileError, Ref, Same, FieldTest, compile_when, stratify, to_durable


def test_field_tests_and_values() -> None:
    (m, p) = compile_when([
        {"m": {"kind": "measure", "weight": {"gte": {"option": "w"}, "lt": 1}, "basis": {"in": ["booking", "cash"]}}},
        {"p": {"kind": "path", "src": {"ref": "m.metric"}, "hops": {"exists": True}, "via": {"exists": False},
               "sign": {"mul": [{"ref": "m.dir"}, -1]}, "dst": {"field": "src"}}},
    ], {"w": 0.2})
    assert m.alias == "m" and m.kind == "measure"
    assert m.tests == (FieldTest("weight", "gte", 0.2), FieldTest("weight", "lt", 1), FieldTest("basis", "in", ("booking", "cash")))
    assert p.tests == (FieldTest("src", "eq", Ref("m", "metric")), FieldTest("hops", "exists"), FieldTest("via", "missing"),
                       FieldTest("sign", "eq", Arith("mul", (Ref("m", "dir"), -1))), FieldTest("dst", "eq", Same("src")))


def test_constant_arithmetic_is_folded() -> None:
    (p,) = compile_when([{"p": {"kind": "plan", "weight_total": {"lt": {"sub": [1, {"option": "tol"}]}}}}], {"tol": 0.001})
    assert p.tests == (FieldTest("weight_total", "lt", 0.999),)


def test_durable_translation() -> None:
    patterns = compile_when([
        {"m": {"kind": "measure", "weight": {"gte": 0.2}, "basis": {"in": ["a", "b"]}, "cap": {"exists": False}}},
        {"p": {"kind": "path", "src": {"ref": "m.metric"}, "sign": {"mul": [{"ref": "m.dir"}, 2, -1]}}},
        {"not": {"kind": "gate", "plan": {"ref": "m.plan"}, "metric": {"ne": "x"}}},
    ], {})
    durable = to_durable(CompiledRule("X", patterns, stratum=3))
    assert durable == {"all": [
        {"phase_gate": {"$and": [{"kind": "$phase"}, {"n": 3}]}},
        {"m": {"$and": [{"kind": "measure"}, {"$gte": {"weight": 0.2}}, {"$nex": {"cap": 1}},
                        {"$or": [{"basis": "a"}, {"basis": "b"}]}]}},
        {"p": {"$and": [{"kind": "path"}, {"src": {"m": "metric"}},
                        {"sign": {"$mul": {"$l": {"$mul": {"$l": {"m": "dir"}, "$r": 2}}, "$r": -1}}}]}},
        {"n2$not": {"$and": [{"kind": "gate"}, {"plan": {"m": "plan"}}, {"$neq": {"metric": "x"}}]}},
    ]}


@pytest.mark.parametrize("steps, message", [
    ([{"m": {"kind": "a", "x": {"ref": "q.y"}}}], "names 'q', which is not bound earlier"),
    ([{"m": {"kind": "a"}}, {"m": {"kind": "b"}}], "alias 'm' is bound twice"),
    ([{"not": {"kind": "a"}}], "cannot start with `not`"),
    ([{"m": {"kind": "a", "x": {"option": "nope"}}}], "unknown option 'nope'"),
])
def test_compile_errors(steps: list[dict[str, object]], message: str) -> None:
    with pytest.raises(CompileError, match=message):
        compile_when(steps, {})


def _rule(rule_id: str, uses: str, negates: str | None = None, derives: str | None = None) -> CompiledRule:
    steps: list[dict[str, object]] = [{"a": {"kind": uses}}]
    if negates:
        steps.append({"not": {"kind": negates}})
    return CompiledRule(rule_id, compile_when(steps, {}), derives)


def test_strata_order_negations_after_their_producers() -> None:
    rules = stratify([
        _rule("C", "base", negates="covered2"),
        _rule("D2", "covered", negates="other", derives="covered2"),
        _rule("D1", "base", derives="covered"),
        _rule("P", "covered2"),
    ])
    strata = {r.rule_id: r.stratum for r in rules}
    assert strata == {"C": 2, "D2": 1, "D1": 0, "P": 1}


def test_negation_through_a_cycle_is_refused() -> None:
    with pytest.raises(CompileError, match="no stratified order"):
        stratify([_rule("A", "base", negates="y", derives="x"), _rule("B", "x", derives="y")])


def test_groups_come_after_the_plain_tests_of_a_pattern() -> None:
    """Stock durable-rules skips the join tests after a nested `$or` (the patched build does not):
    `in` lists and alternatives are emitted last, so a stock build evaluates every join test."""
    patterns = compile_when([
        {"a": {"kind": "A"}},
        {"b": {"kind": "B", "c": {"in": [1, 2]}, "x": {"ref": "a.x"}, "any": [{"d": 1}, {"d": 2}],
               "y": {"ref": "a.y"}}},
    ], {})
    terms = to_durable(CompiledRule("R", patterns))["all"][1]["b"]["$and"]
    groups = [i for i, term in enumerate(terms) if "$or" in term]
    assert len(groups) == 2 and groups == [len(terms) - 2, len(terms) - 1]


def test_fields_read_collects_tests_joins_and_alternatives() -> None:
    from interlock.evaluation.compiler import fields_read

    patterns = compile_when([
        {"m": {"kind": "measure", "weight": {"gte": 0.2}, "any": [{"basis": "cash"}, {"team": True}]}},
        {"p": {"kind": "path", "src": {"ref": "m.metric"}, "sign": {"mul": [{"ref": "m.dir"}, -1]},
               "dst": {"field": "via"}}},
        {"not": {"kind": "guard", "plan": {"ref": "m.plan"}}},
    ], {})
    assert fields_read([CompiledRule("R", patterns)]) == {
        "measure": frozenset({"kind", "weight", "basis", "team", "metric", "dir", "plan"}),
        "path": frozenset({"kind", "src", "sign", "dst", "via"}),
        "guard": frozenset({"kind", "plan"}),
    }
