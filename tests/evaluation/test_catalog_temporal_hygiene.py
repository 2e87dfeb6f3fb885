"""The temporal (T) and hygiene (H) rules of the built-in catalog, on small inline policies.

Each test writes a policy to a temporary folder, lints it with only the temporal
and hygiene checks selected, and asserts the exact findings: rule, departments
and message, dates included. The launch story (a launch that slipped while sales
hired for it and marketing booked spend for it) must be caught, must resolve when
the milestone's forecast moves back, and must keep its fingerprints while the
date moves (waivers and baselines key on them).
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import reference
from interlock.evaluation import expressions
from interlock.read.config import Config
from interlock.findings.findings import Finding
from interlock.lint import evaluator, facts_of, lint
from interlock.read.loader import load_documents
from interlock.evaluation.rulebook import RuleBook, load_rulebook
from interlock.model.validate import validate
from paths import ROOT_DIR

ROOT = ROOT_DIR
OURS = Config(select=("temporal", "hygiene"))

LAUNCH = """\
    organization: {name: Acme, fiscal_year: 2027, fiscal_year_start: 2027-01-01}
    departments:
      - {id: product, name: Product}
      - {id: sales, name: Sales}
      - {id: marketing, name: Marketing}
    milestones:
      - {id: launch, name: Product launch, owner: product, planned: 2027-06-30, forecast: FORECAST, confidence: 80%}
    hires:
      - {id: launch-team, department: sales, role: Product specialist, count: 6, start: 2027-04-01,
         ramp_months: 3, contingent_on: launch}
    spend:
      - {id: launch-shows, department: marketing, amount: 750_000, from: 2027-04-01, to: 2027-09-30,
         contingent_on: launch}
    targets:
      - {id: launch-quota, owner: sales, metric: new_product_bookings, value: 3_000_000, kind: quota,
         period: FY2027-H2, contingent_on: launch}
    assumptions:
      - {department: marketing, name: launch_date, date: 2027-06-30, milestone: launch}
