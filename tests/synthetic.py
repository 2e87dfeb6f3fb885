"""Seeded synthetic organizations of any size, with conflicts planted on purpose.

The benchmark lints these organizations to measure speed, and
tests/pipeline/test_synthetic.py checks that the findings are exactly the planted
conflicts, so that speed is never bought with wrong answers.

Shape. The company is split into business units (company -> unit ->
department, each unit a department with `kind: function`). Every unit is a
renamed replica of the aligned organization (tests/fixtures/aligned_org: sales,
marketing, projects, accounts payable, with its targets, dependencies,
assumptions, hires, spend and launch milestone) plus extra departments
(operations, engineering, hr, ...) up to about ten departments per unit.
Company revenue, base revenue and the incentive budget scale with the number of
units, so the roll-ups (company <- unit <- sales + projects) add up.

Every department also pays on synthetic metrics: one to three plans per
department, never more than three measures per plan (H01) nor a weight under
20% (H02), 3 to 8 measures per department in total. The synthetic knowledge is
15 clusters of 6 metrics (a shallow DAG from drivers to one outcome, the metric
of a tracked, non-lead objective; every edge's sign follows the metrics' good
directions, so paying each metric its good way never harms another), plus a few
isolated metrics used only by planted conflicts, plus weak heuristic
correlations (confidence below the 0.5 the path rules follow): 783 edges of its
own on top of the built-in ones, without multiplying causal paths.

Planted. About 10% of departments get one conflict of each family, each
department at most one, all department-local or between one fixed pair:

* X: X04 (a volume measure without its quality companion), and X01 for two
  fixed pairs paying a dedicated metric in opposite directions;
* V: V01 (a measure on a metric that serves no objective);
* T: T01 (something contingent on a milestone at risk), with T03 when the
  milestone slipped and the contingent hire is ramped long before it;
* Q: Q08 (weights adding up to 90% or 110%);
* H: H01 (a fourth measure) or H02 (a 10% measure);

and, once for the organization, V08: twenty objectives are more than the seven
the rule accepts by default (an info finding with no department).

A crowd (``generate(N, crowd=K)``, ``--crowd K``): the first K departments
also have a plan of their own paying one shared metric (syn_crowd), in turn
up and down, so K departments split K/2 against K/2 over one metric. X01 then
reports each department on the smaller side (the raising side when the two
are the same size) once, naming how many pay the other way and the first
three: K/2 findings, where a finding per pair would be K^2/4.
"""
from __future__ import annotations

import argparse
import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Doc = dict[str, Any]
Planted = set[tuple[str, tuple[str, ...]]]

_BaseDumper: type = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml: four times faster for 10,000 files


