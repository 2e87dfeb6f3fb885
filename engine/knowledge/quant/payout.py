"""Payout: what a measure pays at an attainment, what a plan costs, and whether the budget covers it.

- ``payout_cost``: a plan's cost at threshold, target and excellence (and at a
  simulated attainment), and whether its upside is uncapped.
- ``budget``: every plan's cost against the declared incentive budget.

The payout arithmetic at the bottom is pure functions of a measure, tested by
hand; curves.py reads the same arithmetic to describe a curve's shape.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from interlock.knowledge.facts import Fact, fact, slug
from interlock.knowledge.quant.common import ONE, ZERO, OrgIndex, percent_text, to_float
from interlock.model.model import CurvePoint, Measure, Plan
from interlock.model.money import format_money, to_decimal

#: The excellence scenario of a measure that names no excellence point and has no curve to read one from.
DEFAULT_EXCELLENCE = Decimal("1.5")


@dataclass(frozen=True)
class PlanCost:
    """A plan's cost for all its participants at threshold, target, excellence and the simulated attainment."""

    plan: Plan
    participants: int
    threshold: Decimal
    target: Decimal
    excellence: Decimal
    scenario: Decimal | None
    attainment: float | None
    uncapped: bool
    excellence_assumed: bool


def payout_costs(index: OrgIndex, attainment: Mapping[str, float]) -> Iterator[tuple[Fact, PlanCost]]:
    """A ``payout_cost`` fact, with its cost for the budget, per plan with a target incentive and participants."""
    for plan in index.org.plans:
        if plan.target_incentive is None or not plan.measures:
            continue
        participants = plan.participants
        if participants is None:
            dept = index.departments.get(plan.department)
            participants = dept.headcount if dept else None
        if not participants:
            continue
        cost = plan_cost(index, plan, participants, attainment)
        currency = index.currency
        yield fact(
            "payout_cost", plan.id, plan.at,
            plan=plan.id, dept=plan.department, participants=participants,
            target_incentive=to_float(to_decimal(plan.target_incentive), 2),
            cost_threshold=to_float(cost.threshold, 2), cost_target=to_float(cost.target, 2),
            cost_excellence=to_float(cost.excellence, 2),
            cost_scenario=to_float(cost.scenario, 2) if cost.scenario is not None else None,
            attainment=cost.attainment, uncapped=cost.uncapped, excellence_assumed=cost.excellence_assumed,
            currency=currency,
            arithmetic=(f"{participants} x {format_money(to_decimal(plan.target_incentive), currency)}"
                        f" x {percent_text(total_weight(plan))} = {format_money(cost.target, currency)}"),
        ), cost


def total_weight(plan: Plan) -> Decimal:
    """The plan's measure weights together: what it pays at target, as a share of the target incentive."""
    return sum((to_decimal(m.weight) for m in plan.measures), ZERO)


def plan_cost(index: OrgIndex, plan: Plan, participants: int, attainment: Mapping[str, float]) -> PlanCost:
    """Participants x target incentive x each measure's weighted payout, at each scenario."""
    assert plan.target_incentive is not None
    base = Decimal(participants) * to_decimal(plan.target_incentive)
    threshold = target = excellence = ZERO
    scenario: Decimal | None = ZERO if plan.id in attainment else None
    assumed = uncapped = False
    for m in plan.measures:
        weight = to_decimal(m.weight)
        threshold += weight * payout_at(m, threshold_attainment(m))
        target += weight * payout_at(m, ONE)
        at_excellence, guessed = excellence_attainment(m, index.unit(m.metric))
        assumed = assumed or guessed
        excellence += weight * payout_at(m, at_excellence)
        if scenario is not None:
            scenario += weight * payout_at(m, to_decimal(attainment[plan.id]))
        uncapped = uncapped or is_uncapped(m, index.unit(m.metric))
    if plan.cap is not None:  # the plan cap: no participant earns more than cap x the target incentive
        cap = to_decimal(plan.cap)
        threshold, target, excellence = min(threshold, cap), min(target, cap), min(excellence, cap)
        scenario = min(scenario, cap) if scenario is not None else None
        uncapped = False
    return PlanCost(plan, participants, base * threshold, base * target, base * excellence,
                    base * scenario if scenario is not None else None,
                    attainment.get(plan.id), uncapped, assumed)


