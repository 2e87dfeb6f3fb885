"""Growth (story 5): do the revenue targets deliver the growth objective on the base revenue?

A ``growth`` fact per revenue-growth objective: the company's revenue target
(else the top-level departments' together) against base x (1 + growth).
"""
from __future__ import annotations

from collections.abc import Iterator

from interlock.knowledge.facts import Fact, fact
from interlock.knowledge.quant.common import ONE, ZERO, OrgIndex, to_float
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
