"""Quantitative facts: driver arithmetic, roll-ups, capacity, payout cost, curves, growth.

Python computes the numbers, the rules judge them (every threshold is a rule
option). Arithmetic is exact: Decimal throughout, floats only in the facts
handed to the rules engine. Every fact carries the arithmetic it came from as
readable text, so a finding can show its working.

Fact kinds (declared in engine/factkinds.py, documented in docs/quantitative.md):

- ``funnel``: if the provider of a dependency hits exactly its target on the
  supplied metric, what does the consumer's target metric come to, under the
  provider's own assumptions (its view of the world) where it has them and the
  consumer's otherwise? Compared with the consumer's target (story 3).
- ``supply``: what the provider targets on a supplied metric against what
  the consumer says it needs.
- ``rollup``: children's targets and quotas against their parent target.
- ``capacity``: quota-carrying heads x ramp x productivity against the quotas.
- ``payout_cost``: a plan's cost at threshold, target and excellence (and at a
  simulated attainment), and whether its upside is uncapped.
- ``budget``: every plan's cost against the declared incentive budget.
- ``curve``: the shape of a measure's payout curve (monotone, steepest
  segment, threshold against target, payout at excellence).
- ``growth``: the revenue targets against the base and a growth objective.
"""
from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from interlock.knowledge.facts import Fact, fact, slug
from interlock.model.formulas import Expr, FormulaError, FormulaSet, Var, evaluate, render, variables
from interlock.model.model import Assumption, CurvePoint, Department, Dependency, Measure, Organization, Plan, Target
from interlock.model.money import DEFAULT_CURRENCY, format_money, to_decimal
from interlock.model.periods import period_range

#: Metric units whose values add up across a team (a percentage or a rate does not).
ADDITIVE_UNITS = frozenset({"currency", "count", "hours"})
#: The excellence scenario of a measure that names no excellence point and has no curve to read one from.
DEFAULT_EXCELLENCE = Decimal("1.5")
#: Assumption names capacity reads (metric ids of the built-in catalog).
HEADS, RAMP, PRODUCTIVITY, CAPACITY = "quota_carrying_heads", "ramp_factor", "rep_productivity", "sales_capacity"
#: Preferred quota metrics for capacity, in order.
QUOTA_METRICS = ("bookings", "new_business", "revenue")
ONE = Decimal(1)
ZERO = Decimal(0)


def quantitative_facts(org: Organization, attainment: Mapping[str, float] | None = None) -> list[Fact]:
    """Every quantitative fact about ``org``; ``attainment`` (plan id -> 0.8) adds a payout scenario."""
    q = _Quant(org, attainment or {})
    facts = [*q.funnels(), *q.supplies(), *q.rollups(), *q.capacities(), *q.curves(), *q.growth()]
    costs = list(q.payout_costs())
    facts.extend(fact_ for fact_, _cost in costs)
    facts.extend(q.budget([cost for _fact, cost in costs]))
    return sorted(facts, key=lambda f: (str(f["kind"]), str(f["key"])))


# -- formatting ---------------------------------------------------------------------------------


def percent_text(value: Decimal) -> str:
    """0.2075 -> '20.75%', 0.5 -> '50%'."""
    text = f"{value * 100:,.2f}".rstrip("0").rstrip(".")
    return f"{text}%"


def number_text(value: Decimal) -> str:
    """4000 -> '4,000', 0.8333 -> '0.83'."""
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def ratio_text(value: Decimal) -> str:
    return f"{value:.2f}"


def _float(value: Decimal, places: int = 6) -> float:
    return float(round(value, places))


@dataclass(frozen=True)
class Term:
    """One driver value in an arithmetic string, and where it came from."""

    metric: str
    value: Decimal
    source: str  # "marketing's target", "sales", ...


@dataclass(frozen=True)
class PlanCost:
    plan: Plan
    participants: int
    threshold: Decimal
    target: Decimal
    excellence: Decimal
    scenario: Decimal | None
    attainment: float | None
    uncapped: bool
    excellence_assumed: bool


