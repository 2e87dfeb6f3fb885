"""Findings never depend on the order of files or facts (hypothesis over random organizations)."""
from __future__ import annotations

import random
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interlock.read.config import Config
from interlock.lint import evaluator, lint, facts_of
from interlock.read.loader import load_documents
from interlock.outputs.render import render_json
from interlock.evaluation.rulebook import load_rulebook
from interlock.model.validate import validate
from orggen import random_org, write_org

BOOK = load_rulebook()


def _json(paths: list[Path]) -> str:
    result = lint(paths, Config(), BOOK)
    return render_json(list(result.findings), len(result.files))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=10**6), order=st.randoms(use_true_random=False))
def test_file_order_does_not_matter(seed: int, order: random.Random) -> None:
    folder = Path(tempfile.mkdtemp(prefix="interlock-prop-"))
    try:
        paths = write_org(random_org(seed), folder)
        shuffled = list(paths)
        order.shuffle(shuffled)
        assert _json(shuffled) == _json(paths)
    finally:
        shutil.rmtree(folder)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=10**6), order=st.randoms(use_true_random=False))
def test_fact_order_does_not_matter(seed: int, order: random.Random) -> None:
    folder = Path(tempfile.mkdtemp(prefix="interlock-prop-"))
    try:
        write_org(random_org(seed), folder)
        org = validate(load_documents([folder]))
        facts = facts_of(org)
        engine = evaluator(BOOK, Config())
        expected = engine.run(facts)
        shuffled = list(facts)
        order.shuffle(shuffled)
        assert engine.run(shuffled) == expected
    finally:
        shutil.rmtree(folder)


def test_fifty_shuffles_give_identical_findings_including_negations(tmp_path: Path) -> None:
    """Issue 2: 50 shuffled orders of the asserted facts, the negation rule included."""
    seed = next(s for s in range(100) if '"V02"' in _json(write_org(random_org(s), tmp_path / str(s))))
    org = validate(load_documents([tmp_path / str(seed)]))
    facts = facts_of(org)
    engine = evaluator(BOOK, Config())
    expected, _ = engine.run(facts)
    assert any(m.rule_id == "V02" for m in expected)
    rng = random.Random(seed)
    for _ in range(50):
        rng.shuffle(facts)
        assert engine.run(facts)[0] == expected
