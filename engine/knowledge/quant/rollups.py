"""Roll-ups: do the children's targets and quotas add up to their parent target?

A ``rollup`` fact per parent target with children on the same metric, for
metrics that add up across a team (a percentage or a rate does not).
"""
from __future__ import annotations

from collections.abc import Iterator

from interlock.knowledge.facts import Fact, fact
from interlock.knowledge.quant.common import ZERO, OrgIndex, to_float
from interlock.model.model import Target
from interlock.model.money import to_decimal

#: Metric units whose values add up across a team (a percentage or a rate does not).
ADDITIVE_UNITS = frozenset({"currency", "count", "hours"})


def rollups(index: OrgIndex) -> Iterator[Fact]:
    """Each parent target against the sum of its children on the same metric, with the sum written out."""
    children: dict[str, list[Target]] = {}
    for t in index.org.targets:
        if t.parent is not None and t.parent in index.targets:
            children.setdefault(t.parent, []).append(t)
    for parent_id, kids in sorted(children.items()):
        parent = index.targets[parent_id]
        same = sorted((k for k in kids if k.metric == parent.metric), key=lambda k: k.id)
        if not same or index.unit(parent.metric) not in ADDITIVE_UNITS:
            continue
        total = sum((to_decimal(k.value) for k in same), ZERO)
        value = to_decimal(parent.value)
        kinds = {k.kind for k in same}
        yield fact(
            "rollup", parent.id, parent.at,
            owner=parent.owner, metric=parent.metric, period=parent.period,
            parent_value=to_float(value, 2), children_total=to_float(total, 2),
            ratio=to_float(total / value) if value > 0 else None, gap=to_float(value - total, 2),
            child_count=len(same), children=", ".join(k.id for k in same),
            children_kind=kinds.pop() if len(kinds) == 1 else "mixed",
            parent_text=index.show(parent.metric, value), total_text=index.show(parent.metric, total),
            gap_text=index.show(parent.metric, abs(value - total)),
            # One child is its own total: "USD 38.0M", never "USD 38.0M = USD 38.0M".
            arithmetic=" + ".join(index.show(parent.metric, to_decimal(k.value)) for k in same)
            + (f" = {index.show(parent.metric, total)}" if len(same) > 1 else ""),
            unit=index.unit(parent.metric) or None, currency=index.currency,
        )
