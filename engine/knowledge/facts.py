"""Flatten the Organization into the facts the rules engine joins on.

Facts are flat JSON objects: ``kind`` plus a ``key`` unique within the kind,
scalar fields only, and no None (an absent field is left out, so rules can test
for it). ``at`` is ``file:line:col`` of the definition, for findings to point
at. The names of kinds and fields are the rules' vocabulary, declared in
factkinds.py: rename nothing, and declare a field there before adding it here.
Dates are whole days since 1970-01-01; directions are +1 (up) and -1 (down).
The field ``id`` (and durable-rules' ``sid``, ``s``, ``items``) is never used:
the engine reserves them (durable-rules-notes.md). Because ``kind`` names the
fact's kind, a metric's, department's and target's own kind are
``metric_kind``, ``dept_kind`` and ``target_kind``.
"""
from __future__ import annotations

import datetime
import hashlib
import math
import re
from collections.abc import Iterator
from decimal import Decimal

from interlock.model.model import Department, Location, Measure, Organization, Plan
from interlock.model.money import DEFAULT_CURRENCY

FactValue = str | int | float | bool
Fact = dict[str, FactValue]

#: ``kind``/``key`` identify a fact; durable-rules keeps ``id``, ``sid``, ``s`` and ``items`` for itself.
RESERVED = frozenset({"kind", "key", "at", "id", "sid", "s", "items"})
_EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()
#: A month of ramp-up, in days (the same 30 the knowledge base uses for a lag of 1m).
DAYS_PER_MONTH = 30
#: The length of a measure's period in days, on the knowledge base's lag scale (a quarter is 90 days),
#: so rules can compare a measure's clock with a causal lag.
PERIOD_TEXT = re.compile(r"(FY)?[0-9]{4}(-(Q[1-4]|H[12]|0[1-9]|1[0-2]))?")
PERIOD_DAYS = {"month": 30, "quarter": 90, "half": 180, "year": 365, "multi-year": 730}


def organization_facts(org: Organization) -> list[Fact]:
    """Every fact about ``org``, sorted by kind and key (the order never depends on the input files)."""
    facts = [
        *_organization(org),
        *_objectives(org),
        *_departments(org),
        *_plans(org),
        *_catalog(org),
        *_targets(org),
        *_assumptions(org),
        *_dependencies(org),
        *_milestones(org),
        *_resources(org),
        *_contingencies(org),
        *_definitions(org),
        *_reach(org),
        *_history(org),
    ]
    return sorted(facts, key=lambda f: (str(f["kind"]), str(f["key"])))


def day(value: datetime.date) -> int:
    """Days since 1970-01-01: dates as integers rules can subtract."""
    return value.toordinal() - _EPOCH_ORDINAL


def fact(kind: str, key: str, at: Location | None = None, /, **fields: FactValue | Decimal | datetime.date | None) -> Fact:
    """One fact; None fields are left out, money becomes float. (Positional-only: facts have a field `kind` too.)"""
    result: Fact = {"kind": kind, "key": key}
    for name, value in fields.items():
        if name in RESERVED:
            raise ValueError(f"{kind}.{name}: reserved field name")
        if value is None:
            continue
        if isinstance(value, Decimal):
            value = float(value)
        if isinstance(value, datetime.date):
            raise TypeError(f"{kind}.{name}: convert dates with day()")
        result[name] = value
    if at is not None:
        result["at"] = str(at)
    return result


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "organization"


def _opt_day(value: datetime.date | None) -> int | None:
    return day(value) if value is not None else None


def _organization(org: Organization) -> Iterator[Fact]:
    if org.name is None:
        return
    yield fact(
        "organization", slug(org.name), org.at,
        currency=org.currency, fiscal_year=org.fiscal_year,
        fy_start_day=_opt_day(org.fiscal_year_start), fy_end_day=_opt_day(org.fiscal_year_end),
        objective_count=len(org.objectives), lead_objective_count=sum(1 for o in org.objectives if o.lead),
        incentive_budget=org.incentive_budget,
    )


def _objectives(org: Organization) -> Iterator[Fact]:
    for o in org.objectives:
        yield fact(
            "objective", o.id, o.at,
            name=o.name, metric=o.metrics[0], dir=o.direction, lead=o.lead,
            priority=o.priority, target=o.target, collaborative=o.collaborative or None,
        )
        for i, metric in enumerate(o.metrics):
            # The direction is the primary metric's; the others move in their own good direction.
            good = org.metric_by_id[metric].good if metric in org.metric_by_id else 0
            direction = o.direction if i == 0 or good == 0 else good
            yield fact(
                "objective_metric", f"{o.id}/{metric}", o.at, objective=o.id, metric=metric, dir=direction, lead=o.lead
            )


def _departments(org: Organization) -> Iterator[Fact]:
    functions = _department_functions(org)
    for d in org.departments:
        yield fact(
            "department", d.id, d.at,
            name=d.name, parent=d.parent, dept_kind=d.kind, headcount=d.headcount, function=functions.get(d.id),
        )


