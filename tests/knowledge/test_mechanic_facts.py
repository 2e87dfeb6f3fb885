"""Plan mechanics as facts (engine/knowledge/quant/mechanics.py): the plan cap against the curves, the cost a
plan cap limits, quota phasing against quarterly history, a quarterly curve with no true-up, discount authority."""
from __future__ import annotations

import textwrap

import pytest

from interlock.knowledge.factkinds import KINDS, undeclared_fields
from interlock.knowledge.facts import Fact, organization_facts
from interlock.knowledge.quant import quantitative_facts
from interlock.model.model import Organization
from interlock.model.validate import validate
from interlock.read.loader import Document
from interlock.read.yamlsource import parse_yaml

HEAD = """\
    organization: {name: Example, currency: EUR, fiscal_year: 2027}
    departments:
      - {id: sales, name: Sales}
"""


def org_of(text: str) -> Organization:
    data, index = parse_yaml(textwrap.dedent(HEAD) + textwrap.dedent(text), "policies/org.yml")
    return validate([Document("policies/org.yml", data, index)])


def facts_of(text: str) -> list[Fact]:
    org = org_of(text)
    facts = [*organization_facts(org), *quantitative_facts(org)]
    for fact in facts:  # every fact keeps to the vocabulary
        assert undeclared_fields(fact) == [], fact
        required = {name for name, doc in KINDS[str(fact["kind"])].fields.items() if not doc.optional}
        assert required <= set(fact), (fact["kind"], required - set(fact))
    return facts


def of(facts: list[Fact], kind: str) -> list[Fact]:
    return [f for f in facts if f["kind"] == kind]


CAPPED = """\
    plans:
      - id: sales-ae
        department: sales
        participants: 10
        target_incentive: 40000
        cap: CAP
        measures:
          - metric: bookings
            weight: 80%
            curve:
              - {attainment: 50%, payout: 0%}
              - {attainment: 100%, payout: 100%}
              - {attainment: 200%, payout: 300%}
          - {metric: gross_margin_pct, weight: 20%, target: 30%}
"""


def test_the_plan_cap_against_what_the_curves_pay_at_excellence() -> None:
    [cap] = of(facts_of(CAPPED.replace("CAP", "2x")), "plan_cap")
    # 80% x 300% at the curve's last point + 20% x 100% (no excellence point: counted at target, a lower bound)
    assert (cap["cap"], cap["promised"], cap["partial"]) == (2.0, 2.6, True)
    assert (cap["cap_text"], cap["promised_text"], cap["cut_text"]) == ("2x", "2.6x", "0.6x")
    assert (cap["cap_amount"], cap["promised_amount"], cap["cut_amount"]) == ("EUR 80,000", "EUR 104,000", "EUR 24,000")


def test_a_plan_cap_caps_the_cost_and_every_measure() -> None:
    facts = facts_of(CAPPED.replace("CAP", "2x"))
    [cost] = of(facts, "payout_cost")
    assert cost["uncapped"] is False
    assert cost["cost_excellence"] == 10 * 40000 * 2.0  # 2.6x promised, 2x paid
    assert cost["cost_target"] == 10 * 40000 * 1.0
    assert {m["metric"]: m["capped"] for m in of(facts, "measure")} == {"bookings": True, "gross_margin_pct": True}
    [plan] = of(facts, "plan")
    assert plan["cap"] == 2.0
    # without the plan cap, bookings grows without bound
    uncapped = facts_of(CAPPED.replace("        cap: CAP\n", ""))
    assert of(uncapped, "plan_cap") == [] and of(uncapped, "payout_cost")[0]["uncapped"] is True


PHASED = """\
    targets:
      - {id: q, owner: sales, metric: bookings, value: 12000000, kind: quota, period: FY2027, phasing: PHASING}
    history:
      - {owner: sales, metric: bookings, period: FY2025-Q4, actual: 9000000}
      - {owner: sales, metric: bookings, period: FY2026-Q1, actual: 1500000}
      - {owner: sales, metric: bookings, period: FY2026-Q2, actual: 2000000}
      - {owner: sales, metric: bookings, period: FY2026-Q3, actual: 2000000}
      - {owner: sales, metric: bookings, period: FY2026-Q4, actual: 4500000}
      - {owner: sales, metric: bookings, period: FY2027-Q1, actual: 100}
"""


@pytest.mark.parametrize("phasing", ["[15%, 20%, 25%, 40%]",
                                     "[5%, 5%, 5%, 5%, 5%, 10%, 10%, 10%, 5%, 10%, 10%, 20%]"])
def test_quota_phasing_against_the_latest_complete_year_before_the_target(phasing: str) -> None:
    [q] = of(facts_of(PHASED.replace("PHASING", phasing)), "quota_phasing")
    # quarters or months summed by three; FY2025 (one quarter) and FY2027 (not before the target) are not years
    assert (q["last_share"], q["last_share_text"], q["last_amount"]) == (0.4, "40%", "EUR 4.80M")
    assert (q["history_period"], q["history_share"], q["history_last"], q["history_total"]) == (
        "FY2026", 0.45, "EUR 4.50M", "EUR 10.0M")


def test_quota_phasing_without_quarterly_history_states_no_history() -> None:
    text = PHASED.replace("PHASING", "[15%, 20%, 25%, 40%]").replace("FY2026-Q3", "FY2024-Q3")
    [q] = of(facts_of(text), "quota_phasing")
    assert "history_share" not in q and q["last_share"] == 0.4
    assert of(facts_of(PHASED.replace("PHASING", "[40%, 60%]")), "quota_phasing") == []  # halves: no quarter to judge


LUMPY = """\
    plans:
      - id: sales-ae
        department: sales
        target_incentive: 40000
        TRUE_UP
        effective: {from: FROM, to: 2027-12-31}
        measures:
          - metric: bookings
            weight: 50%
            period: PERIOD
            curve:
              - {attainment: 60%, payout: 30%}
              - {attainment: 100%, payout: 100%}
              - {attainment: 150%, payout: 250%}
"""


def lumpy(true_up: str = "", start: str = "2027-01-01", period: str = "quarter") -> list[Fact]:
    text = LUMPY.replace("TRUE_UP", true_up or "role: AE").replace("FROM", start).replace("PERIOD", period)
    return of(facts_of(text), "lumpy_payout")


def test_a_quarterly_curve_with_no_true_up_pays_a_lumpy_year_more() -> None:
    [fact] = lumpy()
    # (250% at 150% + nothing at 50%, below the 60% threshold) / 2 = 125%, against 100% for an even year
    assert (fact["lumpy"], fact["even"], fact["excess"], fact["lumpy_text"]) == (1.25, 1.0, 0.25, "125%")
    assert fact["excess_amount"] == "€5,000"  # 40,000 x 50% x 25%
    assert lumpy("true_up: year") == []
    assert lumpy(period="year") == []
    assert lumpy(start="2027-03-01", period="half") == []  # ten months hold one half: nothing to even out
    assert len(lumpy(start="2027-03-01", period="quarter")) == 1


def test_discount_authority_gives_the_price_lever_its_limit() -> None:
    facts = facts_of("""\
    plans:
      - id: sales-ae
        department: sales
        levers: [price, scope]
        discount_authority: 12%
        measures:
          - {metric: bookings, weight: 100%, reported_by: self}
    """)
    assert {f["lever"]: (f.get("limit"), f.get("currency")) for f in of(facts, "lever")} == {
        "price": (0.12, "EUR"), "scope": (None, None)}
    [measure] = of(facts, "measure")
    assert (measure["reported_by"], measure["unit"]) == ("self", "currency")
