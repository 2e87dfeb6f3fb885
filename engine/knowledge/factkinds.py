"""The fact vocabulary rules can use: every kind, every field, its type and meaning.

This registry is the contract between Python (which computes facts) and the
rule files (which judge them). `interlock facts` prints it, docs/facts.md is
generated from it, and tests check that every fact the pipeline produces, and
every field a built-in rule names, is declared here.
"""
from __future__ import annotations

from dataclasses import dataclass


#: What each field type is to a rule's comparisons: a day counts days since 1970-01-01 and a
#: direction is +1 or -1, so both are numbers; a rule may compare only values of one class.
TYPE_CLASSES = {"str": "text", "int": "number", "float": "number", "day": "number", "dir": "number", "bool": "bool",
                "list": "list"}


@dataclass(frozen=True)
class FieldDoc:
    type: str  # str, int, float, bool, day (int days since 1970-01-01), dir (+1/-1)
    doc: str
    optional: bool = False

    @property
    def value_class(self) -> str:
        """``number``, ``text``, ``bool`` or ``list``: what a rule may compare the field with."""
        return TYPE_CLASSES[self.type]


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
        "priority": f("int", "1 is highest", True), "target": f("float", "target value", True),
        "collaborative": f("bool", "true when the objective needs people or departments to work together "
                                   "(`collaborative: true`); absent otherwise", True), "at": AT}),
    "objective_metric": KindDoc("One metric that measures an objective.", {
        "key": KEY, "objective": f("str", "objective id"), "metric": f("str", "metric id"),
        "dir": f("dir", "wanted direction"), "lead": f("bool", "the objective is a lead objective"), "at": AT}),
    "department": KindDoc("A department, team or role in the hierarchy.", {
        "key": KEY, "name": f("str", "readable name"), "parent": f("str", "parent department id", True),
        "dept_kind": f("str", "function, team or role", True), "headcount": f("int", "people", True),
        "function": f("str", "the business function it declares (sales, accounts-payable, ...), or its nearest declaring "
                      "ancestor's; absent when none declares one (never guessed from a name)", True), "at": AT}),
    "plan": KindDoc("An incentive plan of a department or role.", {
        "key": KEY, "dept": f("str", "department id"), "role": f("str", "role", True),
        "measure_count": f("int", "number of measures"), "weight_total": f("float", "sum of measure weights (1.0 = 100%)"),
        "participants": f("int", "people on the plan", True),
        "target_incentive": f("float", "target incentive per participant", True),
        "variable_share": f("float", "variable share of pay at target (pay mix)", True),
        "has_gate": f("bool", "the plan has a gate"), "has_clawback": f("bool", "the plan has a clawback"),
        "has_holdback": f("bool", "the plan has a holdback"),
        "from_day": f("day", "first effective day", True), "to_day": f("day", "last effective day", True),
        "clawback_days": f("int", "clawback window, days after crediting", True),
        "holdback_days": f("int", "days until the held-back share is paid", True),
        "cap": f("float", "plan cap: the most a participant earns, as a multiple of the target incentive (2.0 = 2x)", True),
        "at": AT}),
    "measure": KindDoc("A measure in a plan: what is paid for, how much, in which direction.", {
        "key": f("str", "`plan/metric`"), "plan": f("str", "plan id"), "dept": f("str", "department id"),
        "metric": f("str", "metric id"), "weight": f("float", "share of the target incentive"),
        "dir": f("dir", "+1 paid to raise the metric, -1 to lower it, 0 paid to stay within a band (`band:`)"),
        "metric_kind": f("str", "volume, quality, outcome, activity, cost or policy", True),
        "period": f("str", "measurement period", True),
        "period_days": f("int", "length of the measurement period in days (month 30, quarter 90, half 180, year 365, multi-year 730)", True),
        "basis": f("str", "crediting basis", True),
        "team": f("bool", "a team measure", True), "threshold": f("float", "threshold", True),
        "target": f("float", "target", True), "excellence": f("float", "excellence", True),
        "capped": f("bool", "payout is capped (by the measure's cap or curve, or by the plan's cap)", True),
        "contingent_on": f("str", "milestone id", True),
        "reported_by": f("str", "who reports the result: system, finance, manager, customer or self", True),
        "unit": f("str", "the metric's unit (currency, percent, count, days...)", True),
        "true_up": f("bool", "the plan trues payouts per month, quarter or half up to the year (`true_up: year`)"),
        "at": AT}),
    "reporting": KindDoc("Who reports a measure's result (`reported_by:`), for measures that say.", {
        "key": f("str", "`plan/metric`, the measure's key"), "plan": f("str", "plan id"), "dept": f("str", "department id"),
        "metric": f("str", "metric id"), "reported_by": f("str", "system, finance, manager, customer or self"), "at": AT}),
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
    "metric_reach": KindDoc("What a paid metric reaches through the influence edges at any depth (a full search, no hop limit).", {
        "key": KEY, "metric": f("str", "metric a plan pays"),
        "edges_out": f("int", "known influence edges out of it"),
        "edges_in": f("int", "known influence edges into it"),
        "objectives": f("int", "objectives whose metrics it reaches (itself included) at any depth and confidence"),
        "hops": f("int", "fewest edges to an objective's metric", True)}),
    "non_conflict": KindDoc("Two metrics known not to trade off.", {
        "key": KEY, "a": f("str", "metric"), "b": f("str", "metric")}),
    "lever": KindDoc("A lever the plan's participants control (price, payment terms, deal timing, scope...).", {
        "key": KEY, "plan": f("str", "plan id"), "dept": f("str", "department id"), "lever": f("str", "lever"),
        "limit": f("float", "for price: the largest discount participants grant without approval (`discount_authority`)", True),
        "currency": f("str", "ISO currency code, with a limit", True),
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
        "parent": f("str", "target it rolls up to", True),
        "relative_to": f("str", "a relative target's reference: a past period (the owner's actual) or a target id", True),
        "change": f("float", "a relative target's change on its reference (+0.08 = 8% over it)", True),
        "base": f("float", "the reference's value the target was resolved from", True), "at": AT}),
    "unresolved_target": KindDoc("A target stated relative to a reference the policy does not give (no actual for the "
                                 "period in `history:`): no number, so no rule can check it.", {
        "key": f("str", "target id"), "owner": f("str", "department id or `company`"), "metric": f("str", "metric"),
        "relative_to": f("str", "the reference named"), "change": f("float", "the change stated on it"),
        "period": f("str", "the target's period", True),
        "to_period": f("bool", "the reference is a past period (an actual), not a target"), "at": AT}),
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
    # -- quantitative facts (engine/knowledge/quant/; docs/quantitative.md) -----------------
    "funnel": KindDoc(
        "A dependency multiplied out: the consumer's target metric if the provider hits exactly its target on the "
        "supplied metric, with the provider's own assumptions first and the consumer's where it has none; with a "
        "`segment`, the consumer's plan for a segment both sides state figures for, against the provider's figures "
        "for it.", {
            "key": f("str", "`dependency/target`, `dependency/target/segment` for a segment"),
            "dependency": f("str", "dependency id"),
            "segment": f("str", "the segment both sides state figures for (absent for the whole funnel)", True),
            "consumer": f("str", "department that needs"), "provider": f("str", "department that delivers"),
            "metric": f("str", "the supplied metric"), "output": f("str", "the consumer's target metric"),
            "depth": f("int", "formula levels between output and supplied metric"),
            "provider_target": f("float", "the provider's target on the supplied metric (for a segment: the volume "
                                          "the provider states for it, else the consumer's)"),
            "provider_source": f("str", "`target` (a department target), `measure` (a plan's measure target) or "
                                        "`assumption` (a segment's volume)"),
            "provider_key": f("str", "that target's or measure's key"),
            "implied": f("float", "the output implied by the provider's target and assumptions"),
            "planned": f("float", "the consumer's target on the output (for a segment: its own plan for the segment)"),
            "planned_key": f("str", "that target's key"),
            "ratio": f("float", "implied / planned (0.75 = 75% of plan)", True),
            "gap": f("float", "planned minus implied"),
            "arithmetic": f("str", "the working, e.g. `4,000 x 50% x 20.75% x EUR 18,000 = EUR 7.47M`"),
            "explained": f("str", "the working with each driver's name"),
            "sources": f("str", "which department each driver's value comes from"),
            "consumer_implied": f("float", "the output under the consumer's own assumptions", True),
            "consumer_arithmetic": f("str", "the consumer's own working", True),
            "factors": f("str", "provider's value over consumer's, per driver that differs (`win rate 0.83x`)", True),
            "unit": f("str", "unit of the output metric", True), "currency": f("str", "ISO currency code"),
            "period": f("str", "period of the consumer's target", True), "at": AT}),
    "supply": KindDoc("What a provider targets on a metric it supplies, against what the consumer needs.", {
        "key": f("str", "dependency id"), "dependency": f("str", "dependency id"),
        "consumer": f("str", "department that needs"), "provider": f("str", "department that delivers"),
        "metric": f("str", "the supplied metric"), "needed": f("float", "the dependency's amount", True),
        "provided": f("float", "the provider's target"), "needed_text": f("str", "needed, formatted", True),
        "provided_text": f("str", "provided, formatted"),
        "source": f("str", "`target` or `measure`"), "provider_key": f("str", "that target's or measure's key"),
        "good": f("int", "+1 more is better, -1 less is better, 0 neither"),
        "ratio": f("float", "coverage: provided/needed (needed/provided when less is better)", True),
        "at": f("str", "where the provider's target is defined", True)}),
    "rollup": KindDoc("A target's children (same metric, additive unit) added up against it.", {
        "key": f("str", "the parent target's id"), "owner": f("str", "the parent's owner"),
        "metric": f("str", "metric"), "period": f("str", "the parent's period", True),
        "parent_value": f("float", "the parent's value"), "children_total": f("float", "sum of the children"),
        "ratio": f("float", "children_total / parent_value", True), "gap": f("float", "parent minus children"),
        "child_count": f("int", "children"), "children": f("str", "children's keys, comma-separated"),
        "children_kind": f("str", "`target`, `quota` or `mixed`"),
        "parent_text": f("str", "parent value, formatted"), "total_text": f("str", "children total, formatted"),
        "gap_text": f("str", "absolute gap, formatted"), "arithmetic": f("str", "`EUR 66.0M + EUR 30.3M = EUR 96.3M`"),
        "unit": f("str", "unit of the metric", True), "currency": f("str", "ISO currency code"), "at": AT}),
    "capacity": KindDoc("Sales capacity (quota-carrying heads x ramp factor x productivity) against the quotas.", {
        "key": f("str", "`dept/metric`"), "dept": f("str", "department id"), "metric": f("str", "quota metric"),
        "period": f("str", "quota period", True), "quota_total": f("float", "sum of the lowest-level quotas"),
        "quotas": f("int", "quotas summed"), "heads": f("float", "quota-carrying heads (participants plus hires)"),
        "ramp_factor": f("float", "share of full productivity the heads deliver over the period"),
        "productivity": f("float", "what a ramped seller produces in the period"),
        "capacity": f("float", "heads x ramp factor x productivity (the sales-capacity formula)"),
        "ratio": f("float", "capacity / quota_total"), "gap": f("float", "quota_total minus capacity"),
        "arithmetic": f("str", "the working"), "quota_text": f("str", "quota total, formatted"),
        "currency": f("str", "ISO currency code"), "at": AT}),
    "payout_cost": KindDoc("What a plan costs at threshold, target and excellence attainment.", {
        "key": f("str", "plan id"), "plan": f("str", "plan id"), "dept": f("str", "department id"),
        "participants": f("int", "people on the plan (else the department's headcount)"),
        "target_incentive": f("float", "per participant"),
        "cost_threshold": f("float", "every measure at its threshold"), "cost_target": f("float", "every measure at 100%"),
        "cost_excellence": f("float", "every measure at its excellence point"),
        "cost_scenario": f("float", "at the simulated attainment (`simulate --attainment`)", True),
        "attainment": f("float", "the simulated attainment", True),
        "uncapped": f("bool", "some measure's payout grows without bound"),
        "excellence_assumed": f("bool", "some measure has no excellence point: 150% assumed"),
        "currency": f("str", "ISO currency code"), "arithmetic": f("str", "the working at target"), "at": AT}),
    "budget": KindDoc("Every plan's payout cost against the organization's incentive budget.", {
        "key": KEY, "budget": f("float", "the declared incentive budget"),
        "cost_threshold": f("float", "all plans at threshold"), "cost_target": f("float", "all plans at target"),
        "cost_excellence": f("float", "all plans at excellence"),
        "cost_expected": f("float", "simulated attainment where given, target elsewhere"),
        "ratio_target": f("float", "cost_target / budget", True),
        "ratio_excellence": f("float", "cost_excellence / budget", True),
        "ratio_expected": f("float", "cost_expected / budget", True),
        "plans": f("int", "plans priced"), "plans_without_cost": f("int", "plans without a target incentive"),
        "uncapped_plans": f("int", "plans with uncapped payout"), "uncapped": f("str", "their ids", True),
        "scenario": f("str", "the simulated attainments, e.g. `sales-ae at 80%`", True),
        "currency": f("str", "ISO currency code"), "at": AT}),
    "curve": KindDoc("The shape of a measure's payout: its curve's steps and its threshold against its target.", {
        "key": f("str", "`plan/metric`"), "plan": f("str", "plan id"), "dept": f("str", "department id"),
        "metric": f("str", "metric"), "points": f("int", "curve points"),
        "monotone": f("bool", "payout never falls as attainment rises", True),
        "drop_at": f("float", "attainment where payout first falls", True),
        "drop": f("float", "how much it falls there", True),
        "max_rate": f("float", "steepest segment: payout points per attainment point", True),
        "rate_from": f("float", "that segment's first attainment", True),
        "rate_to": f("float", "that segment's last attainment", True),
        "rate_step": f("float", "that segment's payout increase", True),
        "vertical_step": f("float", "largest payout jump at one attainment", True),
        "vertical_at": f("float", "where it is", True),
        "excellence_attainment": f("float", "attainment at the excellence point", True),
        "leverage": f("float", "payout at excellence (share of target incentive)", True),
        "threshold_attainment": f("float", "threshold / target (target / threshold when less is better)", True),
        "at": AT}),
    "growth": KindDoc("The revenue targets against last year's revenue and a growth objective.", {
        "key": f("str", "objective id"), "objective": f("str", "objective id"), "period": f("str", "period", True),
        "base": f("float", "last year's revenue (`base_revenue`)"), "revenue": f("float", "the revenue targets"),
        "source": f("str", "`company` (the company's target) or `departments` (top-level departments' targets)"),
        "targets": f("str", "the targets' keys"), "target_growth": f("float", "the growth the objective asks"),
        "implied_growth": f("float", "revenue / base - 1"), "needed": f("float", "base x (1 + target growth)"),
        "gap": f("float", "needed minus revenue"), "base_text": f("str", "base, formatted"),
        "revenue_text": f("str", "revenue, formatted"), "needed_text": f("str", "needed, formatted"),
        "currency": f("str", "ISO currency code"), "at": AT}),
    "credit_split": KindDoc("A crediting rule's shares added up, and what crediting its deals more than once costs.", {
        "key": f("str", "crediting rule id"), "metric": f("str", "the metric credited"),
        "deals": f("str", "which deals, in words", True), "share_total": f("float", "the credited shares added up (2.0 = 200%)"),
        "share_text": f("str", "share_total, formatted"), "shares": f("str", "each plan's share, `sales-ae 100%, partners 100%`"),
        "plan_count": f("int", "plans credited"), "depts": f("list", "the credited plans' departments, by id, sorted (every one: a rule's `departments:` takes the list)"),
        "dept_count": f("int", "departments credited"),
        "dept_names": f("str", "their names, `Sales and Channel partners`"),
        "exclusive": f("bool", "only one credited plan gets each deal"),
        "settled": f("bool", "the rule says how two claims on a deal are settled (`settled_by`)"),
        "amount": f("float", "what the deals are planned to bring in", True),
        "amount_text": f("str", "amount, formatted", True),
        "excess_text": f("str", "amount x |share_total - 100%|, formatted: credited more than once, or to no one", True),
        "cost_target": f("float", "what the credit costs at target, every credited plan priced", True),
        "cost_text": f("str", "cost_target, formatted", True),
        "cost_arithmetic": f("str", "per plan: share x amount x rate = cost", True),
        "excess_cost": f("float", "the part of cost_target beyond 100% credit (cost x (share_total - 1) / share_total)", True),
        "excess_cost_text": f("str", "excess_cost, formatted", True),
        "budget": f("float", "the declared incentive budget", True), "budget_text": f("str", "budget, formatted", True),
        "budget_share": f("float", "excess_cost / budget", True),
        "currency": f("str", "ISO currency code"), "at": AT}),
    "actual": KindDoc("What an owner achieved on a metric in a past period (`history:`).", {
        "key": KEY, "owner": f("str", "department id or `company`"), "metric": f("str", "metric"),
        "value": f("float", "the actual, in the metric's unit"), "period": f("str", "the past period"),
        "plan": f("str", "plan id, when the actual is per participant on that plan's measure", True), "at": AT}),
    "target_history": KindDoc("A target against its owner's latest earlier actual on the same metric.", {
        "key": f("str", "target id"), "owner": f("str", "department id or `company`"), "metric": f("str", "metric"),
        "period": f("str", "the target's period", True), "good": f("int", "+1 more is better, -1 less is better"),
        "target": f("float", "the target"), "actual": f("float", "the earlier actual"),
        "actual_period": f("str", "the actual's period"),
        "change": f("float", "target / actual - 1"), "change_text": f("str", "the change, `+4.2%` or `-6.25%`"),
        "worse": f("bool", "the target is less ambitious than the actual (lower for a metric to raise, higher for one to lower)"),
        "target_text": f("str", "target, formatted"), "actual_text": f("str", "actual, formatted"),
        "objective": f("str", "the lead objective the metric serves (directly, or growth for a money metric)", True),
        "asks": f("str", "what that objective asks, `for +11% growth`", True), "at": AT}),
    "measure_history": KindDoc("A measure's threshold and target against what a participant achieved on it last period.", {
        "key": f("str", "`plan/metric`"), "plan": f("str", "plan id"), "dept": f("str", "department id"),
        "metric": f("str", "metric"), "dir": f("dir", "which way the measure pays"),
        "threshold": f("float", "the measure's threshold"), "target": f("float", "the measure's target", True),
        "actual": f("float", "last period's actual per participant"), "actual_period": f("str", "its period"),
       
        "threshold_text": f("str", "threshold, formatted"), "target_text": f("str", "target, formatted", True),
        "actual_text": f("str", "actual, formatted"),
        "no_improvement": f("bool", "the threshold asks no more than the actual (no less, for a measure to lower)"),
        "target_no_improvement": f("bool", "the target asks no more than the actual", True),
        "period_name": f("str", "the measure's period", True), "at": AT}),
    "plan_cap": KindDoc("A plan's cap (a multiple of the target incentive) against what its measures' curves pay "
                        "together at their excellence points.", {
        "key": f("str", "plan id"), "plan": f("str", "plan id"), "dept": f("str", "department id"),
        "cap": f("float", "the plan cap, a multiple of the target incentive (2.0 = 2x)"),
        "promised": f("float", "the measures' weighted payouts at excellence added up, a multiple of the target incentive"),
        "partial": f("bool", "some measure has no excellence point or curve: counted at its payout at target, so "
                     "`promised` is a lower bound"),
        "cap_text": f("str", "cap, `2x`"), "promised_text": f("str", "promised, `2.6x`"),
        "cut_text": f("str", "promised minus cap (0x when the cap is above), `0.6x`"),
        "cap_amount": f("str", "the cap in money per participant, formatted", True),
        "promised_amount": f("str", "promised in money per participant, formatted", True),
        "cut_amount": f("str", "the cut in money per participant, formatted", True), "at": AT}),
    "lumpy_payout": KindDoc("A measure paid per month, quarter or half on its own curve, on a plan with no true-up to "
                            "the year: a lumpy year (half the periods at 150% of target, half at 50%) against an even "
                            "one with the same total.", {
        "key": f("str", "`plan/metric`"), "plan": f("str", "plan id"), "dept": f("str", "department id"),
        "metric": f("str", "metric"), "weight": f("float", "the measure's weight"), "period": f("str", "month, quarter or half"),
        "high": f("float", "the strong periods' attainment (1.5)"), "low": f("float", "the weak periods' attainment (0.5)"),
        "high_text": f("str", "high, `150%`"), "low_text": f("str", "low, `50%`"),
        "even": f("float", "payout at 100% every period (share of the measure's target incentive)"),
        "lumpy": f("float", "the average payout of the lumpy year"), "even_text": f("str", "even, formatted"),
        "lumpy_text": f("str", "lumpy, formatted"), "excess": f("float", "lumpy minus even"),
        "excess_amount": f("str", "the excess in money a participant and year (target incentive x weight x excess)", True),
        "at": AT}),
    "quota_phasing": KindDoc("A target phased by quarter (`phasing:`), its last quarter's share against the last "
                             "quarter's share of its owner's latest complete year of quarterly history.", {
        "key": f("str", "target id"), "target": f("str", "target id"), "owner": f("str", "department id or `company`"),
        "metric": f("str", "metric"), "target_kind": f("str", "target or quota"), "period": f("str", "period", True),
        "last_share": f("float", "share of the target phased into the last quarter (0.25 is even)"),
        "last_share_text": f("str", "last_share, `40%`"), "first_half_text": f("str", "the first two quarters' share"),
        "last_amount": f("str", "the last quarter's part of the target, formatted"),
        "value_text": f("str", "the target, formatted"),
        "history_share": f("float", "last quarter's share of the latest complete year of quarterly actuals", True),
        "history_share_text": f("str", "history_share, formatted", True),
        "history_period": f("str", "that year, `FY2026`", True),
        "history_last": f("str", "that year's last-quarter actual, formatted", True),
        "history_total": f("str", "that year's four quarters added up, formatted", True), "at": AT}),
    "cascade_step": KindDoc("A child target against its parent on the same metric, for metrics that do not add up.", {
        "key": f("str", "the child target's id"), "owner": f("str", "the child's owner"),
        "parent": f("str", "the parent target's id"), "parent_owner": f("str", "the parent's owner"),
        "metric": f("str", "metric"), "period": f("str", "the child's period", True),
        "good": f("int", "+1 more is better, -1 less is better"),
        "child_value": f("float", "the child's target"), "parent_value": f("float", "the parent's target"),
        "child_text": f("str", "the child's target, formatted"), "parent_text": f("str", "the parent's, formatted"),
        "less_ambitious": f("bool", "the child asks for less than the parent (lower for a metric to raise, higher for one to lower)"),
        "at": AT}),
    "cascade_growth": KindDoc("A department's cascade on a money metric to raise (its own target, else its children's "
                              "added up) against last period's actuals (`history:`, its own, else its children's), "
                              "when the growth it implies is below the lead growth objective's.", {
        "key": f("str", "`dept/metric`"), "dept": f("str", "department id"), "metric": f("str", "metric"),
        "period": f("str", "the objective's period"), "actual_period": f("str", "the period of the actuals"),
        "objective": f("str", "the lead growth objective"), "planned": f("float", "the targets added up"),
        "base": f("float", "the actuals added up"), "needed": f("float", "base x (1 + the objective's growth)"),
        "implied_growth": f("float", "planned / base - 1"), "target_growth": f("float", "the growth the objective asks"),
        "implied_text": f("str", "implied_growth, signed: `+6.47%`"), "goal_text": f("str", "target_growth, signed"),
        "planned_text": f("str", "the targets and their sum, by department"),
        "base_text": f("str", "the actuals and their sum, by department"),
        "needed_text": f("str", "needed, formatted"), "gap_text": f("str", "needed minus planned, formatted"),
        "targets": f("str", "the targets' ids"), "target_count": f("int", "targets added up"),
        "own_target": f("bool", "the department has its own target (else its children's are added up)"),
        "reported": f("bool", "short of the objective for a reason of its own (its own target, or "
                      "its teams' when no team below it is short), and not left to V14 (its own target below "
                      "its own last actual)"), "at": AT}),
    "rollup_exclusion": KindDoc("A target that would roll up into an ancestor's target on the same metric but is left out: "
                                "its period differs from the parent's (in name, or in days: a department on its own plan year), or it has none.", {
        "key": f("str", "the child target's id"), "owner": f("str", "the child's owner"), "metric": f("str", "metric"),
        "period": f("str", "the child's period (absent: none given); with its days when both periods have one name "
                    "on different plan years, `FY2027, 2027-04-01 to 2028-03-31`", True),
        "parent": f("str", "the ancestor's target id"),
        "parent_owner": f("str", "the ancestor target's owner"), "parent_period": f("str", "its period, likewise", True),
        "plan_year": f("bool", "the two periods share a name but not their days (`plan_year_start`)"),
        "value_text": f("str", "the child's value, formatted"), "parent_text": f("str", "the parent's value, formatted"),
        "at": AT}),
    "trigger_window": KindDoc("A clawback triggered by churn, a downgrade, a cancellation or a refund, against when "
                              "that result shows, as the department assumes it (`contract_term_months`, "
                              "`cancellation_window_days`, `return_window_days`); the trigger that shows last.", {
        "key": f("str", "`plan/clawback`"), "plan": f("str", "plan id"), "dept": f("str", "the plan's department"),
        "days": f("int", "the clawback window, days after crediting"),
        "trigger": f("str", "churn, downgrade, cancellation or refund"),
        "shows_after": f("int", "days after crediting the result shows (a month is 365/12 days)"),
        "source_text": f("str", "what says so, `12-month contract term`"),
        "source_dept": f("str", "department whose assumption it is"), "assumption": f("str", "the assumption's name"),
        "at": AT}),
    "recovery_window": KindDoc("A clawback or holdback covering non-payment, against the payment terms the department "
                               "assumes (`payment_terms_days`): when non-payment can first show.", {
        "key": f("str", "`plan/clawback` or `plan/holdback`"), "plan": f("str", "plan id"),
        "dept": f("str", "department id"), "how": f("str", "clawback or holdback"),
        "days": f("int", "the window, days after crediting"), "trigger": f("str", "the result it protects: `non-payment`"),
        "shows_after": f("int", "days after crediting the trigger can first show (the payment terms)"),
        "terms_dept": f("str", "department whose payment-terms assumption it is"),
        "basis": f("str", "when the plan's measures credit (booking, signature, invoice)"), "at": AT}),
    "capacity_load": KindDoc("A department's delivery capacity (`capacity:`) against the demand on it: driver targets "
                             "x their rate, and dependencies on it for the same metric.", {
        "key": f("str", "capacity id"), "dept": f("str", "the delivering department"), "metric": f("str", "what it delivers"),
        "period": f("str", "the capacity's period", True), "capacity": f("float", "what it can deliver"),
        "capacity_text": f("str", "the capacity's working, `10 people x 1,400 = 14,000`"),
        "load": f("float", "the demand on it"), "load_text": f("str", "load, formatted"),
        "load_arithmetic": f("str", "each source of demand with its working"),
        "ratio": f("float", "load / capacity"), "sources": f("list", "departments whose targets or needs make the load, by id, sorted"),
        "source_names": f("str", "their names, `Sales and Marketing`", True),
        "squeeze_metric": f("str", "a metric the department is paid on that keeps it from adding capacity "
                            "(utilisation up, or a cost down)", True), "at": AT}),
    "time_budget": KindDoc("A utilisation target a plan pays on, against the working days per person per year left once "
                           "the non-billable days plans require of the department's people (`time_required:`) are "
                           "taken out.", {
        "key": f("str", "`plan/utilisation_pct`"), "plan": f("str", "the plan paying on utilisation"),
        "dept": f("str", "its department"), "target": f("float", "the utilisation target (0.85)"),
        "target_text": f("str", "target, formatted"),
        "working_days": f("float", "working days per person per year (`working_days`, default 220)"),
        "stated": f("bool", "the organization states its working days"),
        "needed_days": f("float", "target x working days: the billable days the target needs"),
        "needed_text": f("str", "needed_days, formatted"),
        "required_days": f("float", "non-billable days per person the plans require"),
        "required_text": f("str", "required_days, formatted"),
        "required_arithmetic": f("str", "each requirement: activity, days per person, plan"),
        "available_days": f("float", "working days minus required days"), "available_text": f("str", "formatted"),
        "available_ratio": f("float", "available_days / working_days: the highest utilisation reachable"),
        "available_ratio_text": f("str", "formatted, `81.8%`"),
        "requirers": f("list", "other departments whose plans require the days, by id, sorted"), "at": AT}),
    "handoff": KindDoc("A dependency stated at one funnel stage whose provider is measured at an earlier one: the "
                       "provider's target converted to the consumer's stage, against the need.", {
        "key": f("str", "dependency id"), "dependency": f("str", "dependency id"),
        "consumer": f("str", "department that needs"), "provider": f("str", "department that delivers"),
        "metric": f("str", "the stage the consumer needs (e.g. sql_count)"),
        "provider_metric": f("str", "the stage the provider targets (e.g. mql_count)"),
        "provider_value": f("float", "the provider's target on it"), "provider_text": f("str", "that target, formatted"),
        "source": f("str", "`target` or `measure`"), "provider_key": f("str", "that target's or measure's key"),
        "rates": f("str", "the conversion used and where it comes from"),
        "implied": f("float", "the provider's target at the consumer's stage"), "needed": f("float", "the need"),
        "implied_text": f("str", "implied, formatted"), "needed_text": f("str", "needed, formatted"),
        "ratio": f("float", "implied / needed"), "gap_text": f("str", "|needed - implied|, formatted"), "at": AT}),
    "band_target": KindDoc("A measure's band target (`band: {around: 30, within: 5}`), with the healthy band the "
                           "knowledge base gives its metric, and the figures others plan on for the metric: the "
                           "targets of its department's line (ancestors, teams below, the company), other plans' "
                           "measure targets there, dependencies on the department and every department's assumption "
                           "named after the metric; the figure farthest outside the band (the figure fields are absent "
                           "when the policy states none).", {
        "key": f("str", "`plan/metric`, the measure's key"), "plan": f("str", "plan id"), "dept": f("str", "department id"),
        "metric": f("str", "metric"), "weight": f("float", "the measure's weight"),
        "around": f("float", "the band's centre"), "within": f("float", "the tolerance either side"),
        "low": f("float", "around - within"), "high": f("float", "around + within"),
        "band_text": f("str", "the band, `within 5 days of 30 days (25 to 35 days)`"),
        "healthy_low": f("float", "lower end of the metric's healthy band (knowledge base `band:`)", True),
        "healthy_high": f("float", "upper end of the metric's healthy band", True),
        "healthy_text": f("str", "the healthy band, `70% to 85%`", True),
        "figure": f("float", "the figure farthest outside the band (farthest from its centre when all lie inside)", True),
        "figure_text": f("str", "figure, formatted", True),
        "source": f("str", "`target`, `measure` (another plan's target), `dependency` (what it needs) or `assumption`",
                    True),
        "source_key": f("str", "that target's, measure's, dependency's or assumption's key", True),
        "source_dept": f("str", "the department (or `company`) whose figure it is: the owner, the plan's department, "
                         "the dependency's consumer, the assumption's department", True),
        "source_at": f("str", "where the figure is defined, `file:line:col`", True),
        "said": f("str", "who says it, in words: `target fy27-dpo of Accounts payable asks`", True),
        "outside": f("float", "how far the figure lies outside the band (negative inside: minus its distance to the "
                     "nearer edge)", True),
        "outside_text": f("str", "|outside|, formatted", True),
        "side": f("str", "`above`, `below` or `inside`", True),
        "others": f("int", "other figures outside the band", True),
        "others_text": f("str", "those figures, `plan ap-team (60 days), the assumption of Projects (30 days)`", True),
        "at": AT}),
    # -- derived by rules ------------------------------------------------------------------
    "path": KindDoc("A signed causal path between two metrics, up to a bounded length.", {
        "src": f("str", "first metric"), "dst": f("str", "last metric"), "sign": f("dir", "product of edge signs"),
        "signs": f("str", "edge signs in order, e.g. `-++`"), "hops": f("int", "edges"),
        "strength": f("float", "product of edge confidences"), "via": f("str", "metrics in order, `a>b>c`"),
        "step": f("str", "the metric after the first: the first step of the mechanism, which a counterweight on it blocks"),
        "lag_days": f("int", "sum of the edges' typical lags")},
        derived_by="D01, D02"),
    "sway": KindDoc("Which way a plan's measure pushes an objective's metric, through any followed causal path.", {
        "plan": f("str", "plan id"), "dept": f("str", "department id"), "metric": f("str", "the measure's metric"),
        "weight": f("float", "the measure's weight"), "objective": f("str", "objective id"),
        "objective_metric": f("str", "the objective's metric the path reaches"),
        "lead": f("bool", "the objective is a lead objective"),
        "effect": f("dir", "+1 the measure moves the objective the way it wants, -1 the wrong way"),
        "hops": f("int", "0 when the measure is the objective's metric"), "strength": f("float", "path strength"),
        "via": f("str", "metrics in order"), "signs": f("str", "edge signs in order (empty when direct)")},
        derived_by="D10, D11"),
    "stake": KindDoc("A dependency's provider pays its metric, or a driver of it, in a plan of its own or of a "
                     "department within it; one fact per dependency and direction (the shortest path).", {
        "dependency": f("str", "dependency id"), "dept": f("str", "the provider, which has the stake"),
        "plan": f("str", "plan id"), "metric": f("str", "the measure's metric"),
        "dir": f("dir", "which way the plan pushes the dependency's metric"),
        "hops": f("int", "0 when the measure is the dependency's metric"), "strength": f("float", "path strength"),
        "via": f("str", "metrics in order")}, derived_by="D12, D13"),
    "within": KindDoc("A department sits within another (or is itself): the closure of the hierarchy.", {
        "dept": f("str", "department id"), "ancestor": f("str", "the department itself, its parent, and so on up"),
        "depth": f("int", "0 for itself, 1 for its parent, ...")}, derived_by="D14, D26"),
    "guard": KindDoc("A plan protects a metric: pays it in its good direction, or gates or modifies payout on it.", {
        "plan": f("str", "plan id"), "dept": f("str", "department id"), "metric": f("str", "metric"),
        "how": f("str", "measure, gate or modifier")}, derived_by="D15, D16, D17"),
    "paired": KindDoc("A plan paying a volume or activity metric also guards one of its quality companions.", {
        "plan": f("str", "plan id"), "metric": f("str", "the volume or activity metric"),
        "companion": f("str", "the quality companion guarded")}, derived_by="D18"),
    "reach": KindDoc("A function's own metrics move a metric within a few causal steps.", {
        "function": f("str", "function of the metric catalog"), "metric": f("str", "metric reached")},
        derived_by="D19"),
    "date_claim": KindDoc("A date someone plans on for an event: a milestone's forecast or a department's assumption.", {
        "event": f("str", "the milestone id, or the assumption's name when it names no milestone"),
        "ref": f("str", "`milestone/<id>` or the assumption's key"),
        "dept": f("str", "department whose date it is (the milestone's owner for a forecast)", True),
        "day": f("day", "the date"), "source": f("str", "forecast or assumption"),
        "declared": f("bool", "about a declared milestone"), "at": AT}, derived_by="D20, D21"),
    "curve_kink": KindDoc("A point where a payout curve bends or jumps: an accelerator or a threshold step.", {
        "plan": f("str", "plan id"), "metric": f("str", "metric id"), "i": f("int", "position of the point"),
        "attainment": f("float", "attainment at the point (1.0 = 100%)"), "payout": f("float", "payout at the point"),
        "before": f("float", "payout per unit of attainment just below the point (0 below a threshold)"),
        "after": f("float", "payout per unit of attainment just above the point", True),
        "jump": f("float", "payout that appears at once at the point (a threshold step), else 0"), "at": AT},
        derived_by="D22, D23"),
    "assumption_holders": KindDoc("The departments that plan on one value of an assumption (one fact per name, "
                                  "segment and value); the department first by id speaks for them.", {
        "name": f("str", "driver (usually a metric id)"), "segment": f("str", "segment, '' when none"),
        "value": f("float", "value"), "depts": f("list", "every department planning on it, sorted"),
        "dept": f("str", "the first department by id"), "key": f("str", "its assumption's key"), "at": AT},
        derived_by="D30"),
    "assumption_consensus": KindDoc("The value most departments plan on for an assumption in a segment (the "
                                    "lower on a tie), with its holders (one fact per name and segment).", {
        "name": f("str", "driver (usually a metric id)"), "segment": f("str", "segment, '' when none"),
        "value": f("float", "the consensus value"), "count": f("int", "how many departments plan on it"),
        "depts": f("list", "those departments, sorted"),
        "dept": f("str", "the first of them by id"), "key": f("str", "its assumption's key"), "at": AT},
        derived_by="D31"),
    "definition_holders": KindDoc("The departments that define a metric by one text (one fact per metric and "
                                  "text); the department first by id speaks for them.", {
        "metric": f("str", "metric"), "text_hash": f("str", "hash of the normalized definition text"),
        "depts": f("list", "every department using it, sorted"),
        "dept": f("str", "the first department by id"), "key": f("str", "its definition's key"), "at": AT},
        derived_by="D32"),
    "definition_consensus": KindDoc("The definition most departments use for a metric (on a tie, that of the "
                                    "department first by id), with its users (one fact per metric).", {
        "metric": f("str", "metric"), "text_hash": f("str", "hash of the consensus text"),
        "count": f("int", "how many departments use it"), "depts": f("list", "those departments, sorted"),
        "dept": f("str", "the first of them by id"), "key": f("str", "its definition's key"), "at": AT},
        derived_by="D33"),
    "assumption_segment_missing": KindDoc("The departments that state an assumption, but not for a segment other "
                                          "departments state it for (one fact per name and segment).", {
        "name": f("str", "driver (usually a metric id)"), "segment": f("str", "segment"),
        "depts": f("list", "every department stating the assumption with no figure for the segment, sorted"),
        "dept": f("str", "the first department by id")}, derived_by="D34"),
    "assumption_stater": KindDoc("A department states a value for an assumption, in some segment or none.", {
        "dept": f("str", "department id"), "name": f("str", "driver (usually a metric id)")}, derived_by="D40"),
    "assumption_segment_staters": KindDoc("The departments that state a value for an assumption in one segment "
                                          "(one fact per name and segment).", {
        "name": f("str", "driver (usually a metric id)"), "segment": f("str", "segment"),
        "depts": f("list", "every department stating it for the segment, sorted"),
        "dept": f("str", "the first department by id"), "key": f("str", "its assumption's key"), "at": AT},
        derived_by="D35"),
    "measured_below": KindDoc("A metric has an actual (`history:`) at some department below an owner (or below the "
                              "company).", {
        "owner": f("str", "department id or `company`"), "metric": f("str", "metric")}, derived_by="D36, D37"),
    "recorded_above": KindDoc("A department's ancestor (or the company) has an actual on a metric; for the company, "
                              "only for departments paid on the metric.", {
        "dept": f("str", "the department below"), "owner": f("str", "the recording department or `company`"),
        "metric": f("str", "metric"), "period": f("str", "the actual's period"),
        "key": f("str", "the actual's key"), "at": AT}, derived_by="D38, D39"),
    "payers": KindDoc("The departments paid to move a metric one way (one fact per metric and direction); "
                      "the department first by id speaks for them.", {
        "metric": f("str", "metric id"), "dir": f("dir", "+1 paid to raise it, -1 to lower it"),
        "depts": f("list", "every department paid so, sorted"),
        "dept": f("str", "the first department by id"), "key": f("str", "its measure's key (`plan/metric`)"),
        "plan": f("str", "its measure's plan"), "weight": f("float", "its measure's weight"), "at": AT},
        derived_by="D29"),
    "seller_plan": KindDoc("A plan whose participants sell: it lists a deal lever or pays a sales metric.", {
        "plan": f("str", "plan id"), "how": f("str", "lever or measure")}, derived_by="D24, D25"),
}


def vocabulary() -> dict[str, dict[str, str]]:
    """Every kind's fields (``kind`` included) with their value class, for the rule compiler."""
    return {name: {"kind": "text", **{field: doc.value_class for field, doc in kind.fields.items()}}
            for name, kind in KINDS.items()}


def undeclared_fields(fact: dict[str, object]) -> list[str]:
    """Fields of ``fact`` the registry does not declare (empty when it conforms)."""
    kind = KINDS.get(str(fact.get("kind")))
    if kind is None:
        return [f"kind {fact.get('kind')!r}"]
    return sorted(name for name in fact if name != "kind" and name not in kind.fields)
