"""Curves: the shape of each measure's payout curve, for the rules to judge.

A ``curve`` fact per measure with a curve or a threshold: whether it is
monotone (and where it first drops), its steepest segment, any vertical step,
where the threshold sits against the target, and the payout at excellence.
"""
from __future__ import annotations

from collections.abc import Iterator

from interlock.knowledge.facts import Fact, fact
from interlock.knowledge.quant.common import OrgIndex, to_float
from interlock.knowledge.quant.payout import attainment_of, excellence_attainment, payout_at
from interlock.model.model import Measure, Plan


def curves(index: OrgIndex) -> Iterator[Fact]:
    """A ``curve`` fact per measure that has a shape to describe, plan by plan in file order."""
    for plan in index.org.plans:
        for m in plan.measures:
            found = curve(index, plan, m)
            if found is not None:
                yield found


def curve(index: OrgIndex, plan: Plan, m: Measure) -> Fact | None:
    """The measure's curve described, or None for a measure with neither a curve nor a threshold."""
    points = sorted(m.curve, key=lambda p: p.attainment)
    threshold_ratio = None
    if m.threshold is not None and m.target is not None and m.threshold != 0 and m.target != 0:
        threshold_ratio = attainment_of(m, m.threshold)
    if not points and threshold_ratio is None:
        return None
    fields: dict[str, object] = {"points": len(points)}
    if points:
        steps = list(zip(points, points[1:]))
        drops = [(a, b) for a, b in steps if b.payout < a.payout]
        fields["monotone"] = not drops
        if drops:
            a, b = drops[0]
            fields["drop_at"] = b.attainment
            fields["drop"] = round(a.payout - b.payout, 6)
        sloped = [(a, b) for a, b in steps if b.attainment > a.attainment]
        if sloped:
            a, b = max(sloped, key=lambda s: ((s[1].payout - s[0].payout) / (s[1].attainment - s[0].attainment),
                                              s[0].attainment))
            fields["max_rate"] = round((b.payout - a.payout) / (b.attainment - a.attainment), 6)
            fields["rate_from"] = a.attainment
            fields["rate_to"] = b.attainment
            fields["rate_step"] = round(b.payout - a.payout, 6)
        vertical = [(a, b) for a, b in steps if b.attainment == a.attainment and b.payout > a.payout]
        if vertical:
            a, b = max(vertical, key=lambda s: s[1].payout - s[0].payout)
            fields["vertical_step"] = round(b.payout - a.payout, 6)
            fields["vertical_at"] = a.attainment
        at_excellence, guessed = excellence_attainment(m, index.unit(m.metric))
        if not guessed:
            fields["excellence_attainment"] = to_float(at_excellence)
            fields["leverage"] = to_float(payout_at(m, at_excellence))
    if threshold_ratio is not None:
        fields["threshold_attainment"] = to_float(threshold_ratio)
    return fact("curve", f"{plan.id}/{m.metric}", m.at, plan=plan.id, dept=plan.department, metric=m.metric,
                **fields)  # type: ignore[arg-type]
