"""The rule compiler: typed patterns, durable JSON, strata."""
from __future__ import annotations

from pathlib import Path
from typing import Any

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


# -- rule packs that would crash or lie: refused through the real CLI (a child process) --------------

import re as _re
import subprocess as _subprocess
import sys as _sys

from paths import ROOT_DIR as _ROOT

_PACK_HEAD = """\
id: ACME01
name: pack-rule
family: hygiene
severity: warning
title: A pack rule
summary: A rule from a pack.
rationale: To test what the compiler refuses.
when:
"""
_PACK_TAIL = """\
identity: [m.key]
message: "plan {{ m.plan }}"
remediation: None.
examples:
  fail:
    - description: bookings only
      policy:
        departments: [{id: sales, name: Sales}]
        plans: [{id: ae, department: sales, measures: [{metric: bookings, weight: 100%}]}]
      expect: [{message: "plan ae"}]
  pass:
    - description: no plan
      policy:
        departments: [{id: sales, name: Sales}]
"""


def _pack(tmp_path: Path, when: str) -> Path:
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "ACME01.yaml").write_text(_PACK_HEAD + when + _PACK_TAIL, encoding="utf-8")
    return pack


def _check(pack: Path) -> _subprocess.CompletedProcess[str]:
    return _subprocess.run([_sys.executable, "-m", "interlock", "check", str(_ROOT / "policies"), "--rules", str(pack),
                            "--no-cache"], capture_output=True, text=True, timeout=300)


def _refused(pack: Path) -> str:
    run = _check(pack)
    assert run.returncode == 2, (run.returncode, run.stderr)
    assert run.stdout == ""
    lines = run.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in run.stderr, run.stderr
    assert _re.match(rf"{_re.escape(str(pack / 'ACME01.yaml'))}:\d+:\d+: ", lines[0]), lines[0]
    return lines[0]


DIVIDES = """\
  - a:
      kind: milestone
  - m:
      kind: measure
      weight: {gte: {div: [{ref: a.slip_days}, {ref: a.slip_days}]}}
"""


def test_a_division_by_a_field_that_may_be_zero_is_refused(tmp_path: Path) -> None:
    """Unguarded, the engine dies of SIGFPE (exit 136, no message) on a milestone that did not slip."""
    line = _refused(_pack(tmp_path, DIVIDES))
    assert ":13:48: when.1.m.weight.gte.div.1: divides by `ref: a.slip_days`, which may be 0" in line
    assert "`slip_days: {ne: 0}`" in line


def test_a_guarded_division_runs(tmp_path: Path) -> None:
    run = _check(_pack(tmp_path, DIVIDES.replace("kind: milestone\n", "kind: milestone\n      slip_days: {ne: 0}\n")))
    assert run.returncode == 1, run.stderr  # the example organization's own error findings
    assert "Found" in run.stdout


def test_a_guard_must_keep_zero_out(tmp_path: Path) -> None:
    line = _refused(_pack(tmp_path, DIVIDES.replace("kind: milestone\n", "kind: milestone\n      slip_days: {gte: 0}\n")))
    assert "divides by `ref: a.slip_days`, which may be 0" in line


def test_a_division_by_a_constant_zero_is_refused(tmp_path: Path) -> None:
    line = _refused(_pack(tmp_path, "  - m:\n      kind: measure\n      weight: {gte: {div: [{field: target}, 0]}}\n"))
    assert "divides by 0, which may be 0" in line


def test_a_comparison_of_a_number_with_a_text_is_refused(tmp_path: Path) -> None:
    """The engine holds such a join true for every pair (46 findings on policies/); the reference never."""
    line = _refused(_pack(tmp_path, "  - p:\n      kind: plan\n  - m:\n      kind: measure\n"
                                    "      weight: {ref: p.dept}\n"))
    assert line.endswith("when.1.m.weight: compares measure.weight (number) with `ref: p.dept` (text): "
                         "values of different types never match")


def test_arithmetic_on_text_is_refused(tmp_path: Path) -> None:
    line = _refused(_pack(tmp_path, "  - m:\n      kind: measure\n      weight: {gte: {mul: [{field: metric}, 2]}}\n"))
    assert "`mul` works on numbers, not on `field: metric` (text)" in line


def test_an_unknown_kind_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    line = _refused(_pack(tmp_path, "  - m:\n      kind: measurement\n      weight: {gte: 0.5}\n"))
    assert line.endswith(":10:13: when.0.m.kind: unknown fact kind 'measurement' (did you mean 'measure'?) "
                         "(`interlock facts` lists them)")


def test_an_unknown_field_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    line = _refused(_pack(tmp_path, "  - m:\n      kind: measure\n      weight_pct: {gte: 0.5}\n"))
    assert line.endswith(":11:19: when.0.m.weight_pct: a 'measure' fact has no field 'weight_pct' "
                         "(did you mean 'weight'?)")


def test_an_unknown_field_read_through_a_reference_is_refused(tmp_path: Path) -> None:
    line = _refused(_pack(tmp_path, "  - p:\n      kind: plan\n  - m:\n      kind: measure\n"
                                    "      plan: {ref: p.kee}\n"))
    assert "when.1.m.plan: `ref: p.kee`: a 'plan' fact has no field 'kee' (did you mean 'key'?)" in line


