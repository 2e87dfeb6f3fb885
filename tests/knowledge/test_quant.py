"""Quantitative facts, each checked against numbers worked out by hand in the comments."""
from __future__ import annotations

import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from interlock.knowledge.factkinds import KINDS, undeclared_fields
from interlock.knowledge.facts import Fact
from interlock.read.loader import Document, load_documents
from interlock.model.model import CurvePoint, Location, Measure, Organization
from interlock.knowledge.quant import quantitative_facts
from interlock.knowledge.quant.payout import interpolate, is_uncapped, payout_at, threshold_attainment
from interlock.model.validate import validate
from interlock.read.yamlsource import parse_yaml
from paths import ROOT_DIR

ROOT = ROOT_DIR
AT = Location("x.yml", 1, 1)


def org_of(text: str) -> Organization:
    data, index = parse_yaml(textwrap.dedent(text), "policies/org.yml")
    return validate([Document("policies/org.yml", data, index)])


def facts_of(text: str, **kwargs: object) -> list[Fact]:
    facts = quantitative_facts(org_of(text), **kwargs)  # type: ignore[arg-type]
    for fact in facts:  # every fact keeps to the vocabulary (engine/knowledge/factkinds.py)
        assert undeclared_fields(fact) == [], fact
        required = {name for name, doc in KINDS[str(fact["kind"])].fields.items() if not doc.optional}
        assert required <= set(fact), (fact["kind"], required - set(fact))
    return facts


def without(text: str, *fragments: str) -> str:
    """The policy text without the lines that contain any of ``fragments``."""
    return "".join(line for line in text.splitlines(keepends=True) if not any(f in line for f in fragments))


def one(facts: list[Fact], kind: str, key: str | None = None) -> Fact:
    found = [f for f in facts if f["kind"] == kind and (key is None or f["key"] == key)]
    assert len(found) == 1, found
    return found[0]


FUNNEL = """\
    organization: {name: Example, currency: EUR, fiscal_year: 2027}
    departments:
      - {id: sales, name: Sales}
      - {id: marketing, name: Marketing}
    targets:
      - {id: new-business, owner: sales, metric: new_business, value: 10_000_000, period: FY2027}
      - {id: mqls, owner: marketing, metric: mql_count, value: 4_000, period: FY2027}
    assumptions:
      - {department: sales, name: mqls, value: 2_000}
      - {department: sales, name: mql_to_sql_rate, value: 50%}
      - {department: sales, name: win_rate, value: 25%}
      - {department: sales, name: acv, value: 40_000}
      - {department: marketing, name: win_rate, value: 20.75%}
      - {department: marketing, name: avg_deal_size, value: 18_000}
    dependencies:
      - {id: qualified-leads, consumer: sales, provider: marketing, metric: mql_count, amount: 2_000}
    """


def test_funnel_founding_case() -> None:
    # 4,000 MQLs x 50% (sales' conversion: marketing has none) = 2,000 SQLs;
    # x 20.75% (marketing's win rate) = 415 wins; x 18,000 (marketing's deal) = 7,470,000.
    # Against sales' 10,000,000: 74.7%. Sales' own view: 2,000 x 50% x 25% x 40,000 = 10,000,000.
    f = one(facts_of(FUNNEL), "funnel")
    assert f["key"] == "qualified-leads/new-business"
    assert (f["consumer"], f["provider"], f["metric"], f["output"], f["depth"]) == (
        "sales", "marketing", "mql_count", "new_business", 2)
    assert f["provider_target"] == 4000 and f["provider_source"] == "target" and f["provider_key"] == "mqls"
    assert f["implied"] == 7_470_000 and f["planned"] == 10_000_000 and f["planned_key"] == "new-business"
    assert f["ratio"] == 0.747 and f["gap"] == 2_530_000
    assert f["arithmetic"] == "4,000 x 50% x 20.75% x EUR 18,000 = EUR 7.47M"
    assert f["explained"] == ("4,000 marketing-qualified leads x 50% MQL-to-SQL conversion x 20.75% win rate"
                              " x EUR 18,000 average deal size = EUR 7.47M")
    assert f["sources"] == ("marketing-qualified leads from marketing's target, MQL-to-SQL conversion from sales,"
                            " win rate from marketing, average deal size from marketing")
    assert f["consumer_implied"] == 10_000_000
    assert f["consumer_arithmetic"] == "2,000 x 50% x 25% x EUR 40,000 = EUR 10.0M"
    # 4,000 / 2,000 = 2.00; 20.75% / 25% = 0.83; 18,000 / 40,000 = 0.45; 2.0 x 0.83 x 0.45 = 0.747
    assert f["factors"] == "marketing-qualified leads 2.00x, win rate 0.83x, average deal size 0.45x"
    assert f["at"] == "policies/org.yml:16:5"  # the dependency


