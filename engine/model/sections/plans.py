"""Incentive plans: participants, target incentive, measures with their curves, gates, modifiers, clawbacks and holdbacks."""
from __future__ import annotations

import datetime
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from interlock.model.builder import Builder, Node
from interlock.model.model import (
    Clawback,
    CurvePoint,
    Definition,
    Gate,
    Holdback,
    Lever,
    Location,
    Measure,
    Modifier,
    Plan,
    TimeRequirement,
)
from interlock.read.values import (
    DIRECTIONS,
    as_date,
    as_int,
    as_money,
    as_number,
    parse_percent,
    quote,
    written,
)


def plans(b: Builder, departments: Collection[str], milestones: Collection[str]) -> tuple[Plan, ...]:
    result = []
    for ident, node in b.identified("plan", "plans"):
        department = b.owner(node, "department", departments)
        built = [(m, measure(b, m, department, milestones)) for m in node.children("measures")]
        measures = once(b, ident, "measure", built)
        gates = once(b, ident, "gate", [(g, gate(b, g)) for g in node.children("gates")])
        modifiers = once(b, ident, "modifier", [(m, modifier(b, m)) for m in node.children("modifiers")])
        effective = node.children("effective")
        start, end = span(b, effective[0], "from", "to") if effective else (None, None)
        levers = node.data.get("levers")
        if department is None:
            continue
        result.append(
            Plan(
                id=ident,
                department=department,
                at=node.at,
                role=node.text("role"),
                participants=as_int(node.data.get("participants")),
                target_incentive=as_money(node.data.get("target_incentive")),
                pay_mix=parse_percent(node.data.get("pay_mix")),
                effective_from=start,
                effective_to=end,
                levers=with_discount_authority(node, tuple(
                    Lever(lever, node.where("levers", i))
                    for i, lever in enumerate(levers if isinstance(levers, list) else [])
                    if isinstance(lever, str)
                )),
                measures=measures,
                gates=gates,
                modifiers=modifiers,
                clawback=next((clawback(b, c) for c in node.children("clawback")), None),
                holdback=next((holdback(b, h) for h in node.children("holdback")), None),
                cap=plan_cap(b, node),
                discount_authority=parse_percent(node.data.get("discount_authority")),
                true_up=node.data.get("true_up") == "year",
                time_required=tuple(t for t in (time_required(b, r, department, departments)
                                                 for r in node.children("time_required")) if t is not None),
            )
        )
    return tuple(sorted(result, key=lambda p: p.id))


def span(b: Builder, node: Node, first: str, last: str) -> tuple[datetime.date | None, datetime.date | None]:
    start, end = as_date(node.data.get(first)), as_date(node.data.get(last))
    if start and end and start > end:
        b.report(node, f"{end} is before {first} {start}", last)
    return start, end


def once(b: Builder, plan: str, kind: str, items: Sequence[tuple[Node, Measure | Gate | Modifier | None]]) -> tuple[Any, ...]:
    """The buildable items, each metric once: a plan pays, gates or modifies on a metric in one place."""
    seen: dict[str, Location] = {}
    kept = []
    for node, item in items:
        if item is None:
            continue
        if item.metric in seen:
            first = seen[item.metric]
            b.report(node, f"duplicate {kind} {item.metric!r} in plan {plan!r} (first defined at {first})")
            continue
        seen[item.metric] = item.at
        kept.append(item)
    return tuple(kept)


def measure(b: Builder, node: Node, department: str | None, milestones: Collection[str]) -> Measure | None:
    metric = b.metric(node, "metric")
    definition = node.text("definition")
    if metric and department and definition is not None:
        found = Definition(metric, department, definition, node.where("definition"))
        b.inline.append((found, node.label("definition")))
    weight = parse_percent(node.data.get("weight"))
    contingent = b.optional(node, "contingent_on", "milestone", milestones)
    if metric is None or weight is None:
        return None
    found_band = band(b, node, metric)
    if "direction" in node.data:
        direction = DIRECTIONS.get(str(node.data.get("direction")), 0)
    else:
        direction = b.catalog.good(metric)
    if "direction" not in node.data and direction == 0 and "band" not in node.data:
        b.report(node, f"metric {metric!r} has no good direction of its own: add direction: up or down")
    if direction == 0 and found_band is None:
        return None
    if found_band is not None and "direction" not in node.data:
        direction = 0  # a band pays for staying inside it, neither up nor down
    cap = node.data.get("cap")
    if _percentage_for_an_amount(b, node, metric, cap):
        cap = None
    curve = []
    for point in node.children("curve"):
        attainment, payout = parse_percent(point.data.get("attainment")), parse_percent(point.data.get("payout"))
        if attainment is not None and payout is not None:
            curve.append(CurvePoint(attainment, payout, point.at))
    return Measure(
        metric=metric,
        weight=weight,
        direction=direction,
        at=node.at,
        threshold=parse_percent(node.data.get("threshold")),
        target=found_band[0] if found_band is not None else parse_percent(node.data.get("target")),
        excellence=parse_percent(node.data.get("excellence")),
        cap=None if cap == "none" else parse_percent(cap),
        curve=tuple(curve),
        period=node.text("period"),
        basis=node.text("basis"),
        team=node.flag("team"),
        contingent_on=contingent,
        definition=definition,
        reported_by=node.text("reported_by"),
        band=found_band,
    )


