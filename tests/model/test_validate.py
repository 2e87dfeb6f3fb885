"""Validation of policy files: one test per class of problem, each with its exact message and place.

Plus the normalized organization that valid files produce (units, defaults,
adoption, roll-ups), and a fuzz test: malformed input never raises anything
but InputError.
"""
from __future__ import annotations

import datetime
import textwrap
from decimal import Decimal
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interlock.errors import InputError
from interlock.read.loader import Document, load_documents
from interlock.model.model import Location, Organization
from interlock.model.periods import period_range
from interlock.model.validate import validate
from interlock.read.values import parse_percent
from interlock.read.yamlsource import parse_yaml
from paths import ROOT_DIR, FIXTURES_DIR

FIXTURES = FIXTURES_DIR


def documents(files: dict[str, str]) -> list[Document]:
    """Parse in-memory files named policies/<name>.yml (no disk needed)."""
    result = []
    for name, text in files.items():
        path = f"policies/{name}.yml"
        try:
            data, index = parse_yaml(textwrap.dedent(text), path)
        except InputError as exc:
            result.append(Document(path, {}, parse_yaml("{}", path)[1], tuple(exc.problems)))
        else:
            result.append(Document(path, data, index))
    return result


def problems(**files: str) -> list[str]:
    with pytest.raises(InputError) as caught:
        validate(documents(files))
    return caught.value.lines()


def organization(**files: str) -> Organization:
    return validate(documents(files))


DEPTS = """
departments:
  - {id: sales, name: Sales}
  - {id: marketing, name: Marketing}
"""


# --- YAML-level problems reach the user through validate, with the other files' problems -------------


def test_yaml_syntax_error_is_reported_with_schema_errors_of_other_files() -> None:
    found = problems(
        a="plans: [\n",
        b="plans:\n  - {id: p, department: sales, roel: 1}\n",
    )
    assert len(found) == 2 and found[0].startswith("policies/a.yml:2:1: YAML syntax error: ")
    assert found[1] == "policies/b.yml:2:32: plans[0]: unknown key 'roel' (did you mean 'role'?)"


def test_yaml_duplicate_key() -> None:
    assert problems(a="plans:\n  - id: p\n    department: sales\n    department: marketing\n") == [
        "policies/a.yml:4:5: plans[0]: duplicate key 'department' (first defined at policies/a.yml:3:5)"
    ]


def test_empty_file() -> None:
    assert problems(a="# nothing yet\n") == ["policies/a.yml:1:1: the file is empty: expected a mapping of sections"]


def test_file_that_is_not_a_mapping() -> None:
    assert problems(a="- plans\n") == ["policies/a.yml:1:1: expected a mapping of sections at the top, got a list"]


# --- schema problems ----------------------------------------------------------------------------


def test_unknown_section_with_did_you_mean() -> None:
    assert problems(a="plan:\n  id: p\n") == ["policies/a.yml:1:1: unknown key 'plan' (did you mean 'plans'?)"]


def test_unknown_key_in_an_item_is_located_at_the_key() -> None:
    assert problems(a=DEPTS + "plans:\n  - id: p\n    department: sales\n    measures:\n      - {metric: bookings, wieght: 40%}\n") == [
        "policies/a.yml:9:9: plans[0].measures[0]: missing required key 'weight'",
        "policies/a.yml:9:28: plans[0].measures[0]: unknown key 'wieght' (did you mean 'weight'?)",
    ]


def test_unknown_key_without_a_close_match() -> None:
    assert problems(a="organization: {name: X, colour: blue}\n") == [
        "policies/a.yml:1:25: organization: unknown key 'colour' (known keys: base_revenue, currency,"
        " description, fiscal_year, fiscal_year_start, incentive_budget, name, working_days)"
    ]


def test_missing_required_key() -> None:
    assert problems(a="milestones:\n  - {id: launch, owner: sales}\n" + DEPTS) == [
        "policies/a.yml:2:5: milestones[0]: missing required key 'planned'"
    ]


def test_objective_needs_metrics_and_direction_unless_adopted() -> None:
    assert problems(a="objectives:\n  - {id: growth, name: Growth}\n") == [
        "policies/a.yml:2:5: objectives[0]: missing required key 'direction'",
        "policies/a.yml:2:5: objectives[0]: missing required key 'metrics'",
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("participants: ten", "plans[0].participants: expected a whole number, got 'ten'"),
        ("participants: 2.5", "plans[0].participants: expected a whole number, got 2.5"),
        ("target_incentive: 60k", "plans[0].target_incentive: expected an amount of money (a plain number), got '60k'"),
        ("pay_mix: [40%]", "plans[0].pay_mix: expected a percentage (0.4 or 40%), got a list"),
        ("levers: price", "plans[0].levers: expected a list, got 'price'"),
        ("role: 42", "plans[0].role: expected text, got 42"),
        ("effective: 2027", "plans[0].effective: expected a mapping, got 2027"),
        ("measures:", "plans[0].measures: expected a list, got an empty value"),
    ],
)
def test_wrong_type(line: str, message: str) -> None:
    found = problems(a=DEPTS + f"plans:\n  - id: p\n    department: sales\n    {line}\n")
    assert [p.split(": ", 1)[1] for p in found] == [message]
    assert found[0].startswith("policies/a.yml:8:")