class _Dumper(_BaseDumper):  # type: ignore[misc, valid-type]
    """Plain YAML as a person writes it: a shared value is written out again, never as an &anchor."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


FY_START, FY_END = "2027-01-01", "2027-12-31"
EFFECTIVE = {"from": FY_START, "to": FY_END}
UNIT_SIZE = 10  # departments per business unit, its head included (a unit has 10 to 19)
CORE = ("sales", "marketing", "projects", "accounts-payable")
EXTRAS = ("operations", "engineering", "procurement", "support", "hr", "customer-success", "product",
          "finance", "accounts-receivable")
NAMES = {"hr": "Human resources", "product": "Product management"}
#: (area, owning function): one metric cluster and one tracked objective each.
AREAS = (
    ("safety", "operations"), ("quality", "operations"), ("people", "hr"), ("learning", "hr"),
    ("green", "operations"), ("digital", "engineering"), ("platform", "engineering"), ("service", "support"),
    ("success", "customer-success"), ("sourcing", "procurement"), ("logistics", "procurement"),
    ("brand", "marketing"), ("insight", "product"), ("compliance", "finance"), ("billing", "accounts-receivable"),
)
ADOPTED = (("revenue-growth", 0.08), ("project-profitability", 0.14), ("customer-satisfaction", 0.88),
           ("cash", 5_000_000), ("supply-resilience", None))
WEAK_EDGES = 678  # 105 cluster edges + 678 weak = 783, added to the built-in knowledge base's edges
FAMILY_SHARE = 0.1
DEPENDENCIES_PER_UNIT = 2  # synthetic ones, besides the aligned core's two


@dataclass(frozen=True)
class Role:
    """One metric of a cluster: how it is named, counted and paid (threshold, target, excellence, cap)."""

    index: int
    label: str
    kind: str
    good: str
    unit: str
    levels: tuple[float, float, float]
    cap: float | None = None


#: The six metrics of every cluster; index 1 is the outcome its objective is measured by.
ROLES = (
    Role(1, "index", "outcome", "up", "score", (72, 80, 88)),
    Role(2, "first-time-right rate", "quality", "up", "percent", (0.85, 0.9, 0.95)),
    Role(3, "resolution time", "quality", "down", "days", (14, 10, 7)),
    Role(4, "audit pass rate", "quality", "up", "percent", (0.8, 0.85, 0.92)),
    Role(5, "actions completed", "volume", "up", "count", (150, 200, 260), cap=320),
    Role(6, "response time", "quality", "down", "hours", (36, 24, 16)),
)
ROLE = {r.index: r for r in ROLES}
#: Strong edges of a cluster (confidence 0.5-0.9): drivers -> outcome, a DAG of at most three hops.
CLUSTER_EDGES = ((2, 1), (3, 1), (4, 1), (4, 2), (5, 4), (5, 1), (6, 3))
#: Clean plan shapes: (role, weight); a volume measure (5) always comes with its companion (2).
TEMPLATES = (
    ((1, 0.5), (2, 0.3), (3, 0.2)),
    ((5, 0.5), (2, 0.3), (4, 0.2)),
    ((4, 0.6), (6, 0.4)),
    ((1, 0.5), (3, 0.5)),
    ((2, 0.4), (6, 0.3), (1, 0.3)),
)
X04_PLAN = ((5, 0.5), (3, 0.3), (4, 0.2))  # volume without its companion (role 2)
H01_PLAN = ((1, 0.25), (2, 0.25), (3, 0.25), (4, 0.25))
H02_PLAN = ((1, 0.5), (2, 0.4), (3, 0.1))
ORPHANS = ("syn_legacy_1", "syn_legacy_2")  # serve no objective (V01)
RECHARGES = ("syn_recharge_1", "syn_recharge_2")  # one per X01 pair
CROWD = "syn_crowd"  # the metric a crowd pays in both directions


@dataclass
class Synthetic:
    """Policy files (file name -> YAML data) and the findings they were built to produce."""

    files: dict[str, Doc]
    planted: Planted = field(default_factory=set)


@dataclass
class Dept:
    """A department being built: its function (for line of sight, V06), its file and its synthetic plans."""

    id: str
    name: str
    function: str | None
    core_measures: int
    doc: Doc
    plans: list[Doc] = field(default_factory=list)


def metric_id(area: str, index: int) -> str:
    return f"syn_{area}_{index}"


def metric_name(ident: str) -> str:
    """'syn_safety_3' -> 'Safety resolution time'."""
    _, area, index = ident.split("_")
    return f"{_title(area)} {ROLE[int(index)].label}"


def objective_id(area: str) -> str:
    return f"{area}-excellence"


def _title(text: str) -> str:
    return text.replace("-", " ").capitalize()


# -- knowledge --------------------------------------------------------------------------------------


def knowledge(rng: random.Random) -> tuple[list[Doc], list[Doc]]:
    """Synthetic metrics and influence edges: strong cluster DAGs plus weak heuristic correlations."""
    metrics: list[Doc] = []
    for area, function in AREAS:
        for role in ROLES:
            metric: Doc = {
                "id": metric_id(area, role.index), "name": metric_name(metric_id(area, role.index)), "function": function,
                "unit": role.unit, "good": role.good, "kind": role.kind,
                "definition": f"Synthetic {role.kind} metric of the {area} area ({role.label}).",
            }
            if role.kind == "volume":
                metric["quality_pair"] = [metric_id(area, 2)]
            metrics.append(metric)
    for ident in ORPHANS:
        metrics.append({"id": ident, "name": f"Legacy scorecard item {ident[-1]}", "function": "operations",
                        "unit": "percent", "good": "up", "kind": "quality",
                        "definition": "Kept from an old scorecard; nothing the company wants depends on it."})
    for ident in RECHARGES:
        metrics.append({"id": ident, "name": f"Shared-service cost recovery {ident[-1]}", "function": "finance",
                        "unit": "percent", "good": "up", "kind": "outcome",
                        "definition": "Share of a shared service's cost recharged to the units using it."})
    good = {m["id"]: 1 if m["good"] == "up" else -1 for m in metrics}
    influences: list[Doc] = []
    seen: set[tuple[str, str]] = set()
    for area, _ in AREAS:
        for src, dst in CLUSTER_EDGES:
            a, b = metric_id(area, src), metric_id(area, dst)
            seen.add((a, b))
            influences.append(_edge(a, b, good[a] * good[b], rng.choice((0.5, 0.6, 0.7, 0.8, 0.9)),
                                    rng.choice(("0", "1m", "1q")), "practitioner", "Driver of the area's outcome."))
    # The legacy items influence each other and nothing else: known edges, no path to any objective
    # at any depth (V01). No weak edge leaves them.
    for a, b in (ORPHANS, ORPHANS[::-1]):
        seen.add((a, b))
        influences.append(_edge(a, b, 1, 0.5, "0", "heuristic", "Two items of the same old scorecard."))
    ids = sorted(good)
    while len(influences) < len(AREAS) * len(CLUSTER_EDGES) + WEAK_EDGES:
        a, b = rng.sample(ids, 2)
        if (a, b) in seen or a in ORPHANS:
            continue
        seen.add((a, b))
        influences.append(_edge(a, b, good[a] * good[b], rng.choice((0.2, 0.25, 0.3, 0.35, 0.4, 0.45)),
                                rng.choice(("0", "1q", "2q")), "heuristic", "Weak correlation seen across units."))
    return metrics, influences


def _edge(src: str, dst: str, sign: int, confidence: float, lag: str, basis: str, rationale: str) -> Doc:
    return {"from": src, "to": dst, "sign": "+" if sign > 0 else "-", "confidence": confidence, "lag": lag,
            "basis": basis, "rationale": rationale}


def objectives() -> list[Doc]:
    """The aligned organization's five lead objectives and one tracked objective per area: twenty."""
    result: list[Doc] = []
    for priority, (ident, target) in enumerate(ADOPTED, start=1):
        item: Doc = {"adopt": ident, "priority": priority, "period": "FY2027"}
        if target is not None:
            item["target"] = target
        result.append(item)
    for priority, (area, _) in enumerate(AREAS, start=len(ADOPTED) + 1):
        result.append({"id": objective_id(area), "name": f"{_title(area)} excellence",
                       "metrics": [metric_id(area, 1)], "direction": "up", "target": 80, "priority": priority,
                       "lead": False, "period": "FY2027",
                       "description": f"Tracked: the {area} index, moved by the area's drivers."})
    return result


