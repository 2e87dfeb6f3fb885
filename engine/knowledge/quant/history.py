"""History: this year's targets and thresholds against last period's actuals.

- ``target_history``: a target against its owner's latest actual on the same
  metric that ended before the target's period starts, with the implied change
  and the lead objective the metric serves (directly, or a growth objective for
  a money metric to raise);
- ``measure_history``: a measure's threshold and target against what a
  participant achieved on it last period (an actual with ``plan:``).
"""
from __future__ import annotations

from collections.abc import Iterator

from interlock.knowledge.facts import Fact, fact
from interlock.knowledge.quant.common import ONE, OrgIndex, percent_text, to_float
from interlock.model.model import Actual, Objective, Target
from interlock.model.money import to_decimal

GROWTH_METRIC = "revenue_growth_pct"


def signed_percent(value) -> str:  # type: ignore[no-untyped-def]
    """+4.2%, -6.25%, 0%."""
    text = percent_text(abs(value))
    return text if value == 0 else ("+" if value > 0 else "-") + text


def target_histories(index: OrgIndex) -> Iterator[Fact]:
    org = index.org
    actuals: dict[tuple[str, str], list[Actual]] = {}
    for a in org.history:
        if a.plan is None:
            actuals.setdefault((a.owner, a.metric), []).append(a)
    if not actuals:
        return
    for t in org.targets:
        before = [a for a in actuals.get((t.owner, t.metric), ())
                  if a.ends is not None and (t.starts is None or a.ends < t.starts)]
        metric = org.metric_by_id.get(t.metric)
        if not before or metric is None or metric.good == 0:
            continue
        last = max(before, key=lambda a: (a.ends, a.period))
        if last.value <= 0:
            continue
        change = to_decimal(t.value) / to_decimal(last.value) - ONE
        objective, asks = _objective(index, t)
        yield fact(
            "target_history", t.id, t.at,
            owner=t.owner, metric=t.metric, period=t.period, good=metric.good,
            target=t.value, actual=last.value, actual_period=last.period,
            change=to_float(change), change_text=signed_percent(change),
            worse=bool(change * metric.good < 0),
            target_text=index.show(t.metric, to_decimal(t.value)), actual_text=index.show(t.metric, to_decimal(last.value)),
            objective=objective.id if objective else None, asks=asks,
        )


def _objective(index: OrgIndex, target: Target) -> tuple[Objective | None, str | None]:
    """The lead objective the target's metric serves, and what it asks, in words."""
    leads = sorted((o for o in index.org.objectives if o.lead), key=lambda o: (o.priority or 99, o.id))
    for o in leads:
        if target.metric in o.metrics:
            wanted = "rise" if o.direction > 0 else "fall"
            return o, f"for {index.label(target.metric)} to {wanted}"
    metric = index.org.metric_by_id[target.metric]
    if metric.unit == "currency" and metric.good > 0:
        for o in leads:
            if o.metrics[0] == GROWTH_METRIC and o.direction > 0:
                wanted = f"{signed_percent(to_decimal(o.target))} growth" if o.target is not None else "growth"
                return o, f"for {wanted}"
    return None, None


def measure_histories(index: OrgIndex) -> Iterator[Fact]:
    org = index.org
    plans = {p.id: p for p in org.plans}
    latest: dict[tuple[str, str], Actual] = {}
    for a in org.history:
        if a.plan is not None and a.ends is not None:
            found = latest.get((a.plan, a.metric))
            if found is None or (a.ends, a.period) > (found.ends, found.period):  # type: ignore[operator]
                latest[(a.plan, a.metric)] = a
    for (plan_id, metric), a in sorted(latest.items()):
        plan = plans[plan_id]
        for m in plan.measures:
            if m.metric != metric or m.threshold is None:
                continue
            yield fact(
                "measure_history", f"{plan_id}/{metric}", m.at,
                plan=plan_id, dept=plan.department, metric=metric, dir=m.direction,
                threshold=m.threshold, target=m.target, actual=a.value, actual_period=a.period,
                threshold_text=index.show(metric, to_decimal(m.threshold)),
                target_text=index.show(metric, to_decimal(m.target)) if m.target is not None else None,
                actual_text=index.show(metric, to_decimal(a.value)),
                no_improvement=bool((m.threshold - a.value) * m.direction <= 0),
                target_no_improvement=(bool((m.target - a.value) * m.direction <= 0)
                                       if m.target is not None else None),
                period_name=m.period,
            )