def _department_functions(org: Organization) -> dict[str, str]:
    """The function (sales, accounts-payable, ...) each department declares, or inherits from the
    nearest ancestor that declares one. Never guessed from a name ("Sales development (SDR)" is not
    sales unless it says so): the rest have no function, and rules that need one say nothing about them.
    """
    result: dict[str, str] = {}
    for d in org.departments:
        current: Department | None = d
        seen: set[str] = set()
        while current is not None and current.id not in seen:
            seen.add(current.id)
            if current.function:
                result[d.id] = current.function
                break
            current = org.department_by_id.get(current.parent) if current.parent else None
    return result


def _plans(org: Organization) -> Iterator[Fact]:
    for plan in org.plans:
        yield fact(
            "plan", plan.id, plan.at,
            dept=plan.department, role=plan.role,
            measure_count=len(plan.measures),
            weight_total=round(math.fsum(m.weight for m in plan.measures), 9),
            participants=plan.participants, target_incentive=plan.target_incentive,
            variable_share=plan.pay_mix,
            has_gate=bool(plan.gates), has_clawback=plan.clawback is not None, has_holdback=plan.holdback is not None,
            from_day=_opt_day(plan.effective_from), to_day=_opt_day(plan.effective_to),
            clawback_days=plan.clawback.days if plan.clawback else None,
            holdback_days=plan.holdback.days if plan.holdback else None, cap=plan.cap,
        )
        for measure in plan.measures:
            yield _measure(org, plan, measure)
            for i, point in enumerate(measure.curve):
                yield fact(
                    "curve_point", f"{plan.id}/{measure.metric}/{i}", point.at,
                    plan=plan.id, metric=measure.metric, i=i, attainment=point.attainment, payout=point.payout,
                )
            if measure.reported_by:
                yield fact("reporting", f"{plan.id}/{measure.metric}", measure.at, plan=plan.id, dept=plan.department,
                           metric=measure.metric, reported_by=measure.reported_by)
        for lever in plan.levers:
            yield fact("lever", f"{plan.id}/{lever.name}", lever.at, plan=plan.id, dept=plan.department, lever=lever.name,
                       limit=lever.limit, currency=(org.currency or DEFAULT_CURRENCY) if lever.limit else None)
        for gate in plan.gates:
            yield fact(
                "gate", f"{plan.id}/{gate.metric}", gate.at,
                plan=plan.id, dept=plan.department, metric=gate.metric, minimum=gate.minimum,
            )
        for mod in plan.modifiers:
            yield fact(
                "modifier", f"{plan.id}/{mod.metric}", mod.at,
                plan=plan.id, dept=plan.department, metric=mod.metric,
                bounded=mod.range is not None, has_criteria=bool(mod.criteria and mod.criteria.strip()),
            )


def _measure(org: Organization, plan: Plan, m: Measure) -> Fact:
    metric = org.metric_by_id.get(m.metric)
    return fact(
        "measure", f"{plan.id}/{m.metric}", m.at,
        plan=plan.id, dept=plan.department, metric=m.metric, weight=m.weight, dir=m.direction,
        metric_kind=metric.kind if metric and metric.kind else None,
        period=m.period, period_days=PERIOD_DAYS.get(m.period) if m.period else None, basis=m.basis, team=m.team,
        threshold=m.threshold, target=m.target, excellence=m.excellence,
        capped=m.capped or plan.cap is not None, contingent_on=m.contingent_on, reported_by=m.reported_by,
        unit=metric.unit if metric and metric.unit else None, true_up=plan.true_up,
    )


def _catalog(org: Organization) -> Iterator[Fact]:
    for m in org.metrics:
        yield fact(
            "metric", m.id, m.at,
            metric_kind=m.kind or None, good=m.good, function=m.function or None, unit=m.unit or None,
            band_low=m.band[0] if m.band else None, band_high=m.band[1] if m.band else None,
        )
        for companion in m.companions:
            yield fact("quality_pair", f"{m.id}/{companion}", None, metric=m.id, companion=companion)
    for e in org.influences:
        yield fact(
            "influence", f"{e.src}>{e.dst}", e.at,
            src=e.src, dst=e.dst, sign=e.sign, conf=e.conf, lag_days=e.lag_days, basis=e.basis,
        )
    for n in org.non_conflicts:
        a, b = sorted((n.a, n.b))
        yield fact("non_conflict", f"{a}|{b}", None, a=a, b=b)


