"""The `organization` section (name, fiscal year, budget) and the departments with their hierarchy."""
from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from interlock.model.builder import Builder, Node
from interlock.model.model import (
    Department,
)
from interlock.model.periods import shift_months
from interlock.read.values import (
    COMPANY,
    FIRST_DAY,
    LAST_DAY,
    as_date,
    as_int,
    as_money,
    did_you_mean,
    quote,
)


def organization_fields(b: Builder) -> dict[str, Any]:
    nodes = [n for doc in b.documents for n in Node(doc, (), doc.data, None).children("organization")]
    if not nodes:
        return {}
    node = nodes[0]
    for other in nodes[1:]:
        b.report(other, f"the organization is already defined (first defined at {node.at})")
    fiscal_year = as_int(node.data.get("fiscal_year"))
    if fiscal_year is not None and not FIRST_DAY.year <= fiscal_year <= LAST_DAY.year:
        fiscal_year = None  # the schema reports it; periods then follow the calendar
    start = as_date(node.data.get("fiscal_year_start"))
    if start is None and fiscal_year is not None:
        start = datetime.date(fiscal_year, 1, 1)
    if fiscal_year is None and start is not None:
        fiscal_year = start.year
    end = shift_months(start, 12) if start else None
    return {
        "name": node.text("name"),
        "currency": node.text("currency") or "USD",
        "fiscal_year": fiscal_year,
        "fiscal_year_start": start,
        "fiscal_year_end": end - datetime.timedelta(days=1) if end else None,
        "incentive_budget": as_money(node.data.get("incentive_budget")),
        "base_revenue": as_money(node.data.get("base_revenue")),
        "working_days": as_int(node.data.get("working_days")),
        "at": node.at,
    }


def departments(b: Builder) -> dict[str, Department]:
    nodes = dict(b.identified("department", "departments"))
    result: dict[str, Department] = {}
    for ident, node in nodes.items():
        if ident == COMPANY:
            b.report(node, "'company' is reserved for the whole organization", "id")
        parent = b.optional(node, "parent", "department", nodes)
        result[ident] = Department(
            id=ident,
            name=node.text("name") or ident,
            kind=node.text("kind") or ("team" if parent else "function"),
            at=node.at,
            parent=parent,
            owner=node.text("owner"),
            headcount=as_int(node.data.get("headcount")),
            function=_function(b, node),
            plan_year_start=as_date(node.data.get("plan_year_start")),
        )
    cycles(b, {d.id: d.parent for d in result.values()}, nodes, "the department hierarchy")
    return dict(sorted(result.items()))


def cycles(b: Builder, parent: Mapping[str, str | None], nodes: Mapping[str, Node], what: str) -> None:
    """Report each cycle of a parent relation once, at its smallest member."""
    reported: set[frozenset[str]] = set()
    for start in sorted(parent):
        chain: list[str] = []
        node: str | None = start
        while node is not None and node not in chain:
            chain.append(node)
            node = parent.get(node)
        if node is None:
            continue
        loop = chain[chain.index(node):]
        if frozenset(loop) in reported:
            continue
        reported.add(frozenset(loop))
        first = loop.index(min(loop))
        loop = loop[first:] + loop[:first]
        b.report(nodes[loop[0]], f"cycle in {what}: {' -> '.join([*loop, loop[0]])}", "parent")


def _function(b: Builder, node: Node) -> str | None:
    """The declared function, if the knowledge base (or the organization's metrics) knows it."""
    value = node.data.get("function")
    if not isinstance(value, str):
        return None
    known = {m.function for m in b.catalog.metrics if m.function}
    if value in known:
        return value
    b.report(node, f"unknown function {quote(value)}{did_you_mean(value, known)}; the knowledge base's functions: "
             f"{', '.join(sorted(known))}", "function")
    return None


def plan_year_start(departments: Mapping[str, Department], owner: str, info: Mapping[str, Any]) -> datetime.date | None:
    """The first day of the plan year FY<fiscal_year> an owner's periods are counted in: its own or its
    nearest ancestor's ``plan_year_start``, else the organization's fiscal year start."""
    seen: set[str] = set()
    current: str | None = owner
    while current is not None and current in departments and current not in seen:
        seen.add(current)
        if departments[current].plan_year_start is not None:
            return departments[current].plan_year_start
        current = departments[current].parent
    return info.get("fiscal_year_start")