@pytest.mark.parametrize(
    ("value", "got"),
    [(".nan", ".nan"), (".inf", ".inf"), ("-.inf", "-.inf")],
)
def test_nan_and_infinity_are_not_numbers(value: str, got: str) -> None:
    assert problems(a=DEPTS + f"plans:\n  - id: p\n    department: sales\n    measures:\n      - {{metric: bookings, weight: {value}}}\n") == [
        f"policies/a.yml:9:36: plans[0].measures[0].weight: expected a percentage (0.4 or 40%), got {got} (not a finite number)"
    ]


def test_dates_outside_the_years_plans_mean() -> None:
    """0001-01-01 and 9999-12-31 are real days, but ramps, slips and periods from them overflow the calendar."""
    assert problems(a=DEPTS + """
organization: {name: X, fiscal_year: 2999, fiscal_year_start: 9999-12-01}
milestones:
  - {id: launch, owner: sales, planned: 9999-12-31, forecast: 0001-01-01}
plans:
  - {id: p, department: sales, effective: {from: 1899-12-31, to: 2999-12-31}}
targets:
  - {id: t, owner: sales, metric: bookings, value: 1, period: FY9999-H2, contingent_on: launch}
""") == [
        "policies/a.yml:6:63: organization.fiscal_year_start: 9999-12-01 is outside the years 1900 to 2999",
        "policies/a.yml:8:41: milestones[0].planned: 9999-12-31 is outside the years 1900 to 2999",
        "policies/a.yml:8:63: milestones[0].forecast: 0001-01-01 is outside the years 1900 to 2999",
        "policies/a.yml:10:50: plans[0].effective.from: 1899-12-31 is outside the years 1900 to 2999",
    ]


def test_period_range_past_the_calendar_is_none_not_an_error() -> None:
    assert period_range("FY9999-H2", 1900, datetime.date(1900, 1, 1)) == (None, None)
    assert period_range("FY0000", 2999, datetime.date(2999, 1, 1)) == (None, None)
    assert period_range("0000-Q1", None, None) == (None, None)
    assert period_range("2999-Q4", None, None) == (datetime.date(2999, 10, 1), datetime.date(2999, 12, 31))


def test_a_fiscal_year_the_schema_refuses_is_not_used_for_arithmetic() -> None:
    found = problems(a=DEPTS + "organization: {name: X, fiscal_year: 1000000000000000000000000000000}\n"
                           "targets:\n  - {id: t, owner: sales, metric: bookings, value: 1, period: FY2027}\n")
    assert found == ["policies/a.yml:5:38: organization.fiscal_year: expected a whole number, got a 31-digit number "
                     "(too large)"]


def test_numbers_too_large_for_arithmetic() -> None:
    """Integers of hundreds of digits cannot become floats (OverflowError): they are refused, not a crash."""
    huge = "1" + "0" * 400
    assert problems(a=DEPTS + f"""
plans:
  - id: p
    department: sales
    participants: {huge}
    target_incentive: {huge}
    measures:
      - {{metric: bookings, weight: 100%}}
""") == [
        "policies/a.yml:9:19: plans[0].participants: expected a whole number, got a 401-digit number (too large)",
        "policies/a.yml:10:23: plans[0].target_incentive: expected an amount of money (a plain number), "
        "got a 401-digit number (too large)",
    ]


def test_long_names_are_clipped_in_messages() -> None:
    """A reference of thousands of characters gives a one-line message, and no quadratic did-you-mean."""
    name = "sales" * 1000
    (found,) = problems(a=DEPTS + f"plans:\n  - {{id: p, department: {name}}}\n")
    assert found.startswith("policies/a.yml:6:25: plans[0].department: unknown department 'salessales")
    assert found.endswith("… (5,000 characters)'") and len(found) < 200


def test_negative_weight() -> None:
    text = DEPTS + textwrap.dedent("""\
        plans:
          - id: p
            department: sales
            measures:
              - {metric: bookings, weight: 1.2}
              - {metric: gross_margin_pct, weight: -0.2}
              - {metric: csat, weight: -20%}
              - {metric: win_rate, weight: 140%}
        """)
    assert problems(a=text) == [
        "policies/a.yml:9:36: plans[0].measures[0].weight: 1.2 is greater than the maximum of 1",
        "policies/a.yml:10:44: plans[0].measures[1].weight: -0.2 is less than the minimum of 0",
        "policies/a.yml:11:32: plans[0].measures[2].weight: -20% is less than the minimum of 0%",
        "policies/a.yml:12:36: plans[0].measures[3].weight: 140% is greater than the maximum of 100%",
    ]


def test_other_out_of_range_numbers() -> None:
    text = DEPTS + textwrap.dedent("""\
        milestones:
          - {id: m, owner: sales, planned: 2027-01-01, confidence: 1.5}
        hires:
          - {id: h, department: sales, start: 2027-01-01, count: 0, ramp_months: -1}
        """)
    assert problems(a=text) == [
        "policies/a.yml:6:60: milestones[0].confidence: 1.5 is greater than the maximum of 1",
        "policies/a.yml:8:58: hires[0].count: 0 is less than the minimum of 1",
        "policies/a.yml:8:74: hires[0].ramp_months: -1 is less than the minimum of 0",
    ]


