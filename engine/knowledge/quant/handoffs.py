"""Hand-offs across funnel stages: a dependency stated at one stage, supplied by a department measured at another.

A ``handoff`` fact per dependency with an amount whose provider targets no value
on the dependency's metric (sales-qualified leads, say) but does target an input
of that metric's formula (marketing-qualified leads, in
``sql_count = mql_count * mql_to_sql_rate``): the provider's target converted to
the consumer's stage with the other inputs, taken from the dependency's
``conversion``, else the provider's assumptions, else the consumer's; compared
with what the consumer needs, in the consumer's unit.
"""
from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from interlock.knowledge.facts import Fact, fact
from interlock.knowledge.quant.common import OrgIndex, to_float
from interlock.knowledge.quant.funnels import provided
from interlock.model.model import Dependency
from interlock.model.money import to_decimal


def handoffs(index: OrgIndex) -> Iterator[Fact]:
    for dep in index.org.dependencies:
        if dep.metric is None or dep.amount is None or dep.amount <= 0:
            continue
        if provided(index, dep.provider, dep.metric, index.fiscal_period()) is not None:
            continue  # measured at the same stage: ``supply`` compares it
        compiled = index.formulas.get(dep.metric)
        if compiled is None:
            continue
        for stage in sorted(compiled.inputs):
            found = provided(index, dep.provider, stage, index.fiscal_period())
            if found is None:
                continue
            result = _convert(index, dep, stage, found[0], sorted(compiled.inputs - {stage}))
            if result is not None:
                yield _fact(index, dep, stage, found, *result)
                break


def _convert(index: OrgIndex, dep: Dependency, stage: str, value: Decimal,
             others: list[str]) -> tuple[Decimal, str] | None:
    env = {stage: value}
    texts = []
    for name in others:
        if dep.conversion is not None and len(others) == 1:
            rate, source = to_decimal(dep.conversion), "stated on the dependency"
        else:
            found = index.assumption(dep.provider, name) or index.assumption(dep.consumer, name)
            if found is None or found.value is None:
                return None
            who = index.departments[found.department].name if found.department in index.departments else found.department
            rate, source = to_decimal(found.value), f"assumed by {who}"
        env[name] = rate
        texts.append(f"{index.show(name, rate)} {index.label(name)} ({source})")
    implied = index.formulas.evaluate(dep.metric, env)
    return (implied, ", ".join(texts)) if implied is not None else None


def _fact(index: OrgIndex, dep: Dependency, stage: str, found: tuple[Decimal, str, str, str],
          implied: Decimal, rates: str) -> Fact:
    value, source, key, _at = found
    needed = to_decimal(dep.amount)
    return fact(
        "handoff", dep.id, dep.at,
        dependency=dep.id, consumer=dep.consumer, provider=dep.provider, metric=dep.metric,
        provider_metric=stage, provider_value=to_float(value), provider_text=index.show(stage, value),
        source=source, provider_key=key, rates=rates, implied=to_float(implied), needed=to_float(needed),
        implied_text=index.show(dep.metric, implied), needed_text=index.show(dep.metric, needed),
        ratio=to_float(implied / needed), gap_text=index.show(dep.metric, abs(needed - implied)),
    )
