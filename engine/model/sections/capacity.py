"""Delivery capacity: what a department can deliver of a metric in a period, and the targets that drive demand on it."""
from __future__ import annotations

from collections.abc import Collection, Sequence

from interlock.model.builder import Builder
from interlock.model.model import Capacity, Driver, Target
from interlock.read.values import as_number, parse_percent


def capacities(b: Builder, departments: Collection[str], targets: Sequence[Target]) -> tuple[Capacity, ...]:
    """Each capacity, stated (`amount`) or as `people` x `per_person`, with its demand drivers."""
    by_id = {t.id: t for t in targets}
    result = []
    for ident, node in b.identified("capacity", "capacity"):
        department = b.owner(node, "department", departments)
        metric = b.metric(node, "metric")
        amount = parse_percent(node.data.get("amount")) if "amount" in node.data else None
        people = as_number(node.data.get("people")) if "people" in node.data else None
        per_person = parse_percent(node.data.get("per_person")) if "per_person" in node.data else None
        stated, split = "amount" in node.data, "people" in node.data or "per_person" in node.data
        if stated == split or (split and ("people" not in node.data or "per_person" not in node.data)):
            b.report(node, "give either `amount`, or both `people` and `per_person`")
            continue
        drivers = []
        for item in node.children("drivers"):
            target = b.reference(item, "target", by_id, "target")
            per = parse_percent(item.data.get("per", 1))
            if target is not None and per is not None:
                drivers.append(Driver(target, per, item.at))
        if department is None or metric is None:
            continue
        result.append(Capacity(
            id=ident, department=department, metric=metric, at=node.at, amount=amount, people=people,
            per_person=per_person, period=node.text("period"), drivers=tuple(drivers), note=node.text("note"),
        ))
    return tuple(sorted(result, key=lambda c: c.id))
