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


CASCADE = """\
    organization: {name: Example, currency: EUR, fiscal_year: 2027}
    objectives:
      - {adopt: revenue-growth, target: 10%}
    departments:
      - {id: sales, name: Sales}
      - {id: north, name: North, parent: sales}
      - {id: south, name: South, parent: sales}
    targets:
      - {id: north-nb, owner: north, metric: new_business, value: NORTH, period: FY2027}
      - {id: south-nb, owner: south, metric: new_business, value: 5_500_000, period: FY2027}
    history:
      - {owner: north, metric: new_business, period: FY2026, actual: 5_000_000}
      - {owner: south, metric: new_business, period: FY2026, actual: 5_000_000}
"""


def test_the_team_short_of_the_objective_is_the_finding_not_its_parent(tmp_path: Path, book: RuleBook) -> None:
    # North plans +4%, South +10%: Sales together +7%, short only because North is: one entry, North's.
    found = run(tmp_path, CASCADE.replace("NORTH", "5_200_000"), book, "V17", "V14")
    assert [(f.rule, list(f.departments), f.message) for f in found] == [(
        "V17", ["north"], "the FY2027 target of North on new-business bookings, EUR 5.20M, implies +4% growth on the "
        "FY2026 actual of EUR 5.00M, while the lead objective Revenue growth asks for +10%: EUR 5.50M, EUR 300,000 more")]
    assert agree(tmp_path, book, Config(select=("V17", "V14"))) == {"V17"}


def test_a_parent_with_its_own_short_target_is_its_own_finding(tmp_path: Path, book: RuleBook) -> None:
    # Sales sets its own +5% beside North's +4%: two numbers, two causes.
    text = CASCADE.replace("NORTH", "5_200_000").replace("    history:\n", (
        "      - {id: sales-nb, owner: sales, metric: new_business, value: 10_500_000, period: FY2027}\n"
        "    history:\n      - {owner: sales, metric: new_business, period: FY2026, actual: 10_000_000}\n"))
    found = run(tmp_path, text, book, "V17")
    assert sorted((list(f.departments), f.message.split(",")[1].strip()) for f in found) == [
        (["north"], "EUR 5.20M"), (["sales"], "EUR 10.5M")]


def test_a_team_below_last_year_is_v14s_alone(tmp_path: Path, book: RuleBook) -> None:
    found = run(tmp_path, CASCADE.replace("NORTH", "4_800_000"), book, "V17", "V14")
    assert [(f.rule, list(f.departments)) for f in found] == [("V14", ["north"])]


def test_the_parent_is_reported_when_no_team_is_short_alone(tmp_path: Path, book: RuleBook) -> None:
    # A third team sold EUR 1.0M last year and has no target: every team with a target grows 10%,
    # the function as a whole does not grow; nothing below it explains that, so Sales is the finding.
    text = CASCADE.replace("NORTH", "5_500_000").replace(
        "      - {id: south, name: South, parent: sales}\n",
        "      - {id: south, name: South, parent: sales}\n      - {id: west, name: West, parent: sales}\n") + \
        "      - {owner: west, metric: new_business, period: FY2026, actual: 1_000_000}\n"
    found = run(tmp_path, text, book, "V17", "V14")
    assert [(f.rule, list(f.departments), f.message) for f in found] == [(
        "V17", ["sales"], "the FY2027 targets of Sales and the departments under it on new-business bookings, "
        "EUR 5.50M (North) + EUR 5.50M (South) = EUR 11.0M, imply 0% growth on the FY2026 actual of "
        "EUR 5.00M (North) + EUR 5.00M (South) + EUR 1.00M (West) = EUR 11.0M, while the lead objective Revenue growth "
        "asks for +10%: EUR 12.1M, EUR 1.10M more")]


PLAN_YEAR = """\
    organization: {name: Example, currency: EUR, fiscal_year: 2027}
    departments:
      - {id: uk, name: UK subsidiary, plan_year_start: 2027-04-01}
      - {id: uk-service, name: UK service, parent: uk}
    targets:
      - {id: revenue, owner: company, metric: revenue, value: 100_000_000, period: FY2027}
      - {id: uk-revenue, owner: uk, metric: revenue, value: 20_000_000, period: FY2027}
      - {id: uk-service-revenue, owner: uk-service, metric: revenue, value: 20_000_000, period: FY2027}
"""


def test_a_plan_year_of_its_own_dates_the_periods_and_keeps_the_target_out_of_the_company_rollup(
        tmp_path: Path, book: RuleBook) -> None:
    write(tmp_path, PLAN_YEAR)
    org = validate(load_documents([tmp_path / "policies"]))
    targets = {t.id: t for t in org.targets}
    assert (str(targets["uk-revenue"].starts), str(targets["uk-revenue"].ends)) == ("2027-04-01", "2028-03-31")
    # the team inherits the year: it rolls up into its parent, which is on the same clock
    assert targets["uk-service-revenue"].parent == "uk-revenue"
    assert targets["uk-revenue"].parent is None  # not added into the company's calendar FY2027
    found = run(tmp_path, PLAN_YEAR, book, "V16", "V04")
    assert [(f.rule, list(f.departments), f.message) for f in found] == [(
        "V16", ["uk"], "the target uk-revenue of UK subsidiary (revenue, EUR 20.0M, FY2027, 2027-04-01 to 2028-03-31) "
        "is not added into revenue (the company, EUR 100M, FY2027, 2027-01-01 to 2027-12-31): the periods are not "
        "comparable, so that roll-up leaves it out")]
    assert "V16" in agree(tmp_path, book, Config(select=("V16",)))


