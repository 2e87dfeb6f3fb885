"""The normalized organization: what the policy files say, with every unit and default resolved.

validate.py builds it only from input that passed every check, so nothing here
needs to be defensive. Percentages are fractions (``40%`` is ``0.4``), rates and
weights are floats, money is Decimal (in the organization's currency), dates
are ``datetime.date``, directions are +1 (up) and -1 (down). Every item keeps
``at``, the place it is defined; built-in knowledge has ``at=None``.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from interlock.places import cell_text, column_letters, parse_cell_text


@dataclass(frozen=True, slots=True)
class Location:
    """A place a person can open, 1-based: ``file:line:col`` in a policy file, or a cell of a workbook.

    A workbook cell has a ``sheet``: ``line`` is its row and ``column`` its column (1 is A), and it reads
    ``plans.xlsx:Measures!D7``; a sheet kept as a CSV file in a folder reads ``plans/measures.csv:D7``
    (``file`` is then the folder and ``sheet`` the file's name). Workbook places sort by sheet, then cell.
    """

    file: str
    line: int
    column: int
    sheet: str = ""

    def __str__(self) -> str:
        if not self.sheet:
            return f"{self.file}:{self.line}:{self.column}"
        return cell_text(self.file, self.sheet, self.line, self.column)

    def _key(self) -> tuple[str, str, int, int]:
        return (self.file, self.sheet, self.line, self.column)

    def __lt__(self, other: Location) -> bool:
        return self._key() < other._key()

    def __le__(self, other: Location) -> bool:
        return self._key() <= other._key()

    def __gt__(self, other: Location) -> bool:
        return self._key() > other._key()

    def __ge__(self, other: Location) -> bool:
        return self._key() >= other._key()

    @property
    def cell(self) -> str:
        """``D7`` for a workbook place, else the empty text."""
        return f"{column_letters(self.column)}{self.line}" if self.sheet else ""

    @classmethod
    def parse(cls, text: str) -> Location:
        """Read back ``file:line:col`` (a fact's ``at``), ``book.xlsx:Sheet!D7`` or ``folder/sheet.csv:D7``."""
        head, _, column = text.rpartition(":")
        file, _, line = head.rpartition(":")
        if line.isdigit() and column.isdigit():
            return cls(file, int(line), int(column))
        return cls(*parse_cell_text(text))


# --- the metric knowledge base -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Metric:
    """A measurable quantity; ``good`` is +1 (more is better), -1 (less is better) or 0 (a band or policy)."""

    id: str
    name: str
    unit: str
    good: int
    kind: str
    function: str
    aliases: tuple[str, ...] = ()
    companions: tuple[str, ...] = ()
    definition: str = ""
    band: tuple[float, float] | None = None
    at: Location | None = None


@dataclass(frozen=True, slots=True)
class Influence:
    """An increase in ``src`` tends to move ``dst`` in the direction of ``sign``, after ``lag_days``."""

    src: str
    dst: str
    sign: int
    conf: float
    lag_days: int
    basis: str
    rationale: str = ""
    source: str = ""
    at: Location | None = None


@dataclass(frozen=True, slots=True)
class Formula:
    """A driver identity such as ``bookings = sqls * win_rate * avg_deal_size``."""

    id: str
    output: str
    expression: str
    description: str = ""
    at: Location | None = None


@dataclass(frozen=True, slots=True)
class NonConflict:
    """Two metrics known *not* to trade off (DORA: deployment frequency and change failure rate)."""

    a: str
    b: str
    rationale: str = ""
    at: Location | None = None


# --- the organization ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Objective:
    """What the company wants; ``lead`` objectives are the ones every plan must serve."""

    id: str
    name: str
    metrics: tuple[str, ...]
    direction: int
    lead: bool
    at: Location | None
    target: float | None = None
    unit: str | None = None
    priority: int | None = None
    period: str | None = None
    adopted: str | None = None
    description: str = ""
    collaborative: bool = False  # needs people or departments to work together (H11)


@dataclass(frozen=True, slots=True)
class Department:
    """A function, team or role; ``parent`` is None at the top (under the company)."""

    id: str
    name: str
    kind: str
    at: Location
    parent: str | None = None
    owner: str | None = None
    headcount: int | None = None
    #: The business function it declares (``function:``), never inferred from its name.
    function: str | None = None
    #: First day of its own plan year FY<fiscal_year> (``plan_year_start:``) when it differs from the
    #: organization's fiscal year (a subsidiary planning April to March); its teams inherit it.
    plan_year_start: datetime.date | None = None


@dataclass(frozen=True, slots=True)
class Target:
    """A number someone owns for a period; ``parent`` is the target it rolls up to (given or resolved)."""

    id: str
    owner: str
    metric: str
    value: float
    kind: str
    at: Location
    period: str | None = None
    starts: datetime.date | None = None
    ends: datetime.date | None = None
    parent: str | None = None
    basis: str | None = None
    contingent_on: str | None = None
    phasing: tuple[float, ...] = ()  # the target's split over its period, in order (quarters, halves, months)
    relative_to: str | None = None  # a relative target's reference: a past period (history) or a target id
    change: float | None = None  # the change on that reference (+0.08 = 8% over it)
    base: float | None = None  # the reference's value the target was resolved from


@dataclass(frozen=True, slots=True)
class UnresolvedTarget:
    """A target stated relative to a reference the policy does not give: stated, never guessed."""

    id: str
    owner: str
    metric: str
    relative_to: str
    change: float
    at: Location
    period: str | None = None


@dataclass(frozen=True, slots=True)
class CurvePoint:
    """Attainment (fraction of target) paying ``payout`` (fraction of the target incentive)."""

    attainment: float
    payout: float
    at: Location


@dataclass(frozen=True, slots=True)
class Measure:
    """One paid metric in a plan."""

    metric: str
    weight: float
    direction: int
    at: Location
    threshold: float | None = None
    target: float | None = None
    excellence: float | None = None
    cap: float | None = None
    curve: tuple[CurvePoint, ...] = ()
    period: str | None = None
    basis: str | None = None
    team: bool = False
    contingent_on: str | None = None
    definition: str | None = None
    reported_by: str | None = None
    #: a band target (``band: {around: 30, within: 5}``): the reference and the tolerance either side of it
    band: tuple[float, float] | None = None

    @property
    def band_range(self) -> tuple[float, float] | None:
        """The band's lowest and highest result paid as on target (around - within, around + within)."""
        if self.band is None:
            return None
        around, within = self.band
        return (round(around - within, 9), round(around + within, 9))

    @property
    def capped(self) -> bool:
        """A cap, or a curve that stops rising at its top point (flat above it: docs/policy-language.md)."""
        if self.cap is not None or self.band is not None:  # a band pays 100% inside it, never more
            return True
        points = sorted(self.curve, key=lambda p: p.attainment)
        return len(points) >= 2 and points[-1].payout <= points[-2].payout


@dataclass(frozen=True, slots=True)
class Gate:
    """No (or reduced) payout unless ``metric`` reaches ``minimum``."""

    metric: str
    minimum: float
    at: Location
    effect: str | None = None


@dataclass(frozen=True, slots=True)
class Modifier:
    """Scales the payout by a factor within ``range`` depending on ``metric``."""

    metric: str
    at: Location
    range: tuple[float, float] | None = None
    criteria: str | None = None


@dataclass(frozen=True, slots=True)
class Clawback:
    days: int | None
    on: tuple[str, ...]
    at: Location


@dataclass(frozen=True, slots=True)
class Holdback:
    share: float | None
    days: int | None
    at: Location


@dataclass(frozen=True, slots=True)
class Lever:
    """Something the role decides that moves its own measures (price, payment terms, ...)."""

    name: str
    at: Location
    limit: float | None = None  # for price: the largest discount granted without approval (discount_authority)


@dataclass(frozen=True, slots=True)
class TimeRequirement:
    """Non-billable days a plan requires of a department's people (training, certification, onboarding),
    per person per year, or per new hire (``per: hire``)."""

    activity: str
    days: float
    department: str
    per: str
    at: Location


@dataclass(frozen=True, slots=True)
class Plan:
    """An incentive plan for a department or one role in it."""

    id: str
    department: str
    at: Location
    role: str | None = None
    participants: int | None = None
    target_incentive: Decimal | None = None
    pay_mix: float | None = None
    effective_from: datetime.date | None = None
    effective_to: datetime.date | None = None
    levers: tuple[Lever, ...] = ()
    measures: tuple[Measure, ...] = ()
    gates: tuple[Gate, ...] = ()
    modifiers: tuple[Modifier, ...] = ()
    clawback: Clawback | None = None
    holdback: Holdback | None = None
    cap: float | None = None  # the most a participant earns, as a multiple of the target incentive (2.0 = 2x)
    discount_authority: float | None = None  # the largest discount participants grant without approval
    true_up: bool = False  # sub-annual payouts are reconciled against the year's result at year end
    time_required: tuple[TimeRequirement, ...] = ()


@dataclass(frozen=True, slots=True)
class Assumption:
    """A planning number (or date) a department counts on."""

    department: str
    name: str
    at: Location
    value: float | None = None
    date: datetime.date | None = None
    segment: str | None = None
    period: str | None = None
    milestone: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Dependency:
    """``consumer`` needs ``deliverable`` from ``provider``."""

    id: str
    consumer: str
    provider: str
    at: Location
    deliverable: str | None = None
    metric: str | None = None
    amount: float | None = None
    due: datetime.date | None = None
    critical: bool = False
    milestone: str | None = None
    definition: str | None = None
    conversion: float | None = None


@dataclass(frozen=True, slots=True)
class Milestone:
    """A dated event plans count on; ``forecast`` is where it stands today."""

    id: str
    name: str
    owner: str
    planned: datetime.date
    forecast: datetime.date
    confidence: float
    at: Location


@dataclass(frozen=True, slots=True)
class Hire:
    id: str
    department: str
    count: int
    start: datetime.date
    ramp_months: float
    at: Location
    role: str | None = None
    contingent_on: str | None = None


@dataclass(frozen=True, slots=True)
class Spend:
    id: str
    department: str
    amount: Decimal
    at: Location
    purpose: str | None = None
    start: datetime.date | None = None
    end: datetime.date | None = None
    contingent_on: str | None = None


@dataclass(frozen=True, slots=True)
class Definition:
    """How one department counts a metric (e.g. what a MQL is)."""

    metric: str
    department: str
    text: str
    at: Location

    @property
    def normalized_text(self) -> str:
        """Definitions that differ only in case and spacing are the same definition."""
        return " ".join(self.text.lower().split())


@dataclass(frozen=True, slots=True)
class Actual:
    """What a department (or the company, or one plan's measure per participant) achieved in a past period."""

    owner: str
    metric: str
    value: float
    period: str
    at: Location
    starts: datetime.date | None = None
    ends: datetime.date | None = None
    plan: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Driver:
    """Demand one target puts on a capacity: the target's value x ``per`` units of the capacity's metric."""

    target: str
    per: float
    at: Location


@dataclass(frozen=True, slots=True)
class Capacity:
    """What a department can deliver of a metric in a period: stated, or people x throughput per person."""

    id: str
    department: str
    metric: str
    at: Location
    amount: float | None = None
    people: float | None = None
    per_person: float | None = None
    period: str | None = None
    drivers: tuple[Driver, ...] = ()
    note: str | None = None

    @property
    def total(self) -> float | None:
        if self.amount is not None:
            return self.amount
        if self.people is not None and self.per_person is not None:
            return self.people * self.per_person
        return None


@dataclass(frozen=True, slots=True)
class Credit:
    """One plan credited with a share of a crediting rule's deals (and, optionally, its rate at target)."""

    plan: str
    share: float
    at: Location
    rate: float | None = None


@dataclass(frozen=True, slots=True)
class CreditRule:
    """Who is credited for which deals on a metric, and at what share: splits, overlays, channel and direct."""

    id: str
    metric: str
    at: Location
    credits: tuple[Credit, ...] = ()
    deals: str | None = None
    amount: float | None = None
    exclusive: bool = False
    settled_by: str | None = None


@dataclass(frozen=True)
class Organization:
    """Everything the policy files say, merged across files, plus the effective knowledge base."""

    name: str | None = None
    currency: str | None = None
    fiscal_year: int | None = None
    fiscal_year_start: datetime.date | None = None
    fiscal_year_end: datetime.date | None = None
    incentive_budget: Decimal | None = None
    base_revenue: Decimal | None = None
    #: Working days per person per year (``working_days``); None: the default (220).
    working_days: int | None = None
    at: Location | None = None
    objectives: tuple[Objective, ...] = ()
    departments: tuple[Department, ...] = ()
    targets: tuple[Target, ...] = ()
    plans: tuple[Plan, ...] = ()
    assumptions: tuple[Assumption, ...] = ()
    dependencies: tuple[Dependency, ...] = ()
    milestones: tuple[Milestone, ...] = ()
    hires: tuple[Hire, ...] = ()
    spend: tuple[Spend, ...] = ()
    definitions: tuple[Definition, ...] = ()
    crediting: tuple[CreditRule, ...] = ()
    history: tuple[Actual, ...] = ()
    unresolved_targets: tuple[UnresolvedTarget, ...] = ()
    capacities: tuple[Capacity, ...] = ()
    metrics: tuple[Metric, ...] = ()
    influences: tuple[Influence, ...] = ()
    formulas: tuple[Formula, ...] = ()
    non_conflicts: tuple[NonConflict, ...] = field(default=())

    @cached_property
    def metric_by_id(self) -> dict[str, Metric]:
        return {m.id: m for m in self.metrics}

    @cached_property
    def department_by_id(self) -> dict[str, Department]:
        return {d.id: d for d in self.departments}