def test_funnel_reads_a_measure_target_and_a_parent_departments_assumptions() -> None:
    # Marketing's demand-gen team has no department target: its plan's measure target (3,000) is used;
    # its win rate comes from marketing, its parent. 3,000 x 40% x 20% x 25,000 = 6,000,000 of 8,000,000 = 75%.
    f = one(facts_of("""\
        organization: {name: Example, currency: USD, fiscal_year: 2027}
        departments:
          - {id: sales, name: Sales}
          - {id: marketing, name: Marketing}
          - {id: demand-gen, name: Demand generation, parent: marketing}
        targets:
          - {id: nb, owner: sales, metric: new_business, value: 8_000_000, period: FY2027}
        plans:
          - id: dg
            department: demand-gen
            measures:
              - {metric: mql_count, weight: 100%, target: 3_000}
        assumptions:
          - {department: sales, name: mql_to_sql_rate, value: 40%}
          - {department: sales, name: avg_deal_size, value: 25_000}
          - {department: marketing, name: win_rate, value: 20%}
        dependencies:
          - {id: leads, consumer: sales, provider: demand-gen, metric: mql_count}
        """), "funnel")
    assert f["provider_source"] == "measure" and f["provider_key"] == "dg/mql_count"
    assert f["implied"] == 6_000_000 and f["ratio"] == 0.75
    assert f["arithmetic"] == "3,000 x 40% x 20% x USD 25,000 = USD 6.00M"
    assert "consumer_arithmetic" not in f  # no amount and no assumption: sales' own volume is unknown


def test_funnel_through_bookings_adds_the_consumers_expansion_target() -> None:
    # bookings = new_business + expansion_bookings; new_business expands down to MQLs, expansion comes from
    # sales' own target: 4,000 x 50% x 20.75% x 18,000 + 2,000,000 = 9,470,000 of 12,000,000 = 78.9167%.
    text = FUNNEL.replace(
        "- {id: new-business, owner: sales, metric: new_business, value: 10_000_000, period: FY2027}",
        "- {id: bookings, owner: sales, metric: bookings, value: 12_000_000, period: FY2027}\n"
        "      - {id: expansion, owner: sales, metric: expansion_bookings, value: 2_000_000, period: FY2027}")
    f = one(facts_of(text), "funnel")
    assert f["output"] == "bookings" and f["depth"] == 3
    assert f["implied"] == 9_470_000 and f["ratio"] == pytest.approx(9.47 / 12, abs=1e-6)
    assert f["arithmetic"] == "4,000 x 50% x 20.75% x EUR 18,000 + EUR 2.00M = EUR 9.47M"


def test_funnel_needs_every_driver() -> None:
    # Nobody assumes a win rate: no funnel, rather than a made-up number.
    text = without(FUNNEL, "name: win_rate")
    assert [f for f in facts_of(text) if f["kind"] == "funnel"] == []


def test_supply_compares_what_is_needed_with_what_the_provider_targets() -> None:
    s = one(facts_of(FUNNEL), "supply")
    assert (s["needed"], s["provided"], s["ratio"], s["good"]) == (2000, 4000, 2.0, 1)
    assert s["at"] == "policies/org.yml:7:5"  # marketing's target
    # Less is better for DSO: a provider targeting 60 days against 45 needed covers 45/60 = 75%.
    s = one(facts_of("""\
        organization: {name: Example}
        departments:
          - {id: finance, name: Finance}
          - {id: treasury, name: Treasury}
        targets:
          - {id: dso, owner: finance, metric: dso, value: 60}
        dependencies:
          - {id: cash-in, consumer: treasury, provider: finance, metric: dso, amount: 45}
        """), "supply")
    assert s["ratio"] == 0.75 and s["good"] == -1


ROLLUP = """\
    organization: {name: Example, currency: EUR, fiscal_year: 2027, base_revenue: 90_000_000}
    objectives:
      - {adopt: revenue-growth, target: 11%, period: FY2027}
    departments:
      - {id: projects, name: Projects}
      - {id: sales, name: Sales}
      - {id: sales-north, name: North, parent: sales}
      - {id: sales-south, name: South, parent: sales}
    targets:
      - {id: revenue, owner: company, metric: revenue, value: 99_900_000, period: FY2027}
      - {id: projects-revenue, owner: projects, metric: revenue, value: 66_000_000, period: FY2027}
      - {id: sales-revenue, owner: sales, metric: revenue, value: 30_300_000, period: FY2027}
      - {id: growth, owner: company, metric: revenue_growth_pct, value: 11%, period: FY2027}
      - {id: sales-growth, owner: sales, metric: revenue_growth_pct, value: 19%, period: FY2027}
      - {id: nb, owner: sales, metric: new_business, value: 10_000_000, period: FY2027}
      - {id: north, owner: sales-north, metric: new_business, value: 7_000_000, kind: quota, period: FY2027}
      - {id: south, owner: sales-south, metric: new_business, value: 5_000_000, kind: quota, period: FY2027}
      - {id: north-launch, owner: sales-north, metric: new_product_bookings, value: 1_000_000, parent: north}
    """


