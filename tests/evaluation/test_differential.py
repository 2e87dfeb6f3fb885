"""durable-rules against the plain-Python reference evaluator, on the same compiled rules.

The engine can fail silently (dropped facts, mis-fired negations); the
reference evaluator (tests/reference.py) shares nothing with it but the
compiled patterns and the rule expressions. Any difference is a bug in the
adapter, the compiler or the engine.
"""
from __future__ import annotations

from pathlib import Path

import pytest

import reference
from interlock.read.config import Config
from interlock.lint import evaluator, facts_of
from interlock.read.loader import load_documents
from interlock.evaluation.rulebook import RuleBook, load_rulebook
from interlock.model.validate import validate
from orggen import random_org, write_org
from paths import ROOT_DIR

ROOT = ROOT_DIR


@pytest.fixture(scope="module")
def book() -> RuleBook:
    return load_rulebook()


def _facts(folder: Path) -> list[dict[str, object]]:
    org = validate(load_documents([folder]))
    return facts_of(org)


def _compare(book: RuleBook, facts: list[dict[str, object]]) -> int:
    engine_matches, _derived = evaluator(book, Config()).run(facts)
    assert engine_matches == reference.evaluate(book.compile(), facts)
    return len(engine_matches)


@pytest.mark.parametrize("seed", range(20))
def test_random_organizations(book: RuleBook, seed: int, tmp_path: Path) -> None:
    write_org(random_org(seed), tmp_path)
    _compare(book, _facts(tmp_path))


def test_random_organizations_produce_findings(book: RuleBook, tmp_path: Path) -> None:
    """The comparison is only meaningful if the generator reaches the rules."""
    total = 0
    for seed in range(10):
        folder = tmp_path / str(seed)
        write_org(random_org(seed), folder)
        total += _compare(book, _facts(folder))
    assert total >= 20


@pytest.mark.parametrize("folder", ["policies", "tests/fixtures/aligned_org"])
def test_bundled_organizations(book: RuleBook, folder: str) -> None:
    path = ROOT / folder
    if not any(path.glob("*.y*ml")):
        pytest.fail(f"{folder} has no policy files")
    _compare(book, _facts(path))
