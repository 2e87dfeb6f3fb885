"""The facts the rules engine sees: exact vocabulary, flat values, stable order."""
from __future__ import annotations

import datetime
import hashlib
import json
import random
import textwrap
from pathlib import Path

import pytest

from interlock.errors import InputError

from interlock.knowledge.facts import Fact, day, organization_facts
from interlock.read.loader import Document, load_documents
from interlock.model.model import Organization
from interlock.model.validate import validate
from interlock.read.yamlsource import parse_yaml
from paths import FIXTURES_DIR

FIXTURES = FIXTURES_DIR
RESERVED = {"id", "sid", "s", "items"}


def org_of(**files: str) -> Organization:
    docs = []
    for name, text in files.items():
        data, index = parse_yaml(textwrap.dedent(text), f"policies/{name}.yml")
        docs.append(Document(f"policies/{name}.yml", data, index))
    return validate(docs)


def by_key(facts: list[Fact], kind: str) -> dict[str, Fact]:
    return {str(f["key"]): f for f in facts if f["kind"] == kind}


@pytest.fixture(scope="module")
def minimal() -> list[Fact]:
    return organization_facts(validate(load_documents([FIXTURES / "policy_minimal"], root_display=FIXTURES)))


def test_every_fact_is_flat_and_well_formed(minimal: list[Fact]) -> None:
    seen: set[tuple[object, object]] = set()
    for fact in minimal:
        assert isinstance(fact["kind"], str) and isinstance(fact["key"], str)
        assert (fact["kind"], fact["key"]) not in seen, fact
        seen.add((fact["kind"], fact["key"]))
        assert not RESERVED & set(fact), fact
        for name, value in fact.items():
            assert isinstance(value, (str, int, float, bool)), (name, fact)
        if "at" in fact:
            file, line, col = str(fact["at"]).rsplit(":", 2)
            assert file.startswith("policy_minimal/") and int(line) >= 1 and int(col) >= 1
    assert minimal == sorted(minimal, key=lambda f: (f["kind"], f["key"]))
    json.dumps(minimal, allow_nan=False)  # plain JSON: no NaN, no dates, no Decimals


def test_organization_fact(minimal: list[Fact]) -> None:
    assert by_key(minimal, "organization") == {
        "acme-builders": {
            "kind": "organization", "key": "acme-builders", "currency": "EUR", "fiscal_year": 2027,
            "fy_start_day": day(datetime.date(2027, 1, 1)), "fy_end_day": day(datetime.date(2027, 12, 31)),
            "objective_count": 2, "lead_objective_count": 2,
            "at": "policy_minimal/organization.yml:3:3",
        }
    }


def test_objective_facts(minimal: list[Fact]) -> None:
    assert by_key(minimal, "objective")["revenue-growth"] == {
        "kind": "objective", "key": "revenue-growth", "name": "Revenue growth", "metric": "revenue_growth_pct",
        "dir": 1, "lead": True, "priority": 1, "target": 0.11, "at": "policy_minimal/organization.yml:10:5",
    }
    assert sorted(by_key(minimal, "objective_metric")) == [
        "project-profitability/project_margin_pct", "revenue-growth/revenue", "revenue-growth/revenue_growth_pct",
    ]
    assert by_key(minimal, "objective_metric")["revenue-growth/revenue"] == {
        "kind": "objective_metric", "key": "revenue-growth/revenue", "objective": "revenue-growth",
        "metric": "revenue", "dir": 1, "lead": True, "at": "policy_minimal/organization.yml:10:5",
    }


def test_secondary_objective_metrics_move_in_their_own_good_direction() -> None:
    facts = organization_facts(org_of(a="objectives:\n  - {adopt: cash, lead: false}\n"))
    metrics = by_key(facts, "objective_metric")
    assert (metrics["cash/op_cash_flow"]["dir"], metrics["cash/dso"]["dir"]) == (1, -1)
    assert metrics["cash/dso"]["lead"] is False


def test_department_facts(minimal: list[Fact]) -> None:
    departments = by_key(minimal, "department")
    assert departments["sales"] == {
        "kind": "department", "key": "sales", "name": "Sales", "dept_kind": "function", "headcount": 12,
        "function": "sales", "at": "policy_minimal/organization.yml:18:5",
    }
    assert departments["sales-enterprise"] == {
        "kind": "department", "key": "sales-enterprise", "name": "Enterprise sales", "parent": "sales",
        "dept_kind": "team", "function": "sales", "at": "policy_minimal/sales.yml:3:3",
    }
    # Declared (`function:`); a team without one inherits its parent's declaration.
    assert departments["accounts-payable"]["function"] == "accounts-payable"
    assert departments["finance"]["function"] == "finance"


