"""Delivery capacity: what a department can deliver against the demand other departments' plans put on it.

A ``capacity_load`` fact per declared capacity: its size (stated, or people x
throughput per person), the demand on it (each driver target's value x its
``per``, and every dependency on the department for the capacity's metric),
and whether the department is paid in a way that keeps it from staffing up
(utilisation up, or a cost down).

A ``time_budget`` fact per utilisation target a plan pays on: the billable days
it needs (target x working days per person per year) against the days left once
the non-billable days other plans require of the department's people
(`time_required:` training, certification, onboarding) are taken out.
"""
from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from interlock.knowledge.facts import Fact, fact
from interlock.knowledge.quant.common import ZERO, OrgIndex, number_text, percent_text, to_float
from interlock.model.model import Capacity
from interlock.model.money import to_decimal

SQUEEZE_UP = ("utilisation_pct",)


def capacity_loads(index: OrgIndex) -> Iterator[Fact]:
    for cap in index.org.capacities:
        total = cap.total
        if total is None or total <= 0:
            continue
        size = to_decimal(total)
        if cap.amount is not None:
            size_text = f"{_show(index, cap.metric, size)} (stated)"
        else:
            size_text = (f"{number_text(to_decimal(cap.people))} people x "
                         f"{_show(index, cap.metric, to_decimal(cap.per_person))} = {_show(index, cap.metric, size)}")
        parts, load, sources = [], ZERO, set()
        for d in cap.drivers:
            target = index.targets.get(d.target)
            if target is None:
                continue
            demand = to_decimal(target.value) * to_decimal(d.per)
            load += demand
            if target.owner != "company":
                sources.add(target.owner)
            per = "" if d.per == 1 else f" x {number_text(to_decimal(d.per)) if d.per >= 0.01 else format(Decimal(str(d.per)), 'f')}"
            parts.append(f"{d.target} {index.show(target.metric, to_decimal(target.value))}{per}"
                         f" = {_show(index, cap.metric, demand)}")
        for dep in index.org.dependencies:
            if dep.provider == cap.department and dep.metric == cap.metric and dep.amount is not None:
                demand = to_decimal(dep.amount)
                load += demand
                sources.add(dep.consumer)
                parts.append(f"dependency {dep.id} {_show(index, cap.metric, demand)}")
        if not parts:
            continue
        squeeze = _squeeze(index, cap)
        sources.discard(cap.department)
        yield fact(
            "capacity_load", cap.id, cap.at,
            dept=cap.department, metric=cap.metric, period=cap.period or index.fiscal_period(),
            capacity=to_float(size, 2), capacity_text=size_text, load=to_float(load, 2),
            load_text=_show(index, cap.metric, load), load_arithmetic="; ".join(parts),
            ratio=to_float(load / size), sources=sorted(sources), source_names=_names(index, sorted(sources)),
            squeeze_metric=squeeze,
        )


def _squeeze(index: OrgIndex, cap: Capacity) -> str | None:
    """A metric the department is paid on that keeps it from adding capacity: utilisation up, or a cost down."""
    for plan in index.plans_of.get(cap.department, ()):
        for m in plan.measures:
            metric = index.org.metric_by_id.get(m.metric)
            if (m.metric in SQUEEZE_UP and m.direction > 0) or (metric and metric.kind == "cost" and m.direction < 0):
                return m.metric
    return None


def _names(index: OrgIndex, depts: list[str]) -> str | None:
    names = [index.departments[d].name if d in index.departments else d for d in depts]
    if not names:
        return None
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _show(index: OrgIndex, metric: str, value: Decimal) -> str:
    """A value in its metric's unit, with the unit named when it is hours or days: '14,000 hours'."""
    unit = index.unit(metric)
    return index.show(metric, value) + (f" {unit}" if unit in ("hours", "days") else "")


#: Working days per person per year when the organization states none (``working_days``).
WORKING_DAYS = 220
UTILISATION = "utilisation_pct"


def time_budgets(index: OrgIndex) -> Iterator[Fact]:
    required = [(plan, r) for plan in index.org.plans for r in plan.time_required]
    if not required:
        return
    working = Decimal(index.org.working_days or WORKING_DAYS)
    for plan in index.org.plans:
        for m in plan.measures:
            if m.metric != UTILISATION or m.target is None or m.direction < 0 or m.target <= 0:
                continue
            ancestry = set(index.ancestry(plan.department))
            parts, total, depts = [], ZERO, set()
            for source, r in required:
                if r.department not in ancestry:
                    continue
                days = _per_person(index, r)
                if days is None or days <= 0:
                    continue
                total += days
                depts.add(index.departments[source.department].id if source.department in index.departments
                          else source.department)
                parts.append(f"{r.activity} {number_text(days.quantize(Decimal('0.1')))} days, plan {source.id}")
            if not parts:
                continue
            target = to_decimal(m.target)
            needed = target * working
            available = working - total
            yield fact(
                "time_budget", f"{plan.id}/{m.metric}", m.at,
                plan=plan.id, dept=plan.department, target=to_float(target), target_text=percent_text(target),
                working_days=to_float(working, 2), stated=index.org.working_days is not None,
                needed_days=to_float(needed, 2), needed_text=number_text(needed.quantize(Decimal("0.1"))),
                required_days=to_float(total, 2), required_text=number_text(total.quantize(Decimal("0.1"))),
                required_arithmetic="; ".join(parts),
                available_days=to_float(available, 2), available_text=number_text(available.quantize(Decimal("0.1"))),
                available_ratio=to_float(available / working), available_ratio_text=percent_text(
                    (available / working).quantize(Decimal("0.001"))),
                requirers=sorted(depts - {plan.department}),
            )


def _per_person(index: OrgIndex, r) -> Decimal | None:  # type: ignore[no-untyped-def]
    """A requirement in days per person per year: as stated, or per hire x the hires over the headcount."""
    days = to_decimal(r.days)
    if r.per != "hire":
        return days
    dept = index.departments.get(r.department)
    if dept is None or not dept.headcount:
        return None
    hires = sum(h.count for d in index.descendants(r.department) for h in index.hires_of.get(d, ()))
    return days * hires / Decimal(dept.headcount)
