"""Issue 18, items 9 and 10, through the CLI as a user runs it: demand planned by one department (not only
sales) is workload for the department that staffs for it (X08), and the three bugs found on the way stay
fixed (a percentage cap on a money measure, H03 on a curve flat above its top point, a slipped month end)."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from interlock.commands.cli import main


def run(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    (tmp_path / "org.yml").write_text(textwrap.dedent(text), encoding="utf-8")
    command = args[0] if args else "check"
    code = main([command, str(tmp_path / "org.yml"), "--no-color", *args[1:]])
    out, err = capsys.readouterr()
    return code, out.replace(str(tmp_path) + "/", ""), err.replace(str(tmp_path) + "/", "")


# -- item 9: demand drivers beyond sales ------------------------------------------------------------

DEMAND = """\
    organization: {name: Example, currency: EUR, fiscal_year: 2027}
    departments:
      - {id: marketing, name: Marketing}
      - {id: support, name: Customer support}
    targets:
      - {id: fy27-mqls, owner: marketing, metric: mql_count, value: MQLS, period: FY2027}
    capacity:
      - id: support-tickets
        department: support
        metric: ticket_volume
        people: 4
        per_person: 2600
        drivers:
          - {target: fy27-mqls, per: 1.5}   # every new lead asks support 1.5 questions
    """


def test_growth_planned_by_marketing_is_workload_for_support(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run(tmp_path, DEMAND.replace("MQLS", "8000"), capsys, "check", "--format", "json")
    (finding,) = json.loads(out)["findings"]
    assert (code, finding["rule"], finding["departments"]) == (0, "X08", ["marketing", "support"])
    assert finding["message"] == (
        "Customer support must deliver ticket volume of 12,000 in FY2027 for the targets and needs it serves "
        "(fy27-mqls 8,000 x 1.5 = 12,000), but it can deliver 4 people x 2,600 = 10,400: 115% of its capacity")
    # Marketing planning within what support staffs for: no finding.
    code, out, _err = run(tmp_path, DEMAND.replace("MQLS", "6000"), capsys, "check", "--format", "json")
    assert (code, json.loads(out)["findings"]) == (0, [])


# -- item 10: three bugs found on the way ----------------------------------------------------------

def test_a_percentage_cap_on_a_money_measure_is_one_line_with_the_amount(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(tmp_path, """\
        departments:
          - {id: sales, name: Sales}
        plans:
          - id: sales-ae
            department: sales
            measures:
              - {metric: bookings, weight: 100%, target: 2_400_000, cap: 250%}
        """, capsys)
    assert (code, err.splitlines()) == (2, [
        "org.yml:7:66: plans[0].measures[0].cap: cap '250%' is a percentage, but bookings is measured in currency: "
        "write the cap in currency, as an amount: 250% of its target 2,400,000 is cap: 6_000_000"])


CURVE = """\
    departments:
      - {id: sales, name: Sales}
    plans:
      - id: sales-ae
        department: sales
        levers: [price]
        measures:
          - metric: bookings
            weight: 70%
            target: 3_000_000
            curve:
              - {attainment: 50%, payout: 0%}
              - {attainment: 100%, payout: 100%}
              - {attainment: 150%, payout: 200%}
              - {attainment: 200%, payout: TOP}
          - {metric: gross_margin_pct, weight: 30%}
    """


def test_h03_is_silent_on_a_curve_flat_above_its_top_point(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run(tmp_path, CURVE.replace("TOP", "200%"), capsys, "check", "--select", "H03", "--format", "json")
    assert (code, json.loads(out)["findings"]) == (0, [])
    # Still rising at the top point: uncapped, and H03 says so.
    code, out, _err = run(tmp_path, CURVE.replace("TOP", "300%"), capsys, "check", "--select", "H03", "--format", "json")
    assert [f["message"] for f in json.loads(out)["findings"]] == [
        "bookings (70% of plan sales-ae, Sales) pays without a cap, and the plan's participants set prices: unlimited "
        "pay for a volume they can manufacture"]


def test_a_slip_by_quarters_keeps_a_month_end_a_month_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run(tmp_path, """\
        organization: {name: Launchco, currency: EUR, fiscal_year: 2027}
        departments:
          - {id: product, name: Product}
          - {id: sales, name: Sales}
        milestones:
          - {id: product-launch, owner: product, planned: 2027-06-30}
        targets:
          - id: launch-bookings
            owner: sales
            metric: new_product_bookings
            value: 2_000_000
            period: FY2027-H2
            contingent_on: product-launch
        """, capsys, "simulate", "--slip", "product-launch=+3q")
    assert code == 1
    assert ("--slip product-launch=+3q: milestone product-launch forecast 2027-06-30 -> 2028-03-31 (+275 days "
            "against the planned 2027-06-30)") in out
    assert "2028-03-30" not in out
