"""Cascade direction: is each child target at least as ambitious as its parent on the same metric?

A ``cascade_step`` fact per child target whose parent target is on the same
metric, for metrics that do not add up across a team (a margin, a rate, days):
there the child's number is comparable with the parent's, and a child that asks
for less (lower for a metric to raise, higher for one to lower) waters the
objective down one level at a time. Additive metrics are added up instead
(rollups.py).
"""
from __future__ import annotations

from collections.abc import Iterator

from interlock.knowledge.facts import Fact, fact
from interlock.knowledge.quant.common import OrgIndex
from interlock.knowledge.quant.rollups import ADDITIVE_UNITS
from interlock.model.model import Target
from interlock.model.money import to_decimal


def cascade_steps(index: OrgIndex) -> Iterator[Fact]:
    for child in index.org.targets:
        parent = index.targets.get(child.parent) if child.parent else None
        if parent is None or parent.metric != child.metric or index.unit(child.metric) in ADDITIVE_UNITS:
            continue
        metric = index.org.metric_by_id.get(child.metric)
        if metric is None or metric.good == 0:
            continue
        yield fact(
            "cascade_step", child.id, child.at,
            owner=child.owner, parent=parent.id, parent_owner=parent.owner, metric=child.metric,
            period=child.period, good=metric.good, child_value=child.value, parent_value=parent.value,
            child_text=index.show(child.metric, to_decimal(child.value)),
            parent_text=index.show(child.metric, to_decimal(parent.value)),
            less_ambitious=bool((child.value - parent.value) * metric.good < 0),
        )


def rollup_exclusions(index: OrgIndex) -> Iterator[Fact]:
    """Targets left out of a roll-up because their period differs from (or is missing beside) the parent's.

    A target rolls up by default only into a target on the same metric and period;
    a child without a period, or on another clock, would otherwise fall out of the
    parent's sum without a word.
    """
    by_place: dict[tuple[str, str], list] = {}
    for t in index.org.targets:
        by_place.setdefault((t.owner, t.metric), []).append(t)
    for child in index.org.targets:
        if child.parent is not None or child.owner == "company" or index.unit(child.metric) not in ADDITIVE_UNITS:
            continue
        for owner in [*index.ancestry(child.owner)[1:], "company"]:
            others = sorted((t for t in by_place.get((owner, child.metric), ()) if _clock(t) != _clock(child)),
                            key=lambda t: t.id)
            if others:
                parent = others[0]
                same_name = child.period is not None and child.period == parent.period
                yield fact(
                    "rollup_exclusion", child.id, child.at,
                    owner=child.owner, metric=child.metric, period=_span(child) if same_name else child.period,
                    parent=parent.id, parent_owner=parent.owner,
                    parent_period=_span(parent) if same_name else parent.period, plan_year=same_name,
                    value_text=index.show(child.metric, to_decimal(child.value)),
                    parent_text=index.show(child.metric, to_decimal(parent.value)),
                )
                break


def _clock(t: Target) -> tuple[object, ...]:
    """What makes two targets' periods comparable: the same name, on the same days (a department on its
    own plan year counts FY2027 from another day than the company)."""
    return (t.period, t.starts, t.ends)


def _span(t: Target) -> str | None:
    """'FY2027, 2027-04-01 to 2028-03-31': a period with its days, for two plan years that share a name."""
    if t.period is None or t.starts is None or t.ends is None:
        return t.period
    return f"{t.period}, {t.starts.isoformat()} to {t.ends.isoformat()}"
