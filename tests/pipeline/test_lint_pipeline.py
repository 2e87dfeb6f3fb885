"""The pipeline's housekeeping: long-lived objects are frozen out of the collector's sight during
a run, and always handed back."""
from __future__ import annotations

import gc

import pytest

from interlock.read.config import Config
from interlock.errors import InputError
from interlock.lint import lint
from paths import ROOT_DIR

ROOT = ROOT_DIR


def test_a_run_freezes_its_model_and_hands_it_back(monkeypatch: pytest.MonkeyPatch) -> None:
    import interlock.evaluation.evaluate

    frozen: list[int] = []
    real = interlock.evaluation.evaluate.Evaluator.run
    monkeypatch.setattr(interlock.evaluation.evaluate.Evaluator, "run",
                        lambda self, facts, derived=True: (frozen.append(gc.get_freeze_count()), real(self, facts, derived))[1])
    result = lint([ROOT / "tests" / "fixtures" / "aligned_org"], Config())
    assert frozen and frozen[0] > 0  # the model and facts sat in the permanent generation during the engine run
    assert gc.get_freeze_count() == 0 and gc.isenabled() and result.findings == ()


def test_a_failed_run_hands_everything_back_too(monkeypatch: pytest.MonkeyPatch) -> None:
    import interlock.evaluation.evaluate

    def fail(self: object, facts: object, derived: bool = True) -> None:
        raise InputError([])

    monkeypatch.setattr(interlock.evaluation.evaluate.Evaluator, "run", fail)
    with pytest.raises(InputError):
        lint([ROOT / "tests" / "fixtures" / "aligned_org"], Config())
    assert gc.get_freeze_count() == 0 and gc.isenabled()


@pytest.mark.parametrize("cached", [True, False])
def test_facts_no_rule_needs_are_dropped_without_changing_the_answer(cached: bool) -> None:
    """lint() gives the run only the facts the engine or the cached rules can use: the payout
    curves and costs (for the reports) go, and the matches and derived facts stay the same."""
    from interlock.evaluation.evaluate import Evaluator
    from interlock.lint import evaluator, facts_of
    from interlock.read.loader import load_documents
    from interlock.evaluation.rulebook import load_rulebook
    from interlock.model.validate import validate

    facts = facts_of(validate(load_documents([ROOT / "policies"])))
    book = load_rulebook()
    rules = evaluator(book, Config()) if cached else Evaluator(book.compile())
    needed = [fact for fact in facts if rules.needs(fact)]
    assert {"curve", "payout_cost"} <= {f["kind"] for f in facts} - {f["kind"] for f in needed}
    assert rules.run(needed) == rules.run(facts)


@pytest.mark.parametrize("cached", [True, False])
def test_a_check_without_derived_facts_finds_the_same(cached: bool) -> None:
    """Only reports read the derived facts: a check builds none of them, and finds the same."""
    config = Config(cache=cached)
    full, lean = lint([ROOT / "policies"], config), lint([ROOT / "policies"], config, derived=False)
    assert lean.derived == () and full.derived
    assert lean.findings == full.findings


def test_check_builds_derived_facts_only_for_a_report(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    import interlock.lint
    from interlock.commands.cli import cli

    asked: list[bool] = []
    real = interlock.lint.lint
    monkeypatch.setattr(interlock.lint, "lint", lambda *a, **k: asked.append(k.get("derived", True)) or real(*a, **k))
    for fmt in ("text", "json", "markdown"):
        CliRunner().invoke(cli, ["check", str(ROOT / "policies"), "--format", fmt])
    assert asked == [False, False, True]
