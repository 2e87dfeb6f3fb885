"""Lead objectives and targets, each target rolled up to its nearest parent on the same metric and period."""
from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from typing import Any

from interlock.model.builder import Builder
from interlock.model.model import (
    Department,
    Objective,
    Target,
)
from interlock.model.periods import period_range
from interlock.model.sections.organization import cycles, plan_year_start
from interlock.read.values import COMPANY, DIRECTIONS, as_int, parse_percent


def objectives(b: Builder) -> tuple[Objective, ...]:
    result = []
    for node in b.nodes("objectives"):
        adopted = None
        if "adopt" in node.data:
            found = b.reference(node, "built-in objective", b.catalog.objectives, "adopt")
            if found is None:
                continue
            adopted = b.catalog.objectives[found]
        ident = node.text("id") or (adopted.id if adopted else None)
        if not b.register("objective", ident, node):
            continue
        assert ident is not None
        listed = node.data.get("metrics")
        if isinstance(listed, list):
            metrics = tuple(b.metric(node, "metrics", i) for i in range(len(listed)))
        else:
            metrics = adopted.metrics if adopted else ()
        direction = DIRECTIONS.get(str(node.data.get("direction")), adopted.direction if adopted else 0)
        target = parse_percent(node.data.get("target"))
        if not metrics or None in metrics or not direction:
            continue
        result.append(
            Objective(
                id=ident,
                name=node.text("name") or (adopted.name if adopted else ident),
                metrics=tuple(m for m in metrics if m),
                direction=direction,
                lead=node.flag("lead", True),
                at=node.at,
                target=target,
                unit=node.text("unit"),
                priority=as_int(node.data.get("priority")),
                period=node.text("period"),
                adopted=adopted.id if adopted else None,
                description=node.text("description") or (adopted.description if adopted else ""),
            )
        )
    return tuple(sorted(result, key=lambda o: o.id))


def targets(
    b, departments: Mapping[str, Department], milestones: Collection[str], info: Mapping[str, Any]
) -> tuple[Target, ...]:
    nodes = dict(b.identified("target", "targets"))
    built: dict[str, Target] = {}
    for ident, node in nodes.items():
        owner = b.owner(node, "owner", departments, company=True)
        metric = b.metric(node, "metric")
        value = parse_percent(node.data.get("value"))
        parent = b.optional(node, "parent", "target", nodes)
        contingent = b.optional(node, "contingent_on", "milestone", milestones)
        period = node.text("period")
        starts, ends = (None, None)
        if period:
            starts, ends = period_range(period, info.get("fiscal_year"),
                                        plan_year_start(departments, owner, info) if owner else info.get("fiscal_year_start"))
        if owner and metric and value is not None:
            built[ident] = Target(
                id=ident, owner=owner, metric=metric, value=value, kind=node.text("kind") or "target", at=node.at,
                period=period, starts=starts, ends=ends, parent=parent, basis=node.text("basis"),
                contingent_on=contingent,
            )
    by_place = _targets_by_place(built)
    resolved = {ident: _with_parent(t, by_place, departments, built) for ident, t in sorted(built.items())}
    cycles(b, {t.id: t.parent for t in resolved.values()}, nodes, "the target roll-up")
    return tuple(resolved.values())

Place = tuple[str, str, "str | None"]  # owner, metric, period


def _targets_by_place(targets: Mapping[str, Target]) -> dict[Place, list[str]]:
    """Target ids by owner, metric and period, sorted: one index instead of a scan per target."""
    found: dict[Place, list[str]] = {}
    for t in targets.values():
        found.setdefault((t.owner, t.metric, t.period), []).append(t.id)
    return {place: sorted(ids) for place, ids in found.items()}


def _with_parent(target: Target, targets: Mapping[Place, list[str]], departments: Mapping[str, Department],
                 built: Mapping[str, Target]) -> Target:
    """Default roll-up: the nearest ancestor department's target on the same metric and period (the same days:
    FY2027 of a department on its own plan year is not the company's FY2027), else the company's."""
    if target.parent is not None or target.owner == COMPANY:
        return target
    seen: set[str] = set()
    owner = departments[target.owner].parent if target.owner in departments else None
    while owner is not None and owner not in seen:  # `seen`: a department cycle is reported elsewhere
        seen.add(owner)
        parent = _matching(target, targets, owner, built)
        if parent:
            return replace(target, parent=parent)
        owner = departments[owner].parent if owner in departments else None
    parent = _matching(target, targets, COMPANY, built)
    return replace(target, parent=parent) if parent else target


def _matching(target: Target, targets: Mapping[Place, list[str]], owner: str, built: Mapping[str, Target]) -> str | None:
    same = [ident for ident in targets.get((owner, target.metric, target.period), ())
            if ident != target.id and (built[ident].starts, built[ident].ends) == (target.starts, target.ends)]
    return same[0] if same else None
