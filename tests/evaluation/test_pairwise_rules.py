"""Q02 and V07 find disagreeing pairs of departments through the distinct values (D27) and texts
(D28) rather than by visiting every pair: the pairs they report are exactly those of the plain
pairwise definition, checked here on random crowds, in the engine and in the reference evaluator."""
from __future__ import annotations

import random
from typing import Any

import pytest

import reference
from interlock.evaluation.evaluate import Evaluator
from interlock.evaluation.rulebook import RuleBook, load_rulebook


@pytest.fixture(scope="module")
def book() -> RuleBook:
    return load_rulebook()


def _pairs(book: RuleBook, rule_id: str, facts: list[dict[str, Any]], aliases: tuple[str, str]) -> set[tuple[str, str]]:
    rules = book.compile(None, [rule_id])
    with Evaluator(rules) as engine:
        matches, _derived = engine.run(facts)
    assert matches == reference.evaluate(rules, facts)
    first, second = aliases
    return {(m.bindings[first]["key"], m.bindings[second]["key"]) for m in matches if m.rule_id == rule_id}


@pytest.mark.parametrize("seed", range(6))
def test_assumption_mismatch_reports_every_pair_beyond_the_tolerance(book: RuleBook, seed: int) -> None:
    rng = random.Random(seed)
    facts = []
    for n in range(rng.randrange(20, 60)):
        fact: dict[str, Any] = {"kind": "assumption", "key": f"a{n}", "dept": f"d{rng.randrange(12)}",
                                "name": rng.choice(["win_rate", "deal_value", "dpo"]), "at": "x.yml:1:1"}
        if rng.random() < 0.9:
            fact["value"] = rng.choice([0, 0.2, 0.22, 0.25, 0.3, 18000, 40000, 40000.0, 41000])
        if rng.random() < 0.3:
            fact["segment"] = rng.choice(["smb", "enterprise"])
        facts.append(fact)
    tolerance = book.get("Q02").defaults()["tolerance"]
    expected = {
        (a1["key"], a2["key"]) for a1 in facts for a2 in facts
        if a1.get("value", 0) > 0 and "value" in a2 and a1["name"] == a2["name"] and a1["dept"] != a2["dept"]
        and a2["value"] > a1["value"] * (1 + tolerance) and a1.get("segment", "") == a2.get("segment", "")
    }
    assert _pairs(book, "Q02", facts, ("a1", "a2")) == expected
    assert expected or seed > 2  # the crowds do disagree


@pytest.mark.parametrize("seed", range(6))
def test_definition_conflict_reports_every_pair_of_texts(book: RuleBook, seed: int) -> None:
    rng = random.Random(seed)
    facts = [{"kind": "definition", "key": f"d{n}", "dept": f"dept{rng.randrange(10)}",
              "metric": rng.choice(["bookings", "margin"]), "text_hash": rng.choice("xxxyz"), "at": "x.yml:1:1"}
             for n in range(rng.randrange(15, 45))]
    expected = {
        (a["key"], b["key"]) for a in facts for b in facts
        if a["metric"] == b["metric"] and a["dept"] != b["dept"] and a["text_hash"] != b["text_hash"]
        and a["dept"] < b["dept"]
    }
    assert _pairs(book, "V07", facts, ("a", "b")) == expected
    assert expected