class _Quant:
    def __init__(self, org: Organization, attainment: Mapping[str, float]) -> None:
        self.org = org
        self.attainment = attainment
        self.currency = org.currency or DEFAULT_CURRENCY
        aliases = {alias: m.id for m in org.metrics for alias in m.aliases}
        self.canonical: Callable[[str], str] = lambda name: aliases.get(name, name)
        self.formulas = FormulaSet(org.formulas, self.canonical)
        self.departments: dict[str, Department] = {d.id: d for d in org.departments}
        self.targets: dict[str, Target] = {t.id: t for t in org.targets}
        # Indexes built once: the lookups below run per department, so a scan each would be quadratic.
        self.children: dict[str, list[str]] = {}
        for d in org.departments:
            if d.parent is not None:
                self.children.setdefault(d.parent, []).append(d.id)
        self.targets_of: dict[str, list[Target]] = {}
        for t in org.targets:
            self.targets_of.setdefault(t.owner, []).append(t)
        self.plans_of: dict[str, list[Plan]] = {}
        for plan in sorted(org.plans, key=lambda p: p.id):
            self.plans_of.setdefault(plan.department, []).append(plan)
        self.hires_of: dict[str, list[Any]] = {}
        for h in org.hires:
            self.hires_of.setdefault(h.department, []).append(h)
        # file order, so results never depend on the index
        self._target_order = {t.id: n for n, t in enumerate(org.targets)}
        self._plan_order = {p.id: n for n, p in enumerate(org.plans)}
        self._hire_order = {id(h): n for n, h in enumerate(org.hires)}
        self._assumption_order = {id(a): n for n, a in enumerate(org.assumptions)}
        self.value_assumptions: dict[str, list[Assumption]] = {}  # unsegmented, with a value, in file order
        for a in org.assumptions:
            if a.segment is None and a.value is not None:
                self.value_assumptions.setdefault(a.department, []).append(a)

    # -- small lookups

    def unit(self, metric: str) -> str:
        found = self.org.metric_by_id.get(metric)
        return found.unit if found else ""

    def label(self, metric: str) -> str:
        found = self.org.metric_by_id.get(metric)
        if found is None:
            return metric.replace("_", " ")
        name = found.name
        return name if name[:2].isupper() else name[:1].lower() + name[1:]

    def show(self, metric: str, value: Decimal) -> str:
        """A value in its metric's unit: EUR 18,000, 20.75%, 4,000."""
        unit = self.unit(metric)
        if unit == "currency":
            return format_money(value, self.currency)
        if unit == "percent":
            return percent_text(value)
        return number_text(value)

    def ancestry(self, dept: str) -> list[str]:
        """The department and its ancestors, nearest first."""
        chain: list[str] = []
        current: str | None = dept
        while current is not None and current not in chain:
            chain.append(current)
            found = self.departments.get(current)
            current = found.parent if found else None
        return chain

    def descendants(self, dept: str) -> set[str]:
        """The department and every department below it."""
        found = {dept}
        todo = [dept]
        while todo:
            for child in self.children.get(todo.pop(), ()):
                if child not in found:
                    found.add(child)
                    todo.append(child)
        return found

    def assumption(self, dept: str, name: str) -> Assumption | None:
        """A department's own unsegmented value assumption, else its nearest ancestor's."""
        for owner in self.ancestry(dept):
            for a in self.value_assumptions.get(owner, ()):
                if a.name == name:
                    return a
        return None

    def period_days(self, period: str | None) -> tuple[datetime.date, datetime.date] | None:
        if period is None:
            if self.org.fiscal_year is None:
                return None
            period = f"FY{self.org.fiscal_year}"
        start, end = period_range(period, self.org.fiscal_year, self.org.fiscal_year_start)
        return (start, end) if start and end else None

    # -- funnel and supply (story 3) ------------------------------------------------------------

    def provided(self, provider: str, metric: str, period: str | None) -> tuple[Decimal, str, str, str] | None:
        """(value, source, key, at) of the provider's target on ``metric``: a department target, else a measure's."""
        own = sorted((t for t in self.targets_of.get(provider, ()) if t.metric == metric),
                     key=lambda t: (t.period != period, t.period is not None, t.id))
        if own:
            t = own[0]
            return to_decimal(t.value), "target", t.id, str(t.at)
        for plan in self.plans_of.get(provider, ()):
            for m in plan.measures:
                if m.metric == metric and m.target is not None:
                    return to_decimal(m.target), "measure", f"{plan.id}/{metric}", str(m.at)
        return None

    def supplies(self) -> Iterator[Fact]:
        for dep in self.org.dependencies:
            if dep.metric is None:
                continue
            found = self.provided(dep.provider, dep.metric, self._fiscal_period())
            if found is None:
                continue
            value, source, key, at = found
            metric = self.org.metric_by_id.get(dep.metric)
            good = metric.good if metric else 0
            needed = to_decimal(dep.amount) if dep.amount is not None else None
            ratio = None
            if needed is not None and good != 0:
                if good > 0 and needed > 0:
                    ratio = value / needed
                elif good < 0 and value > 0:
                    ratio = needed / value
            yield fact(
                "supply", dep.id, at,  # type: ignore[arg-type]  # the provider's target or measure
                dependency=dep.id, consumer=dep.consumer, provider=dep.provider, metric=dep.metric,
                needed=_float(needed) if needed is not None else None, provided=_float(value),
                needed_text=self.show(dep.metric, needed) if needed is not None else None,
                provided_text=self.show(dep.metric, value),
                source=source, provider_key=key, good=good,
                ratio=_float(ratio) if ratio is not None else None,
            )

    def _fiscal_period(self) -> str | None:
        return f"FY{self.org.fiscal_year}" if self.org.fiscal_year is not None else None

    def funnels(self) -> Iterator[Fact]:
        for dep in self.org.dependencies:
            if dep.metric is None:
                continue
            supplied = dep.metric
            reachable = []
            for t in self.targets_of.get(dep.consumer, ()):
                if t.metric == supplied:
                    continue
                depth = self.formulas.depends_on(t.metric, supplied)
                if depth is not None:
                    reachable.append((depth, t))
            if not reachable:
                continue
            nearest = min(depth for depth, _t in reachable)
            for depth, target in sorted(reachable, key=lambda pair: pair[1].id):
                if depth == nearest:
                    found = self.funnel(dep, target, depth)
                    if found is not None:
                        yield found

    def funnel(self, dep: Dependency, target: Target, depth: int) -> Fact | None:
        assert dep.metric is not None
        supplied, output = dep.metric, target.metric
        provided = self.provided(dep.provider, supplied, target.period)
        if provided is None:
            return None
        provider_value, provider_source, provider_key, _at = provided
        source_text = f"{dep.provider}'s {'target' if provider_source == 'target' else 'plan target'}"

        # The provider's view: its own assumptions first, the consumer's where it has none.
        provider_terms = self.terms(output, supplied, Term(supplied, provider_value, source_text),
                                    first=dep.provider, second=dep.consumer, period=target.period)
        if provider_terms is None:
            return None
        expr, terms = provider_terms
        implied = self.value(expr, terms)
        if implied is None:
            return None
        planned = to_decimal(target.value)

        # The consumer's own view, for comparison: what it planned the supplied metric at.
        consumer_supply = self.assumption(dep.consumer, supplied)
        consumer_value = (to_decimal(consumer_supply.value) if consumer_supply and consumer_supply.value is not None
                          else to_decimal(dep.amount) if dep.amount is not None else None)
        consumer_text = consumer_implied = None
        factors: list[str] = []
        if consumer_value is not None:
            consumer_terms = self.terms(output, supplied, Term(supplied, consumer_value, dep.consumer),
                                        first=dep.consumer, second=dep.provider, period=target.period)
            if consumer_terms is not None:
                c_expr, c_terms = consumer_terms
                consumer_implied = self.value(c_expr, c_terms)
                if consumer_implied is not None:
                    consumer_text = self.arithmetic(c_expr, c_terms, consumer_implied, output)
                    for name in sorted(variables(expr) & variables(c_expr), key=lambda n: _order(expr, n)):
                        mine, theirs = terms.get(name), c_terms.get(name)
                        if mine and theirs and theirs.value != 0 and mine.value != theirs.value:
                            factors.append(f"{self.label(name)} {ratio_text(mine.value / theirs.value)}x")
        sources = ", ".join(f"{self.label(t.metric)} from {t.source}" for name, t in sorted(
            terms.items(), key=lambda item: _order(expr, item[0])))
        ratio = implied / planned if planned > 0 else None
        return fact(
            "funnel", f"{dep.id}/{target.id}", dep.at,
            dependency=dep.id, consumer=dep.consumer, provider=dep.provider, metric=supplied, output=output,
            depth=depth, provider_target=_float(provider_value), provider_source=provider_source,
            provider_key=provider_key, implied=_float(implied, 2), planned=_float(planned, 2),
            planned_key=target.id, ratio=_float(ratio) if ratio is not None else None,
            gap=_float(planned - implied, 2),
            arithmetic=self.arithmetic(expr, terms, implied, output, labels=False),
            explained=self.arithmetic(expr, terms, implied, output, labels=True),
            sources=sources,
            consumer_implied=_float(consumer_implied, 2) if consumer_implied is not None else None,
            consumer_arithmetic=consumer_text,
            factors=", ".join(factors) if factors else None,
            unit=self.unit(output) or None, currency=self.currency, period=target.period,
        )

    def terms(self, output: str, supplied: str, start: Term, *, first: str, second: str,
              period: str | None) -> tuple[Expr, dict[str, Term]] | None:
        """``output`` expanded down to ``supplied`` and the drivers, each driver's value and its source."""
        values: dict[str, Term] = {supplied: start}

        def lookup(name: str) -> Term | None:
            if name in values:
                return values[name]
            for dept in (first, second):
                a = self.assumption(dept, name)
                if a is not None and a.value is not None:
                    return Term(name, to_decimal(a.value), a.department)
            for dept in (second, first):
                own = [t for t in self.targets_of.get(dept, ()) if t.metric == name and t.period == period]
                if own:
                    return Term(name, to_decimal(sorted(own, key=lambda t: t.id)[0].value), f"{dept}'s target")
            return None

        def should_expand(name: str) -> bool:
            if name == supplied:
                return False
            if self.formulas.depends_on(name, supplied) is not None:
                return True
            return lookup(name) is None

        expr = self.formulas.expand(output, should_expand)
        if expr is None:
            return None
        for name in variables(expr):
            term = lookup(name)
            if term is None:
                return None
            values[name] = term
        return expr, {name: values[name] for name in variables(expr)}

    @staticmethod
    def value(expr: Expr, terms: Mapping[str, Term]) -> Decimal | None:
        try:
            return evaluate(expr, {name: t.value for name, t in terms.items()})
        except FormulaError:
            return None

    def arithmetic(self, expr: Expr, terms: Mapping[str, Term], result: Decimal, output: str,
                   labels: bool = False) -> str:
        """'4,000 x 50% x 20.75% x EUR 18,000 = EUR 7.47M' (labels: '4,000 marketing-qualified leads x ...')."""

        def leaf(name: str) -> str:
            text = self.show(name, terms[name].value)
            return f"{text} {self.label(name)}" if labels else text

        return f"{render(expr, leaf, number_text)} = {self.show(output, result)}"

    # -- roll-ups -------------------------------------------------------------------------------

    def rollups(self) -> Iterator[Fact]:
        children: dict[str, list[Target]] = {}
        for t in self.org.targets:
            if t.parent is not None and t.parent in self.targets:
                children.setdefault(t.parent, []).append(t)
        for parent_id, kids in sorted(children.items()):
            parent = self.targets[parent_id]
            same = sorted((k for k in kids if k.metric == parent.metric), key=lambda k: k.id)
            if not same or self.unit(parent.metric) not in ADDITIVE_UNITS:
                continue
            total = sum((to_decimal(k.value) for k in same), ZERO)
            value = to_decimal(parent.value)
            kinds = {k.kind for k in same}
            yield fact(
                "rollup", parent.id, parent.at,
                owner=parent.owner, metric=parent.metric, period=parent.period,
                parent_value=_float(value, 2), children_total=_float(total, 2),
                ratio=_float(total / value) if value > 0 else None, gap=_float(value - total, 2),
                child_count=len(same), children=", ".join(k.id for k in same),
                children_kind=kinds.pop() if len(kinds) == 1 else "mixed",
                parent_text=self.show(parent.metric, value), total_text=self.show(parent.metric, total),
                gap_text=self.show(parent.metric, abs(value - total)),
                arithmetic=" + ".join(self.show(parent.metric, to_decimal(k.value)) for k in same)
                + f" = {self.show(parent.metric, total)}",
                unit=self.unit(parent.metric) or None, currency=self.currency,
            )

    # -- capacity -------------------------------------------------------------------------------

    def capacities(self) -> Iterator[Fact]:
        seen: set[str] = set()
        for a in sorted(self.org.assumptions, key=lambda a: a.department):
            if a.name != PRODUCTIVITY or a.segment is not None or a.value is None or a.department in seen:
                continue
            seen.add(a.department)
            found = self.capacity(a)
            if found is not None:
                yield found

    def capacity(self, productivity: Assumption) -> Fact | None:
        dept = productivity.department
        below = self.descendants(dept)
        candidates = [t for owner in sorted(below) for t in self.targets_of.get(owner, ())
                      if self.unit(t.metric) == "currency"]
        candidates.sort(key=lambda t: self._target_order[t.id])
        quotas = [t for t in candidates if t.kind == "quota"] or [t for t in candidates if t.owner == dept]
        if not quotas:
            return None
        metrics = sorted({t.metric for t in quotas}, key=lambda m: (QUOTA_METRICS.index(m) if m in QUOTA_METRICS
                                                                    else len(QUOTA_METRICS), m))
        metric = metrics[0]
        on_metric = [t for t in candidates if t.metric == metric]
        spans = {t.period: self.period_days(t.period) for t in on_metric}
        period = max(spans, key=lambda p: ((spans[p][1] - spans[p][0]).days if spans[p] else 0, p or ""))
        chosen = [t for t in on_metric if t.period == period]
        parents = {t.parent for t in chosen}
        leaves = sorted((t for t in chosen if t.id not in parents), key=lambda t: t.id)
        quota_total = sum((to_decimal(t.value) for t in leaves), ZERO)
        if quota_total <= 0:
            return None

        paying = sorted((p for owner in below for p in self.plans_of.get(owner, ())
                         if any(m.metric == metric for m in p.measures)), key=lambda p: self._plan_order[p.id])
        sellers = sum(p.participants or 0 for p in paying)
        hiring_depts = {p.department for p in paying} | {dept}
        hires = sorted((h for owner in hiring_depts for h in self.hires_of.get(owner, ())),
                       key=lambda h: self._hire_order[id(h)])
        heads_assumed = self.assumption(dept, HEADS)
        heads = (to_decimal(heads_assumed.value) if heads_assumed and heads_assumed.value is not None
                 else Decimal(sellers + sum(h.count for h in hires)))
        if heads <= 0:
            return None
        ramp_assumed = self.assumption(dept, RAMP)
        if ramp_assumed is not None and ramp_assumed.value is not None:
            ramp = to_decimal(ramp_assumed.value)
        else:
            span = spans.get(period)
            effective = Decimal(sellers)
            for h in hires:
                effective += Decimal(h.count) * _productive_share(h.start, h.ramp_months, span)
            ramp = effective / heads if heads_assumed is None else ONE
        productive = to_decimal(productivity.value)
        env = {HEADS: heads, RAMP: ramp, PRODUCTIVITY: productive}
        inherited = sorted((a for owner in self.ancestry(dept) for a in self.value_assumptions.get(owner, ())),
                           key=lambda a: self._assumption_order[id(a)])
        for a in inherited:
            env.setdefault(a.name, to_decimal(a.value))
        capacity = self.formulas.evaluate(CAPACITY, env)
        if capacity is None:
            capacity = heads * ramp * productive
        return fact(
            "capacity", f"{dept}/{metric}", productivity.at,
            dept=dept, metric=metric, period=period, quota_total=_float(quota_total, 2), quotas=len(leaves),
            heads=_float(heads, 4), ramp_factor=_float(ramp, 4), productivity=_float(productive, 2),
            capacity=_float(capacity, 2), ratio=_float(capacity / quota_total),
            gap=_float(quota_total - capacity, 2),
            arithmetic=(f"{number_text(heads)} heads x {ratio_text(ramp)} ramp x "
                        f"{format_money(productive, self.currency)} = {format_money(capacity, self.currency)}"),
            quota_text=format_money(quota_total, self.currency), currency=self.currency,
        )

    # -- payout cost ------------------------------------------------------------------------------

    def payout_costs(self) -> Iterator[tuple[Fact, PlanCost]]:
        for plan in self.org.plans:
            if plan.target_incentive is None or not plan.measures:
                continue
            participants = plan.participants
            if participants is None:
                dept = self.departments.get(plan.department)
                participants = dept.headcount if dept else None
            if not participants:
                continue
            cost = self.plan_cost(plan, participants)
            yield fact(
                "payout_cost", plan.id, plan.at,
                plan=plan.id, dept=plan.department, participants=participants,
                target_incentive=_float(to_decimal(plan.target_incentive), 2),
                cost_threshold=_float(cost.threshold, 2), cost_target=_float(cost.target, 2),
                cost_excellence=_float(cost.excellence, 2),
                cost_scenario=_float(cost.scenario, 2) if cost.scenario is not None else None,
                attainment=cost.attainment, uncapped=cost.uncapped, excellence_assumed=cost.excellence_assumed,
                currency=self.currency,
                arithmetic=(f"{participants} x {format_money(to_decimal(plan.target_incentive), self.currency)}"
                            f" x {percent_text(self.weights(plan))} = {format_money(cost.target, self.currency)}"),
            ), cost

    @staticmethod
    def weights(plan: Plan) -> Decimal:
        return sum((to_decimal(m.weight) for m in plan.measures), ZERO)

    def plan_cost(self, plan: Plan, participants: int) -> PlanCost:
        assert plan.target_incentive is not None
        base = Decimal(participants) * to_decimal(plan.target_incentive)
        threshold = target = excellence = ZERO
        scenario: Decimal | None = ZERO if plan.id in self.attainment else None
        assumed = uncapped = False
        for m in plan.measures:
            weight = to_decimal(m.weight)
            threshold += weight * payout_at(m, threshold_attainment(m))
            target += weight * payout_at(m, ONE)
            at_excellence, guessed = excellence_attainment(m, self.unit(m.metric))
            assumed = assumed or guessed
            excellence += weight * payout_at(m, at_excellence)
            if scenario is not None:
                scenario += weight * payout_at(m, to_decimal(self.attainment[plan.id]))
            uncapped = uncapped or is_uncapped(m, self.unit(m.metric))
        return PlanCost(plan, participants, base * threshold, base * target, base * excellence,
                        base * scenario if scenario is not None else None,
                        self.attainment.get(plan.id), uncapped, assumed)

    def budget(self, costs: Sequence[PlanCost]) -> Iterator[Fact]:
        if self.org.incentive_budget is None:
            return
        budget = to_decimal(self.org.incentive_budget)
        totals = {name: sum((getattr(c, name) for c in costs), ZERO) for name in ("threshold", "target", "excellence")}
        expected = sum((c.scenario if c.scenario is not None else c.target for c in costs), ZERO)
        uncapped = sorted(c.plan.id for c in costs if c.uncapped)
        scenario = ", ".join(f"{c.plan.id} at {percent_text(to_decimal(c.attainment))}"
                             for c in sorted(costs, key=lambda c: c.plan.id) if c.attainment is not None)
        priced = {c.plan.id for c in costs}

        def ratio(value: Decimal) -> float | None:
            return _float(value / budget) if budget > 0 else None

        yield fact(
            "budget", slug(self.org.name or "organization"), self.org.at,
            budget=_float(budget, 2), cost_threshold=_float(totals["threshold"], 2),
            cost_target=_float(totals["target"], 2), cost_excellence=_float(totals["excellence"], 2),
            cost_expected=_float(expected, 2), ratio_target=ratio(totals["target"]),
            ratio_excellence=ratio(totals["excellence"]), ratio_expected=ratio(expected),
            plans=len(costs), plans_without_cost=sum(1 for p in self.org.plans if p.id not in priced),
            uncapped_plans=len(uncapped), uncapped=", ".join(uncapped) if uncapped else None,
            scenario=scenario or None, currency=self.currency,
        )

    # -- curves -----------------------------------------------------------------------------------

    def curves(self) -> Iterator[Fact]:
        for plan in self.org.plans:
            for m in plan.measures:
                found = self.curve(plan, m)
                if found is not None:
                    yield found

    def curve(self, plan: Plan, m: Measure) -> Fact | None:
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
            at_excellence, guessed = excellence_attainment(m, self.unit(m.metric))
            if not guessed:
                fields["excellence_attainment"] = _float(at_excellence)
                fields["leverage"] = _float(payout_at(m, at_excellence))
        if threshold_ratio is not None:
            fields["threshold_attainment"] = _float(threshold_ratio)
        return fact("curve", f"{plan.id}/{m.metric}", m.at, plan=plan.id, dept=plan.department, metric=m.metric,
                    **fields)  # type: ignore[arg-type]

    # -- growth (story 5) -------------------------------------------------------------------------

    def growth(self) -> Iterator[Fact]:
        if self.org.base_revenue is None or to_decimal(self.org.base_revenue) <= 0:
            return
        base = to_decimal(self.org.base_revenue)
        for objective in self.org.objectives:
            if objective.metrics[0] != "revenue_growth_pct":
                continue
            wanted = objective.target
            period = objective.period or self._fiscal_period()
            if wanted is None:
                company = [t for t in self.org.targets if t.owner == "company" and t.metric == "revenue_growth_pct"
                           and t.period == period]
                if not company:
                    continue
                wanted = company[0].value
            revenue = [t for t in self.org.targets if t.metric == "revenue" and t.period == period]
            company_revenue = sorted((t for t in revenue if t.owner == "company"), key=lambda t: t.id)
            if company_revenue:
                total, source, keys = to_decimal(company_revenue[0].value), "company", company_revenue[0].id
            else:
                top = sorted((t for t in revenue if t.owner in self.departments
                              and self.departments[t.owner].parent is None), key=lambda t: t.id)
                if not top:
                    continue
                total = sum((to_decimal(t.value) for t in top), ZERO)
                source, keys = "departments", ", ".join(t.id for t in top)
            goal = to_decimal(wanted)
            needed = base * (ONE + goal)
            implied = total / base - ONE
            yield fact(
                "growth", objective.id, objective.at,
                objective=objective.id, period=period, base=_float(base, 2), revenue=_float(total, 2),
                source=source, targets=keys, target_growth=_float(goal), implied_growth=_float(implied),
                needed=_float(needed, 2), gap=_float(needed - total, 2),
                base_text=format_money(base, self.currency), revenue_text=format_money(total, self.currency),
                needed_text=format_money(needed, self.currency), currency=self.currency,
            )