def test_a_function_is_declared_never_guessed_from_a_name() -> None:
    org = org_of(org="""
        departments:
          - {id: sales, name: Sales}
          - {id: sdr, name: Sales development (SDR)}
          - {id: ar, name: Collections, function: accounts-receivable}
          - {id: ar-east, name: Collections East, parent: ar}
        """)
    departments = by_key(organization_facts(org), "department")
    assert "function" not in departments["sales"] and "function" not in departments["sdr"]
    assert departments["ar"]["function"] == departments["ar-east"]["function"] == "accounts-receivable"


def test_an_unknown_function_is_bad_input_with_the_known_ones() -> None:
    with pytest.raises(InputError) as raised:
        org_of(org="""
            departments:
              - {id: sales, name: Sales, function: sale}
            """)
    assert str(raised.value).startswith("policies/org.yml:3:40: departments[0].function: unknown function 'sale' (did you mean 'sales'?);"
                                        " the knowledge base's functions: accounts-payable, ")


def test_plan_measure_curve_lever_gate_facts(minimal: list[Fact]) -> None:
    assert by_key(minimal, "plan")["sales-ae"] == {
        "kind": "plan", "key": "sales-ae", "dept": "sales-enterprise", "role": "Account executive",
        "measure_count": 2, "weight_total": 1.0, "participants": 8, "target_incentive": 60000.0,
        "variable_share": 0.5, "has_gate": True, "has_clawback": True, "has_holdback": False,
        "from_day": day(datetime.date(2027, 1, 1)), "to_day": day(datetime.date(2027, 12, 31)),
        "clawback_days": 180, "at": "policy_minimal/sales.yml:15:5",
    }
    measures = by_key(minimal, "measure")
    assert measures["sales-ae/bookings"] == {
        "kind": "measure", "key": "sales-ae/bookings", "plan": "sales-ae", "dept": "sales-enterprise",
        "metric": "bookings", "weight": 0.7, "dir": 1, "metric_kind": "volume", "period": "quarter",
        "period_days": 90, "basis": "booking", "team": False, "threshold": 2_400_000.0, "target": 3_000_000.0,
        "excellence": 3_600_000.0, "capped": False, "unit": "currency", "true_up": False,
        "at": "policy_minimal/sales.yml:23:9",
    }
    assert measures["sales-ae/gross_margin_pct"]["contingent_on"] == "launch"
    assert by_key(minimal, "curve_point")["sales-ae/bookings/2"] == {
        "kind": "curve_point", "key": "sales-ae/bookings/2", "plan": "sales-ae", "metric": "bookings",
        "i": 2, "attainment": 1.2, "payout": 2.0, "at": "policy_minimal/sales.yml:34:13",
    }
    assert by_key(minimal, "lever")["sales-ae/price"] == {
        "kind": "lever", "key": "sales-ae/price", "plan": "sales-ae", "dept": "sales-enterprise",
        "lever": "price", "at": "policy_minimal/sales.yml:21:14",
    }
    assert by_key(minimal, "gate")["sales-ae/csat"] == {
        "kind": "gate", "key": "sales-ae/csat", "plan": "sales-ae", "dept": "sales-enterprise",
        "metric": "csat", "minimum": 0.8, "at": "policy_minimal/sales.yml:40:9",
    }


