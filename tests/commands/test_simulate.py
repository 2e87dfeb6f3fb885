"""`interlock simulate`: what-if changes applied in memory, re-linted, and the ripple diffed by fingerprint."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from interlock.commands.cli import cli, main
from interlock.read.config import Config
from interlock.errors import UsageError
from interlock.findings.findings import Finding
from interlock.commands.simulate import Simulation, WhatIf, parse_shift, render_simulation, simulate
from paths import TESTS_DIR

HERE = TESTS_DIR
PACK = HERE / "fixtures" / "simulate_rules"
SARIF_SCHEMA = HERE / "schemas" / "sarif-schema-2.1.0.json"

LAUNCH = """\
    organization: {name: Launchco, currency: EUR, fiscal_year: 2027}
    departments:
      - {id: product, name: Product}
      - {id: sales, name: Sales}
      - {id: marketing, name: Marketing}
    milestones:
      - {id: product-launch, owner: product, planned: 2027-06-30, forecast: FORECAST}
    targets:
      - id: launch-bookings
        owner: sales
        metric: new_product_bookings
        value: 2_000_000
        kind: quota
        period: FY2027-H2
        contingent_on: product-launch
    plans:
      - id: specialists
        department: sales
        participants: 5
        target_incentive: 40_000
        measures:
          - {metric: new_product_bookings, weight: 100%, target: 400_000, contingent_on: product-launch}
    hires:
      - {id: launch-team, department: sales, count: 5, start: 2027-04-01, ramp_months: 2, contingent_on: product-launch}
    spend:
      - id: launch-campaign
        department: marketing
        amount: 300_000
        from: 2027-05-01
        to: 2027-09-30
        contingent_on: product-launch
    dependencies:
      - {id: launch-ready, consumer: sales, provider: product, milestone: product-launch, due: 2027-06-30}
    assumptions:
      - {department: sales, name: launch_date, date: 2027-06-30, milestone: product-launch}
      - {department: product, name: launch_date, date: FORECAST, milestone: product-launch}
    """
#: What is contingent on the launch, by the key of its contingency fact.
CONTINGENT = {"measure/specialists/new_product_bookings", "target/launch-bookings", "hire/launch-team",
              "spend/launch-campaign", "dependency/launch-ready"}


def write(folder: Path, text: str, **replacements: str) -> Path:
    for key, value in replacements.items():
        text = text.replace(key, value)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "org.yml").write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def run(folder: Path, config: Config | None = None, **changes: tuple[str, ...]) -> Simulation:
    return simulate([folder], config or Config(), WhatIf(**changes))


def temporal(findings: tuple[Finding, ...] | list[Finding]) -> list[Finding]:
    return [f for f in findings if f.family == "temporal"]


def contingency_locations(sim: Simulation) -> dict[str, str]:
    return {str(f["key"]): str(f["at"]) for f in sim.baseline.facts if f["kind"] == "contingency"}


def covered(findings: list[Finding], at: str) -> bool:
    return any(at in {str(loc) for loc in f.locations} for f in findings)


# -- the ripple, on a rule pack of our own (the mechanics) ------------------------------------------


def test_ripple_mechanics_with_a_rule_pack(tmp_path: Path) -> None:
    config = Config(select=("SIM01",), rule_packs=(PACK,))
    on_plan = write(tmp_path / "on-plan", LAUNCH, FORECAST="2027-06-30")
    sim = run(on_plan, config, slips=("product-launch=+1q",))
    assert sim.baseline.findings == () and sim.resolved == () and sim.changed == ()
    assert sorted(f.fingerprint for f in sim.added) == sorted(f.fingerprint for f in sim.scenario.findings)
    assert {f.message.split(" counts")[0] for f in sim.added} == {
        "measure specialists/new_product_bookings", "target launch-bookings", "hire launch-team",
        "spend launch-campaign", "dependency launch-ready"}
    assert all("forecast 2027-09-30, 92 days late" in f.message for f in sim.added)

    slipped = write(tmp_path / "slipped", LAUNCH, FORECAST="2028-03-31")
    further = run(slipped, config, slips=("product-launch=+1q",))
    assert further.added == () and further.resolved == () and len(further.changed) == 5
    for before, after in further.changed:
        assert before.fingerprint == after.fingerprint
        assert "2028-03-31, 275 days late" in before.message and "2028-06-30, 366 days late" in after.message
    back = run(slipped, config, slips=("product-launch=-3q",))
    assert back.added == () and back.changed == () and len(back.resolved) == 5
    assert back.scenario.findings == ()


# -- the ripple, on the built-in temporal rules ------------------------------------------------------


def test_a_further_quarter_adds_temporal_findings_for_everything_contingent(tmp_path: Path) -> None:
    folder = write(tmp_path, LAUNCH, FORECAST="2027-06-30")
    sim = run(folder, slips=("product-launch=+1q",))
    assert temporal(sim.baseline.findings) == []
    assert sim.resolved == ()
    added = temporal(sim.added)
    for key, at in contingency_locations(sim).items():
        assert key in CONTINGENT
        assert covered(added, at), f"no temporal finding added for {key}"
    rules = {f.rule for f in added}
    assert {"T01", "T03", "T04"} <= rules  # exposure, a team hired ahead of the launch, spend ahead of it
    assert any(f.rule == "T02" and "Sales" in f.message for f in added)  # sales still plans on the old date
    assert sim.changes[0].effect == ("milestone product-launch forecast 2027-06-30 -> 2027-09-30 "
                                     "(+92 days against the planned 2027-06-30)")


def test_minus_three_quarters_resolves_them(tmp_path: Path) -> None:
    folder = write(tmp_path, LAUNCH, FORECAST="2028-03-31")
    sim = run(folder, slips=("product-launch=-3q",))
    before = temporal(sim.baseline.findings)
    for key, at in contingency_locations(sim).items():
        assert covered(before, at), f"no temporal finding for {key} before the what-if"
    assert temporal(sim.scenario.findings) == []
    assert sorted(f.fingerprint for f in temporal(sim.resolved)) == sorted(f.fingerprint for f in before)
    assert temporal(sim.added) == []
    assert sim.changes[0].effect.startswith("milestone product-launch forecast 2028-03-31 -> 2027-06-30 (0 days")


def test_slips_apply_in_order_and_a_date_works_like_a_shift(tmp_path: Path) -> None:
    folder = write(tmp_path, LAUNCH, FORECAST="2027-06-30")
    there_and_back = run(folder, slips=("product-launch=+1q", "product-launch=-1q"))
    assert (there_and_back.added, there_and_back.resolved, there_and_back.changed) == ((), (), ())
    by_shift = run(folder, slips=("product-launch=+1q",))
    by_date = run(folder, slips=("product-launch=2027-09-30",))
    assert [f.fingerprint for f in by_shift.added] == [f.fingerprint for f in by_date.added]
    assert [f.message for f in by_shift.added] == [f.message for f in by_date.added]


def test_the_policy_files_are_never_touched(tmp_path: Path) -> None:
    folder = write(tmp_path, LAUNCH, FORECAST="2027-06-30")
    before = (folder / "org.yml").read_bytes()
    run(folder, slips=("product-launch=+2q",), sets=("sales.new_product_bookings=3_000_000",),
        assumes=("sales.win_rate=30%",), attainments=("sales=80%",))
    assert (folder / "org.yml").read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["org.yml"]


@pytest.mark.parametrize("value, expected", [
    ("+1q", "2028-06-30"), ("-3q", "2027-06-30"), ("+2m", "2028-05-31"), ("-1m", "2028-02-29"),
    ("+3w", "2028-04-21"), ("+10d", "2028-04-10"), ("-10d", "2028-03-21"), ("+1y", "2029-03-31"),
    ("2028-06-30", "2028-06-30"),
])
def test_shifts(value: str, expected: str) -> None:
    import datetime

    assert parse_shift("x", value, datetime.date(2028, 3, 31)).isoformat() == expected


@pytest.mark.parametrize("start, value, expected", [
    ("2027-06-30", "+3q", "2028-03-31"), ("2027-06-30", "+1m", "2027-07-31"), ("2028-02-29", "+2m", "2028-04-30"),
    ("2027-04-30", "-2m", "2027-02-28"), ("2027-06-15", "+3q", "2028-03-15"), ("2027-01-30", "+1m", "2027-02-28"),
])
def test_a_month_end_stays_a_month_end(start: str, value: str, expected: str) -> None:
    import datetime

    assert parse_shift("x", value, datetime.date.fromisoformat(start)).isoformat() == expected


@pytest.mark.parametrize("value, expected", [
    ("+971y", "2999-03-31"), ("-128y", "1900-03-31"), ("2999-12-31", "2999-12-31"), ("1900-01-01", "1900-01-01"),
])
def test_shifts_to_the_edges_of_the_calendar(value: str, expected: str) -> None:
    """Policies hold dates from 1900 to 2999 (values.FIRST_DAY, LAST_DAY); a slip may go as far."""
    import datetime

    assert parse_shift("x", value, datetime.date(2028, 3, 31)).isoformat() == expected


@pytest.mark.parametrize("value", ["+972y", "-129y", "+9000y", "-9000y", "+3000000d", "+500000w", "+" + "9" * 5000 + "d",
                                   "3000-01-01", "1899-12-31", "9999-12-31", "0001-01-01"])
def test_shifts_outside_the_calendar_are_one_usage_line(value: str) -> None:
    """Past 9999 Python's calendar raised (exit 3); past 2999 a date no policy could hold was accepted."""
    import datetime

    with pytest.raises(UsageError) as caught:
        parse_shift(f"launch={value}", value, datetime.date(2028, 3, 31))
    message = str(caught.value)
    assert message.startswith(f"--slip launch={value[:20]}") and message.endswith("outside the years 1900 to 2999")
    assert "\n" not in message and len(message) < 200


