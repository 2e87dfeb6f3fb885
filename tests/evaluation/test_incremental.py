"""Static derivations by difference (engine/evaluation/incremental.py): the same facts as deriving
everything, on random edits of the built-in knowledge base, and taken only where exact."""
from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from unittest import mock

import pytest

from interlock.evaluation import incremental, static
from interlock.evaluation.compiler import Pattern
from interlock.evaluation.evaluate import Evaluator
from interlock.evaluation.rulebook import load_rulebook
from interlock.lint import facts_of
from interlock.model.validate import validate
from interlock.read import cache
from interlock.read.cache import Store
from interlock.read.loader import load_documents

MINIMAL = "organization:\n  name: Base\n"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[list, list, Path]]:
    """The built-in knowledge base's inputs, the static rules, and a store holding their full derivation
    (and nothing the installation ships)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cache, "SHIPPED", tmp_path_factory.mktemp("no-shipped-entries"))
        patch.setattr(static, "_RECENT", {})  # nor what earlier tests left in memory
        yield _base(tmp_path_factory)


def _base(tmp_path_factory: pytest.TempPathFactory) -> tuple[list, list, Path]:
    folder = tmp_path_factory.mktemp("org")
    (folder / "organization.yml").write_text(MINIMAL, encoding="utf-8")
    rules = load_rulebook().compile()
    kinds = static.split(rules).kinds
    inputs = [f for f in facts_of(validate(load_documents([folder]))) if f["kind"] in kinds]
    store = tmp_path_factory.mktemp("cache")
    with static.CachedEvaluator(rules, Store(store)) as cached:
        cached._static_result(inputs)
    assert [p.name.split("-")[0] for p in sorted(store.glob("*.json"))] == ["provenance", "static"]
    return inputs, rules, store


def _own(base: tuple, tmp_path: Path) -> tuple[list, list, Path]:
    """The base, in a cache of the test's own."""
    inputs, rules, store = base
    shutil.copytree(store, tmp_path / "cache")
    return inputs, rules, tmp_path / "cache"


def edited(inputs: list[dict], seed: int) -> list[dict]:
    """The inputs with a few influence edges dropped, re-weighted across the confidence floor and added,
    and sometimes a metric added (with its edges) or dropped."""
    rng = random.Random(seed)
    facts = [dict(f) for f in inputs]
    edges = [f for f in facts if f["kind"] == "influence"]
    metrics = [f for f in facts if f["kind"] == "metric"]
    for gone in rng.sample(edges, rng.randint(0, 3)):
        facts.remove(gone)
    for edge in rng.sample([f for f in facts if f["kind"] == "influence"], rng.randint(0, 3)):
        edge["conf"] = rng.choice([0.3, 0.55, 0.9])
    keys = [m["key"] for m in metrics]
    if rng.random() < 0.5:
        new = {**rng.choice(metrics), "key": f"new_metric_{seed}", "function": rng.choice(metrics)["function"]}
        facts.append(new)
        keys.append(new["key"])
        for other in rng.sample(keys[:-1], 2):
            src, dst = (new["key"], other) if rng.random() < 0.5 else (other, new["key"])
            facts.append({"kind": "influence", "key": f"{src}>{dst}", "src": src, "dst": dst, "sign": 1,
                          "conf": 0.8, "lag_days": 30, "basis": "practitioner"})
    if rng.random() < 0.3:
        facts.remove(rng.choice([f for f in facts if f["kind"] == "metric"]))
    taken = {f["key"] for f in facts if f["kind"] == "influence"}
    for _ in range(rng.randint(0, 5)):
        src, dst = rng.sample(keys, 2)
        if f"{src}>{dst}" not in taken:
            taken.add(f"{src}>{dst}")
            facts.append({"kind": "influence", "key": f"{src}>{dst}", "src": src, "dst": dst,
                          "sign": rng.choice([1, -1]), "conf": rng.choice([0.4, 0.6, 0.8]),
                          "lag_days": rng.choice([0, 30, 90]), "basis": "practitioner"})
    rng.shuffle(facts)
    return facts


