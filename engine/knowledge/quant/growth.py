"""Growth (story 5): do the revenue targets deliver the growth objective on the base revenue?

A ``growth`` fact per revenue-growth objective: the company's revenue target
(else the top-level departments' together) against base x (1 + growth). A
``cascade_growth`` fact per department whose targets on a money metric to raise,
against last period's actuals (`history:`), imply less growth than the lead
growth objective asks (issue 18, concept 2).
"""
from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from interlock.knowledge.facts import Fact, fact
from interlock.knowledge.quant.common import ONE, ZERO, OrgIndex, to_float
from interlock.knowledge.quant.history import signed_percent
from interlock.model.model import Actual, Objective, Target
from interlock.model.money import format_money, to_decimal


def growth(index: OrgIndex) -> Iterator[Fact]:
    """The growth the revenue targets imply against the growth the objective (or the company's target) asks for."""
    org = index.org
    if org.base_revenue is None or to_decimal(org.base_revenue) <= 0:
        return
    base = to_decimal(org.base_revenue)
    for objective in org.objectives:
        if objective.metrics[0] != "revenue_growth_pct":
            continue
        wanted = objective.target
        period = objective.period or index.fiscal_period()
        if wanted is None:
            company = [t for t in org.targets if t.owner == "company" and t.metric == "revenue_growth_pct"
                       and t.period == period]
            if not company:
                continue
            wanted = company[0].value
        revenue = [t for t in org.targets if t.metric == "revenue" and t.period == period]
        company_revenue = sorted((t for t in revenue if t.owner == "company"), key=lambda t: t.id)
        if company_revenue:
            total, source, keys = to_decimal(company_revenue[0].value), "company", company_revenue[0].id
        else:
            top = sorted((t for t in revenue if t.owner in index.departments
                          and index.departments[t.owner].parent is None), key=lambda t: t.id)
            if not top:
                continue
            total = sum((to_decimal(t.value) for t in top), ZERO)
            source, keys = "departments", ", ".join(t.id for t in top)
        goal = to_decimal(wanted)
        needed = base * (ONE + goal)
        implied = total / base - ONE
        yield fact(
            "growth", objective.id, objective.at,
            objective=objective.id, period=period, base=to_float(base, 2), revenue=to_float(total, 2),
            source=source, targets=keys, target_growth=to_float(goal), implied_growth=to_float(implied),
            needed=to_float(needed, 2), gap=to_float(needed - total, 2),
            base_text=format_money(base, index.currency), revenue_text=format_money(total, index.currency),
            needed_text=format_money(needed, index.currency), currency=index.currency,
        )


@dataclass
class _Node:
    """One department's part of the cascade on one metric: what it targets and what it achieved."""

    planned: Decimal = ZERO
    base: Decimal = ZERO
    targets: list[Target] = field(default_factory=list)
    actuals: list[Actual] = field(default_factory=list)


def cascade_growths(index: OrgIndex) -> Iterator[Fact]:
    """Per department, the growth its cascade implies on a money metric to raise (its own target, else
    its children's added up, against its own last actual, else its children's) against the growth
    the lead growth objective asks for.

    A department is marked ``reported`` when it falls short and the shortfall is its own: its own
    target, or its teams' targets added up when no team below it is short (a parent short only
    because a team is short is that team's cause); a department whose own target is below its own
    last actual is left to V14 (target below last actual). One cause, one entry.
    """
    org = index.org
    leads = sorted((o for o in org.objectives if o.lead and o.metrics[0] == "revenue_growth_pct"
                    and o.direction > 0 and o.target is not None), key=lambda o: (o.priority or 99, o.id))
    if not leads or not org.history:
        return
    objective = leads[0]
    goal = to_decimal(objective.target)
    period = objective.period or index.fiscal_period()
    bounds = index.period_days(period) if period else None
    if bounds is None:
        return
    metrics = sorted({t.metric for t in org.targets if t.period == period and t.owner in index.departments})
    for metric in metrics:
        found = org.metric_by_id.get(metric)
        if found is None or found.unit != "currency" or found.good <= 0:
            continue
        yield from _cascade(index, objective, goal, period, bounds[0], metric)


