"""Capacity: can the quota-carrying heads sell the quotas they carry?

A ``capacity`` fact per department with a rep-productivity assumption: heads x
ramp x productivity (or the organization's own ``sales_capacity`` formula)
against the sum of the quotas below it. Heads and ramp come from assumptions
where the department states them, else from the plans' participants and the
hires ramping up during the period.
"""
from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal

from interlock.knowledge.facts import Fact, fact
from interlock.knowledge.quant.common import ONE, ZERO, OrgIndex, number_text, ratio_text, to_float
from interlock.model.model import Assumption
from interlock.model.money import format_money, to_decimal

#: Assumption names capacity reads (metric ids of the built-in catalog).
HEADS, RAMP, PRODUCTIVITY, CAPACITY = "quota_carrying_heads", "ramp_factor", "rep_productivity", "sales_capacity"
#: Preferred quota metrics for capacity, in order.
QUOTA_METRICS = ("bookings", "new_business", "revenue")


def capacities(index: OrgIndex) -> Iterator[Fact]:
    """One ``capacity`` fact per department with its own unsegmented productivity assumption."""
    seen: set[str] = set()
    for a in sorted(index.org.assumptions, key=lambda a: a.department):
        if a.name != PRODUCTIVITY or a.segment is not None or a.value is None or a.department in seen:
            continue
        seen.add(a.department)
        found = department_capacity(index, a)
        if found is not None:
            yield found


def department_capacity(index: OrgIndex, productivity: Assumption) -> Fact | None:
    """What the department can sell against the leaf quotas on its main currency metric, over the longest period."""
    dept = productivity.department
    below = index.descendants(dept)
    candidates = [t for owner in sorted(below) for t in index.targets_of.get(owner, ())
                  if index.unit(t.metric) == "currency"]
    candidates.sort(key=lambda t: index.target_order[t.id])
    quotas = [t for t in candidates if t.kind == "quota"] or [t for t in candidates if t.owner == dept]
    if not quotas:
        return None
    metrics = sorted({t.metric for t in quotas}, key=lambda m: (QUOTA_METRICS.index(m) if m in QUOTA_METRICS
                                                                else len(QUOTA_METRICS), m))
    metric = metrics[0]
    on_metric = [t for t in candidates if t.metric == metric]
    spans = {t.period: index.period_days(t.period) for t in on_metric}
    period = max(spans, key=lambda p: ((spans[p][1] - spans[p][0]).days if spans[p] else 0, p or ""))
    chosen = [t for t in on_metric if t.period == period]
    parents = {t.parent for t in chosen}
    leaves = sorted((t for t in chosen if t.id not in parents), key=lambda t: t.id)
    quota_total = sum((to_decimal(t.value) for t in leaves), ZERO)
    if quota_total <= 0:
        return None

    paying = sorted((p for owner in below for p in index.plans_of.get(owner, ())
                     if any(m.metric == metric for m in p.measures)), key=lambda p: index.plan_order[p.id])
    sellers = sum(p.participants or 0 for p in paying)
    hiring_depts = {p.department for p in paying} | {dept}
    hires = sorted((h for owner in hiring_depts for h in index.hires_of.get(owner, ())),
                   key=lambda h: index.hire_order[id(h)])
    heads_assumed = index.assumption(dept, HEADS)
    heads = (to_decimal(heads_assumed.value) if heads_assumed and heads_assumed.value is not None
             else Decimal(sellers + sum(h.count for h in hires)))
    if heads <= 0:
        return None
    ramp_assumed = index.assumption(dept, RAMP)
    if ramp_assumed is not None and ramp_assumed.value is not None:
        ramp = to_decimal(ramp_assumed.value)
    else:
        span = spans.get(period)
        effective = Decimal(sellers)
        for h in hires:
            effective += Decimal(h.count) * productive_share(h.start, h.ramp_months, span)
        ramp = effective / heads if heads_assumed is None else ONE
    productive = to_decimal(productivity.value)
    env = {HEADS: heads, RAMP: ramp, PRODUCTIVITY: productive}
    inherited = sorted((a for owner in index.ancestry(dept) for a in index.value_assumptions.get(owner, ())),
                       key=lambda a: index.assumption_order[id(a)])
    for a in inherited:
        env.setdefault(a.name, to_decimal(a.value))
    capacity = index.formulas.evaluate(CAPACITY, env)
    if capacity is None:
        capacity = heads * ramp * productive
    currency = index.currency
    return fact(
        "capacity", f"{dept}/{metric}", productivity.at,
        dept=dept, metric=metric, period=period, quota_total=to_float(quota_total, 2), quotas=len(leaves),
        heads=to_float(heads, 4), ramp_factor=to_float(ramp, 4), productivity=to_float(productive, 2),
        capacity=to_float(capacity, 2), ratio=to_float(capacity / quota_total),
        gap=to_float(quota_total - capacity, 2),
        arithmetic=(f"{number_text(heads)} heads x {ratio_text(ramp)} ramp x "
                    f"{format_money(productive, currency)} = {format_money(capacity, currency)}"),
        quota_text=format_money(quota_total, currency), currency=currency,
    )


def productive_share(start: datetime.date, ramp_months: float,
                     span: tuple[datetime.date, datetime.date] | None) -> Decimal:
    """Share of the period a hire produces: fully after ramping, half while ramping, nothing before starting."""
    if span is None:
        return ONE
    first, last = span
    total = Decimal((last - first).days + 1)
    ramped = start + datetime.timedelta(days=round(ramp_months * 30))

    def days(a: datetime.date, b: datetime.date) -> int:
        """Days of [a, b) inside the period."""
        lo, hi = max(a, first), min(b, last + datetime.timedelta(days=1))
        return max((hi - lo).days, 0)

    ramping = days(start, ramped)
    full = days(ramped, last + datetime.timedelta(days=1))
    return (Decimal(full) + Decimal(ramping) / 2) / total