def band(b: Builder, node: Node, metric: str) -> tuple[float, float] | None:
    """``band: {around: 30, within: 5}``: the measure pays as on target for a result within 5 of 30 (25 to 35).

    The band is the measure's target, so threshold, target and excellence (points on a line) are refused beside it.
    """
    written_band = node.data.get("band")
    if not isinstance(written_band, Mapping):
        return None  # absent, or the schema reported it
    both = [key for key in ("threshold", "target", "excellence") if key in node.data]
    if both:
        b.report(node, f"a measure states a band or a {both[0]}, not both: the band is its target (pay for a "
                       f"result within {written(written_band.get('within'))} of {written(written_band.get('around'))})",
                 both[0])
        return None
    around, within = parse_percent(written_band.get("around")), parse_percent(written_band.get("within"))
    if around is None or within is None:
        return None  # the schema reported it
    found = b.catalog.by_id.get(metric)
    unit = found.unit if found else ""
    for key, value in (("around", around), ("within", within)):
        text = written_band.get(key)
        if unit not in ("percent", "") and isinstance(text, str) and text.strip().endswith("%"):
            hint = (f": {text.strip()} of {written(written_band.get('around'))} is within: {around * within:g}"
                    if key == "within" and "%" not in str(written_band.get("around")) else "")
            b.report(node, f"band.{key} {text.strip()!r} is a percentage, but {metric} is measured in {unit}: write "
                           f"it in {unit}{hint}", "band", key)
            return None
    if within <= 0:
        b.report(node, f"band.within is {written(written_band.get('within'))}: a band is a tolerance either side of "
                       f"{written(written_band.get('around'))}, more than 0 (within: 5 pays 25 to 35 around 30)",
                 "band", "within")
        return None
    return (around, within)


def gate(b: Builder, node: Node) -> Gate | None:
    metric = b.metric(node, "metric")
    minimum = parse_percent(node.data.get("minimum"))
    if metric is None or minimum is None:
        return None
    return Gate(metric, minimum, node.at, node.text("effect"))


def modifier(b: Builder, node: Node) -> Modifier | None:
    metric = b.metric(node, "metric")
    bounds = node.data.get("range")
    span = None
    if isinstance(bounds, list) and len(bounds) == 2:
        low, high = parse_percent(bounds[0]), parse_percent(bounds[1])
        if low is not None and high is not None:
            span = (low, high)
            if low > high:
                message = f"the lowest multiplier {written(bounds[0])} is above the highest {written(bounds[1])}"
                b.report(node, message, "range")
    if metric is None:
        return None
    return Modifier(metric, node.at, span, node.text("criteria"))


def clawback(b: Builder, node: Node) -> Clawback:
    # `triggers`; `on` is its former name, still read (a YAML 1.1 reader takes a bare `on:` for true).
    triggers = node.data.get("triggers", node.data.get("on"))
    events = tuple(t for t in triggers if isinstance(t, str)) if isinstance(triggers, list) else ()
    return Clawback(as_int(node.data.get("days")), events, node.at)


def time_required(b: Builder, node: Node, department: str, departments: Collection[str]) -> TimeRequirement | None:
    """Days the plan requires of a department's people; the department defaults to the plan's."""
    whose = b.owner(node, "department", departments) if "department" in node.data else department
    days = as_number(node.data.get("days"))
    activity = node.text("activity")
    if whose is None or days is None or activity is None:
        return None
    per = node.text("per") or "person"
    found = departments.get(whose) if isinstance(departments, Mapping) else None
    if per == "hire" and found is not None and not found.headcount:
        b.report(node, f"per: hire spreads each hire's days over the department's people: give department "
                       f"{quote(whose)} a headcount", "per")
        return None
    return TimeRequirement(activity, float(days), whose, per, node.at)


def holdback(b: Builder, node: Node) -> Holdback:
    return Holdback(parse_percent(node.data.get("share")), as_int(node.data.get("days")), node.at)


def with_discount_authority(node: Node, levers: tuple[Lever, ...]) -> tuple[Lever, ...]:
    """``discount_authority: 15%`` is price authority with a limit: the price lever, carrying the limit
    (added at the key when `levers` does not list price)."""
    limit = parse_percent(node.data.get("discount_authority"))
    if not limit:
        return levers
    if any(lever.name == "price" for lever in levers):
        return tuple(Lever(lever.name, lever.at, limit) if lever.name == "price" else lever for lever in levers)
    return (*levers, Lever("price", node.where("discount_authority"), limit))


def plan_cap(b: Builder, node: Node) -> float | None:
    """``cap: 2x`` (or ``200%``): the most a participant earns, as a multiple of the target incentive.

    Below 1x the plan could not pay its own target incentive: refused, not guessed at.
    """
    written_cap = node.data.get("cap")
    if not isinstance(written_cap, str):
        return None
    text = written_cap.strip().lower()
    multiple = parse_percent(text) if text.endswith("%") else _number(text.rstrip("x").strip())
    if multiple is None:
        return None
    if multiple < 1:
        b.report(node, f"cap {written_cap.strip()!r} is below the target incentive ({multiple:g}x): the plan could "
                       "not pay its target; a plan cap is a multiple of at least 1x (2x pays at most twice the "
                       "target incentive)", "cap")
        return None
    return multiple


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _percentage_for_an_amount(b: Builder, node: Node, metric: str, cap: object) -> bool:
    """``cap: 250%`` on a metric not measured in percent would be read as 2.50 of its unit: an error,
    with the amount it probably means (the percentage of the measure's target)."""
    if not (isinstance(cap, str) and cap.strip().endswith("%")):
        return False
    found = b.catalog.by_id.get(metric)
    unit = found.unit if found else ""
    if unit in ("percent", ""):
        return False
    share = parse_percent(cap)
    target = parse_percent(node.data.get("target"))
    hint = (f": {cap.strip()} of its target {target:,.0f} is cap: {target * share:_.0f}"
            if share is not None and target is not None else "")
    b.report(node, f"cap {cap.strip()!r} is a percentage, but {metric} is measured in {unit}: "
                   f"write the cap in {unit}, as an amount{hint}", "cap")
    return True
