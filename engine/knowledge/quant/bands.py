"""Band targets: a measure paid for staying within a tolerance of a reference, against the figures others plan on.

A ``band_target`` fact per measure with a band (``band: {around: 30, within: 5}``).
It carries the healthy band the knowledge base gives the metric (utilisation 70%
to 85%), if any. When the policy states other figures on the same metric (the
targets of the plan's department, its ancestors, the teams below it and the
company; the measure targets of the other plans in that line; what the
dependencies on the department need; every department's assumption named after
the metric, e.g. suppliers paid at 30 days), it carries the figure farthest
outside the band (farthest from its centre when all lie inside), how far
outside it lies, and how many others lie outside too: the rules judge the
distances.
"""
from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from interlock.knowledge.facts import Fact, fact
from interlock.knowledge.quant.common import OrgIndex, to_float
from interlock.model.model import Measure, Plan
from interlock.model.money import to_decimal
from interlock.read.values import COMPANY

#: (value, source, key, owner, where, what it is in words)
Figure = tuple[Decimal, str, str, str, str, str]


def band_targets(index: OrgIndex) -> Iterator[Fact]:
    for plan in sorted(index.org.plans, key=lambda p: p.id):
        for m in plan.measures:
            if m.band is None or m.band_range is None:
                continue
            yield _fact(index, plan, m, _figures(index, plan, m))


def _figures(index: OrgIndex, plan: Plan, m: Measure) -> list[Figure]:
    line = set(index.ancestry(plan.department)) | index.descendants(plan.department) | {COMPANY}
    found: list[Figure] = []
    for t in sorted(index.org.targets, key=lambda t: index.target_order[t.id]):
        if t.metric == m.metric and t.owner in line:
            found.append((to_decimal(t.value), "target", t.id, t.owner, str(t.at), f"target {t.id}"))
    for other in sorted(index.org.plans, key=lambda p: index.plan_order[p.id]):
        if other.id == plan.id or other.department not in line:
            continue
        for om in other.measures:
            if om.metric == m.metric and om.band is None and om.target is not None:
                found.append((to_decimal(om.target), "measure", f"{other.id}/{om.metric}", other.department,
                              str(om.at), f"plan {other.id}"))
    for dep in index.org.dependencies:
        if dep.metric == m.metric and dep.amount is not None and dep.provider in line:
            found.append((to_decimal(dep.amount), "dependency", dep.id, dep.consumer, str(dep.at),
                          f"dependency {dep.id}"))
    for a in sorted(index.org.assumptions, key=lambda a: index.assumption_order[id(a)]):
        if a.name == m.metric and a.value is not None and a.segment is None:
            found.append((to_decimal(a.value), "assumption", f"{a.department}/{a.name}", a.department, str(a.at),
                          "the assumption"))
    return found


def _show(index: OrgIndex, metric: str, value: Decimal) -> str:
    """A value in its metric's unit, days and hours named: `30 days`."""
    unit = index.unit(metric)
    return f"{index.show(metric, value)} {unit}" if unit in ("days", "hours") else index.show(metric, value)


def _said(index: OrgIndex, figure: Figure) -> str:
    """Whose figure it is, in a list: `target fy27-dpo`, `the assumption of Projects`."""
    _value, source, _key, owner, _at, what = figure
    if source == "assumption":
        return f"the assumption of {index.departments[owner].name if owner in index.departments else owner}"
    return what


def _outside(value: Decimal, low: Decimal, high: Decimal) -> Decimal:
    """How far ``value`` lies outside [low, high] (negative inside: minus its distance to the nearer edge)."""
    if value < low:
        return low - value
    if value > high:
        return value - high
    return -min(value - low, high - value)


def _fact(index: OrgIndex, plan: Plan, m: Measure, figures: list[Figure]) -> Fact:
    assert m.band is not None
    around, within = to_decimal(m.band[0]), to_decimal(m.band[1])
    low, high = around - within, around + within
    fields: dict[str, object] = {}
    if figures:
        ranked = sorted(figures, key=lambda f: -_outside(f[0], low, high))  # stable: file order among equals
        value, source, key, owner, at, what = ranked[0]
        outside = _outside(value, low, high)
        others = [f for f in ranked[1:] if _outside(f[0], low, high) > 0]
        owner_name = index.departments[owner].name if owner in index.departments else "the company"
        fields.update(
            figure=to_float(value), figure_text=_show(index, m.metric, value), source=source, source_key=key,
            source_dept=owner, source_at=at,
            said={"target": f"{what} of {owner_name} asks", "measure": f"{what} ({owner_name}) targets",
                  "dependency": f"{what} of {owner_name} needs", "assumption": f"{owner_name} plans on"}[source],
            outside=to_float(outside), outside_text=_show(index, m.metric, abs(outside)),
            side="above" if value > high else "below" if value < low else "inside",
            others=len(others),
            others_text=", ".join(f"{_said(index, f)} ({_show(index, m.metric, f[0])})" for f in others),
        )
    metric = index.org.metric_by_id.get(m.metric)
    healthy = metric.band if metric is not None else None
    if healthy is not None:
        healthy_low, healthy_high = to_decimal(healthy[0]), to_decimal(healthy[1])
        fields.update(healthy_low=to_float(healthy_low), healthy_high=to_float(healthy_high),
                      healthy_text=f"{index.show(m.metric, healthy_low)} to {_show(index, m.metric, healthy_high)}")
    return fact(
        "band_target", f"{plan.id}/{m.metric}", m.at,
        plan=plan.id, dept=plan.department, metric=m.metric, weight=m.weight,
        around=to_float(around), within=to_float(within), low=to_float(low), high=to_float(high),
        band_text=f"within {_show(index, m.metric, within)} of {_show(index, m.metric, around)} "
                  f"({index.show(m.metric, low)} to {_show(index, m.metric, high)})",
        **fields,  # type: ignore[arg-type]
    )
