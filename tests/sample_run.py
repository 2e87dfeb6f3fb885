"""A small lint run built in code, for the render, report and year-over-year tests.

Rule ids in the 90s (X90, T90, H90, V90) stand for rules the catalog does not have,
so the outputs are also tested on findings of rule packs the book does not know.

It tells three of the founding stories (accounts payable vs project delivery,
marketing volume vs sales, the launch that slipped) with hand-written
findings, so the outputs can be tested without the loader or the rules engine.
"""
from __future__ import annotations

import datetime
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from interlock.findings.findings import Finding, Location, Waiver, fingerprint
from interlock.model.model import (Department, Dependency, Hire, Measure, Metric, Milestone, Objective, Organization,
                             Plan, Spend, Target)
from interlock.model.model import Location as At
from interlock.evaluation.rulebook import RuleBook, load_rulebook

D = datetime.date
OBJ = "policies/objectives.yml"
ORG = "policies/organization.yml"
AP = "policies/plans/accounts-payable.yml"
MKT = "policies/plans/marketing.yml"
SALES = "policies/plans/sales.yml"
LAUNCH = "policies/launch.yml"
FILES = (ORG, OBJ, AP, MKT, SALES, LAUNCH)


@dataclass(frozen=True)
class SampleRun:
    """Has the shape of engine/lint.py's LintResult (render.LintRun)."""

    findings: tuple[Finding, ...]
    organization: Organization
    files: tuple[str, ...]
    book: RuleBook
    derived: tuple[dict[str, object], ...] = ()


def _metric(ident: str, name: str, good: int, kind: str = "outcome") -> Metric:
    return Metric(ident, name, "ratio", good, kind, "finance")


METRICS = (
    _metric("dpo", "Days payable outstanding", 0, "cost"),
    _metric("supplier_health", "Supplier health", 1),
    _metric("supplier_otd", "Supplier on-time delivery", 1),
    _metric("on_time_delivery", "On-time delivery", 1),
    _metric("project_margin_pct", "Project margin", 1),
    _metric("invoice_cycle_time", "Invoice cycle time", -1),
    _metric("mql_count", "MQL count", 1, "volume"),
    _metric("win_rate", "Win rate", 1, "quality"),
    _metric("bookings", "Bookings", 1),
    _metric("csat", "Customer satisfaction", 1),
    _metric("safety_incident_rate", "Safety incident rate", -1),
    _metric("release_on_time", "Release on time", 1),
)


def organization(marketing_name: str = "Marketing") -> Organization:
    at = lambda file, line, col=5: At(file, line, col)  # noqa: E731
    return Organization(
        name="Acme Build & Supply", currency="EUR", fiscal_year=2025, fiscal_year_start=D(2025, 1, 1),
        at=at(ORG, 1, 1),
        objectives=(
            Objective("project-profitability", "Project profitability", ("project_margin_pct",), 1, True,
                      at(OBJ, 3), target=0.14, unit="percent", priority=1),
            Objective("customer-satisfaction", "Customer satisfaction", ("csat",), 1, True, at(OBJ, 9), priority=2),
            Objective("revenue-growth", "Grow revenue 11%", ("bookings",), 1, True, at(OBJ, 14), target=0.11,
                      unit="percent", priority=3),
            Objective("site-safety", "Site safety", ("safety_incident_rate",), -1, True, at(OBJ, 20), priority=4),
            Objective("release-cadence", "Ship releases on time", ("release_on_time",), 1, False, at(OBJ, 25)),
        ),
        departments=(
            Department("accounts-payable", "Accounts payable", "function", at(ORG, 5)),
            Department("projects", "Project delivery", "function", at(ORG, 7)),
            Department("marketing", marketing_name, "function", at(ORG, 9)),
            Department("sales", "Sales", "function", at(ORG, 11)),
            Department("engineering", "Research & Development", "function", at(ORG, 13)),
        ),
        plans=(
            Plan("ap-team", "accounts-payable", at(AP, 1, 1), measures=(
                Measure("dpo", 0.7, 1, at(AP, 5)), Measure("invoice_cycle_time", 0.3, -1, at(AP, 6)))),
            Plan("mkt-demand", "marketing", at(MKT, 1, 1), measures=(Measure("mql_count", 1.0, 1, at(MKT, 5)),)),
            Plan("sales-ae", "sales", at(SALES, 1, 1), effective_from=D(2025, 1, 1), effective_to=D(2025, 12, 31),
                 measures=(Measure("bookings", 0.8, 1, at(SALES, 5)),
                           Measure("csat", 0.1, 1, at(SALES, 6), contingent_on="launch"))),
        ),
        targets=(
            Target("new-product-bookings", "sales", "bookings", 2_400_000, "target", at(LAUNCH, 20),
                   period="H2", starts=D(2025, 7, 1), ends=D(2025, 12, 31), contingent_on="launch"),
        ),
        milestones=(
            Milestone("launch", "Product launch", "engineering", D(2025, 4, 1), D(2026, 1, 15), 0.6, at(LAUNCH, 3)),
            Milestone("site-handover", "Site handover", "projects", D(2025, 9, 30), D(2025, 9, 30), 0.9,
                      at(LAUNCH, 30)),
        ),
        dependencies=(
            Dependency("suppliers-paid", "projects", "accounts-payable", at(LAUNCH, 35),
                       deliverable="Suppliers paid within terms", due=D(2025, 6, 1), milestone="site-handover"),
        ),
        hires=(
            Hire("launch-specialists", "sales", 6, D(2025, 3, 1), 3, at(LAUNCH, 10), role="product specialists",
                 contingent_on="launch"),
        ),
        spend=(
            Spend("trade-shows", "marketing", Decimal("450000"), at(LAUNCH, 15), purpose="trade shows",
                  start=D(2025, 4, 15), end=D(2025, 9, 30), contingent_on="launch"),
        ),
        metrics=METRICS,
    )


