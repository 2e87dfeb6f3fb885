"""Messages are read by executives: articles, possessives, acronyms and proper names on a table of
generated names (vowels, acronyms, names ending in s), through the filters and through real rules."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from interlock.evaluation.expressions.sandbox import article, function_name, mid_sentence, possessive
from interlock.lint import _milestone_in_a_sentence, lint
from interlock.read.config import Config


@pytest.mark.parametrize(("phrase", "expected"), [
    ("operations metric", "an operations metric"),
    ("accounts payable metric", "an accounts payable metric"),
    ("HR metric", "an HR metric"),
    ("IT metric", "an IT metric"),
    ("SDR team", "an SDR team"),
    ("FP&A metric", "an FP&A metric"),
    ("USD amount", "a USD amount"),
    ("sales metric", "a sales metric"),
    ("engineering metric", "an engineering metric"),
    ("unit metric", "a unit metric"),
    ("user metric", "a user metric"),
    ("hour", "an hour"),
    ("hospital metric", "a hospital metric"),
    ("8-week ramp", "an 8-week ramp"),
    ("18-month plan", "an 18-month plan"),
    ("one-off", "a one-off"),
])
def test_article(phrase: str, expected: str) -> None:
    assert article(phrase) == expected


@pytest.mark.parametrize(("name", "expected"), [
    ("Marketing", "Marketing's"),
    ("Professional services", "Professional services'"),
    ("Sales", "Sales'"),
    ("Sales East", "Sales East's"),
    ("Business", "Business's"),
    ("IT", "IT's"),
    ("HR operations", "HR operations'"),
])
def test_possessive(name: str, expected: str) -> None:
    assert possessive(name) == expected


@pytest.mark.parametrize(("function", "expected"), [
    ("hr", "HR"), ("it", "IT"), ("accounts-payable", "accounts payable"), ("customer-success", "customer success"),
])
def test_function_names(function: str, expected: str) -> None:
    assert function_name(function) == expected


@pytest.mark.parametrize(("name", "expected"), [
    ("Product launch", "product launch"),
    ("General availability of the modular wall system", "general availability of the modular wall system"),
    ("Atlas launch", "Atlas launch"),
    ("Product launch of Atlas", "Product launch of Atlas"),
    ("Riverside handover", "Riverside handover"),
    ("ERP go-live", "ERP go-live"),
])
def test_milestone_names_keep_proper_names(name: str, expected: str) -> None:
    assert _milestone_in_a_sentence(name) == expected


@pytest.mark.parametrize(("role", "expected"), [("Product specialist", "product specialist"), ("SDR", "SDR"),
                                                ("HR partner", "HR partner")])
def test_roles_mid_sentence(role: str, expected: str) -> None:
    assert mid_sentence(role) == expected


def _check(tmp_path: Path, policy: str, *select: str) -> list[str]:
    folder = tmp_path / "org"
    folder.mkdir(exist_ok=True)
    (folder / "plans.yml").write_text(textwrap.dedent(policy), encoding="utf-8")
    return [f.message for f in lint([folder], Config(select=select)).findings]


@pytest.mark.parametrize(("function", "words"), [
    ("operations", "an operations metric"), ("hr", "an HR metric"), ("finance", "a finance metric"),
])
def test_v06_names_the_function_with_the_right_article(tmp_path: Path, function: str, words: str) -> None:
    metric = {"operations": "safety_incident_rate", "hr": "employee_engagement", "finance": "project_margin_pct"}[function]
    messages = _check(tmp_path, f"""\
        departments:
          - {{id: accounts-payable, name: Accounts payable, function: accounts-payable}}
        plans:
          - id: ap-team
            department: accounts-payable
            measures:
              - {{metric: payment_on_time_pct, weight: 60%}}
              - {{metric: {metric}, weight: 40%}}
        """, "V06")
    assert messages and all(f"), {words} that no accounts payable metric moves" in m for m in messages), messages


def test_t03_a_non_sales_hire_is_not_told_it_has_nothing_to_sell(tmp_path: Path) -> None:
    (message,) = _check(tmp_path, """\
        departments:
          - {id: it, name: IT, function: engineering}
          - {id: hr, name: People operations}
        milestones:
          - {id: erp, name: ERP go-live, owner: it, planned: 2027-03-31, forecast: 2027-12-31}
        hires:
          - {id: onboarding, department: hr, role: HR onboarding partner, count: 1, start: 2027-01-01,
             ramp_months: 1, contingent_on: erp}
        """, "T03")
    assert message.startswith("People operations hires 1 person (onboarding, HR onboarding partner) to be productive from ")
    assert "but ERP go-live is forecast for 2027-12-31: " in message
    assert message.endswith(" days before the work they are hired for can start")
    assert "sell" not in message