# -- numbers: --set, --assume, --attainment -----------------------------------------------------------

FUNNEL = """\
    organization: {name: Example, currency: EUR, fiscal_year: 2027, incentive_budget: 1_000_000}
    departments:
      - {id: sales, name: Sales}
      - {id: marketing, name: Marketing}
    targets:
      - {id: new-business, owner: sales, metric: new_business, value: 10_000_000, period: FY2027}
      - {id: mqls, owner: marketing, metric: mql_count, value: 4_000, period: FY2027}
    plans:
      - id: sales-ae
        department: sales
        participants: 20
        target_incentive: 45_000
        measures:
          - metric: new_business
            weight: 100%
            target: 500_000
            curve:
              - {attainment: 60%, payout: 30%}
              - {attainment: 100%, payout: 100%}
              - {attainment: 150%, payout: 250%}
    assumptions:
      - {department: sales, name: mql_count, value: 2_000}
      - {department: sales, name: mql_to_sql_rate, value: 50%}
      - {department: sales, name: win_rate, value: 25%}
      - {department: sales, name: avg_deal_size, value: 40_000}
      - {department: marketing, name: win_rate, value: 20.75%}
      - {department: marketing, name: avg_deal_size, value: 18_000}
    dependencies:
      - {id: qualified-leads, consumer: sales, provider: marketing, metric: mql_count, amount: 2_000}
    """


