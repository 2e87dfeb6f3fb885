"""What every quantitative fact shares: the organization indexed once, and the text of a number.

Arithmetic is exact (Decimal); a fact hands the rules engine floats rounded by
``to_float``, and shows its working in the formats below, so a finding reads
'EUR 18,000', '20.75%' or '4,000' as a compensation designer writes them.
"""
from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from interlock.model.formulas import FormulaSet
from interlock.model.model import Assumption, Department, Organization, Plan, Target
from interlock.model.money import DEFAULT_CURRENCY, format_money
from interlock.model.periods import period_range

ONE = Decimal(1)
ZERO = Decimal(0)


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
    """A multiplier such as a ramp factor: 0.8333 -> '0.83'."""
    return f"{value:.2f}"


def to_float(value: Decimal, places: int = 6) -> float:
    """A fact's number for the rules engine: rounded, so Decimal noise never tips a threshold."""
    return float(round(value, places))


# -- the organization, indexed ------------------------------------------------------------------


class OrgIndex:
    """The organization with the lookups the arithmetic makes per department, built once and then only read.

    Without the indexes each lookup would scan the organization, and the facts
    would take quadratic time on a large one.
    """

    def __init__(self, org: Organization) -> None:
        self.org = org
        self.currency = org.currency or DEFAULT_CURRENCY
        aliases = {alias: m.id for m in org.metrics for alias in m.aliases}
        self.formulas = FormulaSet(org.formulas, lambda name: aliases.get(name, name))
        self.departments: dict[str, Department] = {d.id: d for d in org.departments}
        self.targets: dict[str, Target] = {t.id: t for t in org.targets}
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
        self.target_order = {t.id: n for n, t in enumerate(org.targets)}
        self.plan_order = {p.id: n for n, p in enumerate(org.plans)}
        self.hire_order = {id(h): n for n, h in enumerate(org.hires)}
        self.assumption_order = {id(a): n for n, a in enumerate(org.assumptions)}
        self.value_assumptions: dict[str, list[Assumption]] = {}  # unsegmented, with a value, in file order
        #: (department, segment) -> its value assumptions for that segment, in file order
        self.segment_assumptions: dict[tuple[str, str], list[Assumption]] = {}
        for a in org.assumptions:
            if a.segment is None and a.value is not None:
                self.value_assumptions.setdefault(a.department, []).append(a)
            elif a.value is not None:
                self.segment_assumptions.setdefault((a.department, a.segment), []).append(a)  # type: ignore[arg-type]

    # -- metrics

    def unit(self, metric: str) -> str:
        found = self.org.metric_by_id.get(metric)
        return found.unit if found else ""

    def label(self, metric: str) -> str:
        """A metric's name mid-sentence: 'marketing-qualified leads'; acronyms stay as written."""
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

    # -- departments

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

    def segment_assumption(self, dept: str, name: str, segment: str) -> Assumption | None:
        """A department's own value assumption for ``segment``, else its nearest ancestor's (never an unsegmented one)."""
        for owner in self.ancestry(dept):
            for a in self.segment_assumptions.get((owner, segment), ()):
                if a.name == name:
                    return a
        return None

    def segments(self, dept: str) -> set[str]:
        """The segments a department (or an ancestor) states value assumptions for."""
        chain = set(self.ancestry(dept))
        return {segment for owner, segment in self.segment_assumptions if owner in chain}

    # -- periods

    def fiscal_period(self) -> str | None:
        """'FY2025' when the organization names its fiscal year."""
        return f"FY{self.org.fiscal_year}" if self.org.fiscal_year is not None else None

    def period_days(self, period: str | None) -> tuple[datetime.date, datetime.date] | None:
        """First and last day of a period (the fiscal year when None), or None when it cannot be dated."""
        if period is None:
            if self.org.fiscal_year is None:
                return None
            period = f"FY{self.org.fiscal_year}"
        start, end = period_range(period, self.org.fiscal_year, self.org.fiscal_year_start)
        return (start, end) if start and end else None
