"""Issue 18, concepts 2, 3 and 8 and the department list: cascade growth (V17), time budgets (Q14),
plan years (V16) and recovery windows on churn, cancellation and returns (T14), on small inline
policies; each asserts the exact findings, and the engine agrees with the reference evaluator."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import reference
from interlock.evaluation.rulebook import RuleBook, load_rulebook
from interlock.findings.findings import Finding
from interlock.lint import evaluator, facts_of, lint
from interlock.read.config import Config
from interlock.read.loader import load_documents
from interlock.model.validate import validate


@pytest.fixture(scope="module")
def book() -> RuleBook:
    return load_rulebook()


def write(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "policies"
    folder.mkdir(exist_ok=True)
    (folder / "org.yml").write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def run(tmp_path: Path, text: str, book: RuleBook, *rules: str) -> list[Finding]:
    folder = write(tmp_path, text)
    return [f for f in lint([folder], Config(), book).findings if not rules or f.rule in rules]


def agree(tmp_path: Path, book: RuleBook, config: Config) -> set[str]:
    """The engine's matches equal the reference evaluator's; the rules that matched."""
    org = validate(load_documents([tmp_path / "policies"]))
    facts = facts_of(org)
    compiled = book.compile({}, sorted(config.selected(book)))
    engine_matches, _derived = evaluator(book, config).run(facts)
    assert engine_matches == reference.evaluate(compiled, facts)
    return {m.rule_id for m in engine_matches}


SIX = """\
    organization: {name: Example, currency: EUR, fiscal_year: 2027}
    departments:
""" + "".join(f"      - {{id: team-{n}, name: Team {n}}}\n" for n in range(1, 7)) + """\
    plans:
""" + "".join(f"      - {{id: plan-{n}, department: team-{n}, measures: [{{metric: bookings, weight: 100%}}]}}\n"
              for n in range(1, 7)) + """\
    crediting:
      - id: shared-deals
        metric: bookings
        deals: Shared deals
        credits:
""" + "".join(f"          - {{plan: plan-{n}, share: 50%}}\n" for n in range(1, 7))


def test_a_finding_lists_all_six_credited_departments(tmp_path: Path, book: RuleBook) -> None:
    found = run(tmp_path, SIX, book, "Q12")
    assert [(f.rule, list(f.departments)) for f in found] == [
        ("Q12", [f"team-{n}" for n in range(1, 7)])]
    assert found[0].message.startswith("Shared deals (bookings) are credited at 300% (plan-1 50%, plan-2 50%")
    assert "Q12" in agree(tmp_path, book, Config(select=("Q12",)))