def test_rollups() -> None:
    facts = facts_of(ROLLUP)
    # "Grow 11%": 66.0M + 30.3M = 96.3M of 99.9M = 96.396%, 3.6M short.
    r = one(facts, "rollup", "revenue")
    assert (r["parent_value"], r["children_total"], r["gap"], r["child_count"]) == (99_900_000, 96_300_000,
                                                                                    3_600_000, 2)
    assert r["ratio"] == pytest.approx(96.3 / 99.9, abs=1e-6)
    assert r["children"] == "projects-revenue, sales-revenue" and r["children_kind"] == "target"
    assert r["arithmetic"] == "EUR 66.0M + EUR 30.3M = EUR 96.3M" and r["gap_text"] == "EUR 3.60M"
    # Quotas 7.0M + 5.0M = 12.0M against 10.0M: 120%, over-assigned by 20%.
    q = one(facts, "rollup", "nb")
    assert q["children_total"] == 12_000_000 and q["ratio"] == 1.2 and q["children_kind"] == "quota"
    keys = {f["key"] for f in facts if f["kind"] == "rollup"}
    assert "growth" not in keys  # percentages do not add up
    assert "north" not in keys  # its only child is on another metric (a part of it, not a split)


def test_growth_from_the_company_target_and_from_the_departments() -> None:
    g = one(facts_of(ROLLUP), "growth")
    # 99.9M on a 90.0M base is +11% exactly.
    assert g["source"] == "company" and g["implied_growth"] == pytest.approx(0.11) and g["gap"] == 0
    # Without a company target the top-level departments' targets count: 96.3M / 90.0M - 1 = 7%, 3.6M short of 99.9M.
    text = without(ROLLUP, "{id: revenue, owner: company")
    g = one(facts_of(text), "growth")
    assert g["source"] == "departments" and g["targets"] == "projects-revenue, sales-revenue"
    assert g["implied_growth"] == pytest.approx(0.07) and g["needed"] == 99_900_000 and g["gap"] == 3_600_000
    assert (g["base_text"], g["revenue_text"], g["needed_text"]) == ("EUR 90.0M", "EUR 96.3M", "EUR 99.9M")


CAPACITY = """\
    organization: {name: Example, currency: EUR, fiscal_year: 2027}
    departments:
      - {id: sales, name: Sales}
      - {id: east, name: East, parent: sales}
      - {id: west, name: West, parent: sales}
    targets:
      - {id: bookings, owner: sales, metric: bookings, value: 12_000_000, period: FY2027}
      - {id: east-quota, owner: east, metric: bookings, value: 6_000_000, kind: quota, period: FY2027}
      - {id: west-quota, owner: west, metric: bookings, value: 6_000_000, kind: quota, period: FY2027}
    plans:
      - id: ae
        department: sales
        participants: 10
        measures:
          - {metric: bookings, weight: 100%}
    hires:
      - {id: new-aes, department: sales, count: 4, start: 2027-07-01, ramp_months: 3}
    assumptions:
      - {department: sales, name: rep_productivity, value: 1_000_000}
    """


def test_capacity_with_ramping_hires() -> None:
    # FY2027 is 365 days. A hire starting 1 July ramps 90 days (to 29 September: half productive) and then
    # produces 94 days (29 September to 31 December): (94 + 90 / 2) / 365 = 139/365 of a year.
    # Heads 10 + 4 = 14; effective 10 + 4 x 139/365 = 11.5233; ramp factor 11.5233 / 14 = 0.8231.
    # Capacity 14 x 0.8231 x 1,000,000 = 11,523,287.67 against the quotas 6.0M + 6.0M (the leaves) = 12.0M.
    c = one(facts_of(CAPACITY), "capacity")
    expected = 10_000_000 + 4_000_000 * 139 / 365
    assert c["key"] == "sales/bookings" and c["quota_total"] == 12_000_000 and c["quotas"] == 2
    assert c["heads"] == 14 and c["ramp_factor"] == pytest.approx(expected / 14_000_000, abs=1e-4)
    assert c["capacity"] == pytest.approx(expected, abs=0.01)
    assert c["ratio"] == pytest.approx(expected / 12_000_000, abs=1e-6)
    assert c["arithmetic"] == "14 heads x 0.82 ramp x EUR 1.00M = EUR 11.5M"