def _order(expr: Expr, name: str) -> int:
    """Position of a variable in the expression, left to right (for stable, readable listings)."""
    order: list[str] = []

    def walk(node: Expr) -> None:
        if isinstance(node, Var):
            if node.name not in order:
                order.append(node.name)
            return
        for child in getattr(node, "left", None), getattr(node, "right", None), getattr(node, "operand", None):
            if child is not None:
                walk(child)

    walk(expr)
    return order.index(name) if name in order else len(order)


def _productive_share(start: datetime.date, ramp_months: float,
                      span: tuple[datetime.date, datetime.date] | None) -> Decimal:
    """Share of the period a hire produces: fully after ramping, half while ramping, nothing before starting."""
    if span is None:
        return ONE
    first, last = span
    total = Decimal((last - first).days + 1)
    ramped = start + datetime.timedelta(days=round(ramp_months * 30))

    def days(a: datetime.date, b: datetime.date) -> int:
        """Days of [a, b) inside the period."""
        lo, hi = max(a, first), min(b, last + datetime.timedelta(days=1))
        return max((hi - lo).days, 0)

    ramping = days(start, ramped)
    full = days(ramped, last + datetime.timedelta(days=1))
    return (Decimal(full) + Decimal(ramping) / 2) / total


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
    if m.cap is None or not m.target or m.cap == 0:
        return None
    return attainment_of(m, m.cap)


def payout_at(m: Measure, attainment: Decimal) -> Decimal:
    """The measure's payout (share of its target incentive) at ``attainment``.

    With a curve: nothing below its first point, straight lines between points
    (the last listed point wins where two share an attainment), the last
    segment's slope beyond the last point. Without one: pays 1:1 with
    attainment from the threshold up. A cap stops attainment at the cap.
    """
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
    if m.cap is not None or m.direction < 0 or unit == "percent":
        return False
    if not m.curve:
        return True
    points = sorted(m.curve, key=lambda p: p.attainment)
    if len(points) < 2:
        return False
    a, b = points[-2], points[-1]
    return b.attainment > a.attainment and b.payout > a.payout
