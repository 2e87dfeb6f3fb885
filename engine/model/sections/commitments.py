"""What departments promise each other: milestones, assumptions, dependencies, hires, spend and metric definitions."""
from __future__ import annotations

from collections.abc import Collection

from interlock.model.builder import Builder
from interlock.model.model import (
    Assumption,
    Definition,
    Dependency,
    Hire,
    Milestone,
    Spend,
)
from interlock.model.sections.plans import span
from interlock.read.values import (
    as_date,
    as_int,
    as_money,
    as_number,
    parse_percent,
    quote,
)


def milestones(b: Builder, departments: Collection[str]) -> dict[str, Milestone]:
    result = {}
    for ident, node in b.identified("milestone", "milestones"):
        owner = b.owner(node, "owner", departments)
        planned = as_date(node.data.get("planned"))
        forecast = as_date(node.data.get("forecast")) if "forecast" in node.data else planned
        confidence = parse_percent(node.data.get("confidence")) if "confidence" in node.data else 1.0
        if owner and planned and forecast and confidence is not None:
            result[ident] = Milestone(ident, node.text("name") or ident, owner, planned, forecast, confidence, node.at)
        else:  # something in it was reported: the organization will not be built
            b.unbuilt_milestones.add(ident)
    return dict(sorted(result.items()))


def assumptions(b: Builder, departments: Collection[str], milestones: Collection[str]) -> tuple[Assumption, ...]:
    result: dict[str, Assumption] = {}
    for node in b.nodes("assumptions"):
        department = b.owner(node, "department", departments)
        has_value, has_date = "value" in node.data, "date" in node.data
        if has_value == has_date:
            both = ", not both" if has_value else ""
            b.report(node, f"give either a value or a date{both}")
        milestone = b.optional(node, "milestone", "milestone", milestones)
        name = node.text("name")
        if department is None or name is None:
            continue
        name = b.catalog.canonical(name)
        segment = node.text("segment")
        key = "/".join(part for part in (department, name, segment) if part)
        if not b.register("assumption", key, node, f"assumption {quote(key)} (department/name/segment)"):
            continue
        result[key] = Assumption(
            department=department, name=name, at=node.at,
            value=parse_percent(node.data.get("value")), date=as_date(node.data.get("date")), segment=segment,
            period=node.text("period"), milestone=milestone, note=node.text("note"),
        )
    return tuple(result[k] for k in sorted(result))


def dependencies(b: Builder, departments: Collection[str], milestones: Collection[str]) -> tuple[Dependency, ...]:
    result = []
    for ident, node in b.identified("dependency", "dependencies"):
        consumer = b.owner(node, "consumer", departments)
        provider = b.reference(node, "department", departments, "provider")
        metric = b.metric(node, "metric") if "metric" in node.data else None
        milestone = b.optional(node, "milestone", "milestone", milestones)
        if consumer and consumer == provider:
            b.report(node, f"{consumer!r} cannot depend on itself", "provider")
        if consumer is None or provider is None:
            continue
        definition = node.text("definition")
        if metric and definition is not None:
            found = Definition(metric, consumer, definition, node.where("definition"))
            b.inline.append((found, node.label("definition")))
        result.append(
            Dependency(
                id=ident, consumer=consumer, provider=provider, at=node.at,
                deliverable=node.text("deliverable"), metric=metric,
                amount=parse_percent(node.data.get("amount")), due=as_date(node.data.get("due")),
                critical=node.flag("critical"), milestone=milestone, definition=node.text("definition"),
                conversion=parse_percent(node.data.get("conversion")) if "conversion" in node.data else None,
            )
        )
    return tuple(sorted(result, key=lambda d: d.id))


def hires(b: Builder, departments: Collection[str], milestones: Collection[str]) -> tuple[Hire, ...]:
    result = []
    for ident, node in b.identified("hire", "hires"):
        department = b.owner(node, "department", departments)
        contingent = b.optional(node, "contingent_on", "milestone", milestones)
        start = as_date(node.data.get("start"))
        count = as_int(node.data.get("count", 1))
        ramp = as_number(node.data.get("ramp_months", 0))
        if department and start and count is not None and ramp is not None:
            result.append(Hire(ident, department, count, start, ramp, node.at, node.text("role"), contingent))
    return tuple(sorted(result, key=lambda h: h.id))


def spend(b: Builder, departments: Collection[str], milestones: Collection[str]) -> tuple[Spend, ...]:
    result = []
    for ident, node in b.identified("spend", "spend"):
        department = b.owner(node, "department", departments)
        contingent = b.optional(node, "contingent_on", "milestone", milestones)
        amount = as_money(node.data.get("amount"))
        start, end = span(b, node, "from", "to")
        if department and amount is not None:
            result.append(Spend(ident, department, amount, node.at, node.text("purpose"), start, end, contingent))
    return tuple(sorted(result, key=lambda s: s.id))


def definitions(b: Builder, departments: Collection[str]) -> tuple[Definition, ...]:
    """Explicit definitions plus those written inline in measures and dependencies: one per metric and department."""
    found = list(b.inline)
    for node in b.nodes("definitions"):
        department = b.owner(node, "department", departments)
        metric = b.metric(node, "metric")
        text = node.text("text")
        if department and metric and text is not None:
            found.append((Definition(metric, department, text, node.at), node.label("text")))
    result: dict[tuple[str, str], Definition] = {}
    for definition, label in sorted(found, key=lambda item: item[0].at):
        first = result.setdefault((definition.metric, definition.department), definition)
        if first is not definition and first.normalized_text != definition.normalized_text:
            b.problem(
                definition.at,
                f"{label}: a second, different definition of {definition.metric!r} for department"
                f" {definition.department!r} (first defined at {first.at})",
            )
    return tuple(result[k] for k in sorted(result))