def test_capacity_assumptions_override_the_computation() -> None:
    text = CAPACITY.rstrip() + ("\n      - {department: sales, name: quota_carrying_heads, value: 12}"
                                "\n      - {department: sales, name: ramp_factor, value: 0.9}\n")
    c = one(facts_of(text), "capacity")
    assert (c["heads"], c["ramp_factor"], c["capacity"]) == (12, 0.9, 10_800_000)  # 12 x 0.9 x 1.0M


def test_no_productivity_no_capacity() -> None:
    text = CAPACITY.replace("rep_productivity", "win_rate")
    assert [f for f in facts_of(text) if f["kind"] == "capacity"] == []


PAYOUT = """\
    organization: {name: Example, currency: EUR, incentive_budget: 600_000}
    departments:
      - {id: sales, name: Sales}
      - {id: finance, name: Finance, headcount: 4}
    plans:
      - id: ae
        department: sales
        participants: 10
        target_incentive: 50_000
        measures:
          - metric: bookings
            weight: 100%
            threshold: 600_000
            target: 1_000_000
            excellence: 1_500_000
            curve:
              - {attainment: 60%, payout: 30%}
              - {attainment: 100%, payout: 100%}
              - {attainment: 150%, payout: 250%}
      - id: credit
        department: finance
        target_incentive: 10_000
        measures:
          - {metric: dso, weight: 50%, direction: down, threshold: 60, target: 50, excellence: 40}
          - {metric: bad_debt_pct, weight: 50%, target: 1%}
      - id: no-money
        department: sales
        measures:
          - {metric: csat, weight: 100%}
    """


def test_payout_cost_at_threshold_target_and_excellence() -> None:
    facts = facts_of(PAYOUT)
    # ae: 10 x 50,000 = 500,000 at 100% payout. Threshold 600k/1.0M = 60% pays 30%: 150,000.
    # Excellence 1.5M/1.0M = 150% pays 250%: 1,250,000. No cap, rising curve: uncapped.
    ae = one(facts, "payout_cost", "ae")
    assert (ae["cost_threshold"], ae["cost_target"], ae["cost_excellence"]) == (150_000, 500_000, 1_250_000)
    assert ae["uncapped"] is True and ae["excellence_assumed"] is False and ae["participants"] == 10
    assert ae["arithmetic"] == "10 x EUR 50,000 x 100% = EUR 500,000"
    # credit: no participants, so finance's headcount of 4: 4 x 10,000 = 40,000 at target.
    # dso (less is better): threshold 60 against 50 is 50/60 = 83.33% attainment, paid 1:1 without a curve;
    # excellence 40 is 50/40 = 125%. bad_debt_pct has no threshold (pays from 0) and no excellence:
    # 150% is assumed. Threshold 40,000 x 0.5 x 5/6 = 16,666.67; excellence 40,000 x (0.5 x 1.25 + 0.5 x 1.5) = 55,000.
    credit = one(facts, "payout_cost", "credit")
    assert credit["participants"] == 4 and credit["cost_target"] == 40_000
    assert credit["cost_threshold"] == pytest.approx(16_666.67, abs=0.01)
    assert credit["cost_excellence"] == 55_000 and credit["excellence_assumed"] is True
    assert credit["uncapped"] is False  # dso is paid down, bad debt is a percentage
    assert "no-money" not in {f["key"] for f in facts if f["kind"] == "payout_cost"}


def test_payout_cost_with_a_cap_and_at_a_simulated_attainment() -> None:
    capped = PAYOUT.replace("excellence: 1_500_000", "excellence: 1_500_000\n            cap: 1_200_000")
    ae = one(facts_of(capped, attainment={"ae": 0.8}), "payout_cost", "ae")
    # The cap stops attainment at 120%: 100% + 3 x 20% = 160% payout, 800,000 at excellence.
    # At 80%: 30% + (80% - 60%) x (70% / 40%) = 65% payout: 325,000.
    assert ae["cost_excellence"] == 800_000 and ae["uncapped"] is False
    assert ae["attainment"] == 0.8 and ae["cost_scenario"] == 325_000