# -- the aligned core of a unit ---------------------------------------------------------------------


def core_departments(unit: str) -> dict[str, Doc]:
    """The four aligned departments, renamed into the unit (see tests/fixtures/aligned_org)."""
    def p(ident: str) -> str:
        return f"{unit}-{ident}"

    launch = p("product-launch")
    launch_assumption = {"name": "launch_date", "date": "2027-04-01", "milestone": launch}
    sql_definition = ("A developer or housing association with a site, a budget and a decision date within "
                      "nine months, confirmed on a discovery call.")
    year = {"period": "year"}
    return {
        "sales": {
            "department": {"id": p("sales"), "name": "Sales", "parent": unit, "owner": "Head of sales",
                           "headcount": 10},
            "targets": [
                {"id": p("fy27-sales-revenue"), "metric": "revenue", "value": 15_200_000, "period": "FY2027"},
                {"id": p("fy27-new-business"), "metric": "new_business", "value": 6_000_000, "period": "FY2027"},
            ],
            "plans": [{
                "id": p("sales-ae"), "role": "Account executive", "participants": 8, "target_incentive": 40_000,
                "pay_mix": 0.4, "effective": dict(EFFECTIVE), "levers": ["price"],
                "measures": [
                    {"metric": "new_business", "weight": 0.5, "threshold": 375_000, "target": 750_000,
                     "excellence": 1_125_000, "cap": 1_500_000, **year, "basis": "booking",
                     "curve": [{"attainment": 0.5, "payout": 0.0}, {"attainment": 1.0, "payout": 1.0},
                               {"attainment": 1.5, "payout": 2.0}]},
                    {"metric": "project_margin_pct", "weight": 0.3, "threshold": 0.12, "target": 0.14,
                     "excellence": 0.16, "cap": 0.18, **year},
                    {"metric": "collections", "weight": 0.2, "threshold": 600_000, "target": 750_000,
                     "excellence": 900_000, "cap": 1_125_000, **year, "basis": "cash"},
                ],
                "clawback": {"days": 180, "on": ["cancellation", "non-payment"]},
            }],
            "assumptions": [
                {"name": "mql_count", "value": 1_600, "period": "FY2027"},
                {"name": "mql_to_sql_rate", "value": 0.5, "period": "FY2027"},
                {"name": "win_rate", "value": 0.25, "period": "FY2027"},
                {"name": "avg_deal_size", "value": 30_000, "period": "FY2027"},
                launch_assumption,
                {"name": "rep_productivity", "value": 650_000, "period": "FY2027"},
            ],
            "dependencies": [{
                "id": p("qualified-opportunities"), "provider": p("marketing"),
                "deliverable": "Sales-qualified opportunities", "metric": "sql_count", "amount": 800,
                "due": "2027-12-31", "critical": True, "definition": sql_definition,
            }],
            "hires": [{"id": p("module-specialists"), "role": "Module specialist", "count": 2,
                       "start": "2027-02-01", "ramp_months": 2, "contingent_on": launch}],
        },
        "marketing": {
            "department": {"id": p("marketing"), "name": "Marketing", "parent": unit, "owner": "Head of marketing",
                           "headcount": 5},
            "targets": [
                {"id": p("fy27-mqls"), "metric": "mql_count", "value": 1_600, "period": "FY2027"},
                {"id": p("fy27-sqls"), "metric": "sql_count", "value": 800, "period": "FY2027"},
            ],
            "plans": [{
                "id": p("marketing-team"), "role": "Marketing manager", "participants": 4, "target_incentive": 12_000,
                "pay_mix": 0.15, "effective": dict(EFFECTIVE),
                "measures": [
                    {"metric": "marketing_pipeline", "weight": 0.6, "threshold": 18_000_000, "target": 24_000_000,
                     "excellence": 30_000_000, "cap": 36_000_000, **year, "team": True},
                    {"metric": "mql_to_sql_rate", "weight": 0.4, "threshold": 0.45, "target": 0.5,
                     "excellence": 0.55, **year, "team": True},
                ],
            }],
            "assumptions": [
                {"name": "mql_to_sql_rate", "value": 0.5, "period": "FY2027"},
                {"name": "win_rate", "value": 0.25, "period": "FY2027"},
                {"name": "avg_deal_size", "value": 30_000, "period": "FY2027"},
                launch_assumption,
            ],
            "spend": [{"id": p("launch-campaign"), "purpose": "Show homes and trade press for the launch",
                       "amount": 150_000, "from": "2027-04-01", "to": "2027-06-30", "contingent_on": launch}],
            "definitions": [{"metric": "sql_count", "text": sql_definition}],
        },
        "projects": {
            "department": {"id": p("projects"), "name": "Project delivery", "parent": unit,
                           "owner": "Head of projects", "headcount": 60},
            "targets": [
                {"id": p("fy27-projects-revenue"), "metric": "revenue", "value": 28_000_000, "period": "FY2027"},
                {"id": p("fy27-project-margin"), "metric": "project_margin_pct", "value": 0.14, "period": "FY2027"},
            ],
            "plans": [{
                "id": p("project-managers"), "role": "Project manager", "participants": 10,
                "target_incentive": 15_000, "pay_mix": 0.15, "effective": dict(EFFECTIVE),
                "measures": [
                    {"metric": "project_margin_pct", "weight": 0.5, "threshold": 0.12, "target": 0.14,
                     "excellence": 0.16, "cap": 0.18, **year, "basis": "acceptance"},
                    {"metric": "schedule_adherence", "weight": 0.3, "threshold": 0.85, "target": 0.9,
                     "excellence": 0.95, **year},
                    {"metric": "csat", "weight": 0.2, "threshold": 0.8, "target": 0.88, "excellence": 0.93, **year},
                ],
            }],
            "assumptions": [{"name": "dpo", "value": 35, "period": "FY2027"}, launch_assumption],
            "dependencies": [{
                "id": p("suppliers-paid-on-time"), "provider": p("accounts-payable"),
                "deliverable": "Site suppliers paid within their agreed terms", "metric": "payment_on_time_pct",
                "amount": 0.95, "critical": True,
            }],
        },
        "accounts-payable": {
            "department": {"id": p("accounts-payable"), "name": "Accounts payable", "parent": unit,
                           "owner": "AP lead", "headcount": 3},
            "targets": [{"id": p("fy27-payment-on-time"), "metric": "payment_on_time_pct", "value": 0.95,
                         "period": "FY2027"}],
            "plans": [{
                "id": p("ap-team"), "role": "AP specialist", "participants": 3, "target_incentive": 4_000,
                "pay_mix": 0.1, "effective": dict(EFFECTIVE),
                "measures": [
                    {"metric": "payment_on_time_pct", "weight": 0.6, "threshold": 0.9, "target": 0.95,
                     "excellence": 0.98, **year, "team": True},
                    {"metric": "invoice_cycle_time", "weight": 0.4, "direction": "down", "threshold": 7,
                     "target": 5, "excellence": 3, **year, "team": True},
                ],
            }],
            "assumptions": [{"name": "dpo", "value": 35, "period": "FY2027"}],
        },
    }


