"""Q02 and V07 judge each department against the consensus of the others (D30-D33), and Q15 reports
a segment figure nobody else can be compared with (D34, D35): the findings are exactly those of a
plain Python statement of the rule, on random crowds and on crowds of 2, 3, 50 and 200, in the engine
and in the reference evaluator, and their number grows with the departments, not with their pairs."""
from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest

import reference
from interlock.evaluation.evaluate import Evaluator
from interlock.evaluation.rulebook import RuleBook, load_rulebook
from interlock.findings.findings import build_findings


@pytest.fixture(scope="module")
def book() -> RuleBook:
    return load_rulebook()


def _matches(book: RuleBook, rule_id: str, facts: list[dict[str, Any]]) -> list[Any]:
    rules = book.compile(None, [rule_id])
    with Evaluator(rules) as engine:
        matches, _derived = engine.run(facts)
    assert matches == reference.evaluate(rules, facts)
    return [m for m in matches if m.rule_id == rule_id]


# -- Q02: the consensus of an assumption per segment ----------------------------------------------------


def _consensus(facts: list[dict[str, Any]]) -> dict[tuple[str, str], tuple[float, list[str]]]:
    """(name, segment) -> (the value most departments hold, the lower on a tie; its departments)."""
    holders: dict[tuple[str, str, float], set[str]] = {}
    for a in facts:
        if "value" in a:
            holders.setdefault((a["name"], a.get("segment", ""), a["value"]), set()).add(a["dept"])
    best: dict[tuple[str, str], tuple[float, list[str]]] = {}
    for (name, segment, value), depts in holders.items():
        now = best.get((name, segment))
        if now is None or (len(depts), -value) > (len(now[1]), -now[0]):
            best[(name, segment)] = (value, sorted(depts))
    return best


def _expected_q02(facts: list[dict[str, Any]], tolerance: float) -> set[str]:
    consensus = _consensus(facts)
    found = set()
    for a in facts:
        value, _depts = consensus.get((a["name"], a.get("segment", "")), (0, []))
        mine = a.get("value", 0)
        if mine > 0 and value > 0 and max(mine, value) > min(mine, value) * (1 + tolerance):
            found.add(a["key"])
    return found


@pytest.mark.parametrize("seed", range(6))
def test_assumption_mismatch_reports_every_department_beyond_the_consensus(book: RuleBook, seed: int) -> None:
    rng = random.Random(seed)
    facts = []
    for n in range(rng.randrange(20, 60)):
        dept, name = f"d{rng.randrange(12)}", rng.choice(["win_rate", "deal_value", "dpo"])
        segment = rng.choice(["smb", "enterprise"]) if rng.random() < 0.3 else None
        if any(f["dept"] == dept and f["name"] == name and f.get("segment") == segment for f in facts):
            continue  # a department states one value per assumption and segment
        fact: dict[str, Any] = {"kind": "assumption", "key": f"a{n}", "dept": dept, "name": name, "at": "x.yml:1:1"}
        if rng.random() < 0.9:
            fact["value"] = rng.choice([0, 0.2, 0.22, 0.25, 0.3, 18000, 40000, 40000.0, 41000])
        if segment:
            fact["segment"] = segment
        facts.append(fact)
    tolerance = book.get("Q02").defaults()["tolerance"]
    expected = _expected_q02(facts, tolerance)
    assert {m.bindings["a"]["key"] for m in _matches(book, "Q02", facts)} == expected
    assert expected or seed > 2  # the crowds do disagree


def _assumption_crowd(size: int, outliers: int, segment: str | None = None) -> list[dict[str, Any]]:
    """``size`` departments on one deal value, the last ``outliers`` of them planning on 40,000, the others 18,000."""
    facts = []
    for n in range(size):
        fact: dict[str, Any] = {"kind": "assumption", "key": f"d{n:03d}/avg_deal_size", "dept": f"d{n:03d}",
                                "name": "avg_deal_size", "value": 40000.0 if n >= size - outliers else 18000.0,
                                "at": f"d{n:03d}.yml:1:1"}
        if segment:
            fact["segment"] = segment
        facts.append(fact)
    return facts


@pytest.mark.parametrize(("size", "outliers"), [(2, 1), (3, 1), (50, 10), (200, 100)])
def test_a_crowd_on_one_assumption_gives_one_finding_per_outlier(book: RuleBook, size: int, outliers: int) -> None:
    facts = _assumption_crowd(size, outliers, segment="smb")
    findings = build_findings(_matches(book, "Q02", facts), book, {})
    # On a tie (2 and 200) the lower value is the consensus: one finding per department on the higher.
    assert sorted(f.facts["a"]["dept"] for f in findings) == [f"d{n:03d}" for n in range(size - outliers, size)]
    majority = size - outliers
    for f in findings:
        if majority == 1:
            assert f.message.startswith("d001 plans on avg deal size of 40,000 (segment smb), d000 on 18,000: "
                                        "122% apart")
            assert sorted(f.departments) == ["d000", "d001"]
        else:
            assert f"plans on avg deal size of 40,000 (segment smb) while {majority} other departments plan on " \
                   "18,000 (d000, d001" in f.message
            assert f.message.count(" and ") == (1 if majority > 3 else 0)
            assert len(f.departments) == min(4, majority + 1)