def test_budget() -> None:
    b = one(facts_of(PAYOUT, attainment={"ae": 0.8}), "budget")
    # Target: 500,000 + 40,000 = 540,000 of 600,000 = 90%. Excellence: 1,250,000 + 55,000 = 1,305,000 = 217.5%.
    # Expected: ae at 80% (325,000) + credit at target (40,000) = 365,000 = 60.83%.
    assert (b["budget"], b["cost_target"], b["cost_excellence"], b["cost_expected"]) == (600_000, 540_000,
                                                                                        1_305_000, 365_000)
    assert b["ratio_target"] == 0.9 and b["ratio_excellence"] == 2.175
    assert b["ratio_expected"] == pytest.approx(365 / 600, abs=1e-6)
    assert (b["plans"], b["plans_without_cost"], b["uncapped_plans"], b["uncapped"]) == (2, 1, 1, "ae")
    assert b["scenario"] == "ae at 80%"
    without = PAYOUT.replace(", incentive_budget: 600_000", "")
    assert [f for f in facts_of(without) if f["kind"] == "budget"] == []


def test_curve_facts() -> None:
    facts = facts_of("""\
        departments:
          - {id: sales, name: Sales}
        plans:
          - id: p
            department: sales
            measures:
              - metric: bookings
                weight: 50%
                threshold: 1_100_000
                target: 1_000_000
                curve:
                  - {attainment: 50%, payout: 0%}
                  - {attainment: 100%, payout: 100%}
                  - {attainment: 110%, payout: 90%}
              - metric: new_business
                weight: 50%
                curve:
                  - {attainment: 90%, payout: 20%}
                  - {attainment: 95%, payout: 40%}
                  - {attainment: 95%, payout: 80%}
                  - {attainment: 150%, payout: 400%}
        """)
    c = one(facts, "curve", "p/bookings")
    # falls 10 points from 100% to 110%; steepest segment 50% -> 100%: 100 points over 50 = 2.0;
    # threshold 1.1M against 1.0M = 110%; the top of the curve (110%) pays 90%.
    assert (c["monotone"], c["drop_at"], c["drop"]) == (False, 1.1, 0.1)
    assert (c["max_rate"], c["rate_from"], c["rate_to"], c["rate_step"]) == (2.0, 0.5, 1.0, 1.0)
    assert c["threshold_attainment"] == 1.1 and c["leverage"] == 0.9 and c["excellence_attainment"] == 1.1
    c = one(facts, "curve", "p/new_business")
    # 95% -> 150%: 320 points over 55 = 5.8182; a 40-point jump at 95%; no threshold given.
    assert c["monotone"] is True and c["max_rate"] == pytest.approx(3.2 / 0.55, abs=1e-6)
    assert (c["vertical_step"], c["vertical_at"], c["leverage"]) == (0.4, 0.95, 4.0)
    assert "threshold_attainment" not in c


def _measure(**kwargs: object) -> Measure:
    return Measure(metric="bookings", weight=1.0, direction=kwargs.pop("direction", 1), at=AT, **kwargs)  # type: ignore[arg-type]


def _curve(*points: tuple[float, float]) -> tuple[CurvePoint, ...]:
    return tuple(CurvePoint(a, p, AT) for a, p in points)


def test_payout_arithmetic() -> None:
    curve = _curve((0.6, 0.3), (1.0, 1.0), (1.5, 2.5))
    m = _measure(curve=curve)
    assert payout_at(m, Decimal("0.59")) == 0  # below the first point
    assert payout_at(m, Decimal("0.6")) == Decimal("0.3")
    assert payout_at(m, Decimal("0.8")) == Decimal("0.65")
    assert payout_at(m, Decimal("1.2")) == Decimal("1.6")
    assert payout_at(m, Decimal("2.0")) == Decimal("4.0")  # the last slope continues: 2.5 + 3 x 0.5
    assert payout_at(_measure(curve=curve, target=100.0, cap=120.0), Decimal("2.0")) == Decimal("1.6")
    # a vertical step: the later point wins at its attainment
    step = _curve((0.5, 0.0), (0.95, 0.4), (0.95, 0.8), (1.0, 1.0))
    assert interpolate(step, Decimal("0.95")) == Decimal("0.8")
    assert interpolate(step, Decimal("0.725")) == Decimal("0.2")  # 0.4 x (0.725 - 0.5) / 0.45
    # no curve: 1:1 from the threshold up
    linear = _measure(threshold=80.0, target=100.0)
    assert payout_at(linear, Decimal("0.79")) == 0 and payout_at(linear, Decimal("0.9")) == Decimal("0.9")
    assert threshold_attainment(_measure(direction=-1, threshold=60.0, target=50.0)) == Decimal(50) / Decimal(60)
    assert threshold_attainment(_measure(curve=_curve((0.5, 0.0), (0.7, 0.2)))) == Decimal("0.7")


def test_uncapped() -> None:
    assert is_uncapped(_measure())
    assert not is_uncapped(_measure(cap=150.0, target=100.0))
    assert not is_uncapped(_measure(direction=-1))
    assert not is_uncapped(_measure(), unit="percent")
    assert not is_uncapped(_measure(curve=_curve((1.0, 1.0), (1.5, 1.0))))  # flat at the top