def test_the_same_plan_year_as_the_company_rolls_up(tmp_path: Path, book: RuleBook) -> None:
    text = PLAN_YEAR.replace("plan_year_start: 2027-04-01", "plan_year_start: 2027-01-01")
    assert run(tmp_path, text, book, "V16") == []
    org = validate(load_documents([tmp_path / "policies"]))
    assert {t.id: t.parent for t in org.targets}["uk-revenue"] == "revenue"


CHURN = """\
    departments:
      - {id: sales, name: Sales}
      - {id: renewals, name: Renewals, parent: sales}
    assumptions:
      - {department: sales, name: contract_term_months, value: 24}
      - {department: sales, name: cancellation_window_days, value: 30}
    plans:
      - id: renewal-reps
        department: renewals
        measures:
          - {metric: bookings, weight: 100%, basis: booking}
        clawback: {days: DAYS, triggers: [cancellation, churn, non-payment]}
"""


@pytest.mark.parametrize("days, expected", [
    (180, "plan renewal-reps claws back pay on churn for 180 days after crediting, but with the 24-month contract "
          "term Sales assumes, a customer who leaves is known only at renewal, 730 days after the deal: the window "
          "closes 550 days before the churn it protects against can show"),
    (730, None),
    (60, None),  # under 90 days: T06's (paid before the outcome), not this rule's
])
def test_a_clawback_on_churn_against_the_contract_term(tmp_path: Path, book: RuleBook, days: int,
                                                       expected: str | None) -> None:
    found = run(tmp_path, CHURN.replace("DAYS", str(days)), book, "T14")
    assert [(list(f.departments), f.message) for f in found] == ([(["renewals"], expected)] if expected else [])
    assert agree(tmp_path, book, Config(select=("T14",))) == ({"T14"} if expected else set())


TIME = """\
    organization: {name: Example, fiscal_year: 2027, working_days: 210}
    departments:
      - {id: consulting, name: Consulting, headcount: 40}
      - {id: analytics, name: Analytics, parent: consulting, headcount: 10}
      - {id: people, name: People team}
    hires:
      - {id: grads, department: analytics, role: Graduate analyst, count: 8, start: 2027-09-01}
    plans:
      - id: analysts
        department: analytics
        measures:
          - {metric: utilisation_pct, weight: 100%, direction: up, target: 80%}
      - id: people-team
        department: people
        measures:
          - {metric: training_hours, weight: 100%}
        time_required:
          - {activity: compliance training, days: 5, department: consulting}
          - {activity: onboarding, days: 20, department: analytics, per: hire}
          - {activity: onboarding, days: 10, department: people}
"""


def test_time_required_per_person_and_per_hire_against_a_utilisation_target(tmp_path: Path, book: RuleBook) -> None:
    # 80% of 210 days is 168 billable days; consulting-wide compliance 5 days, onboarding 20 days x 8 hires
    # over analytics' 10 people = 16 days; people's own onboarding is not analytics': 189 days left, 90%.
    assert run(tmp_path, TIME, book, "Q14") == []
    found = run(tmp_path, TIME.replace("target: 80%", "target: 92%"), book, "Q14")
    assert [(list(f.departments), f.message) for f in found] == [(["analytics", "people"],
        "Analytics is paid on a billable utilisation of 92% (plan analysts), which needs 193.2 billable days of 210 "
        "working days per person; the plans require 21 non-billable days per person (compliance training 5 days, plan "
        "people-team; onboarding 16 days, plan people-team), leaving 189 days (90%): the target cannot be met without "
        "skipping what the other plans require")]
    assert agree(tmp_path, book, Config(select=("Q14",))) == {"Q14"}


@pytest.mark.parametrize("entry, problem", [
    ("{activity: training, days: -3}", "time_required[0].days"),
    ("{activity: training, days: 5, department: nowhere}", "time_required[0].department: unknown department 'nowhere'"),
    ("{days: 5}", "time_required[0]"),
    ("{activity: training, days: 5, per: year}", "time_required[0].per"),
    ("{activity: onboarding, days: 5, per: hire}",
     "time_required[0].per: per: hire spreads each hire's days over the department's people: give department "
     "'academy' a headcount"),
])
def test_a_bad_time_requirement_is_one_line_at_its_place(tmp_path: Path, entry: str, problem: str) -> None:
    from interlock.errors import InputError

    write(tmp_path, f"""\
        departments:
          - {{id: academy, name: Academy}}
        plans:
          - id: academy-team
            department: academy
            measures:
              - {{metric: training_hours, weight: 100%}}
            time_required:
              - {entry}
        """)
    with pytest.raises(InputError) as raised:
        validate(load_documents([tmp_path / "policies"]))
    lines = str(raised.value).splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{tmp_path / 'policies' / 'org.yml'}:9:") and problem in lines[0]