def test_two_segments_are_judged_apart(book: RuleBook) -> None:
    facts = _assumption_crowd(3, 1, segment="smb") + [
        {**f, "key": f["key"] + "/ent", "segment": "enterprise", "value": 40000.0 if f["dept"] == "d000" else 18000.0}
        for f in _assumption_crowd(3, 0)]
    assert sorted(m.bindings["a"]["key"] for m in _matches(book, "Q02", facts)) == ["d000/avg_deal_size/ent",
                                                                                      "d002/avg_deal_size"]


def test_a_thousand_departments_disagreeing_give_a_finding_per_department_not_per_pair(book: RuleBook) -> None:
    facts = _assumption_crowd(1000, 500)
    assert len(_matches(book, "Q02", facts)) == 500  # a finding per pair would be 500 x 500


# -- V07: the consensus definition of a metric ------------------------------------------------------


def _expected_v07(facts: list[dict[str, Any]]) -> set[tuple[str, str]]:
    holders: dict[tuple[str, str], set[str]] = {}
    for d in facts:
        holders.setdefault((d["metric"], d["text_hash"]), set()).add(d["dept"])
    consensus: dict[str, tuple[str, set[str]]] = {}
    for (metric, text), depts in holders.items():
        now = consensus.get(metric)
        if now is None or (-len(depts), min(depts), text) < (-len(now[1]), min(now[1]), now[0]):
            consensus[metric] = (text, depts)
    return {(d["metric"], d["dept"]) for d in facts
            if d["text_hash"] != consensus[d["metric"]][0] and consensus[d["metric"]][1] - {d["dept"]}}


@pytest.mark.parametrize("seed", range(6))
def test_definition_drift_reports_every_department_off_the_consensus(book: RuleBook, seed: int) -> None:
    rng = random.Random(seed)
    facts = [{"kind": "definition", "key": f"d{n}", "dept": f"dept{rng.randrange(10)}",
              "metric": rng.choice(["bookings", "margin"]), "text_hash": rng.choice("xxxyz"), "at": "x.yml:1:1"}
             for n in range(rng.randrange(15, 45))]
    matches = _matches(book, "V07", facts)
    findings = build_findings(matches, book, {})
    expected = _expected_v07(facts)
    assert Counter((f.facts["a"]["metric"], f.facts["a"]["dept"]) for f in findings) == Counter(expected)
    assert expected


@pytest.mark.parametrize(("size", "outliers"), [(2, 1), (3, 1), (50, 10), (200, 100)])
def test_a_crowd_on_one_definition_gives_one_finding_per_outlier(book: RuleBook, size: int, outliers: int) -> None:
    facts = [{"kind": "definition", "key": f"mql_count/d{n:03d}", "dept": f"d{n:03d}", "metric": "mql_count",
              "text_hash": "other" if n >= size - outliers else "shared", "at": f"d{n:03d}.yml:1:1"}
             for n in range(size)]
    findings = build_findings(_matches(book, "V07", facts), book, {})
    # On a tie the text of the department first by id (d000) is the consensus.
    assert sorted(f.facts["a"]["dept"] for f in findings) == [f"d{n:03d}" for n in range(size - outliers, size)] \
        or size == 2
    majority = size - outliers
    assert len(findings) == outliers
    for f in findings:
        if majority == 1:
            assert f.message.startswith("d000 and d001 define mql count differently, so")
        else:
            assert f"defines mql count differently from {majority} other departments (d000, d001" \
                in f.message
            assert len(f.departments) == min(4, majority + 1)


# -- Q15: a segment figure with nothing to compare it with --------------------------------------------


def test_a_segment_nobody_else_states_is_reported_once_per_figure(book: RuleBook) -> None:
    facts = _assumption_crowd(50, 0) + [{"kind": "assumption", "key": "mkt/avg_deal_size/smb", "dept": "mkt",
                                         "name": "avg_deal_size", "value": 18000.0, "segment": "smb",
                                         "at": "mkt.yml:1:1"}]
    findings = build_findings(_matches(book, "Q15", facts), book, {})
    assert len(findings) == 1
    assert findings[0].message.startswith(
        "mkt plans on avg deal size of 18,000 for segment smb, but 50 other departments state avg deal "
        "size with no figure for smb (d000, d001, d002 and 47 more)")
    assert sorted(findings[0].departments) == ["d000", "d001", "d002", "mkt"]