def test_kinds_and_fields_a_pack_derives_are_known(tmp_path: Path) -> None:
    from interlock.evaluation.compiler import check_vocabulary
    from interlock.knowledge.factkinds import vocabulary

    kinds = {**vocabulary(), "risk": {"kind": "text", "plan": "any"}}
    assert check_vocabulary([{"r": {"kind": "risk", "plan": "x"}}], {}, kinds) == []
    assert check_vocabulary([{"r": {"kind": "risk", "plan": 1}}], {}, kinds) == []


def test_every_field_type_has_a_class() -> None:
    from interlock.knowledge.factkinds import KINDS, TYPE_CLASSES

    assert {doc.type for kind in KINDS.values() for doc in kind.fields.values()} <= set(TYPE_CLASSES)


# -- rule packs meeting the engine defects the evaluator and compiler guard ---------------------------

def _pack_rule(tmp_path: Path, when: str, alias: str) -> Path:
    """A pack whose rule reports each fact bound to ``alias`` by its key."""
    pack = tmp_path / "pack"
    pack.mkdir()
    tail = _PACK_TAIL.replace('identity: [m.key]\nmessage: "plan {{ m.plan }}"',
                              f'identity: [{alias}.key]\nmessage: "{{{{ {alias}.key }}}}"')
    (pack / "ACME01.yaml").write_text(_PACK_HEAD + when + tail, encoding="utf-8")
    return pack


def _pack_findings(pack: Path) -> list[str]:
    run = _subprocess.run([_sys.executable, "-m", "interlock", "check", str(_ROOT / "policies"), "--rules", str(pack),
                           "--no-cache", "-f", "json"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 1, run.stderr  # the example organization's own error findings
    import json

    return sorted(f["message"] for f in json.loads(run.stdout)["findings"] if f["rule"] == "ACME01")


def _reference_matches(pack: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The reference evaluator's ACME01 matches on policies/ (with the built-in rules), and the facts."""
    import reference
    from interlock.evaluation.rulebook import load_rulebook
    from interlock.lint import facts_of
    from interlock.model.validate import validate
    from interlock.read.loader import load_documents

    facts = facts_of(validate(load_documents([_ROOT / "policies"])))
    return [dict(m.bindings) for m in reference.evaluate(load_rulebook([pack], cache=False).compile(), facts)
            if m.rule_id == "ACME01"], facts


#: a measure whose plan has no measure weighted above 50%: a measure above 50% is such a measure itself
HEAVY = "  - m:\n      kind: measure\n  - not:\n      kind: measure\n      plan: {ref: m.plan}\n      weight: {gt: 0.5}\n"


def test_a_negation_sees_the_fact_its_rule_binds(tmp_path: Path) -> None:
    """The engine never tests a negation against the rule's own `m`: unguarded, every measure above
    50% alone in its plan was reported. Findings through the CLI are the reference's."""
    pack = _pack_rule(tmp_path, HEAVY, "m")
    matches, facts = _reference_matches(pack)
    expected = sorted(str(m["m"]["key"]) for m in matches)
    measures = [f for f in facts if f["kind"] == "measure"]
    unguarded = sorted(str(m["key"]) for m in measures
                       if not any(o is not m and o["plan"] == m["plan"] and o["weight"] > 0.5 for o in measures))
    assert expected and set(unguarded) - set(expected)  # the policies meet the defect
    assert _pack_findings(pack) == expected


#: the documented shape, on a field some contingencies lack (`end_day`)
LATE_FORECAST = """\
  - c:
      kind: contingency
  - m:
      kind: milestone
      key: {ref: c.milestone}
      forecast_day: {gt: {sub: [{ref: c.end_day}, 30]}}
"""


def test_a_comparison_with_a_field_another_fact_lacks_runs(tmp_path: Path) -> None:
    """Unguarded, a contingency without `end_day` failed the engine's assert (error 311): exit 3,
    "internal error". The compiler makes `c` require the field; in a negation the rule holds."""
    pack = _pack_rule(tmp_path, LATE_FORECAST, "c")
    matches, facts = _reference_matches(pack)
    assert any(f["kind"] == "contingency" and "end_day" not in f for f in facts)
    assert _pack_findings(pack) == sorted(str(m["c"]["key"]) for m in matches) != []
    negated = LATE_FORECAST.replace("  - m:\n", "  - not:\n")
    pack2 = tmp_path / "negated"
    pack2.mkdir()
    (pack2 / "ACME01.yaml").write_text((pack / "ACME01.yaml").read_text(encoding="utf-8").replace(LATE_FORECAST, negated),
                                       encoding="utf-8")
    matches, _facts = _reference_matches(pack2)
    without = {str(f["key"]) for f in facts if f["kind"] == "contingency" and "end_day" not in f}
    assert without <= {str(m["c"]["key"]) for m in matches}
    assert _pack_findings(pack2) == sorted(str(m["c"]["key"]) for m in matches)