def test_value_not_in_the_list_with_did_you_mean() -> None:
    text = DEPTS + "plans:\n  - id: p\n    department: sales\n    measures:\n      - {metric: bookings, weight: 1, period: monthly, basis: cash-in}\n"
    assert problems(a=text) == [
        "policies/a.yml:9:47: plans[0].measures[0].period: 'monthly' is not one of month, quarter, half, year, multi-year (did you mean 'month'?)",
        "policies/a.yml:9:63: plans[0].measures[0].basis: 'cash-in' is not one of booking, signature, invoice, cash, delivery, acceptance (did you mean 'cash'?)",
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2027-02-30", "'2027-02-30' is not a valid date (write YYYY-MM-DD)"),
        ("2027-13-01", "'2027-13-01' is not a valid date (write YYYY-MM-DD)"),
        ("30/06/2027", "'30/06/2027' is not a valid date (write YYYY-MM-DD)"),
        ("2027-06-30 10:00", "'2027-06-30 10:00' is not a valid date (write YYYY-MM-DD)"),
        ("soon", "'soon' is not a valid date (write YYYY-MM-DD)"),
        ("20270630", "expected a date (YYYY-MM-DD), got 20270630"),
    ],
)
def test_bad_dates(value: str, message: str) -> None:
    assert problems(a=DEPTS + f"milestones:\n  - id: m\n    owner: sales\n    planned: {value}\n") == [
        f"policies/a.yml:8:14: milestones[0].planned: {message}"
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("id: Sales AE", "plans[0].id: 'Sales AE' is not a valid id: use lowercase letters, digits, '-' and '_'"),
        ("pay_mix: forty%", "plans[0].pay_mix: 'forty%' is not a percentage (write 0.4 or 40%)"),
        ("pay_mix: 40 percent", "plans[0].pay_mix: '40 percent' is not a percentage (write 0.4 or 40%)"),
    ],
)
def test_malformed_text(line: str, message: str) -> None:
    found = problems(a=DEPTS + f"plans:\n  - department: sales\n    {line}\n" + ("    id: p\n" if "id:" not in line else ""))
    assert [p.split(": ", 1)[1] for p in found] == [message]


def test_malformed_period_and_currency() -> None:
    text = DEPTS + "organization: {name: X, currency: eur}\ntargets:\n  - {id: t, owner: sales, metric: bookings, value: 1, period: FY27}\n"
    assert problems(a=text) == [
        "policies/a.yml:5:35: organization.currency: 'eur' is not an ISO currency code (three capital letters, e.g. USD)",
        "policies/a.yml:7:63: targets[0].period: 'FY27' is not a period (write FY2027, FY2027-Q3, FY2027-H2, 2027, 2027-Q3, 2027-H1 or 2027-07)",
    ]


def test_list_items_repeated_or_too_few() -> None:
    text = DEPTS + textwrap.dedent("""\
        plans:
          - id: p
            department: sales
            levers: [price, scope, price]
            modifiers:
              - {metric: csat, range: [90%]}
        """)
    assert problems(a=text) == [
        "policies/a.yml:8:13: plans[0].levers: lists 'price' more than once",
        "policies/a.yml:10:31: plans[0].modifiers[0].range: expected at least 2 items, got 1",
    ]


# --- references, duplicates, cycles -------------------------------------------------------------


def test_unknown_metric_with_did_you_mean() -> None:
    text = DEPTS + "plans:\n  - id: p\n    department: marketing\n    measures:\n      - {metric: mql_cnt, weight: 60%}\n      - {metric: zzz, weight: 40%}\n"
    assert problems(a=text) == [
        "policies/a.yml:9:18: plans[0].measures[0].metric: unknown metric 'mql_cnt' (did you mean 'mql_count'?)",
        "policies/a.yml:10:18: plans[0].measures[1].metric: unknown metric 'zzz' (search the knowledge base with `interlock metrics TEXT`, or declare it under `metrics:`)",
    ]


def test_unknown_objective_to_adopt() -> None:
    assert problems(a="objectives:\n  - {adopt: revenue-grwoth, target: 11%}\n") == [
        "policies/a.yml:2:13: objectives[0].adopt: unknown built-in objective 'revenue-grwoth' (did you mean 'revenue-growth'?)"
    ]


def test_unknown_department_across_files() -> None:
    assert problems(
        org=DEPTS,
        ops="plans:\n  - {id: p, department: salse}\ntargets:\n  - {id: t, owner: compnay, metric: bookings, value: 1}\n",
    ) == [
        "policies/ops.yml:2:25: plans[0].department: unknown department 'salse' (did you mean 'sales'?)",
        "policies/ops.yml:4:20: targets[0].owner: unknown department 'compnay' (did you mean 'company'?)",
    ]


def test_unknown_milestone_and_target() -> None:
    text = DEPTS + textwrap.dedent("""\
        milestones:
          - {id: launch, owner: sales, planned: 2027-06-30}
        targets:
          - {id: t, owner: sales, metric: bookings, value: 1, parent: fy27, contingent_on: lanch}
        hires:
          - {id: h, department: sales, start: 2027-01-01, contingent_on: lunch}
        """)
    assert problems(a=text) == [
        "policies/a.yml:8:63: targets[0].parent: unknown target 'fy27'",
        "policies/a.yml:8:84: targets[0].contingent_on: unknown milestone 'lanch' (did you mean 'launch'?)",
        "policies/a.yml:10:66: hires[0].contingent_on: unknown milestone 'lunch' (did you mean 'launch'?)",
    ]