def test_example_organization_numbers() -> None:
    org = validate(load_documents([ROOT / "policies"]))
    facts = quantitative_facts(org)
    f = one(facts, "funnel")
    assert f["arithmetic"] == "4,000 x 50% x 20.75% x EUR 18,000 = EUR 7.47M" and f["ratio"] == 0.747
    assert one(facts, "rollup", "fy27-revenue")["gap"] == 3_600_000
    # 11 plans at target: 36k + 56k + 176k + 90k + 144k + 60k + 84k + 432k + 160k + 900k + 240k = 2,378,000.
    # 2,378,000 for fully weighted plans, less engineering's missing 10%: 22 x 8,000 x 10% = 17,600;
    # plus channel sales' partner managers (channel-sales.yml): 4 x 30,000 x 100% = 120,000;
    # plus design services' engineers (design-services.yml): 12 x 9,000 x 100% = 108,000;
    # plus the AP manager (accounts-payable.yml, a band target): 1 x 8,000 x 100% = 8,000
    assert one(facts, "budget")["cost_target"] == 2_596_400


def test_facts_do_not_depend_on_file_order(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text(textwrap.dedent(FUNNEL), encoding="utf-8")
    first = quantitative_facts(validate(load_documents([tmp_path])))
    (tmp_path / "a.yml").rename(tmp_path / "z.yml")
    second = quantitative_facts(validate(load_documents([tmp_path])))
    strip = lambda facts: [{k: v for k, v in f.items() if k != "at"} for f in facts]  # noqa: E731
    assert strip(first) == strip(second)


# -- properties ---------------------------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_points = st.lists(st.tuples(st.integers(0, 300), st.integers(0, 400)), min_size=1, max_size=6)


@settings(max_examples=200, deadline=None)
@given(_points, st.integers(0, 400), st.integers(0, 400))
def test_a_monotone_curve_pays_more_for_more(points: list[tuple[int, int]], a: int, b: int) -> None:
    attainments = sorted({x for x, _ in points})
    payouts = sorted(y for _, y in points)[: len(attainments)]
    curve = _curve(*((x / 100, y / 100) for x, y in zip(attainments, payouts)))
    m = _measure(curve=curve)
    low, high = sorted((Decimal(a) / 100, Decimal(b) / 100))
    assert payout_at(m, low) <= payout_at(m, high)
    assert payout_at(m, low) >= 0


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 50), st.integers(1_000, 90_000), st.integers(10, 95), st.integers(105, 200),
       st.booleans(), st.integers(0, 3_000_000))
def test_cost_rises_from_threshold_to_excellence(participants: int, incentive: int, threshold: int,
                                                 excellence: int, curved: bool, budget: int) -> None:
    pad = " " * 16
    curve = (f"\n{pad}curve:\n{pad}  - {{attainment: 50%, payout: 20%}}\n"
             f"{pad}  - {{attainment: 100%, payout: 100%}}\n{pad}  - {{attainment: 150%, payout: 200%}}"
             if curved else "")
    facts = facts_of(f"""\
        organization: {{name: Example, incentive_budget: {budget}}}
        departments:
          - {{id: sales, name: Sales}}
        plans:
          - id: ae
            department: sales
            participants: {participants}
            target_incentive: {incentive}
            measures:
              - metric: bookings
                weight: 100%
                threshold: {threshold * 10_000}
                target: 1_000_000
                excellence: {excellence * 10_000}{curve}
        """)
    cost = one(facts, "payout_cost")
    assert cost["cost_threshold"] <= cost["cost_target"] <= cost["cost_excellence"]
    assert cost["cost_target"] == participants * incentive
    b = one(facts, "budget")
    assert b["cost_target"] == cost["cost_target"]
    assert ("ratio_target" in b) == (budget > 0)


CREDITING = """\
    organization: {name: Example, currency: EUR, fiscal_year: 2027, incentive_budget: 1_000_000}
    departments:
      - {id: sales, name: Sales, headcount: 10}
      - {id: channel, name: Channel partners}
    targets:
      - {id: sales-bookings, owner: sales, metric: bookings, value: 20_000_000, period: FY2027}
    plans:
      - id: sales-ae
        department: sales
        target_incentive: 40_000
        measures: [{metric: bookings, weight: 75%}, {metric: gross_margin_pct, weight: 25%}]
      - {id: partners, department: channel, measures: [{metric: bookings, weight: 100%}]}
    crediting:
      - id: reseller
        metric: bookings
        amount: 5_000_000
        credits: [{plan: sales-ae}, {plan: partners, share: 50%, rate: 2%}]
"""