def test_target_assumption_milestone_hire_and_contingency_facts(minimal: list[Fact]) -> None:
    fy27 = (day(datetime.date(2027, 1, 1)), day(datetime.date(2027, 12, 31)))
    assert by_key(minimal, "target")["fy27-enterprise-bookings"] == {
        "kind": "target", "key": "fy27-enterprise-bookings", "owner": "sales-enterprise", "metric": "bookings",
        "value": 30_000_000.0, "target_kind": "quota", "period": "FY2027", "at": "policy_minimal/sales.yml:8:5",
    }
    assumptions = by_key(minimal, "assumption")
    assert assumptions["sales-enterprise/avg_deal_size/smb"] == {
        "kind": "assumption", "key": "sales-enterprise/avg_deal_size/smb", "dept": "sales-enterprise",
        "name": "avg_deal_size", "value": 80_000.0, "segment": "smb", "at": "policy_minimal/sales.yml:45:5",
    }
    assert assumptions["sales-enterprise/win_rate"]["value"] == 0.25
    planned, forecast = day(datetime.date(2027, 6, 30)), day(datetime.date(2028, 3, 31))
    assert by_key(minimal, "milestone")["launch"] == {
        "kind": "milestone", "key": "launch", "owner": "sales", "planned_day": planned,
        "forecast_day": forecast, "slip_days": 275, "confidence": 0.6, "at": "policy_minimal/organization.yml:31:5",
    }
    start = day(datetime.date(2027, 4, 1))
    assert by_key(minimal, "hire")["launch-team"] == {
        "kind": "hire", "key": "launch-team", "dept": "sales-enterprise", "role": "Solution specialist", "count": 4,
        "start_day": start, "ramp_days": 90, "at": "policy_minimal/sales.yml:48:5",
    }
    assert by_key(minimal, "contingency") == {
        "hire/launch-team": {
            "kind": "contingency", "key": "hire/launch-team", "dept": "sales-enterprise", "item": "hire",
            "ref": "launch-team", "milestone": "launch", "start_day": start, "ready_day": start + 90,
            "at": "policy_minimal/sales.yml:48:5",
        },
        "measure/sales-ae/gross_margin_pct": {
            "kind": "contingency", "key": "measure/sales-ae/gross_margin_pct", "dept": "sales-enterprise",
            "item": "measure", "ref": "sales-ae/gross_margin_pct", "milestone": "launch", "start_day": fy27[0],
            "ready_day": fy27[0], "end_day": fy27[1], "at": "policy_minimal/sales.yml:35:9",
        },
    }


def test_catalog_facts(minimal: list[Fact]) -> None:
    metrics = by_key(minimal, "metric")
    assert metrics["mql_count"] == {
        "kind": "metric", "key": "mql_count", "metric_kind": "volume",
        "good": 1, "function": "marketing", "unit": "count",
    }
    assert (metrics["dpo"]["good"], metrics["utilisation_pct"]["good"], metrics["aht"]["good"]) == (0, 0, -1)
    assert by_key(minimal, "quality_pair")["mql_count/mql_to_sql_rate"] == {
        "kind": "quality_pair", "key": "mql_count/mql_to_sql_rate", "metric": "mql_count", "companion": "mql_to_sql_rate",
    }
    edge = by_key(minimal, "influence")["dpo>supplier_health"]
    assert edge == {
        "kind": "influence", "key": "dpo>supplier_health", "src": "dpo", "dst": "supplier_health", "sign": -1,
        "conf": 0.8, "lag_days": 90, "basis": "sourced",
    }
    assert by_key(minimal, "non_conflict")["change_failure_rate|deployment_frequency"] == {
        "kind": "non_conflict", "key": "change_failure_rate|deployment_frequency",
        "a": "change_failure_rate", "b": "deployment_frequency",
    }


def test_organization_knowledge_carries_its_location_and_replaces_built_in_edges() -> None:
    facts = organization_facts(org_of(a="""\
        influences:
          - {from: dpo, to: supplier_health, sign: "-", confidence: 0.95, lag: 2m, basis: practitioner, rationale: ours}
        metrics:
          - {id: permits, name: Permits, function: operations, unit: count, good: up, kind: volume,
             definition: d, quality_pair: [rework_rate]}
        non_conflicts:
          - {metrics: [permits, csat], rationale: r}
        """))
    assert by_key(facts, "influence")["dpo>supplier_health"] == {
        "kind": "influence", "key": "dpo>supplier_health", "src": "dpo", "dst": "supplier_health", "sign": -1,
        "conf": 0.95, "lag_days": 60, "basis": "practitioner", "at": "policies/a.yml:2:5",
    }
    assert by_key(facts, "metric")["permits"] == {
        "kind": "metric", "key": "permits", "metric_kind": "volume", "good": 1,
        "function": "operations", "unit": "count", "at": "policies/a.yml:4:5",
    }
    assert by_key(facts, "quality_pair")["permits/rework_rate"] == {
        "kind": "quality_pair", "key": "permits/rework_rate", "metric": "permits", "companion": "rework_rate",
    }
    assert by_key(facts, "non_conflict")["csat|permits"] == {
        "kind": "non_conflict", "key": "csat|permits", "a": "csat", "b": "permits",
    }