def test_duplicate_ids_across_files() -> None:
    assert problems(
        org=DEPTS + "milestones:\n  - {id: launch, owner: sales, planned: 2027-06-30}\n",
        sales="department: {id: sales}\nplans:\n  - id: sales-ae\n  - id: sales-ae\nmilestones:\n  - {id: launch, planned: 2027-06-30}\n",
    ) == [
        "policies/sales.yml:1:13: department: duplicate department id 'sales' (first defined at policies/org.yml:3:5)",
        "policies/sales.yml:4:5: plans[1]: duplicate plan id 'sales-ae' (first defined at policies/sales.yml:3:5)",
        "policies/sales.yml:6:5: milestones[0]: duplicate milestone id 'launch' (first defined at policies/org.yml:6:5)",
    ]


def test_duplicate_organization() -> None:
    assert problems(a="organization: {name: X}\n", b="organization: {name: Y}\n") == [
        "policies/b.yml:1:15: organization: the organization is already defined (first defined at policies/a.yml:1:15)"
    ]


def test_same_metric_twice_in_a_plan() -> None:
    text = DEPTS + textwrap.dedent("""\
        plans:
          - id: p
            department: sales
            measures:
              - {metric: bookings, weight: 50%}
              - {metric: total_bookings, weight: 50%}
            gates:
              - {metric: csat, minimum: 80%}
              - {metric: csat, minimum: 70%}
        """)
    assert problems(a=text) == [
        "policies/a.yml:10:9: plans[0].measures[1]: duplicate measure 'bookings' in plan 'p' (first defined at policies/a.yml:9:9)",
        "policies/a.yml:13:9: plans[0].gates[1]: duplicate gate 'csat' in plan 'p' (first defined at policies/a.yml:12:9)",
    ]


def test_department_cycle() -> None:
    text = textwrap.dedent("""\
        departments:
          - {id: ops, parent: sites}
          - {id: sites, parent: crews}
          - {id: crews, parent: ops}
          - {id: lonely, parent: lonely}
        """)
    assert problems(a=text) == [
        "policies/a.yml:4:25: departments[2].parent: cycle in the department hierarchy: crews -> ops -> sites -> crews",
        "policies/a.yml:5:26: departments[3].parent: cycle in the department hierarchy: lonely -> lonely",
    ]


def test_target_roll_up_cycle() -> None:
    text = DEPTS + textwrap.dedent("""\
        targets:
          - {id: a, owner: company, metric: revenue, value: 1, parent: b}
          - {id: b, owner: sales, metric: revenue, value: 1, parent: a}
          - {id: c, owner: sales, metric: revenue, value: 1, parent: c}
        """)
    assert problems(a=text) == [
        "policies/a.yml:6:64: targets[0].parent: cycle in the target roll-up: a -> b -> a",
        "policies/a.yml:8:62: targets[2].parent: cycle in the target roll-up: c -> c",
    ]


# --- other semantic checks ----------------------------------------------------------------------


def test_no_department_to_default_to() -> None:
    assert problems(a="plans:\n  - id: p\nhires:\n  - {id: h, start: 2027-01-01}\n") == [
        "policies/a.yml:2:5: plans[0]: missing required key 'department' (or put the file under a `department:`)",
        "policies/a.yml:4:5: hires[0]: missing required key 'department' (or put the file under a `department:`)",
    ]


def test_metric_without_a_good_direction_needs_one() -> None:
    text = "department: {id: ap}\nplans:\n  - id: ap\n    measures:\n      - {metric: dpo, weight: 100%}\n"
    assert problems(a=text) == [
        "policies/a.yml:5:9: plans[0].measures[0]: metric 'dpo' has no good direction of its own: add direction: up or down"
    ]


def test_assumption_needs_a_value_or_a_date_and_is_unique() -> None:
    text = DEPTS + textwrap.dedent("""\
        assumptions:
          - {department: sales, name: win_rate}
          - {department: sales, name: win_rate, value: 25%, date: 2027-01-01}
          - {department: sales, name: avg_deal_size, value: 40000, segment: smb}
          - {department: sales, name: average_deal_value, value: 30000, segment: smb}
        """)
    assert problems(a=text) == [
        "policies/a.yml:6:5: assumptions[0]: give either a value or a date",
        "policies/a.yml:7:5: assumptions[1]: duplicate assumption 'sales/win_rate' (department/name/segment) (first defined at policies/a.yml:6:5)",
        "policies/a.yml:7:5: assumptions[1]: give either a value or a date, not both",
        "policies/a.yml:9:5: assumptions[3]: duplicate assumption 'sales/avg_deal_size/smb' (department/name/segment) (first defined at policies/a.yml:8:5)",
    ]


def test_dates_in_the_wrong_order() -> None:
    text = DEPTS + textwrap.dedent("""\
        plans:
          - {id: p, department: sales, effective: {from: 2027-12-31, to: 2027-01-01}}
        spend:
          - {id: s, department: sales, amount: 1000, from: 2027-05-01, to: 2027-04-30}
        """)
    assert problems(a=text) == [
        "policies/a.yml:6:66: plans[0].effective.to: 2027-01-01 is before from 2027-12-31",
        "policies/a.yml:8:68: spend[0].to: 2027-04-30 is before from 2027-05-01",
    ]


def test_modifier_range_upside_down() -> None:
    text = DEPTS + "plans:\n  - id: p\n    department: sales\n    modifiers:\n      - {metric: csat, range: [120%, 0.8]}\n"
    assert problems(a=text) == [
        "policies/a.yml:9:31: plans[0].modifiers[0].range: the lowest multiplier 120% is above the highest 0.8"
    ]