def budget(index: OrgIndex, costs: Sequence[PlanCost]) -> Iterator[Fact]:
    """The ``budget`` fact: every priced plan's cost together against the incentive budget, if one is declared."""
    org = index.org
    if org.incentive_budget is None:
        return
    declared = to_decimal(org.incentive_budget)
    totals = {name: sum((getattr(c, name) for c in costs), ZERO) for name in ("threshold", "target", "excellence")}
    expected = sum((c.scenario if c.scenario is not None else c.target for c in costs), ZERO)
    uncapped = sorted(c.plan.id for c in costs if c.uncapped)
    scenario = ", ".join(f"{c.plan.id} at {percent_text(to_decimal(c.attainment))}"
                         for c in sorted(costs, key=lambda c: c.plan.id) if c.attainment is not None)
    priced = {c.plan.id for c in costs}

    def ratio(value: Decimal) -> float | None:
        return to_float(value / declared) if declared > 0 else None

    yield fact(
        "budget", slug(org.name or "organization"), org.at,
        budget=to_float(declared, 2), cost_threshold=to_float(totals["threshold"], 2),
        cost_target=to_float(totals["target"], 2), cost_excellence=to_float(totals["excellence"], 2),
        cost_expected=to_float(expected, 2), ratio_target=ratio(totals["target"]),
        ratio_excellence=ratio(totals["excellence"]), ratio_expected=ratio(expected),
        plans=len(costs), plans_without_cost=sum(1 for p in org.plans if p.id not in priced),
        uncapped_plans=len(uncapped), uncapped=", ".join(uncapped) if uncapped else None,
        scenario=scenario or None, currency=index.currency,
    )


# -- payout arithmetic (pure functions, tested by hand) -------------------------------------------


def attainment_of(m: Measure, value: float) -> Decimal:
    """Attainment of ``value`` against the measure's target: value/target up, target/value down."""
    assert m.target is not None
    actual, target = to_decimal(value), to_decimal(m.target)
    if m.direction > 0:
        return actual / target
    return target / actual


def threshold_attainment(m: Measure) -> Decimal:
    """The attainment at which the measure starts paying: its threshold, else the first paying curve point."""
    if m.threshold is not None and m.target:
        if m.threshold != 0:
            return attainment_of(m, m.threshold)
        if m.direction > 0:
            return ZERO
    paying = [p for p in sorted(m.curve, key=lambda p: p.attainment) if p.payout > 0]
    if paying:
        return to_decimal(paying[0].attainment)
    return ZERO


def excellence_attainment(m: Measure, unit: str = "") -> tuple[Decimal, bool]:
    """(attainment at excellence, guessed?): the excellence point, else the curve's last point, else 150%."""
    if m.excellence is not None and m.target and m.excellence != 0:
        return attainment_of(m, m.excellence), False
    if m.curve:
        return to_decimal(max(p.attainment for p in m.curve)), False
    guess = DEFAULT_EXCELLENCE
    if unit == "percent" and m.direction > 0 and m.target:  # 100% is as far as a percentage goes
        guess = min(guess, ONE / to_decimal(m.target))
    return guess, True


def cap_attainment(m: Measure) -> Decimal | None:
    """The attainment at which the cap stops the payout rising, or None without a cap."""
    if m.cap is None or not m.target or m.cap == 0:
        return None
    return attainment_of(m, m.cap)


def payout_at(m: Measure, attainment: Decimal) -> Decimal:
    """The measure's payout (share of its target incentive) at ``attainment``.

    With a curve: nothing below its first point, straight lines between points
    (the last listed point wins where two share an attainment), the last
    segment's slope beyond the last point. Without one: pays 1:1 with
    attainment from the threshold up. A cap stops attainment at the cap.
    A band target pays 100% (inside the band is on target).
    """
    if m.band is not None:
        return ONE  # a band pays its weight in full for a result inside it, and never more
    a = to_decimal(attainment)
    cap = cap_attainment(m)
    if cap is not None and a > cap:
        a = cap
    if not m.curve:
        start = threshold_attainment(m)
        return a if a >= start and a > 0 else ZERO
    points = sorted(m.curve, key=lambda p: p.attainment)
    return interpolate(points, a)


def interpolate(points: Sequence[CurvePoint], a: Decimal) -> Decimal:
    """The payout at attainment ``a`` on a curve given by its points, sorted by attainment (see payout_at)."""
    first = to_decimal(points[0].attainment)
    if a < first:
        return ZERO
    for left, right in zip(points, points[1:]):
        x0, x1 = to_decimal(left.attainment), to_decimal(right.attainment)
        y0, y1 = to_decimal(left.payout), to_decimal(right.payout)
        if x0 <= a <= x1:
            if x1 == x0:
                continue
            if a == x1:
                continue  # a later segment (or the last point) decides, so a vertical step takes effect
            return y0 + (y1 - y0) * (a - x0) / (x1 - x0)
    last = points[-1]
    x_last, y_last = to_decimal(last.attainment), to_decimal(last.payout)
    if a == x_last or len(points) < 2:
        return y_last
    previous = points[-2]
    x_prev, y_prev = to_decimal(previous.attainment), to_decimal(previous.payout)
    if x_last == x_prev:
        return y_last
    slope = (y_last - y_prev) / (x_last - x_prev)
    return y_last + slope * (a - x_last)


def is_uncapped(m: Measure, unit: str = "") -> bool:
    """Payout grows without bound: no cap, a metric that can grow without bound, and a rising curve (or none)."""
    if m.cap is not None or m.direction < 0 or unit == "percent" or m.band is not None:
        return False
    if not m.curve:
        return True
    points = sorted(m.curve, key=lambda p: p.attainment)
    if len(points) < 2:
        return False
    a, b = points[-2], points[-1]
    return b.attainment > a.attainment and b.payout > a.payout
