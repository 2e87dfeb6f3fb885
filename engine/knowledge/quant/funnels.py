"""Funnels and supplies (story 3): does what a provider targets carry the consumer's target?

- ``funnel``: if the provider of a dependency hits exactly its target on the
  supplied metric, what does the consumer's target metric come to, under the
  provider's own assumptions (its view of the world) where it has them and the
  consumer's otherwise? Compared with the consumer's target.
- ``supply``: what the provider targets on a supplied metric against what
  the consumer says it needs.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal

from interlock.knowledge.facts import Fact, fact
from interlock.knowledge.quant.common import OrgIndex, number_text, ratio_text, to_float
from interlock.model.formulas import Expr, FormulaError, Var, evaluate, render, variables
from interlock.model.model import Dependency, Target
from interlock.model.money import to_decimal


@dataclass(frozen=True)
class Term:
    """One driver value in an arithmetic string, and where it came from."""

    metric: str
    value: Decimal
    source: str  # "marketing's target", "sales", ...


def provided(index: OrgIndex, provider: str, metric: str,
             period: str | None) -> tuple[Decimal, str, str, str] | None:
    """(value, source, key, at) of the provider's target on ``metric``: a department target, else a measure's."""
    own = sorted((t for t in index.targets_of.get(provider, ()) if t.metric == metric),
                 key=lambda t: (t.period != period, t.period is not None, t.id))
    if own:
        t = own[0]
        return to_decimal(t.value), "target", t.id, str(t.at)
    for plan in index.plans_of.get(provider, ()):
        for m in plan.measures:
            if m.metric == metric and m.target is not None:
                return to_decimal(m.target), "measure", f"{plan.id}/{metric}", str(m.at)
    return None


def supplies(index: OrgIndex) -> Iterator[Fact]:
    """A ``supply`` fact for every dependency on a metric the provider targets (for the fiscal year where it can)."""
    for dep in index.org.dependencies:
        if dep.metric is None:
            continue
        found = provided(index, dep.provider, dep.metric, index.fiscal_period())
        if found is None:
            continue
        value, source, key, at = found
        metric = index.org.metric_by_id.get(dep.metric)
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
            needed=to_float(needed) if needed is not None else None, provided=to_float(value),
            needed_text=index.show(dep.metric, needed) if needed is not None else None,
            provided_text=index.show(dep.metric, value),
            source=source, provider_key=key, good=good,
            ratio=to_float(ratio) if ratio is not None else None,
        )


def funnels(index: OrgIndex) -> Iterator[Fact]:
    """A ``funnel`` fact for each dependency and the consumer's targets nearest the supplied metric in the formulas."""
    for dep in index.org.dependencies:
        if dep.metric is None:
            continue
        supplied = dep.metric
        reachable = []
        for t in index.targets_of.get(dep.consumer, ()):
            if t.metric == supplied:
                continue
            depth = index.formulas.depends_on(t.metric, supplied)
            if depth is not None:
                reachable.append((depth, t))
        if not reachable:
            continue
        nearest = min(depth for depth, _t in reachable)
        shared = sorted(index.segments(dep.provider) & index.segments(dep.consumer))
        for depth, target in sorted(reachable, key=lambda pair: pair[1].id):
            if depth == nearest:
                found = funnel(index, dep, target, depth)
                if found is not None:
                    yield found
                for segment in shared:
                    found = segment_funnel(index, dep, target, depth, segment)
                    if found is not None:
                        yield found