# -- synthetic plans --------------------------------------------------------------------------------


def measure(area: str, role: int, weight: float, team: bool, direction: int = 0) -> Doc:
    """A measure on a cluster metric with a full payout definition (H09), paid over the year (T05, T09)."""
    spec = ROLE[role]
    return _measure(metric_id(area, role), spec.levels, weight, team, spec.cap, direction)


def _measure(metric: str, levels: tuple[float, float, float], weight: float, team: bool,
             cap: float | None = None, direction: int = 0) -> Doc:
    threshold, target, excellence = levels
    doc: Doc = {"metric": metric, "weight": weight}
    if direction:
        doc["direction"] = "up" if direction > 0 else "down"
    doc.update({"threshold": threshold, "target": target, "excellence": excellence})
    if cap is not None:
        doc["cap"] = cap
    doc.update({"period": "year", "team": team})
    return doc


def plan(dept: Dept, area: str, shape: Iterable[tuple[int, float]], rng: random.Random) -> Doc:
    """A synthetic plan: measures of one cluster, individual where the area is the department's own function."""
    function = dict(AREAS)[area]
    team = function != dept.function
    return {
        "id": f"{dept.id}-{area}", "role": f"{_title(area)} lead", "participants": rng.randint(2, 12),
        "target_incentive": rng.choice((3_000, 4_000, 5_000, 6_000, 8_000)), "pay_mix": rng.choice((0.1, 0.15, 0.2)),
        "effective": dict(EFFECTIVE),
        "measures": [measure(area, role, weight, team) for role, weight in shape],
    }