def _fact(kind: str, at: str | None = None, **fields: Any) -> dict[str, Any]:
    fact: dict[str, Any] = {"kind": kind, **fields}
    if at:
        fact["at"] = at
    return fact


def _finding(rule: str, name: str, family: str, severity: str, title: str, message: str,
             departments: Sequence[str], objectives: Sequence[str], locations: Sequence[str],
             facts: Mapping[str, Mapping[str, Any]], remediation: str, trace: Sequence[str] = (),
             identity: Sequence[str] = (), waiver: Waiver | None = None) -> Finding:
    return Finding(rule, name, family, severity, title, message, tuple(departments), tuple(objectives),
                   tuple(Location.parse(l) for l in locations), fingerprint(rule, identity or locations),
                   remediation, tuple(trace), waiver, facts)


def findings() -> tuple[Finding, ...]:
    ap_measure = _fact("measure", f"{AP}:5:5", key="ap-team/dpo", plan="ap-team", dept="accounts-payable",
                       metric="dpo", weight=0.7, dir=1)
    margin = _fact("objective_metric", f"{OBJ}:3:5", key="project-profitability/project_margin_pct",
                   objective="project-profitability", metric="project_margin_pct", dir=1, lead=True)
    ap_path = _fact("path", src="dpo", dst="project_margin_pct", sign=-1, signs="-+++", hops=4, strength=0.42,
                    via="dpo>supplier_health>supplier_otd>on_time_delivery>project_margin_pct")
    mkt_measure = _fact("measure", f"{MKT}:5:5", key="mkt-demand/mql_count", plan="mkt-demand", dept="marketing",
                        metric="mql_count", weight=1.0, dir=1)
    sales_measure = _fact("measure", f"{SALES}:5:5", key="sales-ae/bookings", plan="sales-ae", dept="sales",
                          metric="bookings", weight=0.8, dir=1)
    mkt_path = _fact("path", src="mql_count", dst="bookings", sign=-1, signs="-+", hops=2, strength=0.56,
                     via="mql_count>win_rate>bookings")
    return tuple(sorted([
        _finding("V03", "paid-against-lead-objective", "vertical", "error",
                 "A department is paid to move a measure that harms a lead objective",
                 "Accounts payable is paid to raise days payable outstanding (70% of plan ap-team): days payable "
                 "outstanding up, supplier health falls, supplier on-time delivery falls, on-time delivery falls, "
                 "project margin falls, against lead objective Project profitability",
                 ["accounts-payable"], ["project-profitability"], [f"{AP}:5:5", f"{OBJ}:3:5"],
                 {"m": ap_measure, "om": margin, "p": ap_path},
                 "Pair the measure with a counterweight that protects the objective.",
                 trace=ap_path["via"].split(">"), identity=["ap-team/dpo", "project-profitability"]),
        _finding("X90", "volume-hurts-partner-measure", "cross-functional", "error",
                 "One department's paid volume lowers another department's paid measure",
                 "Marketing is paid on MQL count (100% of plan mkt-demand), which lowers win rate and so "
                 "Sales' bookings (80% of plan sales-ae)",
                 ["marketing", "sales"], ["revenue-growth"], [f"{MKT}:5:5", f"{SALES}:5:5"],
                 {"a": mkt_measure, "b": sales_measure, "p": mkt_path},
                 "Pay marketing on pipeline value or MQL-to-SQL conversion alongside volume.",
                 trace=mkt_path["via"].split(">"), identity=["mkt-demand/mql_count", "sales-ae/bookings"]),
        _finding("V02", "unpaid-lead-objective", "vertical", "error", "No plan pays for a lead objective",
                 "no plan pays for lead objective Site safety (safety incident rate): no measure moves it "
                 "directly or through a driver",
                 [], ["site-safety"], [f"{OBJ}:20:5"],
                 {"o": _fact("objective", f"{OBJ}:20:5", key="site-safety", metric="safety_incident_rate")},
                 "Give the objective an owner.", identity=["site-safety"]),
        _finding("T90", "hires-before-milestone", "temporal", "warning",
                 "People are hired for a milestone that will not be there when they are ready",
                 "6 product specialists in Sales are ramped by 2025-06-01 for Product launch, now forecast "
                 "for 2026-01-15 (228 days later)",
                 ["engineering", "sales"], [], [f"{LAUNCH}:10:5", f"{LAUNCH}:3:5"],
                 {"h": _fact("hire", f"{LAUNCH}:10:5", key="launch-specialists", dept="sales"),
                  "ms": _fact("milestone", f"{LAUNCH}:3:5", key="launch", owner="engineering")},
                 "Move the start dates after the forecast, or re-plan the launch.",
                 identity=["launch-specialists", "launch"]),
        _finding("Q08", "weights-not-100", "hygiene", "warning", "The measure weights of a plan do not add up "
                 "to 100%", "plan sales-ae weights its measures 90% in total, not 100% (2 measures)",
                 ["sales"], [], [f"{SALES}:1:1"],
                 {"p": _fact("plan", f"{SALES}:1:1", key="sales-ae", dept="sales")},
                 "Make the weights add up to 100%.", identity=["sales-ae"]),
        _finding("H90", "too-many-measures", "hygiene", "info", "A plan pays for more measures than "
                 "practice recommends", "plan ap-team | has a <b>note</b> & *stars* [link](x) in its message",
                 ["accounts-payable"], [], [f"{AP}:1:1"],
                 {"p": _fact("plan", f"{AP}:1:1", key="ap-team", dept="accounts-payable")},
                 "Keep three measures or fewer.", identity=["ap-team"],
                 waiver=Waiver("Transition year: the new AP plan starts in Q3", "cfo@acme.example", "2025-09-30")),
    ], key=Finding.sort_key))


