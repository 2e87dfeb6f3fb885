"""Lead objectives and targets, each target rolled up to its nearest parent on the same metric and period."""
from __future__ import annotations

import math

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from typing import Any

from interlock.model.builder import Builder
from interlock.model.model import (
    Actual,
    Department,
    Objective,
    Target,
    UnresolvedTarget,
)
from interlock.model.periods import period_range
from interlock.model.sections.organization import cycles, plan_year_start
from interlock.read.values import COMPANY, DIRECTIONS, as_int, did_you_mean, parse_percent

PERIOD = re.compile(r"(FY)?[0-9]{4}(-(Q[1-4]|H[12]|0[1-9]|1[0-2]))?")


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
                collaborative=node.flag("collaborative", False),
            )
        )
    return tuple(sorted(result, key=lambda o: o.id))


def targets(
    b, departments: Mapping[str, Department], milestones: Collection[str], info: Mapping[str, Any],
    history: Sequence[Actual] = (), unresolved: list[UnresolvedTarget] | None = None,
) -> tuple[Target, ...]:
    """The targets, relative ones resolved to a number (those whose reference the policy does not give go to
    ``unresolved``)."""
    nodes = dict(b.identified("target", "targets"))
    built: dict[str, Target] = {}
    relative: dict[str, Any] = {}
    for ident, node in nodes.items():
        owner = b.owner(node, "owner", departments, company=True)
        metric = b.metric(node, "metric")
        value = parse_percent(node.data.get("value"))
        parent = b.optional(node, "parent", "target", nodes)
        contingent = b.optional(node, "contingent_on", "milestone", milestones)
        if not _value_or_relative(b, node):
            continue
        if "relative" in node.data:
            if owner and metric:
                relative[ident] = (node, owner, metric, parent, contingent)
            continue
        period = node.text("period")
        starts, ends = (None, None)
        if period:
            starts, ends = period_range(period, info.get("fiscal_year"),
                                        plan_year_start(departments, owner, info) if owner else info.get("fiscal_year_start"))
        if owner and metric and value is not None:
            built[ident] = Target(
                id=ident, owner=owner, metric=metric, value=value, kind=node.text("kind") or "target", at=node.at,
                period=period, starts=starts, ends=ends, parent=parent, basis=node.text("basis"),
                contingent_on=contingent, phasing=phasing(b, node),
            )
    _resolve(b, relative, built, history, info, unresolved if unresolved is not None else [], nodes)
    by_place = _targets_by_place(built)
    resolved = {ident: _with_parent(t, by_place, departments, built) for ident, t in sorted(built.items())}
    cycles(b, {t.id: t.parent for t in resolved.values()}, nodes, "the target roll-up")
    return tuple(resolved.values())

def _value_or_relative(b: Builder, node: Any) -> bool:
    """A target states its number (value) or how it follows from a reference (relative), one of the two."""
    if "value" in node.data and "relative" in node.data:
        b.report(node, "a target states value or relative, not both", "relative")
        return False
    if "value" not in node.data and "relative" not in node.data:
        b.report(node, "missing required key 'value' (or 'relative': a change on a past actual or another target)")
        return False
    return True


def _resolve(b: Builder, relative: Mapping[str, Any], built: dict[str, Target], history: Sequence[Actual],
             info: Mapping[str, Any], unresolved: list[UnresolvedTarget], nodes: Collection[str]) -> None:
    """Each relative target as base x (1 + change): the base is the owner's actual in the period named
    (history) or the named target's value; one target may follow another, in any order."""
    pending = dict(relative)
    while pending:
        progressed = False
        for ident, (node, owner, metric, parent, contingent) in sorted(pending.items()):
            to, change = node.data["relative"].get("to"), parse_percent(node.data["relative"].get("change"))
            if not isinstance(to, str) or change is None:  # the schema reported it
                del pending[ident]
                progressed = True
                continue
            if to in pending:
                continue  # resolved once its reference is
            base = _base(b, node, to, owner, metric, built, history, nodes, {u.id for u in unresolved})
            del pending[ident]
            progressed = True
            if base is False:
                continue
            period = node.text("period")
            if base is None:
                unresolved.append(UnresolvedTarget(ident, owner, metric, to, change, node.at, period))
                continue
            starts, ends = period_range(period, info.get("fiscal_year"), info.get("fiscal_year_start")) if period \
                else (None, None)
            built[ident] = Target(
                id=ident, owner=owner, metric=metric, value=round(base * (1 + change), 9),
                kind=node.text("kind") or "target", at=node.at, period=period, starts=starts, ends=ends,
                parent=parent, basis=node.text("basis"), contingent_on=contingent,
                phasing=phasing(b, node), relative_to=to, change=change, base=base,
            )
        if not progressed:
            for ident, (node, *_rest) in sorted(pending.items()):
                b.report(node, f"relative target {ident!r} follows a target that follows it back: state one of "
                               "them as a value", "relative", "to")
            return


def _base(b: Builder, node: Any, to: str, owner: str, metric: str, built: Mapping[str, Target],
          history: Sequence[Actual], nodes: Collection[str], unresolved: Collection[str]) -> float | None | bool:
    """The reference's value; None when the policy does not give it; False when the reference is wrong (reported)."""
    if PERIOD.fullmatch(to):
        found = [a.value for a in history if a.owner == owner and a.metric == metric and a.period == to and a.plan is None]
        return found[0] if found else None
    target = built.get(to)
    if target is None and to in unresolved:
        return None  # follows a target whose own reference is missing
    if target is None and to in nodes:
        return False  # the target it follows was reported
    if target is None:
        b.report(node, f"relative.to {to!r} is neither a period (FY2026) nor a target id{did_you_mean(to, built)}",
                 "relative", "to")
        return False
    if target.metric != metric:
        b.report(node, f"relative target follows {to!r}, a target on {target.metric!r}, not {metric!r}: a change "
                       "is taken on the same metric", "relative", "to")
        return False
    return target.value


def phasing(b: Builder, node: Any) -> tuple[float, ...]:
    """The target's split over its period (quarters, halves or months), which must add up to 100%."""
    listed = node.data.get("phasing")
    if not isinstance(listed, list):
        return ()
    shares = [parse_percent(share) for share in listed]
    if any(share is None for share in shares):
        return ()
    if len(shares) not in (2, 4, 12):
        b.report(node, f"phasing lists {len(shares)} shares: write 4 (quarters), 2 (halves) or 12 (months)", "phasing")
        return ()
    total = math.fsum(share for share in shares if share is not None)
    if abs(total - 1) > 0.005:
        b.report(node, f"phasing adds up to {total:.1%}, not 100%: the {len(shares)} shares split the whole "
                       "target", "phasing")
        return ()
    return tuple(share for share in shares if share is not None)


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