"""


@pytest.fixture(scope="module")
def book() -> RuleBook:
    return load_rulebook()


def run(tmp_path: Path, text: str, book: RuleBook, config: Config = OURS) -> list[Finding]:
    folder = tmp_path / "policies"
    folder.mkdir(exist_ok=True)
    (folder / "org.yml").write_text(textwrap.dedent(text), encoding="utf-8")
    return list(lint([folder], config, book).findings)


def launch(tmp_path: Path, book: RuleBook, forecast: str) -> list[Finding]:
    return run(tmp_path, LAUNCH.replace("FORECAST", forecast), book)


def summary(findings: list[Finding], *rules: str) -> list[tuple[str, list[str], str]]:
    return sorted((f.rule, list(f.departments), f.message) for f in findings if not rules or f.rule in rules)


def test_date_filter_turns_a_fact_day_into_a_date() -> None:
    assert expressions.render("{{ d | date }}", {"d": 21000}) == "2027-07-01"
    assert expressions.render("{{ d | date }}", {"d": 0}) == "1970-01-01"


def test_the_launch_that_slipped(tmp_path: Path, book: RuleBook) -> None:
    findings = launch(tmp_path, book, "2028-01-15")
    assert summary(findings, "T01", "T02", "T03", "T04", "T11") == [
        ("T01", ["marketing"], "spend launch-shows (Marketing) counts on product launch, now forecast for 2028-01-15, "
                               "199 days after the planned 2027-06-30, at 80% confidence"),
        ("T01", ["sales"], "hire launch-team (Sales) counts on product launch, now forecast for 2028-01-15, "
                           "199 days after the planned 2027-06-30, at 80% confidence"),
        ("T01", ["sales"], "target launch-quota (Sales) counts on product launch, now forecast for 2028-01-15, "
                           "199 days after the planned 2027-06-30, at 80% confidence"),
        ("T02", ["marketing"], "Marketing plans on product launch for 2027-06-30, but its owner Product expects it on "
                               "2028-01-15, 199 days later"),
        ("T03", ["sales"], "Sales hires 6 people (launch-team, product specialist) to be productive from 2027-06-30, "
                           "but product launch is forecast for 2028-01-15: 199 days before the work they are hired for can start"),
        ("T04", ["marketing"], "Marketing spends 750,000 on launch-shows from 2027-04-01 to 2027-09-30, but product "
                               "launch is forecast for 2028-01-15: all of it is spent before there is anything to buy"),
        ("T11", ["sales"], "target launch-quota of Sales counts on product launch from the start of its period "
                           "(2027-07-01 to 2027-12-31), but it is forecast for 2028-01-15: the whole period is over "
                           "before it happens"),
    ]
    severities = {f.rule: f.severity for f in findings}
    assert severities == {"T01": "error", "T02": "error", "T03": "warning", "T04": "warning", "T11": "warning"}
    t03 = next(f for f in findings if f.rule == "T03")
    assert [(loc.file.rsplit("/", 1)[-1], loc.line) for loc in t03.locations] == [("org.yml", 9), ("org.yml", 7)]


@pytest.mark.parametrize("forecast", ["2027-06-30", "2027-03-31"])
def test_moving_the_forecast_back_or_earlier_resolves_the_launch_story(
        tmp_path: Path, book: RuleBook, forecast: str) -> None:
    findings = launch(tmp_path, book, forecast)
    assert summary(findings, "T01", "T03", "T04", "T11") == []
    # Marketing's own date still disagrees with an earlier forecast; on the planned date it agrees.
    assert [f.rule for f in findings if f.rule == "T02"] == ([] if forecast == "2027-06-30" else ["T02"])


def test_a_small_slip_reports_only_what_it_really_moves(tmp_path: Path, book: RuleBook) -> None:
    findings = launch(tmp_path, book, "2027-07-20")
    # Within the slip tolerance (T01), the hires' buffer (T03) and the date tolerance (T02); but the H2 quota
    # now starts before the launch, and the spend starts more than a quarter ahead of it.
    assert summary(findings, "T01", "T02", "T03", "T04", "T11") == [
        ("T04", ["marketing"], "Marketing spends 750,000 on launch-shows from 2027-04-01 to 2027-09-30, but product "
                               "launch is forecast for 2027-07-20: 110 of its 183 days run before the launch"),
        ("T11", ["sales"], "target launch-quota of Sales counts on product launch from the start of its period "
                           "(2027-07-01 to 2027-12-31), but it is forecast for 2027-07-20: 19 of the period's 184 days "
                           "pass before it happens"),
    ]


def test_fingerprints_survive_a_moving_date(tmp_path: Path, book: RuleBook) -> None:
    first = {(f.rule, f.fingerprint) for f in launch(tmp_path, book, "2028-01-15")}
    second = {(f.rule, f.fingerprint) for f in launch(tmp_path, book, "2028-03-31")}
    assert first == second
    assert {rule for rule, _ in first} >= {"T01", "T02", "T03", "T04", "T11"}


def test_engine_and_reference_agree_on_the_launch_story(tmp_path: Path, book: RuleBook) -> None:
    launch(tmp_path, book, "2028-01-15")
    org = validate(load_documents([tmp_path / "policies"]))
    facts = facts_of(org)
    compiled = book.compile({}, sorted(OURS.selected(book)))
    engine_matches, _derived = evaluator(book, OURS).run(facts)
    assert engine_matches == reference.evaluate(compiled, facts)
    assert {m.rule_id for m in engine_matches} >= {"T01", "T02", "T03", "T04", "T11"}


def test_two_departments_assume_different_dates_without_a_milestone(tmp_path: Path, book: RuleBook) -> None:
    findings = run(tmp_path, """\
        departments:
          - {id: sales, name: Sales}
          - {id: finance, name: Finance}
          - {id: marketing, name: Marketing}
        assumptions:
          - {department: sales, name: go_live, date: 2027-05-01}
          - {department: finance, name: go_live, date: 2027-09-01}
          - {department: marketing, name: go_live, date: 2027-05-20}
        """, book)
    assert summary(findings, "T02") == [
        ("T02", ["finance", "marketing"], "Finance plans on go live for 2027-09-01 and Marketing for 2027-05-20, "
                                          "104 days apart, and no milestone says which date is right"),
        ("T02", ["finance", "sales"], "Finance plans on go live for 2027-09-01 and Sales for 2027-05-01, "
                                      "123 days apart, and no milestone says which date is right"),
    ]


def test_a_dependency_due_before_the_milestone_it_needs(tmp_path: Path, book: RuleBook) -> None:
    findings = run(tmp_path, """\
        departments:
          - {id: product, name: Product}
          - {id: sales, name: Sales}
        milestones:
          - {id: launch, name: Product launch, owner: product, planned: 2027-04-30}
        dependencies:
          - {id: demo-units, consumer: sales, provider: product, deliverable: Demo units, due: 2027-03-01,
             milestone: launch}
        """, book)
    assert summary(findings, "T11") == [
        ("T11", ["sales"], "dependency demo-units of Sales is due on 2027-03-01, but it needs product launch, "
                           "forecast for 2027-04-30, 60 days later: it cannot be delivered on time"),
    ]


SALES_PLAN = """\
    organization: {name: Acme, fiscal_year: 2027, fiscal_year_start: 2027-01-01}
    objectives:
      - {adopt: revenue-growth, target: 11%}
    departments:
      - {id: sales, name: Sales}
    plans:
      - id: sales-ae
        department: sales
        effective: {from: 2027-01-01, to: 2027-12-31}
        levers: [price, deal_timing]
        measures:
          - metric: bookings
            weight: 60%
            threshold: 1_500_000
            target: 3_000_000
            excellence: 4_500_000
            cap: 6_000_000
            period: year
            basis: booking
            curve:
              - {attainment: 50%, payout: 0%}
              - {attainment: 100%, payout: 100%}
              - {attainment: 150%, payout: 200%}
          - metric: gross_margin_pct
            weight: 20%
            threshold: 28%
            target: 32%
            excellence: 35%
            period: year
          - metric: collections
            weight: 20%
            threshold: 2_000_000
            target: 2_500_000
            excellence: 3_000_000
            period: year
            basis: cash
        clawback: {days: 180, on: [churn, non-payment]}