def test_credit_split_prices_the_double_credit_from_the_plans_payout_over_its_target() -> None:
    split = one(facts_of(CREDITING), "credit_split", "reseller")
    # sales-ae: 10 heads x EUR 40,000 x 75% = EUR 300,000 at target over EUR 20M of bookings = 1.5%
    # 100% x EUR 5M x 1.5% = EUR 75,000; partners 50% x EUR 5M x 2% = EUR 50,000; total EUR 125,000
    # credited at 150%: the part beyond 100% is 125,000 x 0.5 / 1.5 = EUR 41,666.67, 4.17% of EUR 1M
    assert split["share_total"] == 1.5 and split["shares"] == "sales-ae 100%, partners 50%"
    assert split["excess_text"] == "EUR 2.50M"
    assert split["cost_target"] == 125_000 and split["excess_cost"] == 41_666.67
    assert split["cost_arithmetic"] == ("sales-ae 100% x EUR 5.00M x 1.5% = EUR 75,000; "
                                        "partners 50% x EUR 5.00M x 2% = EUR 50,000")
    assert split["budget_share"] == pytest.approx(0.041667)
    assert split["dept_names"] == "Channel partners and Sales" and split["dept_count"] == 2
    assert split["depts"] == ["channel", "sales"]


def test_credit_split_without_a_price_for_every_plan_states_no_cost() -> None:
    split = one(facts_of(without(CREDITING, "sales-bookings", "targets:")), "credit_split", "reseller")
    assert "cost_target" not in split and "budget_share" not in split
    assert split["amount_text"] == "EUR 5.00M"


HISTORY = """\
    organization: {name: Example, currency: EUR, fiscal_year: 2027}
    objectives:
      - {adopt: revenue-growth, target: 11%}
      - {adopt: customer-satisfaction}
    departments:
      - {id: sales, name: Sales}
      - {id: support, name: Support}
    targets:
      - {id: nb, owner: sales, metric: new_business, value: 9_000_000, period: FY2027}
      - {id: sat, owner: support, metric: csat, value: 85%, period: FY2027}
    plans:
      - id: ae
        department: sales
        measures: [{metric: new_business, weight: 100%, threshold: 75_000, target: 120_000, period: quarter}]
    history:
      - {owner: sales, metric: new_business, period: FY2025, actual: 8_000_000}
      - {owner: sales, metric: new_business, period: FY2026, actual: 9_600_000}
      - {owner: sales, metric: new_business, period: FY2027, actual: 1}
      - {owner: support, metric: csat, period: FY2026, actual: 80%}
      - {owner: sales, plan: ae, metric: new_business, period: FY2026, actual: 110_000}
"""


def test_target_history_compares_with_the_latest_actual_before_the_targets_period() -> None:
    facts = facts_of(HISTORY)
    nb = one(facts, "target_history", "nb")
    # 9.0M / 9.6M - 1 = -6.25%; FY2025 is older, FY2027 is not before the target's period
    assert (nb["actual_period"], nb["change_text"], nb["worse"]) == ("FY2026", "-6.25%", True)
    assert (nb["objective"], nb["asks"]) == ("revenue-growth", "for +11% growth")
    sat = one(facts, "target_history", "sat")
    assert (sat["change_text"], sat["worse"], sat["asks"]) == ("+6.25%", False, "for customer satisfaction to rise")


def test_measure_history_compares_threshold_and_target_with_a_participants_actual() -> None:
    mh = one(facts_of(HISTORY), "measure_history", "ae/new_business")
    assert (mh["no_improvement"], mh["target_no_improvement"]) == (True, False)
    assert (mh["threshold_text"], mh["actual_text"]) == ("EUR 75,000", "EUR 110,000")


CASCADE = """\
    organization: {name: Example, currency: EUR, fiscal_year: 2027}
    departments:
      - {id: projects, name: Projects}
      - {id: civil, name: Civil, parent: projects}
      - {id: sales, name: Sales}
    targets:
      - {id: margin, owner: company, metric: project_margin_pct, value: 14%, period: FY2027}
      - {id: projects-margin, owner: projects, metric: project_margin_pct, value: 15%, period: FY2027}
      - {id: civil-margin, owner: civil, metric: project_margin_pct, value: 12%, period: FY2027}
      - {id: revenue, owner: company, metric: revenue, value: 100_000_000, period: FY2027}
      - {id: sales-h2, owner: sales, metric: revenue, value: 10_000_000, period: FY2027-H2}
      - {id: civil-revenue, owner: civil, metric: revenue, value: 5_000_000}
"""