def funnel(index: OrgIndex, dep: Dependency, target: Target, depth: int) -> Fact | None:
    """The consumer's ``target`` worked out from the provider's target, in the provider's view and the consumer's."""
    assert dep.metric is not None
    supplied, output = dep.metric, target.metric
    found = provided(index, dep.provider, supplied, target.period)
    if found is None:
        return None
    provider_value, provider_source, provider_key, _at = found
    source_text = f"{_owns(dep.provider)} {'target' if provider_source == 'target' else 'plan target'}"

    # The provider's view: its own assumptions first, the consumer's where it has none.
    provider_terms = driver_terms(index, output, supplied, Term(supplied, provider_value, source_text),
                                  [(dep.provider, None), (dep.consumer, None)], period=target.period)
    if provider_terms is None:
        return None
    expr, terms = provider_terms
    implied = formula_value(expr, terms)
    if implied is None:
        return None
    planned = to_decimal(target.value)

    # The consumer's own view, for comparison: what it planned the supplied metric at.
    consumer_supply = index.assumption(dep.consumer, supplied)
    consumer_value = (to_decimal(consumer_supply.value) if consumer_supply and consumer_supply.value is not None
                      else to_decimal(dep.amount) if dep.amount is not None else None)
    consumer_text = consumer_implied = None
    factors: list[str] = []
    if consumer_value is not None:
        consumer_terms = driver_terms(index, output, supplied, Term(supplied, consumer_value, dep.consumer),
                                      [(dep.consumer, None), (dep.provider, None)], period=target.period)
        if consumer_terms is not None:
            c_expr, c_terms = consumer_terms
            consumer_implied = formula_value(c_expr, c_terms)
            if consumer_implied is not None:
                consumer_text = arithmetic(index, c_expr, c_terms, consumer_implied, output)
                factors = _differing_factors(index, expr, terms, c_expr, c_terms)
    sources = ", ".join(f"{index.label(t.metric)} from {t.source}" for name, t in sorted(
        terms.items(), key=lambda item: _order(expr, item[0])))
    ratio = implied / planned if planned > 0 else None
    return fact(
        "funnel", f"{dep.id}/{target.id}", dep.at,
        dependency=dep.id, consumer=dep.consumer, provider=dep.provider, metric=supplied, output=output,
        depth=depth, provider_target=to_float(provider_value), provider_source=provider_source,
        provider_key=provider_key, implied=to_float(implied, 2), planned=to_float(planned, 2),
        planned_key=target.id, ratio=to_float(ratio) if ratio is not None else None,
        gap=to_float(planned - implied, 2),
        arithmetic=arithmetic(index, expr, terms, implied, output, labels=False),
        explained=arithmetic(index, expr, terms, implied, output, labels=True),
        sources=sources,
        consumer_implied=to_float(consumer_implied, 2) if consumer_implied is not None else None,
        consumer_arithmetic=consumer_text,
        factors=", ".join(factors) if factors else None,
        unit=index.unit(output) or None, currency=index.currency, period=target.period,
    )


def segment_funnel(index: OrgIndex, dep: Dependency, target: Target, depth: int, segment: str) -> Fact | None:
    """The consumer's plan for one segment against the provider's figures for it.

    Both sides state figures for ``segment``: the volume the provider states for it (else the
    consumer's) multiplied out with the provider's segment figures first, against the same volume
    (the consumer's own where it states one) with the consumer's figures (its segment figures, then
    its overall ones, as it would have planned the segment). Nothing segment-specific on a side,
    or no volume for the segment: no fact (Q15 says which figure is missing).
    """
    assert dep.metric is not None
    supplied, output = dep.metric, target.metric
    if provided(index, dep.provider, supplied, target.period) is None:
        return None  # Q01 judges a dependency whose provider targets the supplied metric
    own = index.segment_assumption(dep.provider, supplied, segment)
    theirs = index.segment_assumption(dep.consumer, supplied, segment)
    volume = own or theirs
    if volume is None or volume.value is None:
        return None
    provider_order = [(dep.provider, segment), (dep.consumer, segment), (dep.provider, None), (dep.consumer, None)]
    consumer_order = [(dep.consumer, segment), (dep.consumer, None), (dep.provider, segment), (dep.provider, None)]
    start = Term(supplied, to_decimal(volume.value), f"{volume.department} ({segment})")
    provider_terms = driver_terms(index, output, supplied, start, provider_order, period=target.period)
    c_volume = theirs or volume
    assert c_volume.value is not None
    consumer_terms = driver_terms(index, output, supplied,
                                  Term(supplied, to_decimal(c_volume.value), f"{c_volume.department} ({segment})"),
                                  consumer_order, period=target.period)
    if provider_terms is None or consumer_terms is None:
        return None
    expr, terms = provider_terms
    c_expr, c_terms = consumer_terms
    label = f" ({segment})"

    def states(side: str, found: Mapping[str, Term]) -> bool:
        chain = index.ancestry(side)
        return any(t.source.endswith(label) and t.source[:-len(label)] in chain for t in found.values())

    if not states(dep.provider, terms) or not states(dep.consumer, c_terms):
        return None  # one side states nothing for the segment: not comparable (Q15)
    implied, planned = formula_value(expr, terms), formula_value(c_expr, c_terms)
    if implied is None or planned is None:
        return None
    factors = _differing_factors(index, expr, terms, c_expr, c_terms)
    sources = ", ".join(f"{index.label(t.metric)} from {t.source}" for name, t in sorted(
        terms.items(), key=lambda item: _order(expr, item[0])))
    ratio = implied / planned if planned > 0 else None
    volume_key = "/".join(part for part in (volume.department, supplied, segment) if part)
    return fact(
        "funnel", f"{dep.id}/{target.id}/{segment}", dep.at,
        dependency=dep.id, consumer=dep.consumer, provider=dep.provider, metric=supplied, output=output,
        depth=depth, segment=segment, provider_target=to_float(to_decimal(volume.value)),
        provider_source="assumption", provider_key=volume_key,
        implied=to_float(implied, 2), planned=to_float(planned, 2), planned_key=target.id,
        ratio=to_float(ratio) if ratio is not None else None, gap=to_float(planned - implied, 2),
        arithmetic=arithmetic(index, expr, terms, implied, output, labels=False),
        explained=arithmetic(index, expr, terms, implied, output, labels=True),
        sources=sources, consumer_implied=to_float(planned, 2),
        consumer_arithmetic=arithmetic(index, c_expr, c_terms, planned, output),
        factors=", ".join(factors) if factors else None,
        unit=index.unit(output) or None, currency=index.currency, period=target.period,
    )