def test_conflicting_definitions_within_one_department() -> None:
    text = DEPTS + textwrap.dedent("""\
        definitions:
          - {metric: mql_count, department: marketing, text: Any inquiry from a target account.}
          - {metric: mqls, department: marketing, text: "  any INQUIRY from a target account. "}
        plans:
          - id: mkt
            department: marketing
            measures:
              - {metric: mql_count, weight: 100%, definition: A download of gated content.}
        """)
    assert problems(a=text) == [
        "policies/a.yml:12:55: plans[0].measures[0].definition: a second, different definition of 'mql_count' for department"
        " 'marketing' (first defined at policies/a.yml:6:5)"
    ]


def test_self_dependency_and_reserved_company() -> None:
    text = DEPTS + "  - {id: company}\ndependencies:\n  - {id: d, consumer: sales, provider: sales}\n"
    assert problems(a=text) == [
        "policies/a.yml:5:10: departments[2].id: 'company' is reserved for the whole organization",
        "policies/a.yml:7:40: dependencies[0].provider: 'sales' cannot depend on itself",
    ]


def test_organization_knowledge_is_checked() -> None:
    text = textwrap.dedent("""\
        metrics:
          - {id: revenue, name: R, function: sales, unit: count, good: up, kind: outcome, definition: d}
          - {id: permits, name: P, function: operations, unit: count, good: up, kind: outcome, definition: d, aliases: [bookings], quality_pair: [cstat]}
        influences:
          - {from: permits, to: revenu, sign: "+", confidence: 0.5, lag: 1q, basis: heuristic, rationale: r}
          - {from: permits, to: revenue, sign: "+", confidence: 0.5, lag: 1q, basis: heuristic, rationale: r}
          - {from: permits, to: revenue, sign: "-", confidence: 0.5, lag: 1x, basis: heuristic, rationale: r}
        formulas:
          - {id: f1, output: permits, expression: "revenue * foo"}
          - {id: f2, output: permits, expression: "revenue ** 2"}
        non_conflicts:
          - {metrics: [csat, pns], rationale: r}
        """)
    assert problems(a=text) == [
        "policies/a.yml:2:10: metrics[0].id: 'revenue' is a built-in metric: use it as it is, or choose another id",
        "policies/a.yml:3:113: metrics[1].aliases[0]: 'bookings' already names the built-in metric 'bookings'",
        "policies/a.yml:3:139: metrics[1].quality_pair[0]: unknown metric 'cstat' (did you mean 'csat'?)",
        "policies/a.yml:5:25: influences[0].to: unknown metric 'revenu' (did you mean 'revenue'?)",
        "policies/a.yml:7:5: influences[2]: duplicate influence from 'permits' to 'revenue' (first defined at policies/a.yml:6:5)",
        "policies/a.yml:7:67: influences[2].lag: '1x' is not a lag: write 0 or a number with d, w, m, q or y (60d, 1q)",
        "policies/a.yml:9:43: formulas[0].expression: unknown metric 'foo'",
        "policies/a.yml:10:43: formulas[1].expression: 'revenue ** 2' is not a formula over metric ids and numbers (+ - * / and parentheses)",
        "policies/a.yml:12:22: non_conflicts[0].metrics[1]: unknown metric 'pns' (did you mean 'nps'?)",
    ]


def test_all_problems_at_once_sorted_by_file_and_line() -> None:
    found = problems(
        b="plans:\n  - {id: p, department: nowhere}\n",
        a="departments:\n  - {id: x, headcount: -3}\n  - {id: x}\n",
    )
    assert found == [
        "policies/a.yml:2:24: departments[0].headcount: -3 is less than the minimum of 0",
        "policies/a.yml:3:5: departments[1]: duplicate department id 'x' (first defined at policies/a.yml:2:5)",
        "policies/b.yml:2:25: plans[0].department: unknown department 'nowhere'",
    ]


# --- what a valid policy becomes ----------------------------------------------------------------


@pytest.fixture(scope="module")
def minimal() -> Organization:
    return validate(load_documents([FIXTURES / "policy_minimal"], root_display=FIXTURES))


def test_percentages_are_fractions_either_way() -> None:
    assert parse_percent("40%") == parse_percent(0.4) == pytest.approx(0.4)
    assert parse_percent("+11%") == pytest.approx(0.11)
    assert parse_percent("12.5 %") == pytest.approx(0.125)
    assert parse_percent(float("nan")) is None and parse_percent(True) is None and parse_percent("forty") is None


def test_minimal_organization(minimal: Organization) -> None:
    assert (minimal.name, minimal.currency, minimal.fiscal_year) == ("Acme Builders", "EUR", 2027)
    assert minimal.fiscal_year_start == datetime.date(2027, 1, 1)
    assert minimal.base_revenue == Decimal("48000000")
    assert minimal.at == Location("policy_minimal/organization.yml", 3, 3)
    assert [d.id for d in minimal.departments] == ["accounts-payable", "finance", "sales", "sales-enterprise"]
    enterprise = minimal.department_by_id["sales-enterprise"]
    assert (enterprise.parent, enterprise.kind, enterprise.name) == ("sales", "team", "Enterprise sales")
    assert minimal.department_by_id["sales"].kind == "function"


