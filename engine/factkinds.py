"""The fact vocabulary rules can use: every kind, every field, its type and meaning.

This registry is the contract between Python (which computes facts) and the
rule files (which judge them). `interlock facts` prints it, docs/facts.md is
generated from it, and tests check that every fact the pipeline produces, and
every field a built-in rule names, is declared here.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldDoc:
    type: str  # str, int, float, bool, day (int days since 1970-01-01), dir (+1/-1)
    doc: str
    optional: bool = False


@dataclass(frozen=True)
class KindDoc:
    doc: str
    fields: dict[str, FieldDoc]
    derived_by: str = ""  # rule id(s) deriving the kind; empty for facts computed in Python


def f(type_: str, doc: str, optional: bool = False) -> FieldDoc:
    return FieldDoc(type_, doc, optional)


AT = f("str", "where it is defined, `file:line:col` (absent for built-in knowledge)", optional=True)
KEY = f("str", "unique id within the kind")

KINDS: dict[str, KindDoc] = {
    "organization": KindDoc("The organization itself.", {
        "key": KEY, "currency": f("str", "ISO currency code", True), "fiscal_year": f("int", "fiscal year", True),
        "fy_start_day": f("day", "first day of the fiscal year", True),
        "fy_end_day": f("day", "last day of the fiscal year", True),
        "objective_count": f("int", "number of objectives", True),
        "lead_objective_count": f("int", "number of lead objectives", True),
        "incentive_budget": f("float", "declared incentive budget, in the currency", True),
        "at": AT}),
    "objective": KindDoc("An objective of the organization (lead or not).", {
        "key": KEY, "name": f("str", "readable name"), "metric": f("str", "primary metric"),
        "dir": f("dir", "+1 when the objective wants the metric up, -1 down"), "lead": f("bool", "a lead objective"),
        "priority": f("int", "1 is highest", True), "target": f("float", "target value", True), "at": AT}),
    "objective_metric": KindDoc("One metric that measures an objective.", {
        "key": KEY, "objective": f("str", "objective id"), "metric": f("str", "metric id"),
        "dir": f("dir", "wanted direction"), "lead": f("bool", "the objective is a lead objective"), "at": AT}),
    "department": KindDoc("A department, team or role in the hierarchy.", {
        "key": KEY, "name": f("str", "readable name"), "parent": f("str", "parent department id", True),
        "dept_kind": f("str", "function, team or role", True), "headcount": f("int", "people", True), "at": AT}),
    "plan": KindDoc("An incentive plan of a department or role.", {
        "key": KEY, "dept": f("str", "department id"), "role": f("str", "role", True),
        "measure_count": f("int", "number of measures"), "weight_total": f("float", "sum of measure weights (1.0 = 100%)"),
        "participants": f("int", "people on the plan", True),
        "target_incentive": f("float", "target incentive per participant", True),
        "variable_share": f("float", "variable share of pay at target (pay mix)", True),
        "has_gate": f("bool", "the plan has a gate"), "has_clawback": f("bool", "the plan has a clawback"),
        "has_holdback": f("bool", "the plan has a holdback"),
        "from_day": f("day", "first effective day", True), "to_day": f("day", "last effective day", True), "at": AT}),
    "measure": KindDoc("A measure in a plan: what is paid for, how much, in which direction.", {
        "key": f("str", "`plan/metric`"), "plan": f("str", "plan id"), "dept": f("str", "department id"),
        "metric": f("str", "metric id"), "weight": f("float", "share of the target incentive"),
        "dir": f("dir", "+1 paid to raise the metric, -1 to lower it"),
        "metric_kind": f("str", "volume, quality, outcome, activity, cost or policy", True),
        "period": f("str", "measurement period", True), "basis": f("str", "crediting basis", True),
        "team": f("bool", "a team measure", True), "threshold": f("float", "threshold", True),
        "target": f("float", "target", True), "excellence": f("float", "excellence", True),
        "capped": f("bool", "payout is capped", True), "contingent_on": f("str", "milestone id", True), "at": AT}),
    "curve_point": KindDoc("A point of a measure's payout curve.", {
        "key": KEY, "plan": f("str", "plan id"), "metric": f("str", "metric id"), "i": f("int", "position"),
        "attainment": f("float", "attainment (1.0 = 100%)"), "payout": f("float", "payout (share of target incentive)"),
        "at": AT}),
    "metric": KindDoc("A metric of the knowledge base (built in or the organization's).", {
        "key": KEY, "metric_kind": f("str", "volume, quality, outcome, activity, cost or policy"),
        "good": f("int", "+1 more is better, -1 less is better, 0 band or policy"), "function": f("str", "function"),
        "unit": f("str", "unit"), "band_low": f("float", "lower end of the healthy band", True),
        "band_high": f("float", "upper end of the healthy band", True), "at": AT}),
    "quality_pair": KindDoc("A companion a plan should pay alongside a volume or activity metric.", {
        "key": KEY, "metric": f("str", "volume or activity metric"), "companion": f("str", "quality companion")}),
    "influence": KindDoc("A signed edge of the knowledge base: an increase in src tends to move dst.", {
        "key": KEY, "src": f("str", "metric"), "dst": f("str", "metric"), "sign": f("dir", "+1 raises, -1 lowers"),
        "conf": f("float", "confidence 0..1"), "lag_days": f("int", "typical lag", True),
        "basis": f("str", "sourced, practitioner or heuristic", True), "at": AT}),
    "non_conflict": KindDoc("Two metrics known not to trade off.", {
        "key": KEY, "a": f("str", "metric"), "b": f("str", "metric")}),
    "lever": KindDoc("A lever the plan's participants control (price, payment terms, deal timing, scope...).", {
        "key": KEY, "plan": f("str", "plan id"), "dept": f("str", "department id"), "lever": f("str", "lever"),
        "at": AT}),
    "gate": KindDoc("A gate: no payout unless a metric reaches a minimum.", {
        "key": KEY, "plan": f("str", "plan id"), "dept": f("str", "department id"), "metric": f("str", "metric"),
        "minimum": f("float", "minimum, in the metric's unit", True), "at": AT}),
    "modifier": KindDoc("A modifier that scales payout.", {
        "key": KEY, "plan": f("str", "plan id"), "dept": f("str", "department id"), "metric": f("str", "metric"),
        "bounded": f("bool", "has a range"), "has_criteria": f("bool", "has written criteria"), "at": AT}),
    "target": KindDoc("A target or quota of a department (or the company) on a metric.", {
        "key": KEY, "owner": f("str", "department id or `company`"), "metric": f("str", "metric"),
        "value": f("float", "value"), "target_kind": f("str", "target or quota"), "period": f("str", "period", True),
        "parent": f("str", "target it rolls up to", True), "at": AT}),
    "assumption": KindDoc("A planning assumption of a department.", {
        "key": KEY, "dept": f("str", "department id"), "name": f("str", "driver (usually a metric id)"),
        "value": f("float", "value", True), "day": f("day", "a date", True), "segment": f("str", "segment", True),
        "milestone": f("str", "milestone the date is about", True), "at": AT}),
    "dependency": KindDoc("What one department needs from another.", {
        "key": KEY, "consumer": f("str", "department that needs"), "provider": f("str", "department that delivers"),
        "metric": f("str", "metric measuring the deliverable", True), "critical": f("bool", "critical"),
        "due_day": f("day", "due date", True), "milestone": f("str", "milestone it needs", True), "at": AT}),
    "milestone": KindDoc("A dated milestone (launch, go-live) with planned and forecast dates.", {
        "key": KEY, "owner": f("str", "owning department", True), "planned_day": f("day", "planned date"),
        "forecast_day": f("day", "forecast date"), "slip_days": f("int", "forecast minus planned"),
        "confidence": f("float", "confidence 0..1"), "at": AT}),
    "contingency": KindDoc("A measure, target, hire, spend or dependency that needs a milestone.", {
        "key": KEY, "dept": f("str", "department id"), "item": f("str", "measure, target, hire, spend or dependency"),
        "ref": f("str", "the item's key"), "milestone": f("str", "milestone id"),
        "start_day": f("day", "when the item starts", True), "ready_day": f("day", "when it is productive", True),
        "end_day": f("day", "when it ends", True), "at": AT}),
    "hire": KindDoc("Planned hiring.", {
        "key": KEY, "dept": f("str", "department id"), "role": f("str", "role"), "count": f("int", "people"),
        "start_day": f("day", "start date"), "ramp_days": f("int", "ramp time"), "at": AT}),
    "spend": KindDoc("Planned spend (campaigns, events).", {
        "key": KEY, "dept": f("str", "department id"), "amount": f("float", "amount"),
        "from_day": f("day", "start"), "to_day": f("day", "end"), "at": AT}),
    "definition": KindDoc("How a department counts a metric.", {
        "key": KEY, "metric": f("str", "metric"), "dept": f("str", "department id"),
        "text_hash": f("str", "hash of the normalized definition text"), "at": AT}),
    # -- derived by rules ------------------------------------------------------------------
    "path": KindDoc("A signed causal path between two metrics, up to a bounded length.", {
        "src": f("str", "first metric"), "dst": f("str", "last metric"), "sign": f("dir", "product of edge signs"),
        "signs": f("str", "edge signs in order, e.g. `-++`"), "hops": f("int", "edges"),
        "strength": f("float", "product of edge confidences"), "via": f("str", "metrics in order, `a>b>c`")},
        derived_by="D01, D02"),
    "support": KindDoc("A plan's measure moves an objective's metric the way the objective wants.", {
        "objective": f("str", "objective id"), "plan": f("str", "plan id"), "dept": f("str", "department id"),
        "metric": f("str", "the measure's metric"), "weight": f("float", "the measure's weight"),
        "hops": f("int", "0 when the measure is the objective's metric"), "strength": f("float", "path strength"),
        "via": f("str", "metrics in order")}, derived_by="D03, D04"),
}


def undeclared_fields(fact: dict[str, object]) -> list[str]:
    """Fields of ``fact`` the registry does not declare (empty when it conforms)."""
    kind = KINDS.get(str(fact.get("kind")))
    if kind is None:
        return [f"kind {fact.get('kind')!r}"]
    return sorted(name for name in fact if name != "kind" and name not in kind.fields)
