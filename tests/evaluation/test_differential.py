"""durable-rules against the plain-Python reference evaluator, on the same compiled rules.

The engine can fail silently (dropped facts, mis-fired negations, one fact never filling two
patterns); the reference evaluator (tests/reference.py) shares nothing with it but the compiled
patterns and the rule expressions. Any difference is a bug in the adapter, the compiler or the
engine.

Two generators make the organizations: ``orggen.random_org`` (small random organizations over the
built-in knowledge) and ``synthetic.generate`` (the benchmark's organizations, with their own
knowledge graph, at six departments). The quick tests run a few seeds of each; the ``slow`` test
runs ``INTERLOCK_DIFF_SEEDS`` seeds of each (500 by default, in a process pool):
``make differential SEEDS=5000`` is the long run (docs/engine.md).
"""
from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

import reference
import synthetic
from interlock.read.config import Config
from interlock.lint import evaluator, facts_of
from interlock.read.loader import load_documents
from interlock.evaluation.evaluate import Evaluator
from interlock.evaluation.rulebook import RuleBook, load_rulebook
from interlock.model.validate import validate
from orggen import random_org, write_org
from paths import ROOT_DIR

ROOT = ROOT_DIR
SEEDS = int(os.environ.get("INTERLOCK_DIFF_SEEDS", "500"))
#: Departments of a synthetic organization here: the smallest that has every unit's shape.
SYNTHETIC_DEPARTMENTS = 6


@pytest.fixture(scope="module")
def book() -> RuleBook:
    return load_rulebook()


def _facts(folder: Path) -> list[dict[str, object]]:
    org = validate(load_documents([folder]))
    return facts_of(org)


def _write(generator: str, seed: int, folder: Path) -> None:
    if generator == "orggen":
        write_org(random_org(seed), folder)
    else:
        synthetic.write(synthetic.generate(SYNTHETIC_DEPARTMENTS, seed), folder)


@pytest.fixture(scope="module")
def staged(book: RuleBook) -> Iterator[tuple[Evaluator, Evaluator]]:
    """Every rule in one session, and the same rules staged (engine/evaluation/stages.py) at any size."""
    with Evaluator(book.compile()) as one, Evaluator(book.compile()) as stages:
        one.stage_from, stages.stage_from = sys.maxsize, 0
        yield one, stages


def _compare(book: RuleBook, facts: list[dict[str, object]], staged: tuple[Evaluator, Evaluator] | None = None) -> int:
    """The engine (as `check` runs it) against the reference evaluator; with ``staged``, also the
    staged run against both, derived facts included."""
    engine_matches, _derived = evaluator(book, Config()).run(facts)
    expected = reference.evaluate(book.compile(), facts)
    assert engine_matches == expected
    if staged is not None:
        one, stages = staged
        assert stages.run(facts) == one.run(facts)
        assert stages.run(facts)[0] == expected
    return len(engine_matches)


@pytest.mark.parametrize("seed", range(20))
def test_random_organizations(book: RuleBook, staged: tuple[Evaluator, Evaluator], seed: int, tmp_path: Path) -> None:
    write_org(random_org(seed), tmp_path)
    _compare(book, _facts(tmp_path), staged)


@pytest.mark.parametrize("seed", [51, 115, 149])
def test_seeds_where_one_fact_fills_two_patterns(book: RuleBook, seed: int, tmp_path: Path) -> None:
    """Seeds on which the engine once lost X05 or X06 (one path as both `r` and `h`)."""
    write_org(random_org(seed), tmp_path)
    _compare(book, _facts(tmp_path))


@pytest.mark.parametrize("seed", range(2))
def test_synthetic_organizations(book: RuleBook, staged: tuple[Evaluator, Evaluator], seed: int, tmp_path: Path) -> None:
    _write("synthetic", seed, tmp_path)
    assert _compare(book, _facts(tmp_path), staged) > 0


def test_random_organizations_produce_findings(book: RuleBook, tmp_path: Path) -> None:
    """The comparison is only meaningful if the generator reaches the rules."""
    total = 0
    for seed in range(10):
        folder = tmp_path / str(seed)
        write_org(random_org(seed), folder)
        total += _compare(book, _facts(folder))
    assert total >= 20