def test_minimal_plan(minimal: Organization) -> None:
    (plan,) = minimal.plans
    assert plan.department == "sales-enterprise"  # from the file's `department:`
    assert plan.target_incentive == Decimal("60000") and plan.pay_mix == 0.5 and plan.participants == 8
    assert (plan.effective_from, plan.effective_to) == (datetime.date(2027, 1, 1), datetime.date(2027, 12, 31))
    assert [lever.name for lever in plan.levers] == ["price", "payment_terms"]
    bookings, margin = plan.measures
    assert (bookings.metric, bookings.weight, bookings.direction, bookings.capped) == ("bookings", 0.7, 1, False)
    assert (bookings.threshold, bookings.target, bookings.excellence) == (2_400_000, 3_000_000, 3_600_000)
    assert [(p.attainment, p.payout) for p in bookings.curve] == [(0.8, 0.5), (1.0, 1.0), (1.2, 2.0)]
    assert (margin.weight, margin.contingent_on, margin.period) == (0.3, "launch", "year")
    assert plan.gates[0].minimum == 0.8 and plan.clawback is not None and plan.clawback.on == ("churn", "non-payment")


def test_adopted_objectives_take_the_built_in_definition(minimal: Organization) -> None:
    growth = next(o for o in minimal.objectives if o.id == "revenue-growth")
    assert growth.name == "Revenue growth" and growth.metrics == ("revenue_growth_pct", "revenue")
    assert (growth.direction, growth.target, growth.priority, growth.lead, growth.adopted) == (1, 0.11, 1, True, "revenue-growth")


def test_overrides_of_an_adopted_objective() -> None:
    org = organization(a="objectives:\n  - {id: margin, adopt: project-profitability, name: Margin, lead: false}\n")
    (objective,) = org.objectives
    assert (objective.id, objective.name, objective.metrics, objective.lead) == ("margin", "Margin", ("project_margin_pct",), False)


def test_aliases_resolve_to_the_metric_id() -> None:
    org = organization(a=DEPTS + "plans:\n  - id: p\n    department: sales\n    measures:\n      - {metric: total_bookings, weight: 100%}\n")
    assert org.plans[0].measures[0].metric == "bookings"


def test_defaults() -> None:
    org = organization(a=DEPTS + textwrap.dedent("""\
        milestones:
          - {id: m, owner: sales, planned: 2027-06-30}
        hires:
          - {id: h, department: sales, start: 2027-01-01}
        organization: {name: X, fiscal_year: 2027}
        """))
    (milestone,) = org.milestones
    assert (milestone.name, milestone.forecast, milestone.confidence) == ("m", datetime.date(2027, 6, 30), 1.0)
    assert (org.hires[0].count, org.hires[0].ramp_months) == (1, 0.0)
    assert (org.currency, org.fiscal_year_start) == ("USD", datetime.date(2027, 1, 1))


def test_target_parents_default_to_the_nearest_ancestor_then_the_company() -> None:
    org = organization(a=textwrap.dedent("""\
        departments:
          - {id: sales, name: Sales}
          - {id: east, parent: sales}
          - {id: east-smb, parent: east}
          - {id: ops}
        targets:
          - {id: company-bookings, owner: company, metric: bookings, value: 100, period: FY2027}
          - {id: sales-bookings, owner: sales, metric: bookings, value: 100, period: FY2027}
          - {id: smb-bookings, owner: east-smb, metric: bookings, value: 40, period: FY2027}
          - {id: smb-q3, owner: east-smb, metric: bookings, value: 10, period: FY2027-Q3}
          - {id: ops-bookings, owner: ops, metric: bookings, value: 5, period: FY2027}
          - {id: named, owner: ops, metric: revenue, value: 5, parent: smb-q3}
        """))
    parents = {t.id: t.parent for t in org.targets}
    assert parents == {
        "company-bookings": None,
        "sales-bookings": "company-bookings",
        "smb-bookings": "sales-bookings",
        "smb-q3": None,
        "ops-bookings": "company-bookings",
        "named": "smb-q3",
    }


@pytest.mark.parametrize(
    ("period", "year", "start", "expected"),
    [
        ("FY2027", 2027, datetime.date(2026, 10, 1), (datetime.date(2026, 10, 1), datetime.date(2027, 9, 30))),
        ("FY2028-Q1", 2027, datetime.date(2026, 10, 1), (datetime.date(2027, 10, 1), datetime.date(2027, 12, 31))),
        ("FY2027-H2", 2027, datetime.date(2026, 10, 1), (datetime.date(2027, 4, 1), datetime.date(2027, 9, 30))),
        ("2027-Q3", 2027, datetime.date(2026, 10, 1), (datetime.date(2027, 7, 1), datetime.date(2027, 9, 30))),
        ("2028-02", None, None, (datetime.date(2028, 2, 1), datetime.date(2028, 2, 29))),
        ("FY2027", None, None, (datetime.date(2027, 1, 1), datetime.date(2027, 12, 31))),
    ],
)
def test_period_range(period: str, year: int | None, start: datetime.date | None, expected: tuple[datetime.date, datetime.date]) -> None:
    assert period_range(period, year, start) == expected