def test_cascade_steps_compare_every_level_with_its_own_parent() -> None:
    facts = facts_of(CASCADE)
    assert one(facts, "cascade_step", "projects-margin")["less_ambitious"] is False  # 15% over the company's 14%
    civil = one(facts, "cascade_step", "civil-margin")  # 12% under projects' 15%, not only under the company's 14%
    assert (civil["parent"], civil["less_ambitious"], civil["parent_text"]) == ("projects-margin", True, "15%")
    assert not [f for f in facts if f["kind"] == "cascade_step" and f["metric"] == "revenue"]  # additive: rollups


def test_rollup_exclusions_name_the_target_a_period_keeps_out() -> None:
    facts = facts_of(CASCADE)
    h2 = one(facts, "rollup_exclusion", "sales-h2")
    assert (h2["parent"], h2["period"], h2["parent_period"]) == ("revenue", "FY2027-H2", "FY2027")
    none = one(facts, "rollup_exclusion", "civil-revenue")
    assert none["parent"] == "revenue" and "period" not in none


def test_recovery_window_needs_payment_terms_and_a_window_on_non_payment() -> None:
    text = """\
        organization: {name: Example}
        departments: [{id: sales, name: Sales}]
        assumptions: [{department: sales, name: payment_terms_days, value: 60}]
        plans:
          - id: ae
            department: sales
            measures: [{metric: bookings, weight: 100%, basis: booking}]
            clawback: {days: 90, on: [non-payment]}
            holdback: {share: 10%, days: 45}
          - id: churn-only
            department: sales
            measures: [{metric: bookings, weight: 100%, basis: booking}]
            clawback: {days: 30, on: [churn]}
    """
    facts = [f for f in facts_of(text) if f["kind"] == "recovery_window"]
    assert [(f["key"], f["days"], f["shows_after"]) for f in facts] == [("ae/clawback", 90, 60), ("ae/holdback", 45, 60)]


def test_capacity_load_adds_driver_targets_and_dependencies() -> None:
    text = """\
        organization: {name: Example, currency: EUR, fiscal_year: 2027}
        departments:
          - {id: sales, name: Sales}
          - {id: support, name: Support}
          - {id: services, name: Services}
        targets:
          - {id: nb, owner: sales, metric: new_business, value: 10_000_000, period: FY2027}
        dependencies:
          - {id: onboarding, consumer: support, provider: services, metric: implementation_load, amount: 2_000}
        plans:
          - {id: s, department: services, measures: [{metric: utilisation_pct, weight: 100%, direction: up}]}
        capacity:
          - {id: impl, department: services, metric: implementation_load, amount: 9_000, drivers: [{target: nb, per: 0.0008}]}
    """
    c = one(facts_of(text), "capacity_load", "impl")
    # 10M x 0.0008 = 8,000 hours, plus 2,000 for support's onboarding: 10,000 against 9,000
    assert (c["load"], c["capacity"], c["ratio"]) == (10_000, 9_000, pytest.approx(1.111111))
    assert c["load_arithmetic"] == "nb EUR 10.0M x 0.0008 = 8,000 hours; dependency onboarding 2,000 hours"
    assert (c["sources"], c["source_names"], c["squeeze_metric"]) == (["sales", "support"], "Sales and Support", "utilisation_pct")


def test_handoff_converts_the_providers_stage_with_the_dependency_conversion_first() -> None:
    text = """\
        organization: {name: Example, fiscal_year: 2027}
        departments: [{id: sales, name: Sales}, {id: marketing, name: Marketing}]
        targets: [{id: mqls, owner: marketing, metric: mql_count, value: 2_000, period: FY2027}]
        assumptions: [{department: marketing, name: mql_to_sql_rate, value: 40%}, {department: sales, name: mql_to_sql_rate, value: 50%}]
        dependencies:
          - {id: a, consumer: sales, provider: marketing, metric: sql_count, amount: 1_000}
          - {id: b, consumer: sales, provider: marketing, metric: sql_count, amount: 1_000, conversion: 60%}
          - {id: c, consumer: sales, provider: marketing, metric: mql_count, amount: 1_000}
    """
    facts = facts_of(text)
    a, b = one(facts, "handoff", "a"), one(facts, "handoff", "b")
    # the provider's own assumption first: 2,000 x 40% = 800; the dependency's conversion wins: 2,000 x 60% = 1,200
    assert (a["implied"], a["ratio"], a["rates"]) == (800, 0.8, "40% MQL-to-SQL conversion (assumed by Marketing)")
    assert (b["implied"], b["rates"]) == (1_200, "60% MQL-to-SQL conversion (stated on the dependency)")
    assert not [f for f in facts if f["kind"] == "handoff" and f["key"] == "c"]  # same stage: `supply`