def numbers(sim: Simulation) -> dict[tuple[str, str, str], tuple[str, str]]:
    return {(n.kind, n.key, n.field): (n.before_text, n.after_text) for n in sim.numbers}


def test_assume_interlocks_the_funnel(tmp_path: Path) -> None:
    folder = write(tmp_path, FUNNEL)
    sim = run(folder, assumes=("marketing.acv=40_000", "marketing.win_rate=25%"))
    assert {f.rule for f in sim.baseline.findings} >= {"Q01", "Q02"}
    assert {f.rule for f in sim.resolved} == {"Q01", "Q02"} and sim.added == ()
    # 4,000 x 50% x 25% x 40,000 = 20,000,000: 200% of the 10.0M target.
    assert numbers(sim)[("funnel", "qualified-leads/new-business", "implied")] == ("EUR 7.47M", "EUR 20.0M")
    assert numbers(sim)[("funnel", "qualified-leads/new-business", "ratio")] == ("74.7%", "200%")
    assert [c.effect for c in sim.changes] == ["marketing assumes avg_deal_size EUR 18,000 -> EUR 40,000",
                                               "marketing assumes win_rate 20.75% -> 25%"]


def test_assume_adds_a_missing_assumption(tmp_path: Path) -> None:
    folder = write(tmp_path, FUNNEL)
    sim = run(folder, assumes=("marketing.mql_to_sql_rate=25%",))
    # Marketing's own conversion now counts: 4,000 x 25% x 20.75% x 18,000 = 3,735,000.
    assert numbers(sim)[("funnel", "qualified-leads/new-business", "implied")] == ("EUR 7.47M", "EUR 3.74M")
    assert sim.changes[0].effect == "marketing now assumes mql_to_sql_rate = 25% (new)"
    assert [(b.rule, a.rule) for b, a in sim.changed] == [("Q01", "Q01")]
    assert "37% of its EUR 10.0M target" in sim.changed[0][1].message


def test_set_a_target_resolves_the_funnel_gap(tmp_path: Path) -> None:
    folder = write(tmp_path, FUNNEL)
    sim = run(folder, sets=("sales.new_business=7_470_000",))
    assert [f.rule for f in sim.resolved] == ["Q01"]
    assert sim.changes[0].effect == "target new-business (sales, new_business) EUR 10.0M -> EUR 7.47M"
    by_id = run(folder, sets=("new-business=7_470_000",))
    assert [f.fingerprint for f in by_id.resolved] == [f.fingerprint for f in sim.resolved]


