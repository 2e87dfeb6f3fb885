"""Segments never silence the arithmetic (Q01, Q02, Q15), and the rules that read history and
collaboration (V09, H11), on small inline policies linted end to end: exact findings, and the
cases that must stay quiet."""
from __future__ import annotations

import textwrap
from pathlib import Path

from interlock.findings.findings import Finding
from interlock.lint import lint
from interlock.read.config import Config
from inline_policies import FUNNEL

ALL = Config()


def check(tmp_path: Path, policy: str) -> list[Finding]:
    folder = tmp_path / "org"
    folder.mkdir(exist_ok=True)
    (folder / "plans.yml").write_text(textwrap.dedent(policy), encoding="utf-8")
    return list(lint([folder], ALL).findings)


def only(findings: list[Finding], *rules: str) -> list[Finding]:
    return [f for f in findings if f.rule in rules]


def test_segment_figures_only_one_side_states_are_reported_not_dropped(tmp_path: Path) -> None:
    # Marketing writes its funnel for the new segment only: the overall funnel holds on sales'
    # numbers, and without Q15 nothing would be said at all.
    policy = FUNNEL + """\
  - {department: marketing, name: win_rate, value: 20.75%, segment: small-contractors}
  - {department: marketing, name: avg_deal_size, value: 18000, segment: small-contractors}
"""
    found = only(check(tmp_path, policy), "Q01", "Q02", "Q15")
    assert [(f.rule, f.severity, f.departments) for f in found] == [
        ("Q15", "info", ("marketing", "sales")), ("Q15", "info", ("marketing", "sales"))]
    assert sorted(f.message.split(":")[0] for f in found) == [
        "Marketing plans on average deal size of 18,000 for segment small-contractors, but Sales states "
        "average deal size with no figure for small-contractors",
        "Marketing plans on win rate of 20.75% for segment small-contractors, but Sales states win rate with no "
        "figure for small-contractors"]


def test_a_providers_segment_figures_reconcile_with_the_consumers_plan_for_the_segment(tmp_path: Path) -> None:
    policy = FUNNEL + """\
  - {department: sales, name: mql_count, value: 500, segment: small-contractors}
  - {department: sales, name: win_rate, value: 25%, segment: small-contractors}
  - {department: sales, name: avg_deal_size, value: 30000, segment: small-contractors}
  - {department: marketing, name: win_rate, value: 20.75%, segment: small-contractors}
  - {department: marketing, name: avg_deal_size, value: 18000, segment: small-contractors}
"""
    found = only(check(tmp_path, policy), "Q01", "Q02", "Q15")
    assert [f.rule for f in found] == ["Q01", "Q02", "Q02"]
    q01 = found[0]
    assert q01.message == (
        "in segment small-contractors, if Marketing delivers 500 marketing-qualified leads there under its own "
        "figures for the segment, new-business bookings for Sales come to 500 x 50% x 20.75% x EUR 18,000 = "
        "EUR 933,750, 50% of the EUR 1.88M Sales planned for that segment (dependency qualified-leads; Sales "
        "planned on 500 x 50% x 25% x EUR 30,000 = EUR 1.88M; Marketing's drivers against that plan: win rate "
        "0.83x, average deal size 0.60x)")
    assert sorted(f.message.split(":")[0] for f in found[1:]) == [
        "Sales plans on average deal size of 30,000 (segment small-contractors), Marketing on 18,000",
        "Sales plans on win rate of 25% (segment small-contractors), Marketing on 20.75%"]


def test_agreeing_segment_figures_are_clean(tmp_path: Path) -> None:
    policy = FUNNEL + """\
  - {department: sales, name: mql_count, value: 500, segment: small-contractors}
  - {department: sales, name: win_rate, value: 20%, segment: small-contractors}
  - {department: sales, name: avg_deal_size, value: 18000, segment: small-contractors}
  - {department: marketing, name: win_rate, value: 20%, segment: small-contractors}
  - {department: marketing, name: avg_deal_size, value: 18000, segment: small-contractors}
"""
    assert only(check(tmp_path, policy), "Q01", "Q02", "Q15") == []