def _cascade(index: OrgIndex, objective: Objective, goal: Decimal, period: str, start: datetime.date,
             metric: str) -> Iterator[Fact]:
    org = index.org
    own: dict[str, Target] = {}
    for t in sorted(org.targets, key=lambda t: t.id):
        if t.metric == metric and t.period == period and t.owner in index.departments:
            own.setdefault(t.owner, t)
    before = [a for a in org.history if a.plan is None and a.metric == metric and a.owner in index.departments
              and a.ends is not None and a.ends < start]
    if not own or not before:
        return
    last = max((a.ends, a.period) for a in before)[1]  # type: ignore[type-var]
    actual = {a.owner: a for a in sorted(before, key=lambda a: a.owner) if a.period == last}
    nodes: dict[str, _Node] = {}

    def visit(dept: str) -> _Node:
        node = _Node()
        kids = [visit(child) for child in sorted(index.children.get(dept, ()))]
        if dept in own:
            node.planned, node.targets = to_decimal(own[dept].value), [own[dept]]
        else:
            node.planned = sum((k.planned for k in kids), ZERO)
            node.targets = [t for k in kids for t in k.targets]
        if dept in actual:
            node.base, node.actuals = to_decimal(actual[dept].value), [actual[dept]]
        else:
            node.base = sum((k.base for k in kids), ZERO)
            node.actuals = [a for k in kids for a in k.actuals]
        nodes[dept] = node
        return node

    for top in sorted(d for d, dept in index.departments.items() if dept.parent is None or dept.parent not in index.departments):
        visit(top)
    short = {d for d, n in nodes.items() if n.targets and n.base > 0 and n.planned / n.base - ONE < goal}
    for dept in sorted(short):
        node = nodes[dept]
        below = index.descendants(dept) - {dept}
        v14 = dept in own and dept in actual and to_decimal(own[dept].value) < to_decimal(actual[dept].value)
        implied = node.planned / node.base - ONE
        needed = node.base * (ONE + goal)
        first = min(node.targets, key=lambda t: index.target_order[t.id])
        yield fact(
            "cascade_growth", f"{dept}/{metric}", own[dept].at if dept in own else first.at,
            dept=dept, metric=metric, period=period, actual_period=last, objective=objective.id,
            planned=to_float(node.planned, 2), base=to_float(node.base, 2), needed=to_float(needed, 2),
            implied_growth=to_float(implied), target_growth=to_float(goal),
            implied_text=signed_percent(implied), goal_text=signed_percent(goal),
            planned_text=_sum_text(index, metric, [(t.owner, to_decimal(t.value)) for t in node.targets]),
            base_text=_sum_text(index, metric, [(a.owner, to_decimal(a.value)) for a in node.actuals]),
            needed_text=index.show(metric, needed), gap_text=index.show(metric, needed - node.planned),
            targets=", ".join(sorted(t.id for t in node.targets)), target_count=len(node.targets),
            own_target=dept in own,
            # its own target is its own cause; a sum of its teams' targets is short because of theirs
            reported=not v14 and (dept in own or not (below & short)),
        )


def _sum_text(index: OrgIndex, metric: str, parts: list[tuple[str, Decimal]]) -> str:
    """'EUR 66.0M' for one figure; 'EUR 20.0M (Sales North) + EUR 12.0M (Sales South) = EUR 32.0M' for several."""
    if len(parts) == 1:
        return index.show(metric, parts[0][1])
    total = sum((value for _owner, value in parts), ZERO)
    named = sorted(parts, key=lambda p: p[0])
    return " + ".join(f"{index.show(metric, value)} ({index.departments[owner].name})" for owner, value in named) \
        + f" = {index.show(metric, total)}"