def test_attainment_prices_the_plans_and_can_break_the_budget(tmp_path: Path) -> None:
    folder = write(tmp_path, FUNNEL)
    sim = run(folder, attainments=("sales=130%",))
    # 20 x 45,000 = 900,000 at target; at 130%: 100% + 3 x 30% = 190% payout = 1,710,000 > 1,000,000.
    assert numbers(sim)[("payout_cost", "sales-ae", "cost_scenario")] == ("-", "EUR 1.71M")
    assert numbers(sim)[("budget", "example", "cost_expected")] == ("EUR 900,000", "EUR 1.71M")
    assert [f.rule for f in sim.added] == ["Q06"]
    assert "cost EUR 1.71M with sales-ae at 130% (target elsewhere), 171% of the EUR 1.00M" in sim.added[0].message
    low = run(folder, attainments=("sales-ae=80%",))
    # 30% + 20% x 70% / 40% = 65% payout: 585,000.
    assert numbers(low)[("payout_cost", "sales-ae", "cost_scenario")] == ("-", "EUR 585,000")
    assert low.added == ()


def test_set_plan_and_measure_fields(tmp_path: Path) -> None:
    folder = write(tmp_path, FUNNEL)
    sim = run(folder, sets=("sales.sales-ae.participants=25", "sales.sales-ae.new_business.target=400_000",
                            "organization.incentive_budget=1_100_000"))
    assert [c.effect for c in sim.changes] == [
        "plan sales-ae participants 20 -> 25",
        "measure sales-ae/new_business target EUR 500,000 -> EUR 400,000",
        "organization incentive_budget EUR 1.00M -> EUR 1.10M",
    ]
    # 25 x 45,000 = 1,125,000 at target: over the 1,100,000 budget.
    assert numbers(sim)[("budget", "example", "cost_target")] == ("EUR 900,000", "EUR 1.13M")
    assert [f.rule for f in sim.added] == ["Q06"]