# -- V09: a metric recorded only above the paid department ---------------------------------------------

REGION = """\
    organization: {name: Example, currency: EUR, fiscal_year: 2027}
    departments:
      - {id: region-north, name: Region north}
      - {id: site-team, name: Site team, parent: region-north}
      - {id: site-crew, name: Site crew, parent: site-team}
    plans:
      - id: site-leads
        department: site-team
        measures:
          - {metric: project_margin, weight: 60%}
          - {metric: schedule_adherence, weight: 40%}
    history:
"""


def test_a_metric_recorded_only_for_the_company_is_not_measurable_in_a_team(tmp_path: Path) -> None:
    policy = REGION + "      - {owner: company, metric: project_margin, period: FY2026, actual: 12%}\n"
    (v09,) = only(check(tmp_path, policy), "V09")
    assert v09.departments == ("site-team",)
    assert v09.message == (
        "Site team is paid on project margin (60% of plan site-leads), but the organization's history records "
        "project margin only for the company (FY2026), for no department in it: what the plan pays cannot be "
        "measured where it is earned")


def test_the_nearest_recording_level_is_named(tmp_path: Path) -> None:
    policy = REGION + """\
      - {owner: company, metric: project_margin, period: FY2026, actual: 12%}
      - {owner: region-north, metric: project_margin, period: FY2026, actual: 11%}
    """
    (v09,) = only(check(tmp_path, policy), "V09")
    assert "only for Region north (FY2026), for no department under it" in v09.message


def test_a_metric_recorded_at_or_below_the_paid_level_is_measurable(tmp_path: Path) -> None:
    for owner, plan in (("site-team", ""), ("site-crew", ""), ("site-team", ", plan: site-leads")):
        policy = REGION + f"""\
      - {{owner: region-north, metric: project_margin, period: FY2026, actual: 11%}}
      - {{owner: {owner}, metric: project_margin, period: FY2026, actual: 10%{plan}}}
    """
        assert only(check(tmp_path, policy), "V09") == [], (owner, plan)


# -- H11: a collaborative objective served by individual measures only ---------------------------------

CREWS = """\
    departments:
      - {id: site-crews, name: Site crews}
    objectives:
      - {adopt: on-time-delivery, collaborative: true}
    plans:
      - id: foremen
        department: site-crews
        participants: PARTICIPANTS
        measures:
          - {metric: schedule_adherence, weight: 100%}
"""


def test_a_single_participant_or_a_team_measure_is_not_winner_take_all(tmp_path: Path) -> None:
    (h11,) = only(check(tmp_path, CREWS.replace("PARTICIPANTS", "12")), "H11")
    assert h11.severity == "info" and h11.objectives == ("on-time-delivery",)
    assert h11.message.startswith(
        "plan foremen of Site crews serves the collaborative objective On-time delivery (through schedule "
        "adherence, 100% of the plan) but pays only individual results: its one measure is not a team measure")
    assert only(check(tmp_path, CREWS.replace("PARTICIPANTS", "1")), "H11") == []
    team = CREWS.replace("PARTICIPANTS", "12").replace("weight: 100%}", "weight: 100%, team: true}")
    assert only(check(tmp_path, team), "H11") == []


def test_collaborative_must_be_true_or_false(tmp_path: Path) -> None:
    folder = tmp_path / "org"
    folder.mkdir()
    (folder / "plans.yml").write_text(textwrap.dedent(CREWS.replace("PARTICIPANTS", "12")).replace(
        "collaborative: true", "collaborative: often"), encoding="utf-8")
    from interlock.errors import InputError
    try:
        lint([folder], ALL)
    except InputError as exc:
        text = str(exc)
    else:
        raise AssertionError("collaborative: often was accepted")
    assert "plans.yml:4:" in text and "collaborative" in text
