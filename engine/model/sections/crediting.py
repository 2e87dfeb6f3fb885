"""Crediting: which plans are credited for which deals on a metric, and at what share."""
from __future__ import annotations

from collections.abc import Sequence

from interlock.model.builder import Builder
from interlock.model.model import Credit, CreditRule, Plan
from interlock.read.values import parse_percent, quote


def crediting(b: Builder, plans: Sequence[Plan]) -> tuple[CreditRule, ...]:
    """Each crediting rule with its credited plans; a plan credited twice, or one that does not pay the metric, is a problem."""
    by_id = {p.id: p for p in plans}
    result = []
    for ident, node in b.identified("crediting rule", "crediting"):
        metric = b.metric(node, "metric")
        credits: list[Credit] = []
        seen: dict[str, str] = {}
        for i, item in enumerate(node.children("credits")):
            plan_id = b.reference(item, "plan", by_id, "plan")
            if plan_id is None:
                continue
            if plan_id in seen:
                b.report(item, f"plan {quote(plan_id)} is credited twice in {quote(ident)} (first at {seen[plan_id]})", "plan")
                continue
            seen[plan_id] = str(item.at)
            plan = by_id[plan_id]
            if metric and not any(m.metric == metric for m in plan.measures):
                b.report(item, f"plan {quote(plan_id)} has no measure on {quote(metric)}: crediting it pays nothing "
                               f"(add the measure, or credit the plan that pays it)", "plan")
                continue
            share = parse_percent(item.data.get("share", 1.0))
            rate = parse_percent(item.data.get("rate")) if "rate" in item.data else None
            if share is None:
                continue
            credits.append(Credit(plan_id, share, item.at, rate))
        if metric is None or not credits:
            continue
        result.append(CreditRule(
            id=ident, metric=metric, at=node.at, credits=tuple(credits), deals=node.text("deals"),
            amount=parse_percent(node.data.get("amount")) if "amount" in node.data else None,
            exclusive=node.flag("exclusive"), settled_by=node.text("settled_by"),
        ))
    return tuple(sorted(result, key=lambda r: r.id))