def _reach(org: Organization) -> Iterator[Fact]:
    """For each metric a plan pays: its known edges, and how many objectives it reaches through the
    influence edges at ANY depth and confidence (a full search, no hop limit), with the fewest hops.

    "Serves no objective" (V01) is said only when this finds none; a metric with no known edges at
    all is "unknown" (V11), not "serves none": Interlock does not know, which is not the same.
    """
    out: dict[str, set[str]] = {}
    into: dict[str, int] = {}
    for e in org.influences:
        out.setdefault(e.src, set()).add(e.dst)
        into[e.dst] = into.get(e.dst, 0) + 1
    goals: dict[str, set[str]] = {}
    for o in org.objectives:
        for metric in o.metrics:
            goals.setdefault(metric, set()).add(o.id)
    for metric in sorted({m.metric for p in org.plans for m in p.measures}):
        hops: dict[str, int] = {metric: 0}
        frontier = [metric]
        while frontier:
            following = []
            for node in frontier:
                for nxt in sorted(out.get(node, ())):
                    if nxt not in hops:
                        hops[nxt] = hops[node] + 1
                        following.append(nxt)
            frontier = following
        served = {o for node in hops for o in goals.get(node, ())}
        nearest = min((hops[node] for node in hops if node in goals), default=None)
        yield fact(
            "metric_reach", metric, None,
            metric=metric, edges_out=len(out.get(metric, ())), edges_in=into.get(metric, 0),
            objectives=len(served), hops=nearest,
        )


def _targets(org: Organization) -> Iterator[Fact]:
    for t in org.targets:
        yield fact(
            "target", t.id, t.at,
            owner=t.owner, metric=t.metric, value=t.value, target_kind=t.kind, period=t.period, parent=t.parent,
            relative_to=t.relative_to, change=t.change, base=t.base,
        )
    for u in org.unresolved_targets:
        yield fact(
            "unresolved_target", u.id, u.at,
            owner=u.owner, metric=u.metric, relative_to=u.relative_to, change=u.change, period=u.period,
            to_period=bool(PERIOD_TEXT.fullmatch(u.relative_to)),
        )


def _assumptions(org: Organization) -> Iterator[Fact]:
    for a in org.assumptions:
        key = "/".join(part for part in (a.department, a.name, a.segment) if part)
        yield fact(
            "assumption", key, a.at,
            dept=a.department, name=a.name, value=a.value, day=_opt_day(a.date),
            segment=a.segment, milestone=a.milestone,
        )


def _dependencies(org: Organization) -> Iterator[Fact]:
    for d in org.dependencies:
        yield fact(
            "dependency", d.id, d.at,
            consumer=d.consumer, provider=d.provider, metric=d.metric,
            critical=d.critical, due_day=_opt_day(d.due), milestone=d.milestone,
        )


def _milestones(org: Organization) -> Iterator[Fact]:
    for m in org.milestones:
        yield fact(
            "milestone", m.id, m.at,
            owner=m.owner, planned_day=day(m.planned), forecast_day=day(m.forecast),
            slip_days=(m.forecast - m.planned).days, confidence=m.confidence,
        )


def _resources(org: Organization) -> Iterator[Fact]:
    for h in org.hires:
        yield fact(
            "hire", h.id, h.at,
            dept=h.department, role=h.role, count=h.count, start_day=day(h.start),
            ramp_days=round(h.ramp_months * DAYS_PER_MONTH),
        )
    for s in org.spend:
        yield fact(
            "spend", s.id, s.at,
            dept=s.department, amount=s.amount, from_day=_opt_day(s.start), to_day=_opt_day(s.end),
        )


def _contingencies(org: Organization) -> Iterator[Fact]:
    """What depends on which milestone, with the days it starts, must be ready and ends."""

    def contingency(
        item: str, ref: str, dept: str, milestone: str, at: Location,
        start: datetime.date | None, ready: datetime.date | None = None, end: datetime.date | None = None,
    ) -> Fact:
        ready = ready or start
        return fact(
            "contingency", f"{item}/{ref}", at,
            dept=dept, item=item, ref=ref, milestone=milestone,
            start_day=_opt_day(start), ready_day=_opt_day(ready), end_day=_opt_day(end),
        )

    for plan in org.plans:
        for m in plan.measures:
            if m.contingent_on:
                ref = f"{plan.id}/{m.metric}"
                yield contingency(
                    "measure", ref, plan.department, m.contingent_on, m.at, plan.effective_from, end=plan.effective_to
                )
    for t in org.targets:
        if t.contingent_on:
            yield contingency("target", t.id, t.owner, t.contingent_on, t.at, t.starts, end=t.ends)
    for h in org.hires:
        if h.contingent_on:
            ready = h.start + datetime.timedelta(days=round(h.ramp_months * DAYS_PER_MONTH))
            yield contingency("hire", h.id, h.department, h.contingent_on, h.at, h.start, ready)
    for s in org.spend:
        if s.contingent_on:
            yield contingency("spend", s.id, s.department, s.contingent_on, s.at, s.start, end=s.end)
    for d in org.dependencies:
        if d.milestone:
            yield contingency("dependency", d.id, d.consumer, d.milestone, d.at, d.due)


def _definitions(org: Organization) -> Iterator[Fact]:
    for d in org.definitions:
        digest = hashlib.sha1(d.normalized_text.encode("utf-8")).hexdigest()[:12]
        yield fact("definition", f"{d.metric}/{d.department}", d.at, metric=d.metric, dept=d.department, text_hash=digest)


def _history(org: Organization) -> Iterator[Fact]:
    for a in org.history:
        key = "/".join(part for part in (a.owner, a.metric, a.period, a.plan) if part)
        yield fact("actual", key, a.at, owner=a.owner, metric=a.metric, value=a.value, period=a.period, plan=a.plan)