def _keys(data: object) -> set[str]:
    if isinstance(data, dict):
        return set(data) | {k for v in data.values() for k in _keys(v)}
    if isinstance(data, list):
        return {k for v in data for k in _keys(v)}
    return set()


def test_random_organizations_carry_the_newer_fields() -> None:
    """The rules reading the newer fields are compared only if the generator writes them."""
    keys = {k for seed in range(40) for k in _keys(random_org(seed))}
    newer = {"band", "reported_by", "team", "collaborative", "curve", "cap", "true_up", "clawback", "triggers",
             "holdback", "time_required", "working_days", "relative", "phasing", "history", "parent", "segment",
             "crediting", "exclusive", "settled_by", "amount"}
    assert newer <= keys, sorted(newer - keys)
    assert random_org(7) == random_org(7)


@pytest.mark.parametrize("folder", ["policies", "tests/fixtures/aligned_org", "tests/fixtures/saas_org",
                                    "tests/fixtures/retail_org"])
def test_bundled_organizations(book: RuleBook, staged: tuple[Evaluator, Evaluator], folder: str) -> None:
    path = ROOT / folder
    if not any(path.glob("*.y*ml")):
        pytest.fail(f"{folder} has no policy files")
    _compare(book, _facts(path), staged)


# -- many seeds, in a process pool ---------------------------------------------------------------

_WORKER: dict[str, object] = {}


def _seed_difference(job: tuple[str, int]) -> str | None:
    """None when the engine and the reference agree on one seed, else the rules that differ."""
    generator, seed = job
    if not _WORKER:
        book = load_rulebook()
        stages = Evaluator(book.compile())
        stages.stage_from = 0
        _WORKER.update(evaluator=evaluator(book, Config()), compiled=book.compile(), stages=stages)
    engine: Evaluator = _WORKER["evaluator"]  # type: ignore[assignment]
    with tempfile.TemporaryDirectory() as folder:
        _write(generator, seed, Path(folder))
        facts = _facts(Path(folder))
    found, _derived = engine.run(facts)
    expected = reference.evaluate(_WORKER["compiled"], facts)  # type: ignore[arg-type]
    staged, _derived = _WORKER["stages"].run(facts)  # type: ignore[attr-defined]
    if staged != expected:
        found = staged
    if found == expected:
        return None
    differ = {m.sort_key() for m in found} ^ {m.sort_key() for m in expected}
    return f"{generator} seed {seed}: {', '.join(sorted({rule for rule, _b in differ}))}"


@pytest.mark.slow
@pytest.mark.parametrize("generator", ["orggen", "synthetic"])
def test_many_seeds(generator: str) -> None:
    """INTERLOCK_DIFF_SEEDS seeds (default 500) of each generator: no difference at all."""
    jobs = [(generator, seed) for seed in range(SEEDS)]
    with multiprocessing.get_context("fork").Pool(os.cpu_count() or 1) as pool:
        differences = [d for d in pool.imap(_seed_difference, jobs, chunksize=8) if d]
    assert differences == []


# -- through the real CLI ------------------------------------------------------------------------

#: The smallest organization where one path is both of X05's paths: its sellers set prices, and
#: its plan pays project margin down, which discounting also lowers.
PRICE_SETTERS = """\
objectives:
  - {id: project-profitability, adopt: project-profitability, target: 14%}
departments:
  - {id: sales, name: Sales}
plans:
  - id: sales-ae
    department: sales
    levers: [price]
    measures:
      - {metric: project_margin_pct, weight: 100%, direction: down}
"""


def test_cli_reports_x05_when_one_path_serves_both_aliases(tmp_path: Path) -> None:
    (tmp_path / "organization.yml").write_text(PRICE_SETTERS, encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "interlock", "check", str(tmp_path), "--no-cache", "-f", "json"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stderr
    import json

    rules = sorted(f["rule"] for f in json.loads(run.stdout)["findings"])
    assert rules == ["V02", "X05"]