@pytest.mark.parametrize("changes, message", [
    ({}, "nothing to simulate: give --slip, --set, --assume or --attainment"),
    ({"slips": ("product-launch",)}, "--slip product-launch: expected MILESTONE=SHIFT"),
    ({"slips": ("product-launch=+2x",)}, "--slip product-launch=+2x: '+2x' is not a shift"),
    ({"slips": ("product-lunch=+1q",)}, "unknown milestone 'product-lunch' (did you mean 'product-launch'?)"),
    ({"slips": ("product-launch=2027-02-30",)}, "'2027-02-30' is not a valid date"),
    ({"sets": ("sales.revenue=1",)}, "--set sales.revenue=1: sales has no target on revenue"),
    ({"sets": ("sales.new_product_bookings=lots",)}, "'lots' is not a number or a percentage"),
    ({"sets": ("sales.nope.x.y.z=1",)}, "--set sales.nope.x.y.z=1: expected DEPT.METRIC"),
    ({"sets": ("sales.specialists.bonus=1",)}, "unknown plan field 'bonus'"),
    ({"sets": ("marketing.specialists.participants=1",)}, "plan specialists belongs to sales, not to marketing"),
    ({"assumes": ("salse.win_rate=20%",)}, "unknown department 'salse' (did you mean 'sales'?)"),
    ({"assumes": ("sales.launch_date=25%",)}, "sales's launch_date is a date"),
    ({"assumes": ("sales.launch_date=9999-12-31",)}, "9999-12-31 is outside the years 1900 to 2999"),
    ({"assumes": ("sales.win_rate=" + "9" * 400,)}, "the number is too large (400 characters)"),
    ({"sets": ("sales.new_product_bookings=" + "9" * 400,)}, "the number is too large (400 characters)"),
    ({"attainments": ("sales=" + "9" * 400 + "%",)}, "the number is too large (401 characters)"),
    ({"attainments": ("sales=lots",)}, "--attainment sales=lots: 'lots' is not a number or a percentage"),
    ({"attainments": ("nobody=80%",)}, "unknown department or plan 'nobody'"),
])
def test_bad_what_if_is_one_clear_line(tmp_path: Path, changes: dict[str, tuple[str, ...]], message: str) -> None:
    folder = write(tmp_path, LAUNCH, FORECAST="2027-06-30")
    with pytest.raises(UsageError) as caught:
        run(folder, **changes)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_cli_exit_codes_and_one_line_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = write(tmp_path, LAUNCH, FORECAST="2027-06-30")
    assert main(["simulate", str(folder), "--slip", "product-launch=soon"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("interlock: --slip product-launch=soon: 'soon' is not a shift")
    # The slip adds error findings: exit 1; slipping back within the month adds nothing that fails: exit 0.
    assert main(["simulate", str(folder), "--slip", "product-launch=+1q", "--format", "json"]) == 1
    assert main(["simulate", str(folder), "--slip", "product-launch=-1m", "--format", "json"]) == 0
    assert main(["simulate", str(folder), "--slip", "product-launch=+1q", "--fail-on", "never"]) == 0


def test_help_documents_the_syntax() -> None:
    result = CliRunner().invoke(cli, ["simulate", "--help"])
    assert result.exit_code == 0
    for word in ("--slip", "MILESTONE=SHIFT", "+1q", "--set", "DEPT.PLAN.METRIC.FIELD", "--assume", "--attainment"):
        assert word in result.output


def test_every_format_shows_the_ripple(tmp_path: Path) -> None:
    folder = write(tmp_path, LAUNCH, FORECAST="2028-03-31")
    sim = run(folder, slips=("product-launch=-3q",), attainments=("sales=80%",))
    assert sim.resolved
    text = render_simulation("text", sim)
    assert text.startswith("What if\n  --slip product-launch=-3q: milestone product-launch forecast 2028-03-31 -> ")
    assert f"Resolved ({len(sim.resolved)})" in text and "  - error   T01  " in text
    assert "milestone    product-launch forecast_day: 2028-03-31 -> 2027-06-30" in text
    assert text.rstrip().endswith(f"{len(sim.baseline.findings)} findings before, "
                                  f"{len(sim.scenario.findings)} after.")
    data = json.loads(render_simulation("json", sim))
    assert data["summary"]["resolved"] == len(sim.resolved) and data["summary"]["added"] == len(sim.added)
    assert [c["option"] for c in data["changes"]] == ["slip", "attainment"]
    assert {r["fingerprint"] for r in data["resolved"]} == {f.fingerprint for f in sim.resolved}
    assert {"kind": "milestone", "key": "product-launch", "field": "slip_days", "before": 275, "after": 0,
            "before_text": "275 days", "after_text": "0 days"} in data["numbers"]
    markdown = render_simulation("markdown", sim)
    assert markdown.startswith("# What if") and f"## Resolved ({len(sim.resolved)})" in markdown
    html = render_simulation("html", sim)
    assert "<html" in html and "the plans before the what-if" in html
    sarif = json.loads(render_simulation("sarif", sim))
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(sarif)
    states = [r["baselineState"] for r in sarif["runs"][0]["results"]]
    assert states.count("absent") == len(sim.resolved)
    assert "<testsuites" in render_simulation("junit", sim)
    github = render_simulation("github", sim)
    assert github.count("[what-if: resolved]") == len(sim.resolved)


def test_cli_writes_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = write(tmp_path / "org", LAUNCH, FORECAST="2027-06-30")
    out = tmp_path / "ripple.json"
    assert main(["simulate", str(folder), "--slip", "product-launch=+1q", "-o", str(out), "--no-color"]) == 1
    assert capsys.readouterr().out.startswith("What if")
    assert json.loads(out.read_text(encoding="utf-8"))["summary"]["added"] > 0


# -- the example organization (policies/) ----------------------------------------------------------

POLICIES = HERE.parent / "policies"


def test_example_organization_launch_slips() -> None:
    further = run(POLICIES, slips=("product-launch=+1q",))
    contingent = contingency_locations(further)
    launch = {k: at for k, at in contingent.items() if k in {
        "measure/product-marketing/marketing_pipeline", "measure/launch-specialists/new_product_bookings",
        "target/fy27-launch-bookings", "hire/launch-specialists", "spend/launch-trade-shows", "spend/launch-media",
        "dependency/modular-wall-ga"}}
    assert len(launch) == 7
    ripple = temporal([*further.added, *(a for _b, a in further.changed)])
    for key, at in launch.items():
        assert covered(ripple, at), f"a further quarter changes nothing for {key}"
    assert all("2028-06-30" in f.message for f in ripple if f.rule in ("T01", "T03", "T04"))
    back = run(POLICIES, slips=("product-launch=-3q",))
    resolved = temporal(back.resolved)
    assert {f.rule for f in resolved} >= {"T01", "T02", "T03", "T04", "T11"}
    assert temporal(back.added) == []
    for key, at in launch.items():  # back on the planned date: nothing contingent on the launch is flagged
        assert covered(resolved, at), f"-3q leaves {key} flagged"
    assert temporal([a for _b, a in back.changed]) == []
