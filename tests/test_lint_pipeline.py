"""The pipeline's housekeeping: the cyclic collector is paused for a run and always restored."""
from __future__ import annotations

import gc
from pathlib import Path

import pytest

from interlock.config import Config
from interlock.errors import InputError
from interlock.lint import lint

ROOT = Path(__file__).resolve().parent.parent


def test_a_run_restores_the_collector_it_paused(monkeypatch: pytest.MonkeyPatch) -> None:
    import interlock.lint

    during: list[bool] = []
    real = interlock.lint.facts_of
    monkeypatch.setattr(interlock.lint, "facts_of", lambda org: (during.append(gc.isenabled()), real(org))[1])
    assert gc.isenabled()
    result = lint([ROOT / "tests" / "fixtures" / "aligned_org"], Config())
    assert during == [False] and gc.isenabled() and result.findings == ()


def test_a_failed_run_restores_the_collector_too(tmp_path: Path) -> None:
    (tmp_path / "broken.yml").write_text("departments: [{id: sales, name: Sales, nope: 1}]\n", encoding="utf-8")
    with pytest.raises(InputError):
        lint([tmp_path], Config())
    assert gc.isenabled()


def test_a_collector_the_caller_switched_off_stays_off() -> None:
    gc.disable()
    try:
        lint([ROOT / "tests" / "fixtures" / "aligned_org"], Config())
        assert not gc.isenabled()
    finally:
        gc.enable()