# -- plants -------------------------------------------------------------------------------------------


def choose_plants(dept_ids: list[str], rng: random.Random) -> tuple[dict[str, str], dict[str, tuple[str, int]]]:
    """Department -> planted family (X, V, T, Q, H), about 10% of departments each, disjoint; and the X
    departments that form the fixed X01 pairs -> (their dedicated metric, the direction they pay it)."""
    per_family = max(1, round(FAMILY_SHARE * len(dept_ids)))
    chosen = rng.sample(dept_ids, min(len(dept_ids), 5 * per_family))
    families = {d: family for i, family in enumerate("XVTQH")
                for d in sorted(chosen[i * per_family:(i + 1) * per_family])}
    xs = sorted(d for d, family in families.items() if family == "X")
    opposed = {}
    for metric, up, down in zip(RECHARGES, xs[0::2], xs[1::2]):
        opposed.update({up: (metric, 1), down: (metric, -1)})
    return families, opposed


def planted_first_plan(dept: Dept, family: str, opposed: tuple[str, int] | None, area: str,
                       rng: random.Random, planted: Planted) -> Doc:
    """The department's first synthetic plan with its planted conflict (families X, V, Q and H)."""
    if family == "X" and opposed is None:
        planted.add(("X04", (dept.id,)))
        return plan(dept, area, X04_PLAN, rng)
    if family == "H":
        if rng.random() < 0.5:
            planted.add(("H01", (dept.id,)))
            return plan(dept, area, H01_PLAN, rng)
        planted.add(("H02", (dept.id,)))
        return plan(dept, area, H02_PLAN, rng)
    doc = plan(dept, area, rng.choice(TEMPLATES), rng)
    last = doc["measures"][-1]
    if family == "X" and opposed is not None:  # the pair itself is recorded by pay()
        metric, direction = opposed
        levels = (0.6, 0.7, 0.8) if direction > 0 else (0.8, 0.7, 0.6)
        doc["measures"][-1] = _measure(metric, levels, last["weight"], True, direction=direction)
    elif family == "V":
        planted.add(("V01", (dept.id,)))
        doc["measures"][-1] = _measure(rng.choice(ORPHANS), (0.85, 0.9, 0.95), last["weight"], True)
    elif family == "Q":
        planted.add(("Q08", (dept.id,)))
        last["weight"] = round(last["weight"] + (-0.1 if last["weight"] >= 0.3 else 0.1), 2)
    return doc