@pytest.mark.parametrize("seed", range(8))
def test_a_difference_derives_what_deriving_everything_derives(seed: int, base: tuple, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    inputs, rules, store = _own(base, tmp_path)
    facts = edited(inputs, seed)
    split = static.split(rules)
    with Evaluator(split.static) as plain:
        expected = static.StaticResult.of(*plain.run([dict(f) for f in facts]))
    monkeypatch.setattr(static, "_RECENT", {})
    with static.CachedEvaluator(rules, Store(store)) as cached, \
            mock.patch.object(static.CachedEvaluator, "_derive_all", side_effect=AssertionError("derived everything")):
        found = cached._static_result(facts)
    assert found.derived == expected.derived and found.matches == ()
    # stored as its difference from the base's result, and read back as the same facts
    monkeypatch.setattr(static, "_RECENT", {})
    with static.CachedEvaluator(rules, Store(store)) as warm, \
            mock.patch.object(static.CachedEvaluator, "_from_provenance", side_effect=AssertionError("derived again")):
        assert warm._static_result(list(reversed(facts))).derived == expected.derived


def test_an_unchanged_knowledge_base_keeps_every_fact_and_a_large_change_derives_everything(
        base: tuple, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inputs, rules, store = _own(base, tmp_path)
    monkeypatch.setattr(static, "_RECENT", {})
    stored = Store(store).load("static", static.CachedEvaluator(rules, Store(store))._key(
        sorted(static.canonical(f) for f in inputs)), static.StaticResult.from_json)
    provenance = Store(store).load("provenance", static.CachedEvaluator(rules, Store(store))._provenance_key,
                                   incremental.Provenance.from_json)
    assert stored is not None and provenance is not None
    assert incremental.kept(provenance, frozenset(provenance.inputs)) == list(range(len(stored.derived)))
    half = [f for i, f in enumerate(inputs) if f["kind"] != "influence" or i % 2]
    with static.CachedEvaluator(rules, Store(store)) as cached, \
            mock.patch.object(incremental.DifferenceEvaluator, "run", side_effect=AssertionError("by difference")):
        everything = cached._static_result(half)
    with Evaluator(static.split(rules).static) as plain:
        assert everything.derived == static.StaticResult.of(*plain.run(half)).derived


def test_kept_facts_need_a_derivation_from_what_is_still_there() -> None:
    """f0 <- a; f1 <- f0 or b; f2 <- f3; f3 <- f2 or a (a cycle held up by ``a`` alone)."""
    provenance = incremental.Provenance(["a", "b"], [[[0]], [[-1], [1]], [[-4]], [[-3], [0]]])
    assert incremental.kept(provenance, frozenset({"a", "b"})) == [0, 1, 2, 3]
    assert incremental.kept(provenance, frozenset({"a"})) == [0, 1, 2, 3]
    assert incremental.kept(provenance, frozenset({"b"})) == [1]
    assert incremental.kept(provenance, frozenset()) == []


@pytest.mark.parametrize("stored", [
    {"inputs": ["a"], "derivations": [[[1]]]},  # no input 1
    {"inputs": ["a"], "derivations": [[[-2]]]},  # no derived fact 1
    {"inputs": ["a"], "derivations": [[["0"]]]},
    {"inputs": ["a"], "derivations": [[0]]},
    {"inputs": [1], "derivations": []},
    {"inputs": ["a"]},
])
def test_a_stored_provenance_that_names_nothing_is_refused(stored: dict) -> None:
    with pytest.raises((ValueError, KeyError)):
        incremental.Provenance.from_json(stored)


def test_only_rules_that_derive_without_negation_or_a_kept_kind_go_by_difference() -> None:
    rules = static.split(load_rulebook().compile()).static
    assert incremental.eligible(rules, static.KNOWLEDGE_KINDS)
    (rule, compiled), *rest = rules
    negating = replace(compiled, patterns=(*compiled.patterns, Pattern("metric", ())))
    checking = replace(rule, derive=None)
    keeping = replace(rule, derive={**rule.derive, "one_per": ["src"]})
    into_an_input = replace(compiled, derives="metric")
    for changed in [(rule, negating), (checking, compiled), (keeping, compiled), (rule, into_an_input)]:
        assert not incremental.eligible([changed, *rest], static.KNOWLEDGE_KINDS)
    assert not incremental.eligible([], static.KNOWLEDGE_KINDS)


def test_a_difference_whose_base_is_gone_is_derived_again(base: tuple, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    inputs, rules, own = _own(base, tmp_path)
    facts = edited(inputs, 0)
    monkeypatch.setattr(static, "_RECENT", {})
    with static.CachedEvaluator(rules, Store(own)) as cached:
        first = cached._static_result(facts)

    stored = [p for p in own.glob("static-*.json") if '"base":' in p.read_text(encoding="utf-8")]
    assert len(stored) == 1 and len(stored[0].read_text(encoding="utf-8")) < 100_000  # the difference, not every path
    for whole in set(own.glob("static-*.json")) - set(stored):
        whole.unlink()
    monkeypatch.setattr(static, "_RECENT", {})
    with static.CachedEvaluator(rules, Store(own)) as cached:
        assert cached._static_result(facts).derived == first.derived
