"""Plan mechanics: a plan-level cap against what its curves promise, and a quota's phasing against history.

- ``plan_cap``: a plan's cap (a multiple of the target incentive) against what
  its measures' curves pay together at their excellence points;
- ``lumpy_payout``: a measure paid per quarter (month, half) on its own curve,
  with no true-up to the year: what a year of two strong and two weak periods
  pays against an even year with the same total;
- ``quota_phasing``: the share of a yearly target phased into its last quarter,
  against the share of the year its owner achieved in the last quarter of the
  latest complete year of quarterly ``history:``.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

from interlock.knowledge.facts import Fact, fact
from interlock.knowledge.quant.common import ONE, ZERO, OrgIndex, percent_text, to_float
from interlock.knowledge.quant.payout import excellence_attainment, payout_at
from interlock.model.model import Actual, Plan, Target
from interlock.model.money import format_money, to_decimal

#: A lumpy year: half the periods at 100% + SWING of target, half at 100% - SWING (the same total as an even year).
SWING = Decimal("0.5")
PERIODS_A_YEAR = {"month": 12, "quarter": 4, "half": 2}

QUARTER = re.compile(r"(FY)?([0-9]{4})-Q([1-4])")


def multiple_text(value: Decimal) -> str:
    """2 -> '2x', 2.55 -> '2.55x'."""
    return f"{value:.2f}".rstrip("0").rstrip(".") + "x"


def plan_caps(index: OrgIndex) -> Iterator[Fact]:
    """A ``plan_cap`` fact per plan with a cap and measures.

    What the curves promise is each measure's weighted payout at its excellence
    point (or its curve's last point); a measure with neither counts at its payout
    at target, so the promise is never overstated (``partial``).
    """
    for plan in index.org.plans:
        if plan.cap is None or not plan.measures:
            continue
        promised, partial = ZERO, False
        for m in plan.measures:
            at_excellence, guessed = excellence_attainment(m, index.unit(m.metric))
            partial = partial or guessed
            promised += to_decimal(m.weight) * payout_at(m, ONE if guessed else at_excellence)
        cap = to_decimal(plan.cap)
        fields: dict[str, object] = {}
        if plan.target_incentive is not None:
            incentive = to_decimal(plan.target_incentive)
            fields = {"cap_amount": format_money(incentive * cap, index.currency),
                      "promised_amount": format_money(incentive * promised, index.currency),
                      "cut_amount": format_money(incentive * max(promised - cap, ZERO), index.currency)}
        yield fact(
            "plan_cap", plan.id, plan.at,
            plan=plan.id, dept=plan.department, cap=to_float(cap), promised=to_float(promised),
            cap_text=multiple_text(cap), promised_text=multiple_text(promised),
            cut_text=multiple_text(max(promised - cap, ZERO)), partial=partial,
            **fields,  # type: ignore[arg-type]
        )


def lumpy_payouts(index: OrgIndex) -> Iterator[Fact]:
    """A ``lumpy_payout`` fact per sub-annual measure with a curve on a plan with no true-up to the year."""
    for plan in index.org.plans:
        if plan.true_up:
            continue
        for m in plan.measures:
            if m.period not in PERIODS_A_YEAR or not m.curve or not _holds_two(plan, 12 // PERIODS_A_YEAR[m.period]):
                continue
            even = payout_at(m, ONE)
            lumpy = (payout_at(m, ONE + SWING) + payout_at(m, ONE - SWING)) / 2
            fields: dict[str, object] = {}
            if plan.target_incentive is not None:
                excess = to_decimal(plan.target_incentive) * to_decimal(m.weight) * (lumpy - even)
                fields = {"excess_amount": format_money(excess, index.currency, "full")}
            yield fact(
                "lumpy_payout", f"{plan.id}/{m.metric}", m.at,
                plan=plan.id, dept=plan.department, metric=m.metric, weight=m.weight, period=m.period,
                high=to_float(ONE + SWING), low=to_float(ONE - SWING),
                high_text=percent_text(ONE + SWING), low_text=percent_text(ONE - SWING),
                even=to_float(even), lumpy=to_float(lumpy), even_text=percent_text(even),
                lumpy_text=percent_text(round(lumpy, 4)), excess=to_float(lumpy - even),
                **fields,  # type: ignore[arg-type]
            )


def _holds_two(plan: Plan, months: int) -> bool:
    """The plan's effective span (a year when unstated) holds at least two whole periods of ``months``:
    a plan running for one period has nothing to even out."""
    if plan.effective_from is None or plan.effective_to is None:
        return True
    span = ((plan.effective_to.year - plan.effective_from.year) * 12 + plan.effective_to.month
            - plan.effective_from.month + (1 if plan.effective_to.day >= plan.effective_from.day - 1 else 0))
    return span >= 2 * months


def quota_phasings(index: OrgIndex) -> Iterator[Fact]:
    """A ``quota_phasing`` fact per target phased by quarter (4 shares, or 12 months summed by three)."""
    quarters: dict[tuple[str, str], dict[tuple[str, int], dict[int, Actual]]] = {}
    for a in index.org.history:
        found = QUARTER.fullmatch(a.period)
        if a.plan is None and found:
            year = (found.group(1) or "", int(found.group(2)))
            quarters.setdefault((a.owner, a.metric), {}).setdefault(year, {})[int(found.group(3))] = a
    for t in index.org.targets:
        if len(t.phasing) not in (4, 12):
            continue
        step = len(t.phasing) // 4
        shares = [sum((to_decimal(s) for s in t.phasing[q * step:(q + 1) * step]), ZERO) for q in range(4)]
        fields = _history_share(index, t, quarters.get((t.owner, t.metric), {}))
        yield fact(
            "quota_phasing", t.id, t.at,
            target=t.id, owner=t.owner, metric=t.metric, target_kind=t.kind, period=t.period,
            last_share=to_float(shares[3]), last_share_text=percent_text(shares[3]),
            first_half_text=percent_text(shares[0] + shares[1]),
            last_amount=index.show(t.metric, to_decimal(t.value) * shares[3]),
            value_text=index.show(t.metric, to_decimal(t.value)),
            **fields,  # type: ignore[arg-type]
        )


def _history_share(index: OrgIndex, t: Target, years: dict[tuple[str, int], dict[int, Actual]]) -> dict[str, object]:
    """The last quarter's share of the latest complete year of quarterly actuals ended before the target starts."""
    complete = [(year, found) for year, found in years.items()
                if len(found) == 4 and all(a.ends is not None and (t.starts is None or a.ends < t.starts)
                                           for a in found.values())]
    if not complete:
        return {}
    (prefix, year), found = max(complete, key=lambda item: item[0][1])
    total = sum((to_decimal(found[q].value) for q in range(1, 5)), ZERO)
    if total <= 0:
        return {}
    last = to_decimal(found[4].value)
    return {"history_share": to_float(last / total), "history_share_text": percent_text(round(last / total, 3)),
            "history_period": f"{prefix}{year}", "history_last": index.show(t.metric, last),
            "history_total": index.show(t.metric, total)}