def plant_milestone(dept: Dept, rng: random.Random, planted: Planted) -> None:
    """T01: the department's own milestone is at risk; slipped with a ramped hire, T03 as well."""
    ident = f"{dept.id}-cutover"
    milestone: Doc = {"id": ident, "name": f"{dept.name} system cut-over", "owner": dept.id}
    planted.add(("T01", (dept.id,)))
    if rng.random() < 0.5:
        milestone.update({"planned": "2027-05-31", "forecast": "2027-10-31", "confidence": 0.8})
        dept.doc["hires"] = [*dept.doc.get("hires", []), {
            "id": f"{dept.id}-cutover-hires", "role": "Cut-over specialist", "count": 2, "start": "2027-03-01",
            "ramp_months": 1, "contingent_on": ident}]
        planted.add(("T03", (dept.id,)))
    else:
        milestone.update({"planned": "2027-06-30", "confidence": 0.5})
        dept.doc["spend"] = [*dept.doc.get("spend", []), {
            "id": f"{dept.id}-cutover-training", "purpose": "Training for the new system", "amount": 40_000,
            "from": "2027-06-01", "to": "2027-09-30", "contingent_on": ident}]
    dept.doc["milestones"] = [milestone]


# -- the organization ---------------------------------------------------------------------------------


def unit_sizes(departments: int) -> list[int]:
    """Departments per unit, as even as possible, each between 10 and 19 (5 or more for tiny organizations)."""
    if departments < 1 + len(CORE):
        raise ValueError(f"a synthetic organization needs at least {1 + len(CORE)} departments")
    units = max(1, departments // UNIT_SIZE)
    base, extra = divmod(departments, units)
    return [base + (1 if i < extra else 0) for i in range(units)]


def generate(departments: int, seed: int = 0, crowd: int = 0) -> Synthetic:
    """A deterministic organization of exactly ``departments`` departments, with the conflicts it plants;
    with ``crowd``, that many of them (the first) also split over one shared metric."""
    rng = random.Random(seed)
    metrics, influences = knowledge(rng)
    units = build_units(unit_sizes(departments), rng)
    order = [d for _, members in units for d in members]
    planted = pay(order, rng)
    if crowd:
        metrics.append({"id": CROWD, "name": "Shared-service cost recovery", "function": "finance",
                        "unit": "percent", "good": "up", "kind": "outcome",
                        "definition": "Share of the shared services' cost recharged to the units using them."})
        planted |= pay_crowd(order[:crowd], rng)
    milestones: list[Doc] = []
    for unit, members in units:
        milestones.extend(unit_milestones(unit))
        unit_links(unit, members, rng)
    files: dict[str, Doc] = {"organization.yml": {
        "organization": {
            "name": "Synthetic Modular Group", "currency": "EUR", "fiscal_year": 2027, "fiscal_year_start": FY_START,
            "incentive_budget": budget(order), "base_revenue": 40_000_000 * len(units),
            "description": f"{departments} departments in {len(units)} business units (seed {seed}).",
        },
        "objectives": objectives(),
        "targets": [
            {"id": "fy27-revenue", "owner": "company", "metric": "revenue", "value": 43_200_000 * len(units),
             "period": "FY2027", "basis": "+8% on FY2026 revenue, 43.2M per business unit"},
            {"id": "fy27-growth", "owner": "company", "metric": "revenue_growth_pct", "value": 0.08,
             "period": "FY2027"},
        ],
        "milestones": milestones,
        "metrics": metrics,
        "influences": influences,
    }}
    for dept in order:
        dept.doc["plans"] = [*dept.doc.get("plans", []), *dept.plans]
        files[f"{dept.id}.yml"] = dept.doc
    return Synthetic(files, planted)


def build_units(sizes: list[int], rng: random.Random) -> list[tuple[str, list[Dept]]]:
    """Each unit: its head (a function), the aligned core, then extra functions up to the unit's size."""
    width = max(3, len(str(len(sizes))))
    units = []
    for u, size in enumerate(sizes, start=1):
        unit = f"u{u:0{width}d}"
        members = [Dept(unit, f"Business unit {u}", None, 0,
                        {"department": {"id": unit, "name": f"Business unit {u}", "kind": "function",
                                        "owner": f"General manager {u}", "headcount": 2}})]
        for function, doc in core_departments(unit).items():
            count = sum(len(p["measures"]) for p in doc["plans"])
            members.append(Dept(doc["department"]["id"], doc["department"]["name"],
                                "project-delivery" if function == "projects" else function, count, doc))
        for i in range(size - len(members)):
            function = EXTRAS[i % len(EXTRAS)]
            suffix = f"-{i // len(EXTRAS) + 1}" if i >= len(EXTRAS) else ""
            ident, name = f"{unit}-{function}{suffix}", NAMES.get(function, _title(function)) + suffix.replace("-", " ")
            members.append(Dept(ident, name, function, 0, {"department": {
                "id": ident, "name": name, "parent": unit, "owner": f"Head of {function.replace('-', ' ')}",
                "headcount": rng.randint(4, 40)}}))
        units.append((unit, members))
    return units


def pay(order: list[Dept], rng: random.Random) -> Planted:
    """Give every department its synthetic plans (3 to 8 measures in all) and plant the conflicts."""
    families, opposed = choose_plants([d.id for d in order], rng)
    planted: Planted = {("V08", ())}
    for metric in RECHARGES:
        pair = tuple(sorted(d for d, (m, _) in opposed.items() if m == metric))
        if pair:
            planted.add(("X01", pair))
    for index, dept in enumerate(order):
        area = AREAS[index % len(AREAS)][0]  # every area's objective is paid once there are 15 departments
        family = families.get(dept.id)
        if family in ("X", "V", "Q", "H"):
            first = planted_first_plan(dept, family, opposed.get(dept.id), area, rng, planted)
        else:
            first = plan(dept, area, rng.choice(TEMPLATES), rng)
        dept.plans.append(first)
        total = dept.core_measures + len(first["measures"])
        others = [a for a, _ in AREAS if a != area]
        while total < 3 or (total <= 5 and len(dept.plans) < 3 and rng.random() < 0.4):
            shape = rng.choice([t for t in TEMPLATES if total + len(t) <= 8])
            dept.plans.append(plan(dept, others.pop(rng.randrange(len(others))), shape, rng))
            total += len(shape)
        if family == "T":
            plant_milestone(dept, rng, planted)
    return planted


def pay_crowd(members: list[Dept], rng: random.Random) -> Planted:
    """Each member pays the crowd metric in a plan of its own, in turn up and down; X01 reports each
    member of the smaller side (the raising side on a tie) naming the first three of the other."""
    sides: dict[int, list[str]] = {1: [], -1: []}
    for index, dept in enumerate(members):
        direction = 1 if index % 2 == 0 else -1
        levels = (0.6, 0.7, 0.8) if direction > 0 else (0.8, 0.7, 0.6)
        dept.plans.append({
            "id": f"{dept.id}-shared", "role": "Shared-service lead", "participants": rng.randint(2, 12),
            "target_incentive": 3_000, "pay_mix": 0.1, "effective": dict(EFFECTIVE),
            "measures": [_measure(CROWD, levels, 1.0, True, direction=direction)]})
        sides[direction].append(dept.id)
    up, down = sorted(sides[1]), sorted(sides[-1])
    if not (up and down):
        return set()
    smaller, other = (up, down) if len(up) <= len(down) else (down, up)
    return {("X01", tuple(sorted([dept, *other[:3]]))) for dept in smaller}


def budget(order: list[Dept]) -> int:
    """The incentive budget: 1.7 times the plans' cost at target, as in the aligned organization (Q06, Q07)."""
    cost = sum(p["participants"] * p["target_incentive"] for d in order for p in [*d.doc.get("plans", []), *d.plans])
    return int(round(cost * 1.7, -4))


def unit_milestones(unit: str) -> list[Doc]:
    """The unit's launch (as in the aligned organization) and a go-live, both on track."""
    return [
        {"id": f"{unit}-product-launch", "name": "Launch of the two-storey module", "owner": f"{unit}-projects",
         "planned": "2027-04-01", "confidence": 0.9},
        {"id": f"{unit}-go-live", "name": "Go-live of the unit's planning system", "owner": unit,
         "planned": "2027-06-30", "confidence": 0.85},
    ]


def unit_links(unit: str, members: list[Dept], rng: random.Random) -> None:
    """The unit's own revenue target, go-live spend, two synthetic dependencies and shared assumptions."""
    head = members[0]
    head.doc["targets"] = [{"id": f"{unit}-fy27-revenue", "metric": "revenue", "value": 43_200_000,
                            "period": "FY2027", "basis": "Sales 15.2M + projects 28.0M"}]
    spender = members[-1]
    spender.doc["spend"] = [*spender.doc.get("spend", []), {
        "id": f"{spender.id}-go-live-rollout", "purpose": "Roll-out of the planning system", "amount": 60_000,
        "from": "2027-05-01", "to": "2027-12-31", "contingent_on": f"{unit}-go-live"}]
    for n in range(DEPENDENCIES_PER_UNIT):
        provider, consumer = rng.sample(members, 2)
        supplied = [m for m in provider.plans[0]["measures"]
                    if m["metric"] not in ORPHANS + RECHARGES and "direction" not in m]
        m = rng.choice(supplied)
        dep: Doc = {"id": f"{consumer.id}-needs-{n}", "consumer": consumer.id, "provider": provider.id,
                    "deliverable": f"{metric_name(m['metric'])} at the agreed level", "metric": m["metric"],
                    "amount": m["target"], "critical": rng.random() < 0.3}
        if n == 0:
            dep.update({"due": "2027-09-30", "milestone": f"{unit}-go-live"})
        consumer.doc["dependencies"] = [*consumer.doc.get("dependencies", []), dep]
    for dept in members[len(CORE) + 1:]:
        if rng.random() < 0.5:
            m = dept.plans[0]["measures"][0]
            if m["metric"].startswith("syn_") and m["metric"] not in ORPHANS + RECHARGES:
                dept.doc["assumptions"] = [{"name": m["metric"], "value": m["target"], "period": "FY2027"}]


def describe(synthetic: Synthetic) -> dict[str, Any]:
    """The organization's shape in numbers, for the benchmark's report and the command line."""
    org = synthetic.files["organization.yml"]
    departments = [doc for name, doc in synthetic.files.items() if name != "organization.yml"]
    parents = {d["department"]["id"]: d["department"].get("parent") for d in departments}

    def depth(ident: str) -> int:
        return 1 + depth(parents[ident]) if parents[ident] else 1

    plans = [p for d in departments for p in d.get("plans", [])]
    per_department = [sum(len(p["measures"]) for p in d.get("plans", [])) for d in departments]

    def count(section: str) -> int:
        return sum(len(d.get(section, [])) for d in [org, *departments])

    return {
        "departments": len(departments), "units": sum(1 for p in parents.values() if p is None),
        "depth": max(map(depth, parents)), "plans": len(plans),
        "measures_per_plan": dict(sorted(Counter(len(p["measures"]) for p in plans).items())),
        "measures_per_department": dict(sorted(Counter(per_department).items())),
        "own_metrics": len(org["metrics"]),
        "strong_edges": sum(1 for e in org["influences"] if e["confidence"] >= 0.5),
        "weak_edges": sum(1 for e in org["influences"] if e["confidence"] < 0.5),
        "objectives": len(org["objectives"]), "milestones": count("milestones"), "targets": count("targets"),
        "dependencies": count("dependencies"), "assumptions": count("assumptions"),
        "hires": count("hires"), "spend": count("spend"),
        "planted": dict(sorted(Counter(rule for rule, _ in synthetic.planted).items())),
    }


def write(synthetic: Synthetic, folder: Path) -> list[Path]:
    """One YAML file per department plus organization.yml; returns the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in sorted(synthetic.files.items()):
        path = folder / name
        path.write_text(yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True), encoding="utf-8")
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a synthetic organization with planted conflicts.")
    parser.add_argument("departments", type=int)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--crowd", type=int, default=0, help="departments splitting over one shared metric")
    args = parser.parse_args(argv)
    synthetic = generate(args.departments, args.seed, args.crowd)
    write(synthetic, args.folder)
    print(f"{len(synthetic.files)} files -> {args.folder}")
    for key, value in describe(synthetic).items():
        print(f"  {key}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
