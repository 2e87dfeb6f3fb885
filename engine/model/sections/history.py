"""History: last periods' actuals per department (or the company) and metric, and per plan measure."""
from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from interlock.model.builder import Builder
from interlock.model.model import Actual, Department, Plan
from interlock.model.periods import period_range
from interlock.model.sections.organization import plan_year_start
from interlock.read.values import parse_percent, quote


def history(b: Builder, departments: Mapping[str, Department], plans: Sequence[Plan], info: Mapping[str, Any]) -> tuple[Actual, ...]:
    """One actual per owner, metric, period and plan; a plan's actual is per participant, in its measure's terms."""
    by_id = {p.id: p for p in plans}
    result: dict[str, Actual] = {}
    for node in b.nodes("history"):
        owner = b.owner(node, "owner", departments, company=True)
        metric = b.metric(node, "metric")
        plan = b.optional(node, "plan", "plan", by_id)
        value = parse_percent(node.data.get("actual"))
        period = node.text("period")
        if plan and metric and not any(m.metric == metric for m in by_id[plan].measures):
            b.report(node, f"plan {quote(plan)} has no measure on {quote(metric)}", "plan")
            continue
        if plan and owner and by_id[plan].department != owner:
            b.report(node, f"plan {quote(plan)} belongs to {quote(by_id[plan].department)}, not {quote(owner)}", "plan")
            continue
        if owner is None or metric is None or value is None or period is None:
            continue
        starts, ends = period_range(period, info.get("fiscal_year"), plan_year_start(departments, owner, info))
        if starts is None:  # the schema reported the period
            continue
        key = "/".join(part for part in (owner, metric, period, plan) if part)
        if not b.register("actual", key, node, f"actual {quote(key)} (owner/metric/period/plan)"):
            continue
        result[key] = Actual(owner, metric, value, period, node.at, starts, ends, plan, node.text("note"))
    return tuple(result[k] for k in sorted(result))