def driver_terms(index: OrgIndex, output: str, supplied: str, start: Term,
                 order: list[tuple[str, str | None]], period: str | None) -> tuple[Expr, dict[str, Term]] | None:
    """``output`` expanded down to ``supplied`` and the drivers, each driver's value and its source:
    the first of ``order`` (department, segment or None for its overall figure) that states it, else
    a target of the first two departments for the period."""
    values: dict[str, Term] = {supplied: start}
    first, second = order[0][0], next(dept for dept, _segment in order if dept != order[0][0])

    def lookup(name: str) -> Term | None:
        if name in values:
            return values[name]
        for dept, segment in order:
            a = index.assumption(dept, name) if segment is None else index.segment_assumption(dept, name, segment)
            if a is not None and a.value is not None:
                return Term(name, to_decimal(a.value), a.department if segment is None else f"{a.department} ({segment})")
        for dept in (second, first):
            own = [t for t in index.targets_of.get(dept, ()) if t.metric == name and t.period == period]
            if own:
                return Term(name, to_decimal(sorted(own, key=lambda t: t.id)[0].value), f"{_owns(dept)} target")
        return None

    def should_expand(name: str) -> bool:
        if name == supplied:
            return False
        if index.formulas.depends_on(name, supplied) is not None:
            return True
        return lookup(name) is None

    expr = index.formulas.expand(output, should_expand)
    if expr is None:
        return None
    for name in variables(expr):
        term = lookup(name)
        if term is None:
            return None
        values[name] = term
    return expr, {name: values[name] for name in variables(expr)}


def formula_value(expr: Expr, terms: Mapping[str, Term]) -> Decimal | None:
    """The expanded formula worked out from the drivers' values; None where it cannot be (a division by zero)."""
    try:
        return evaluate(expr, {name: t.value for name, t in terms.items()})
    except FormulaError:
        return None


def arithmetic(index: OrgIndex, expr: Expr, terms: Mapping[str, Term], result: Decimal, output: str,
               labels: bool = False) -> str:
    """'4,000 x 50% x 20.75% x EUR 18,000 = EUR 7.47M' (labels: '4,000 marketing-qualified leads x ...')."""

    def leaf(name: str) -> str:
        text = index.show(name, terms[name].value)
        return f"{text} {index.label(name)}" if labels else text

    worked = render(expr, leaf, number_text)
    total = index.show(output, result)
    return worked if worked == total else f"{worked} = {total}"  # never "USD 38.0M = USD 38.0M"


def _differing_factors(index: OrgIndex, expr: Expr, terms: Mapping[str, Term],
                       c_expr: Expr, c_terms: Mapping[str, Term]) -> list[str]:
    """The factors both sides use with different values, as provider/consumer ratios ("MQL-to-SQL rate 0.5x")."""
    factors = []
    for name in sorted(variables(expr) & variables(c_expr), key=lambda n: _order(expr, n)):
        mine, theirs = terms.get(name), c_terms.get(name)
        if mine and theirs and theirs.value != 0 and mine.value != theirs.value:
            factors.append(f"{index.label(name)} {ratio_text(mine.value / theirs.value)}x")
    return factors


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


def _owns(name: str) -> str:
    """'marketing' -> "marketing's", 'professional-services' -> "professional-services'"."""
    return f"{name}'" if name.endswith("s") and not name.endswith("ss") else f"{name}'s"