def test_modifier_dependency_spend_and_definition_facts() -> None:
    facts = organization_facts(org_of(a="""\
        departments:
          - {id: sales}
          - {id: marketing}
        milestones:
          - {id: launch, owner: marketing, planned: 2027-06-30}
        plans:
          - id: mkt
            department: marketing
            measures:
              - {metric: mql_count, weight: 100%, definition: "Any   inquiry from a TARGET account."}
            modifiers:
              - {metric: csat, range: [80%, 120%], criteria: By survey.}
              - {metric: nps}
        dependencies:
          - {id: leads, consumer: sales, provider: marketing, metric: mqls, amount: 2400, due: 2027-03-31,
             critical: true, milestone: launch, definition: any inquiry from a target account.}
        spend:
          - {id: shows, department: marketing, amount: 750000, from: 2027-04-01, to: 2027-09-30, contingent_on: launch}
        """))
    modifiers = by_key(facts, "modifier")
    assert modifiers["mkt/csat"] == {
        "kind": "modifier", "key": "mkt/csat", "plan": "mkt", "dept": "marketing", "metric": "csat",
        "bounded": True, "has_criteria": True, "at": "policies/a.yml:12:9",
    }
    assert (modifiers["mkt/nps"]["bounded"], modifiers["mkt/nps"]["has_criteria"]) == (False, False)
    due = day(datetime.date(2027, 3, 31))
    assert by_key(facts, "dependency")["leads"] == {
        "kind": "dependency", "key": "leads", "consumer": "sales", "provider": "marketing", "metric": "mql_count",
        "critical": True, "due_day": due, "milestone": "launch", "at": "policies/a.yml:15:5",
    }
    shows = (day(datetime.date(2027, 4, 1)), day(datetime.date(2027, 9, 30)))
    assert by_key(facts, "spend")["shows"] == {
        "kind": "spend", "key": "shows", "dept": "marketing", "amount": 750_000.0, "from_day": shows[0],
        "to_day": shows[1], "at": "policies/a.yml:18:5",
    }
    contingencies = by_key(facts, "contingency")
    assert contingencies["spend/shows"]["end_day"] == shows[1]
    assert (contingencies["dependency/leads"]["dept"], contingencies["dependency/leads"]["start_day"]) == ("sales", due)
    definitions = by_key(facts, "definition")
    same = hashlib.sha1(b"any inquiry from a target account.").hexdigest()[:12]
    assert definitions["mql_count/marketing"] == {
        "kind": "definition", "key": "mql_count/marketing", "metric": "mql_count", "dept": "marketing",
        "text_hash": same, "at": "policies/a.yml:10:55",
    }
    assert definitions["mql_count/sales"]["text_hash"] == same  # same words, other case and spacing


def test_absent_values_are_left_out_not_null() -> None:
    facts = organization_facts(org_of(a="departments:\n  - {id: ops}\nplans:\n  - {id: p, department: ops}\n"))
    assert by_key(facts, "plan")["p"] == {
        "kind": "plan", "key": "p", "dept": "ops", "measure_count": 0, "weight_total": 0.0,
        "has_gate": False, "has_clawback": False, "has_holdback": False, "at": "policies/a.yml:4:5",
    }
    assert by_key(facts, "department")["ops"] == {
        "kind": "department", "key": "ops", "name": "ops", "dept_kind": "function", "at": "policies/a.yml:2:5",
    }
    assert "organization" not in {f["kind"] for f in facts}


def test_weight_total_is_rounded_not_float_noise() -> None:
    weights = "\n".join(f"      - {{metric: {m}, weight: {w}}}" for m, w in
                        [("bookings", 0.1), ("gross_margin_pct", 0.2), ("csat", 0.3), ("win_rate", 0.4)])
    facts = organization_facts(org_of(a=f"departments:\n  - {{id: s}}\nplans:\n  - id: p\n    department: s\n    measures:\n{weights}\n"))
    assert by_key(facts, "plan")["p"]["weight_total"] == 1.0


def test_days_since_1970() -> None:
    assert day(datetime.date(1970, 1, 1)) == 0
    assert day(datetime.date(2027, 1, 1)) == 20819


def test_facts_do_not_depend_on_file_order(tmp_path: Path) -> None:
    files = {
        "org.yml": "organization: {name: X}\ndepartments:\n  - {id: a}\n  - {id: b, parent: a}\n",
        "a.yml": "department: {id: c, parent: b}\nplans:\n  - {id: p1, measures: [{metric: bookings, weight: 1}]}\n",
        "b.yml": "targets:\n  - {id: t1, owner: company, metric: bookings, value: 10}\n  - {id: t2, owner: c, metric: bookings, value: 4}\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    expected = organization_facts(validate(load_documents([tmp_path], root_display=tmp_path)))
    assert by_key(expected, "target")["t2"]["parent"] == "t1"
    names = sorted(files)
    for seed in range(5):
        random.Random(seed).shuffle(names)
        docs = load_documents([tmp_path / n for n in names], root_display=tmp_path)
        random.Random(seed).shuffle(docs)
        assert organization_facts(validate(docs)) == expected