def test_organization_knowledge_extends_the_catalog() -> None:
    org = organization(a=textwrap.dedent("""\
        metrics:
          - {id: permits, name: Permits, function: operations, unit: count, good: up, kind: outcome, definition: d, aliases: [permit_count]}
        influences:
          - {from: permit_count, to: revenue, sign: "+", confidence: 0.6, lag: 2q, basis: practitioner, rationale: r}
          - {from: dpo, to: supplier_health, sign: "-", confidence: 0.95, lag: 14d, basis: practitioner, rationale: ours}
        formulas:
          - {id: new-business, output: new_business, expression: "sql_count * win_rate * avg_deal_size * 0.9"}
        """))
    assert org.metric_by_id["permits"].at == Location("policies/a.yml", 2, 5)
    edges = {(e.src, e.dst): e for e in org.influences}
    assert (edges["permits", "revenue"].lag_days, edges["permits", "revenue"].at) == (180, Location("policies/a.yml", 4, 5))
    assert (edges["dpo", "supplier_health"].conf, edges["dpo", "supplier_health"].lag_days) == (0.95, 14)
    assert sum(1 for e in org.influences if (e.src, e.dst) == ("dpo", "supplier_health")) == 1
    formula = next(f for f in org.formulas if f.id == "new-business")
    assert formula.expression.endswith("* 0.9") and formula.at is not None


def test_file_order_does_not_matter() -> None:
    files = {"b": DEPTS, "a": "plans:\n  - {id: p, department: sales}\n", "c": "plans:\n  - {id: q, department: marketing}\n"}
    forward = validate(documents(files))
    backward = validate(list(reversed(documents(files))))
    assert forward == backward


# --- never a traceback --------------------------------------------------------------------------

_SECTIONS = ["organization", "objectives", "targets", "department", "departments", "plans", "assumptions",
             "dependencies", "milestones", "hires", "spend", "definitions", "metrics", "influences", "formulas",
             "non_conflicts"]
_KEYS = ["id", "name", "metric", "metrics", "weight", "department", "owner", "parent", "planned", "forecast",
         "value", "date", "measures", "curve", "attainment", "payout", "range", "adopt", "from", "to", "start",
         "amount", "provider", "consumer", "contingent_on", "milestone", "text", "definition", "cap", "aliases",
         "expression", "output", "effective", "clawback", "holdback", "on", "levers", "gates", "modifiers", "minimum"]
_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["sales", "bookings", "40%", "none", "2027-01-01", "2027-02-30", "company", "up", "x",
                     "revenue-growth", "dpo", "FY2027", "a * b", "mql"]),
    st.dates(datetime.date(2020, 1, 1), datetime.date(2030, 1, 1)),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(_KEYS), inner, max_size=4)),
    max_leaves=12,
)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.dictionaries(st.sampled_from(_SECTIONS), _VALUES, min_size=1, max_size=4), min_size=1, max_size=3))
def test_any_structure_validates_or_raises_input_error(files: list[dict[str, Any]]) -> None:
    texts = {f"f{i}": yaml.safe_dump(data, sort_keys=False) for i, data in enumerate(files)}
    try:
        organization(**texts)
    except InputError as exc:
        assert exc.problems


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*path, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            found += _paths(child, (*path, i))
    return found