def derived() -> tuple[dict[str, object], ...]:
    return (
        {"kind": "sway", "effect": 1, "objective": "revenue-growth", "plan": "sales-ae", "dept": "sales", "metric": "bookings",
         "weight": 0.8, "hops": 0, "strength": 1.0, "via": "bookings"},
        {"kind": "sway", "effect": 1, "objective": "revenue-growth", "plan": "mkt-demand", "dept": "marketing",
         "metric": "mql_count", "weight": 1.0, "hops": 1, "strength": 0.7, "via": "mql_count>bookings"},
        {"kind": "sway", "effect": 1, "objective": "revenue-growth", "plan": "mkt-demand", "dept": "marketing",
         "metric": "mql_count", "weight": 1.0, "hops": 2, "strength": 0.5, "via": "mql_count>sqls>bookings"},
        {"kind": "sway", "effect": 1, "objective": "customer-satisfaction", "plan": "sales-ae", "dept": "sales",
         "metric": "csat", "weight": 0.1, "hops": 0, "strength": 1.0, "via": "csat"},
        {"kind": "sway", "effect": 1, "objective": "project-profitability", "plan": "ap-team", "dept": "accounts-payable",
         "metric": "invoice_cycle_time", "weight": 0.3, "hops": 2, "strength": 0.35,
         "via": "invoice_cycle_time>supplier_health>project_margin_pct"},
        {"kind": "path", "src": "dpo", "dst": "supplier_health", "sign": -1, "signs": "-", "hops": 1,
         "strength": 0.8, "via": "dpo>supplier_health"},
    )


def sample_run(marketing_name: str = "Marketing", book: RuleBook | None = None) -> SampleRun:
    return SampleRun(findings(), organization(marketing_name), FILES, book or load_rulebook(), derived())


def previous_findings() -> tuple[Finding, ...]:
    """Last year's findings: the V03 conflict was there, X90 was not, and one since resolved."""
    current = {f.rule: f for f in findings()}
    resolved = _finding("V90", "priority-inversion", "vertical", "warning",
                        "Lead objective drivers weigh less than the rest",
                        "plan sales-ae weighs its lead-objective driver bookings below non-lead measures",
                        ["sales"], ["revenue-growth"], [f"{SALES}:5:5"], {}, "Reweight the plan.",
                        identity=["sales-ae", "revenue-growth"])
    kept = [replace(current["V03"], locations=(Location("old/plans/ap.yml", 9, 5),)),
            replace(current["Q08"], severity="info"), current["V02"], current["T90"], current["H90"]]
    return tuple(sorted([*kept, resolved], key=Finding.sort_key))


def first_department(policies: Path) -> str:
    from interlock.read.loader import load_documents
    from interlock.model.validate import validate

    return sorted(d.id for d in validate(load_documents([policies])).departments)[0]


def with_plan(policies: Path, folder: Path, plan: str, weight: str) -> Path:
    """A copy of ``policies`` plus one plan whose weights do not add up (a Q08 conflict).

    Adding a file, rather than editing one, keeps this independent of what the
    example organization says, so it survives every edit to policies/.
    """
    shutil.copytree(policies, folder)
    (folder / f"{plan}.yml").write_text(
        f"plans:\n  - id: {plan}\n    department: {first_department(policies)}\n"
        f"    measures:\n      - {{metric: bookings, weight: {weight}}}\n", encoding="utf-8")
    return folder