"""


def test_a_practice_normal_sales_plan_passes(tmp_path: Path, book: RuleBook) -> None:
    findings = run(tmp_path, SALES_PLAN, book)
    assert [(f.rule, f.message) for f in findings if f.severity != "info"] == []


QUARTERLY = ("period: year\n        basis: booking", "period: quarter\n        basis: booking")
ACCELERATED = ("{attainment: 150%, payout: 200%}", "{attainment: 150%, payout: 300%}")


@pytest.mark.parametrize(("changes", "rule", "message"), [
    ([("cap: 6_000_000", "cap: none")], "H03",
     "bookings (60% of plan sales-ae, Sales) pays without a cap, and the plan's participants decide when deals "
     "close: unlimited pay for a volume they can manufacture"),
    ([("clawback: {days: 180, on: [churn, non-payment]}", "clawback: {days: 30, on: [churn]}")], "T06",
     "Sales is paid on bookings when deals are booked (60% of plan sales-ae), but the plan can recover pay only "
     "for 30 days, less than the 90 days it takes to see whether a deal pays"),
    ([("clawback: {days: 180, on: [churn, non-payment]}", "holdback: {share: 20%, days: 120}")], None, None),
    ([QUARTERLY], None, None),    # a linear curve has no cliff, whatever its period
    ([ACCELERATED], None, None),  # an accelerator on the year's cumulative attainment is fine
    ([QUARTERLY, ACCELERATED], "T07",
     "plan sales-ae of Sales pays bookings each quarter on a curve that pays 2 times as much per point of "
     "attainment above 100% as below it, and its participants control deal timing: expect deals pulled into or "
     "pushed out of each quarter's end, closed at lower prices"),
    ([("to: 2027-12-31", "to: 2027-09-30")], "T10",
     "plan sales-ae of Sales is effective from 2027-01-01 to 2027-09-30, but the fiscal year 2027 runs from "
     "2027-01-01 to 2027-12-31: 92 days of the year have no plan"),
    ([("weight: 20%\n        threshold: 28%", "weight: 10%\n        threshold: 28%")], "H02",
     "gross margin is only 10% of plan sales-ae (Sales), less than 15%: too small to change what people do"),
])
def test_one_change_to_the_normal_plan_makes_one_finding(
        tmp_path: Path, book: RuleBook, changes: list[tuple[str, str]], rule: str | None, message: str | None) -> None:
    text = textwrap.dedent(SALES_PLAN)
    for before, after in changes:
        assert before in text
        text = text.replace(before, after)
    findings = [f for f in run(tmp_path, text, book) if f.severity != "info"]
    if rule is None:
        assert findings == []
        return
    # H02 also leaves the weights at 90% (Q08, not selected here).
    assert [(f.rule, list(f.departments), f.message) for f in findings] == [(rule, ["sales"], message)]


def test_a_floor_gate_below_the_threshold_is_not_double_jeopardy(tmp_path: Path, book: RuleBook) -> None:
    findings = run(tmp_path, """\
        departments:
          - {id: support, name: Customer support}
        plans:
          - id: support-agents
            department: support
            measures:
              - {metric: fcr, weight: 60%, target: 75%}
              - {metric: csat, weight: 40%, target: 88%}
            gates:
              - {metric: csat, minimum: 80%}
        """, book)
    assert summary(findings) == []


def test_hygiene_findings_on_a_badly_designed_plan(tmp_path: Path, book: RuleBook) -> None:
    findings = run(tmp_path, """\
        departments:
          - {id: support, name: Customer support}
          - {id: operations, name: Operations}
        plans:
          - id: support-agents
            department: support
            pay_mix: 50%
            measures:
              - {metric: tickets_closed_per_agent, weight: 40%, threshold: 400, excellence: 600}
              - {metric: fcr, weight: 30%, threshold: 60%, excellence: 85%}
              - {metric: repeat_contact_rate, weight: 20%, threshold: 20%, excellence: 10%}
              - {metric: aht, weight: 10%, threshold: 0.2, excellence: 0.1}
            gates:
              - {metric: fcr, minimum: 60%}
            modifiers:
              - {metric: nps, range: [80%, 120%]}
          - id: site-crews
            department: operations
            levers: [recording]
            measures:
              - {metric: safety_incident_rate, weight: 50%, direction: down, threshold: 1.0, excellence: 0.3}
              - {metric: schedule_adherence, weight: 50%, threshold: 85%, excellence: 98%}
        """, book)
    assert summary(findings) == [
        ("H01", ["support"], "plan support-agents of Customer support pays on 4 measures, more than 3: each gets "
                             "too little weight to change what people do"),
        ("H02", ["support"], "average handle time is only 10% of plan support-agents (Customer support), less than "
                             "15%: too small to change what people do"),
        ("H05", ["operations"], "Operations is paid to lower safety incident rate (actual) (50% of plan site-crews) "
                                "and records it itself: the cheapest way to earn the incentive is to stop recording"),
        ("H07", ["support"], "Customer support is paid 40% of plan support-agents on tickets closed per agent, an "
                             "activity, and the plan pays for no outcome: it pays for motion, which is easy to inflate"),
        ("H08", ["support"], "plan support-agents of Customer support puts 50% of target pay at risk, but its "
                             "participants neither sell nor control price, deal timing, terms or scope: a large share "
                             "of their pay rides on results they hardly move"),
        ("H10", ["support"], "plan support-agents of Customer support modifies payout on net promoter score with no "
                             "written criteria: nobody can tell what moves it"),
        ("H12", ["support"], "plan support-agents of Customer support pays 30% on first-contact resolution from a "
                             "threshold of 60% and gates all payout at 60% on it: the measure never pays below the "
                             "gate, and missing it costs every other measure too (double jeopardy)"),
    ]
    assert {f.rule: f.severity for f in findings} == {
        "H01": "warning", "H02": "warning", "H05": "error", "H07": "warning", "H08": "info", "H10": "info",
        "H12": "warning"}


def test_quarterly_drivers_of_yearly_results_are_on_another_clock(tmp_path: Path, book: RuleBook) -> None:
    findings = run(tmp_path, """\
        departments:
          - {id: marketing, name: Marketing}
          - {id: sales, name: Sales}
        plans:
          - id: demand-gen
            department: marketing
            measures:
              - {metric: mql_count, weight: 100%, period: quarter}
          - id: sales-ae
            department: sales
            measures:
              - {metric: bookings, weight: 100%, period: year}
        """, book)
    t05 = [f for f in findings if f.rule == "T05"]
    assert len(t05) == 1 and t05[0].severity == "info"
    assert t05[0].departments == ("marketing", "sales")
    assert t05[0].message.startswith(
        "Marketing is paid on marketing-qualified leads each quarter and Sales on bookings each year, but the effect "
        "of marketing-qualified leads on bookings shows only about 120 days later")


def test_undefined_payout_points_are_information(tmp_path: Path, book: RuleBook) -> None:
    findings = run(tmp_path, """\
        departments:
          - {id: sales, name: Sales}
        plans:
          - id: sales-ae
            department: sales
            target_incentive: 40_000
            measures:
              - {metric: bookings, weight: 70%}
              - {metric: gross_margin_pct, weight: 30%, target: 32%}
          - id: sales-draft
            department: sales
            measures:
              - {metric: bookings, weight: 100%}
        """, book)
    # The draft plan states no target incentive yet: nothing is promised, nothing reported.
    assert summary(findings, "H09") == [
        ("H09", ["sales"], "bookings in plan sales-ae (Sales) carries 70% of a 40,000 target incentive but has no "
                           "target, threshold, excellence point or payout curve: nothing says what a result pays"),
    ]
    assert {f.severity for f in findings if f.rule == "H09"} == {"info"}


def test_the_aligned_organization_has_no_temporal_or_hygiene_warning(book: RuleBook) -> None:
    result = lint([ROOT / "tests" / "fixtures" / "aligned_org"], OURS, book)
    assert [(f.rule, f.message) for f in result.findings if f.severity != "info"] == []


def test_the_example_organization_tells_the_launch_story(book: RuleBook) -> None:
    result = lint([ROOT / "policies"], OURS, book)
    rules = {f.rule for f in result.findings}
    assert {"T01", "T02", "T03", "T04", "T11"} <= rules