def _mutated(data: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, *rest = path
    if isinstance(data, dict):
        copy = dict(data)
        if new is _DELETE and not rest:
            copy.pop(head, None)
        else:
            copy[head] = _mutated(data[head], tuple(rest), new)
        return copy
    copy_list = list(data)
    if new is _DELETE and not rest:
        del copy_list[head]
    else:
        copy_list[head] = _mutated(data[head], tuple(rest), new)
    return copy_list


_DELETE = object()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_mutation_of_a_valid_policy_validates_or_raises_input_error(data: st.DataObject) -> None:
    files = {p.stem: yaml.safe_load(p.read_text()) for p in sorted((FIXTURES / "policy_minimal").glob("*.yml"))}
    for _ in range(data.draw(st.integers(1, 3))):
        name = data.draw(st.sampled_from(sorted(files)))
        path = data.draw(st.sampled_from(_paths(files[name])[1:]))
        new = data.draw(st.one_of(st.just(_DELETE), _VALUES))
        files[name] = _mutated(files[name], path, new)
    texts = {name: yaml.safe_dump(content, sort_keys=False) for name, content in files.items()}
    try:
        organization(**texts)
    except InputError as exc:
        assert exc.problems


# -- the fast verdict (jsonschema-rs) never passes what the policy validator refuses ---------------

def _policy_views() -> list[Any]:
    from interlock.read.policy_schema import json_view

    root = ROOT_DIR
    folders = [root / "policies", root / "tests" / "fixtures" / "aligned_org", FIXTURES / "policy_minimal"]
    return [json_view(doc.data) for folder in folders for doc in load_documents([folder])]


POLICY_VIEWS = _policy_views()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fast_verdict_agrees_with_the_policy_validator(data: st.DataObject) -> None:
    from interlock.read import policy_schema as policy

    view = data.draw(st.sampled_from(POLICY_VIEWS))
    paths = _paths(view)[1:]
    for _ in range(data.draw(st.integers(0, 3))):
        if paths:
            view = _mutated(view, data.draw(st.sampled_from(paths)), data.draw(st.one_of(st.just(_DELETE), _VALUES)))
            paths = _paths(view)[1:]
    exact = policy._validator().is_valid(view)
    fast = policy.standard(view) and policy._fast_verdict().passes(view)
    assert not fast or exact  # fast-valid means valid: no error can be lost
    if policy.standard(view):
        assert fast == exact  # and on standard documents the two decide alike


def test_percent_text_and_non_finite_numbers_take_the_exact_path() -> None:
    from interlock.read.policy_schema import standard

    assert standard({"a": [1, 0.5, "text", None, True, {"b": "2027-01-01"}]})
    assert not standard({"weight": "40%"}) and not standard([float("nan")]) and not standard({"n": 10 ** 400})


def test_a_percentage_cap_on_a_money_measure_is_an_error_with_the_amount() -> None:
    text = DEPTS + ("plans:\n  - id: p\n    department: sales\n    measures:\n"
                    "      - {metric: bookings, weight: 100%, target: 2_400_000, cap: 250%}\n")
    assert problems(a=text) == [
        "policies/a.yml:9:66: plans[0].measures[0].cap: cap '250%' is a percentage, but bookings is measured in "
        "currency: write the cap in currency, as an amount: 250% of its target 2,400,000 is cap: 6_000_000"]
    # On a percentage metric a percentage cap is what it says.
    fine = DEPTS + ("plans:\n  - id: p\n    department: sales\n    measures:\n"
                    "      - {metric: gross_margin_pct, weight: 100%, target: 30%, cap: 45%}\n")
    assert organization(a=fine).plans[0].measures[0].cap == 0.45


def test_a_curve_flat_above_its_top_point_is_capped() -> None:
    text = DEPTS + ("plans:\n  - id: p\n    department: sales\n    measures:\n"
                    "      - metric: bookings\n        weight: 100%\n        curve:\n"
                    "          - {attainment: 100%, payout: 100%}\n          - {attainment: 150%, payout: 200%}\n"
                    "          - {attainment: 200%, payout: 200%}\n")
    assert organization(a=text).plans[0].measures[0].capped
    rising = text.replace("{attainment: 200%, payout: 200%}", "{attainment: 200%, payout: 300%}")
    assert not organization(a=rising).plans[0].measures[0].capped


CREDITING_PLANS = DEPTS + """
plans:
  - {id: ae, department: sales, measures: [{metric: bookings, weight: 100%}]}
  - {id: mkt, department: marketing, measures: [{metric: mql_count, weight: 100%}]}
"""


def test_crediting_problems_are_located_at_the_credit() -> None:
    text = CREDITING_PLANS + textwrap.dedent("""\
        crediting:
          - id: deals
            metric: bookings
            credits:
              - {plan: ae, share: 120%}
              - {plan: ae}
              - {plan: mkt}
              - {plan: a_e}
        """)
    assert problems(a=text) == [
        "policies/a.yml:13:27: crediting[0].credits[0].share: 120% is greater than the maximum of 100%",
        "policies/a.yml:14:16: crediting[0].credits[1].plan: plan 'ae' is credited twice in 'deals'"
        " (first at policies/a.yml:13:9)",
        "policies/a.yml:15:16: crediting[0].credits[2].plan: plan 'mkt' has no measure on 'bookings':"
        " crediting it pays nothing (add the measure, or credit the plan that pays it)",
        "policies/a.yml:16:16: crediting[0].credits[3].plan: unknown plan 'a_e' (did you mean 'ae'?)",
    ]


def test_crediting_defaults() -> None:
    text = CREDITING_PLANS + textwrap.dedent("""\
        crediting:
          - {id: deals, metric: bookings, amount: 2_000_000, credits: [{plan: ae}]}
        """)
    (rule,) = organization(a=text).crediting
    assert (rule.metric, rule.amount, rule.exclusive, rule.settled_by) == ("bookings", 2_000_000, False, None)
    assert [(c.plan, c.share, c.rate) for c in rule.credits] == [("ae", 1.0, None)]


def test_history_problems() -> None:
    text = CREDITING_PLANS + textwrap.dedent("""\
        history:
          - {owner: sales, metric: bookings, period: FY2026, actual: 1_000}
          - {owner: sales, metric: bookings, period: FY2026, actual: 2_000}
          - {owner: marketing, plan: ae, metric: bookings, period: FY2026, actual: 10}
          - {owner: sales, plan: ae, metric: csat, period: FY2026, actual: 10}
          - {owner: sales, metric: bookings, period: last-year, actual: 10}
        """)
    assert problems(a=text) == [
        "policies/a.yml:11:5: history[1]: duplicate actual 'sales/bookings/FY2026' (owner/metric/period/plan)"
        " (first defined at policies/a.yml:10:5)",
        "policies/a.yml:12:30: history[2].plan: plan 'ae' belongs to 'sales', not 'marketing'",
        "policies/a.yml:13:26: history[3].plan: plan 'ae' has no measure on 'csat'",
        "policies/a.yml:14:46: history[4].period: 'last-year' is not a period"
        " (write FY2027, FY2027-Q3, FY2027-H2, 2027, 2027-Q3, 2027-H1 or 2027-07)",
    ]


def test_capacity_needs_an_amount_or_people_and_throughput() -> None:
    text = CREDITING_PLANS + textwrap.dedent("""\
        targets:
          - {id: nb, owner: sales, metric: new_business, value: 1_000_000}
        capacity:
          - {id: a, department: marketing, metric: implementation_load, amount: 10, people: 2, per_person: 5}
          - {id: b, department: marketing, metric: implementation_load, people: 2}
          - {id: c, department: marketing, metric: implementation_load, amount: 10, drivers: [{target: n_b}]}
        """)
    assert problems(a=text) == [
        "policies/a.yml:12:5: capacity[0]: give either `amount`, or both `people` and `per_person`",
        "policies/a.yml:13:5: capacity[1]: give either `amount`, or both `people` and `per_person`",
        "policies/a.yml:14:96: capacity[2].drivers[0].target: unknown target 'n_b' (did you mean 'nb'?)",
    ]
