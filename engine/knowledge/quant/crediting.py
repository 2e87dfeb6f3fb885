"""Crediting: how much of a deal pool the plans are credited with, and what crediting it more than once costs.

A ``credit_split`` fact per crediting rule: the credited shares added up (200%
when a channel team and a direct team are both credited in full), the planned
amount credited beyond (or short of) 100%, and, when every credited plan can be
priced, what the credit costs at target and the part of it beyond 100% against
the incentive budget. A plan is priced by the rate its credit states, else by
its payout at target for the measure (participants x target incentive x weight)
over its department's target on the metric; the working is in the fact.
"""
from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from interlock.knowledge.facts import Fact, fact
from interlock.knowledge.quant.common import ONE, ZERO, OrgIndex, percent_text, to_float
from interlock.model.model import Credit, CreditRule
from interlock.model.money import format_money, to_decimal

def credit_splits(index: OrgIndex) -> Iterator[Fact]:
    for rule in index.org.crediting:
        yield _split(index, rule)


def _split(index: OrgIndex, rule: CreditRule) -> Fact:
    total = sum((to_decimal(c.share) for c in rule.credits), ZERO)
    plans = {p.id: p for p in index.org.plans}
    depts = sorted({plans[c.plan].department for c in rule.credits if c.plan in plans})
    shares = ", ".join(f"{c.plan} {percent_text(to_decimal(c.share))}" for c in rule.credits)
    fields: dict[str, object] = {}
    if rule.amount is not None:
        amount = to_decimal(rule.amount)
        fields.update(
            amount=to_float(amount, 2), amount_text=index.show(rule.metric, amount),
            excess_text=index.show(rule.metric, amount * abs(total - ONE)),
        )
        priced = [(c, _rate(index, c, rule.metric)) for c in rule.credits]
        if all(rate is not None for _c, rate in priced):
            fields.update(_cost(index, rule, amount, total, priced))
    return fact(
        "credit_split", rule.id, rule.at,
        metric=rule.metric, deals=rule.deals or None, share_total=to_float(total),
        share_text=percent_text(total), shares=shares, plan_count=len(rule.credits),
        depts=depts, dept_count=len(depts), dept_names=_names(index, depts), exclusive=rule.exclusive,
        settled=rule.settled_by is not None, currency=index.currency,
        **fields,
    )


def _rate(index: OrgIndex, credit: Credit, metric: str) -> tuple[Decimal, str] | None:
    """What the plan pays per unit of credited metric at target, and how that rate was found."""
    if credit.rate is not None:
        rate = to_decimal(credit.rate)
        return rate, f"{percent_text(rate)} (stated)"
    plan = next((p for p in index.org.plans if p.id == credit.plan), None)
    if plan is None or plan.target_incentive is None:
        return None
    participants = plan.participants
    if participants is None:
        dept = index.departments.get(plan.department)
        participants = dept.headcount if dept else None
    weight = sum((to_decimal(m.weight) for m in plan.measures if m.metric == metric), ZERO)
    targets = [t for t in index.targets_of.get(plan.department, ()) if t.metric == metric and t.value > 0]
    if not participants or not targets:
        return None
    pay = Decimal(participants) * to_decimal(plan.target_incentive) * weight
    target = to_decimal(targets[0].value)
    return pay / target, (f"{format_money(pay, index.currency)} at target over {plan.department}'s"
                          f" {index.show(metric, target)} target")


def _cost(index: OrgIndex, rule: CreditRule, amount: Decimal, total: Decimal,
          priced: list[tuple[Credit, tuple[Decimal, str] | None]]) -> dict[str, object]:
    money = index.currency
    parts, cost = [], ZERO
    for credit, found in priced:
        assert found is not None
        rate, how = found
        part = to_decimal(credit.share) * amount * rate
        cost += part
        parts.append(f"{credit.plan} {percent_text(to_decimal(credit.share))} x {index.show(rule.metric, amount)}"
                     f" x {percent_text(round(rate, 6))} = {format_money(part, money)}")
    excess = cost * (total - ONE) / total if total > ONE else ZERO
    fields: dict[str, object] = {
        "cost_target": to_float(cost, 2), "cost_text": format_money(cost, money),
        "cost_arithmetic": "; ".join(parts),
        "excess_cost": to_float(excess, 2), "excess_cost_text": format_money(excess, money),
    }
    budget = index.org.incentive_budget
    if budget is not None and budget > 0:
        fields.update(budget=to_float(to_decimal(budget), 2), budget_text=format_money(budget, money),
                      budget_share=to_float(excess / to_decimal(budget)))
    return fields


def _names(index: OrgIndex, depts: list[str]) -> str:
    """'Sales and Channel partners', 'Sales, Marketing and Channel'."""
    names = [index.departments[d].name if d in index.departments else d for d in depts]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
