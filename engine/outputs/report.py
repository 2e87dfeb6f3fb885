"""The conflict report's model: the typed context reports/report.{md,html}.j2 and user templates see.

Leadership reads this report, so everything here is in names, not ids, and
already laid out: the SVG geometry (heatmap cells, path boxes, timeline bars)
is computed in Python and the templates only print it, escaped by Jinja.
Everything is sorted, so the same lint run gives the same report byte for byte.
The fields are documented in docs/reports.md; fields may be added, never renamed.
"""
from __future__ import annotations

import datetime
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from interlock import __version__
from interlock.findings.findings import SEVERITY_ORDER, Finding, is_causal_path
from interlock.model.model import Location
from interlock.findings.run import cause_key
from interlock.outputs.executive import Executive, RiskCause, executive
from interlock.outputs.heatmap import Axis, Cell, Matrix, UnitRow, matrix as heatmap, units as unit_rows
from interlock.read.config import FAMILIES

if TYPE_CHECKING:
    from interlock.model.model import Organization
    from interlock.findings.run import LintRun
    from interlock.findings.yoy import Comparison

#: Rules whose findings mean "this plan is paid to hurt this objective" (coverage's other side).
HARM_RULES = frozenset({"V03"})
TOP_RISKS = 5
#: Causal-path diagrams drawn (one per cause, the worst first); the findings appendix has every path in words.
MAX_DIAGRAMS = 6
#: Plans listed per objective as paid to move it; the rest are counted.
MAX_SUPPORTERS = 4
#: Milestone lanes drawn in the timeline (the most slipped first), and items per lane.
MAX_LANES, MAX_BARS = 8, 12

__all__ = ["Axis", "Cell", "Matrix", "UnitRow", "ReportContext", "build_report", "Counts"]


# -- counts and findings ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    error: int = 0
    warning: int = 0
    info: int = 0

    @property
    def total(self) -> int:
        return self.error + self.warning + self.info

    @classmethod
    def of(cls, findings: Iterable[Finding]) -> Counts:
        seen = [f.severity for f in findings if f.waiver is None]
        return cls(seen.count("error"), seen.count("warning"), seen.count("info"))


@dataclass(frozen=True)
class FamilyRow:
    family: str
    counts: Counts


@dataclass(frozen=True)
class Place:
    """A place in a policy file, and what is there ("measure dpo of plan ap-team")."""

    file: str
    line: int
    column: int
    label: str
    #: A workbook's sheet: the place is then a cell (``plans.xlsx:Measures!D7``).
    sheet: str = ""

    @property
    def text(self) -> str:
        return str(Location(self.file, self.line, self.column, self.sheet))


@dataclass(frozen=True)
class FindingView:
    """A finding as the report shows it: the finding itself, plus what the report adds for reading
    (display names, a sentence, labelled places, the chain in words, the year-over-year status)."""

    finding: Finding
    anchor: str
    message: str
    #: The message as a sentence: capitalised, with a full stop.
    sentence: str
    remediation: str
    departments: tuple[str, ...]
    objectives: tuple[str, ...]
    places: tuple[Place, ...]
    #: The causal path in words, e.g. "DPO ↑ −→ supplier health ↓ +→ ...", or "".
    chain: str
    #: "new" or "persisting" when the report compares with a previous version, else None.
    status: str | None = None
    #: The severity the previous version had, when it differs.
    was: str | None = None

    # The finding's own identity, read through (templates write `f.rule`, as documented in docs/reports.md).
    rule = property(lambda self: self.finding.rule)
    name = property(lambda self: self.finding.name)
    family = property(lambda self: self.finding.family)
    severity = property(lambda self: self.finding.severity)
    title = property(lambda self: self.finding.title)
    fingerprint = property(lambda self: self.finding.fingerprint)
    waiver = property(lambda self: self.finding.waiver)


# -- objective coverage -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Contribution:
    plan: str
    department: str
    metric: str
    weight: float
    #: How the measure reaches the objective's metric, in words ("" when it is the metric itself).
    path: str
    hops: int
    #: For harm: the finding that reports it.
    anchor: str | None = None
    severity: str | None = None


@dataclass(frozen=True)
class Coverage:
    id: str
    name: str
    lead: bool
    direction: str
    metrics: tuple[str, ...]
    target: str | None
    supporters: tuple[Contribution, ...]
    opponents: tuple[Contribution, ...]
    #: "unpaid" (nobody is paid to move it), "contested" (someone is paid to hurt it) or "covered".
    status: str
    place: Place | None
    #: Supporting plans not listed (beyond MAX_SUPPORTERS).
    more: int = 0


# -- causal path diagrams ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    metric: str
    lines: tuple[str, ...]
    #: "↑" or "↓": where the paid measure pushes this metric; "" when unknown.
    move: str
    #: "good", "bad" or "neutral" for the company (the metric's own good direction).
    effect: str
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Edge:
    x1: float
    x2: float
    y: float
    sign: str
    positive: bool | None


@dataclass(frozen=True)
class Diagram:
    finding: FindingView
    department: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    width: float
    height: float


# -- timeline -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Bar:
    """Something that depends on a milestone: a hire, spend, target, measure, dependency or assumption."""

    kind: str
    id: str
    label: str
    department: str
    start: str | None
    end: str | None
    #: When it needs the milestone delivered (a hire: when it is ramped; spend: when it starts).
    needed_by: str | None
    at_risk: bool
    note: str
    x: float
    width: float
    y: float
    drawn: bool
    place: Place | None


@dataclass(frozen=True)
class Lane:
    id: str
    name: str
    owner: str
    planned: str
    forecast: str
    slip_days: int
    confidence: float
    x_planned: float
    x_forecast: float
    y: float
    bars: tuple[Bar, ...]
    place: Place | None
    #: Dependent items not drawn (beyond MAX_BARS).
    more: int = 0


@dataclass(frozen=True)
class Timeline:
    start: str
    end: str
    left: float
    plot: float
    width: float
    height: float
    ticks: tuple[Tick, ...]
    #: Alternate quarters are shaded: (x, width) of the shaded ones.
    shades: tuple[tuple[float, float], ...]
    lanes: tuple[Lane, ...]
    #: Milestones not drawn (beyond MAX_LANES, the least slipped).
    omitted: int = 0


# -- year over year ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class YearOverYear:
    previous: str
    new: tuple[FindingView, ...]
    resolved: tuple[FindingView, ...]
    persisting: tuple[FindingView, ...]
    before: Counts
    after: Counts


@dataclass(frozen=True)
class CauseView:
    """A root cause with its findings as the report shows them (both appendices group by it)."""

    cause: RiskCause
    findings: tuple[FindingView, ...]
    #: The number (1-based) of an earlier cause with the same remediation, which the appendix refers to
    #: instead of printing it again; None when this cause is the first to need it.
    remedy_as: int | None = None

    @property
    def consequences(self) -> tuple[tuple[FindingView, str], ...]:
        """Each finding with what it adds to the cause's summary: its message without the words the
        summary already says (as the terminal prints a cause), "" when the summary is its whole message."""
        shown = []
        for view in self.findings:
            head, colon, rest = view.message.partition(": ")
            if view.sentence == self.cause.summary:
                shown.append((view, ""))
            elif colon and rest.strip() and sentence(head) == self.cause.summary:
                shown.append((view, sentence(rest)))
            else:
                shown.append((view, view.sentence))
        return tuple(shown)


@dataclass(frozen=True)
class ReportContext:
    """Everything a report template sees (documented field by field in docs/reports.md)."""

    title: str
    organization: str
    fiscal_year: int | None
    generated: str
    version: str
    files: tuple[str, ...]
    counts: Counts
    waived_count: int
    families: tuple[FamilyRow, ...]
    #: (label, number): departments, plans, objectives, lead objectives, policy files.
    scope: tuple[tuple[str, int], ...]
    top_risks: tuple[FindingView, ...]
    matrix: Matrix
    coverage: tuple[Coverage, ...]
    diagrams: tuple[Diagram, ...]
    timeline: Timeline | None
    findings: tuple[FindingView, ...]
    waived: tuple[FindingView, ...]
    comparison: YearOverYear | None
    #: The first screen: money at stake, the distinct causes to fix first with owners, last year.
    executive: Executive | None = None
    #: Business units with findings, heaviest first: the summary the heatmap cannot draw at scale.
    units: tuple[UnitRow, ...] = ()
    #: Every root cause of the open findings, ranked, with its findings.
    causes: tuple[CauseView, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """Top-level fields as template variables (shallow: the values stay typed objects)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


class _Names:
    """Readable names for ids, falling back to the id itself."""

    def __init__(self, org: Organization) -> None:
        self.metrics = {m.id: m.name for m in org.metrics}
        self.good = {m.id: m.good for m in org.metrics}
        self.units = {m.id: m.unit for m in org.metrics}
        self.departments = {d.id: d.name for d in org.departments}
        self.objectives = {o.id: o.name for o in org.objectives}

    def metric(self, ident: str) -> str:
        return self.metrics.get(ident, ident)

    def department(self, ident: str) -> str:
        return self.departments.get(ident, ident)

    def objective(self, ident: str) -> str:
        return self.objectives.get(ident, ident)


def build_report(run: LintRun, *, previous: Comparison | None = None,
                 generated: datetime.date | None = None) -> ReportContext:
    org = run.organization
    names = _Names(org)
    findings = sorted(run.findings, key=_report_order)
    views = {f.fingerprint: _view(f, names, previous) for f in findings}
    active = [f for f in findings if f.waiver is None]
    plans = len(org.plans)
    summary = executive(org, active, {k: v.anchor for k, v in views.items()}, names.departments, previous)
    return ReportContext(
        title=f"Conflict report: {org.name}" if org.name else "Conflict report",
        organization=org.name or "",
        fiscal_year=org.fiscal_year,
        generated=(generated or datetime.date.today()).isoformat(),
        version=__version__,
        files=tuple(sorted(run.files)),
        counts=Counts.of(findings),
        waived_count=len(findings) - len(active),
        families=tuple(FamilyRow(fam, Counts.of(f for f in findings if f.family == fam))
                       for fam in _families(findings)),
        scope=(("departments", len(org.departments)), ("incentive plans", plans),
               ("objectives", len(org.objectives)), ("lead objectives", sum(o.lead for o in org.objectives)),
               ("policy files", len(run.files))),
        top_risks=tuple(views[f.fingerprint] for f in _distinct_causes(active)[:TOP_RISKS]),
        matrix=heatmap(org, active, names.departments),
        coverage=_coverage(org, run.derived, findings, views, names),
        diagrams=_diagrams(findings, views, names),
        timeline=_timeline(org, names),
        findings=tuple(views[f.fingerprint] for f in active),
        waived=tuple(views[f.fingerprint] for f in findings if f.waiver is not None),
        comparison=_year_over_year(previous, views, names) if previous else None,
        executive=summary,
        units=unit_rows(org, active, names.departments),
        causes=_cause_views(summary.ranked, views),
    )


def _cause_views(ranked: Sequence[RiskCause], views: Mapping[str, FindingView]) -> tuple[CauseView, ...]:
    """Every cause with its findings; a remediation already given for an earlier cause (the same rule
    on three plans) is referred to by that cause's number, not repeated."""
    first: dict[str, int] = {}
    shown = []
    for number, cause in enumerate(ranked, start=1):
        earlier = first.setdefault(cause.remediation, number)
        shown.append(CauseView(cause, tuple(views[m] for m in cause.members),
                               earlier if earlier != number and cause.remediation else None))
    return tuple(shown)


def _distinct_causes(active: Sequence[Finding]) -> list[Finding]:
    """The worst finding of each root cause (findings.run.cause_key), worst causes first (issue 19)."""
    worst: dict[str, Finding] = {}
    reach: dict[str, set[str]] = {}
    for finding in sorted(active, key=_risk_order):
        key = cause_key(finding)
        worst.setdefault(key, finding)
        reach.setdefault(key, set()).update(finding.departments, (f"o:{o}" for o in finding.objectives))
    return sorted(worst.values(), key=lambda f: (SEVERITY_ORDER[f.severity], -len(reach[cause_key(f)]),
                                                 _risk_order(f)))


def _report_order(finding: Finding) -> tuple[Any, ...]:
    return (SEVERITY_ORDER[finding.severity], _family_rank(finding.family), finding.sort_key())


def _risk_order(finding: Finding) -> tuple[Any, ...]:
    # Errors first; among them, those touching more lead objectives and departments.
    return (SEVERITY_ORDER[finding.severity], -len(finding.objectives), -len(finding.departments), finding.sort_key())


def _family_rank(family: str) -> int:
    return FAMILIES.index(family) if family in FAMILIES else len(FAMILIES)


def _families(findings: Sequence[Finding]) -> list[str]:
    extra = sorted({f.family for f in findings} - set(FAMILIES))
    return [*FAMILIES, *extra]


def sentence(text: str) -> str:
    text = " ".join(text.split())
    if not text:
        return text
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _view(finding: Finding, names: _Names, previous: Comparison | None = None) -> FindingView:
    from interlock.outputs.sarif import location_labels  # the labels SARIF uses; the SARIF writer itself is not needed

    labels = location_labels(finding)
    status = previous.status(finding.fingerprint) if previous else None
    was = None
    if previous and status == "persisting":
        was = next((p.severity for c, p in previous.persisting
                    if c.fingerprint == finding.fingerprint and p.severity != c.severity), None)
    return FindingView(
        finding=finding, anchor=f"f-{finding.fingerprint}",
        message=" ".join(finding.message.split()), sentence=sentence(finding.message),
        remediation=" ".join(finding.remediation.split()),
        departments=tuple(names.department(d) for d in finding.departments),
        objectives=tuple(names.objective(o) for o in finding.objectives),
        places=tuple(Place(l.file, l.line, l.column, labels.get(l, ""), l.sheet) for l in finding.locations),
        chain=_chain_text(finding, names), status=status, was=was,
    )


def plural_word(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _place(at: object) -> Place | None:
    if at is None:
        return None
    file, line, column = getattr(at, "file"), getattr(at, "line"), getattr(at, "column")
    return Place(str(file), int(line), int(column), "", str(getattr(at, "sheet", "")))


# -- coverage --------------------------------------------------------------------------------------


def _chain(via: str, names: _Names) -> str:
    metrics = [m for m in str(via).split(">") if m]
    return " → ".join(names.metric(m) for m in metrics) if len(metrics) > 1 else ""


#: A measure counts as supporting an objective when its strongest causal path helps it at least
#: this strongly: the default of V02 and T09 (`min_strength`).
SUPPORT_MIN_STRENGTH = 0.3


def _supports(fact: Mapping[str, object]) -> bool:
    """A `sway` fact (D10, D11: a measure's strongest path to an objective) that helps it enough."""
    return (fact.get("kind") == "sway" and fact.get("effect") == 1
            and _num(fact.get("strength")) >= SUPPORT_MIN_STRENGTH)


def _coverage(org: Organization, derived: Sequence[Mapping[str, object]], findings: Sequence[Finding],
              views: Mapping[str, FindingView], names: _Names) -> tuple[Coverage, ...]:
    best: dict[tuple[str, str, str], Mapping[str, object]] = {}
    for fact in derived:
        if not _supports(fact):
            continue
        key = (str(fact.get("objective")), str(fact.get("plan")), str(fact.get("metric")))
        rank = (_num(fact.get("hops")), -_num(fact.get("strength")), str(fact.get("via")))
        held = best.get(key)
        if held is None or rank < (_num(held.get("hops")), -_num(held.get("strength")), str(held.get("via"))):
            best[key] = fact
    # Every supporter is ranked, but only the first MAX_SUPPORTERS of an objective are shown: their
    # paths are put in words, the others only counted (at 10,000 departments, 50,000 paths saved).
    ranked: dict[str, list[tuple[tuple[float, int, str, str, str], Mapping[str, object]]]] = {}
    for (objective, plan, metric), fact in best.items():
        order = (-_num(fact.get("weight")), int(_num(fact.get("hops"))), plan, names.metric(metric), metric)
        ranked.setdefault(objective, []).append((order, fact))
    support: dict[str, list[Contribution]] = {}
    counted: dict[str, int] = {}
    for objective, entries in ranked.items():
        entries.sort(key=lambda entry: entry[0])
        counted[objective] = len(entries)
        support[objective] = [Contribution(
            plan, names.department(str(fact.get("dept"))), shown, -weight, _chain(str(fact.get("via", "")), names),
            hops) for (weight, hops, plan, shown, _id), fact in entries[:MAX_SUPPORTERS]]
    harm: dict[str, list[Contribution]] = {}
    for finding in findings:
        measure = next((f for _a, f in sorted(finding.facts.items()) if f.get("kind") == "measure"), None)
        if finding.rule not in HARM_RULES or measure is None:
            continue
        for objective in finding.objectives:
            harm.setdefault(objective, []).append(Contribution(
                str(measure.get("plan")), names.department(str(measure.get("dept"))),
                names.metric(str(measure.get("metric"))), _num(measure.get("weight")),
                " → ".join(names.metric(m) for m in finding.trace), max(len(finding.trace) - 1, 0),
                views[finding.fingerprint].anchor, finding.severity))
    rows = []
    for o in sorted(org.objectives, key=lambda o: (not o.lead, o.priority or 99, o.name.lower(), o.id)):
        supporters = tuple(support.get(o.id, []))
        opponents = tuple(sorted(harm.get(o.id, []), key=lambda c: (-c.weight, c.plan, c.metric)))
        status = "unpaid" if not supporters else "contested" if opponents else "covered"
        rows.append(Coverage(
            o.id, o.name, o.lead, "raise" if o.direction > 0 else "lower",
            tuple(names.metric(m) for m in o.metrics),
            _target(o.target, o.unit or names.units.get(o.metrics[0]) if o.metrics else o.unit, org.currency),
            supporters, opponents, status,
            _place(o.at), max(counted.get(o.id, 0) - MAX_SUPPORTERS, 0)))
    return tuple(rows)


def _num(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0


def _amount(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:g}"


def _target(value: float | None, unit: str | None, currency: str | None) -> str | None:
    """A target in its unit: percentages are stored as fractions, money in the organization's currency."""
    if value is None:
        return None
    if unit in ("percent", "%"):
        return f"{value * 100:g}%"
    if unit == "currency":
        return _amount(value) + (f" {currency}" if currency else "")
    if unit in (None, "count", "ratio", "score"):
        return _amount(value)
    return f"{_amount(value)} {unit}"


# -- causal paths ----------------------------------------------------------------------------------

_BOX_W, _BOX_H, _GAP = 150.0, 54.0, 46.0


def _path_fact(finding: Finding) -> Mapping[str, Any] | None:
    via = ">".join(finding.trace)
    paths = [f for _a, f in sorted(finding.facts.items()) if is_causal_path(f)]
    return next((p for p in paths if p.get("via") == via), paths[0] if paths else None)


def _moves(finding: Finding) -> tuple[int, list[int]]:
    """The paid direction, and the sign of each edge (0 when unknown)."""
    measure = next((f for _a, f in sorted(finding.facts.items()) if f.get("kind") == "measure"), None)
    start = int(_num(measure.get("dir"))) if measure else 0
    path = _path_fact(finding)
    signs = str(path.get("signs", "")) if path else ""
    edges = [1 if s == "+" else -1 if s == "-" else 0 for s in signs]
    edges += [0] * (len(finding.trace) - 1 - len(edges))
    return start, edges[: max(len(finding.trace) - 1, 0)]


def _chain_text(finding: Finding, names: _Names) -> str:
    if len(finding.trace) < 2:
        return ""
    start, edges = _moves(finding)
    parts, move = [], start
    for i, metric in enumerate(finding.trace):
        if i:
            sign = edges[i - 1]
            move = move * sign
            parts.append({1: "+→", -1: "−→"}.get(sign, "→"))
        parts.append(names.metric(metric) + {1: " ↑", -1: " ↓"}.get(move, ""))
    return " ".join(parts)


def _diagrams(findings: Sequence[Finding], views: Mapping[str, FindingView], names: _Names) -> tuple[Diagram, ...]:
    chosen, causes = [], set()
    for finding in sorted((f for f in findings if len(f.trace) >= 2 and f.waiver is None), key=_risk_order):
        if cause_key(finding) not in causes:  # one path per cause: its worst; the appendix has the rest in words
            causes.add(cause_key(finding))
            chosen.append(finding)
    chosen = chosen[:MAX_DIAGRAMS]
    diagrams = []
    for finding in chosen:
        start, edges = _moves(finding)
        nodes, move = [], start
        for i, metric in enumerate(finding.trace):
            if i:
                move = move * edges[i - 1]
            good = names.good.get(metric, 0)
            effect = "neutral" if not move or not good else "good" if move == good else "bad"
            lines = tuple(textwrap.wrap(names.metric(metric), 20)[:2]) or (metric,)
            nodes.append(Node(metric, lines, {1: "↑", -1: "↓"}.get(move, ""), effect,
                              8 + i * (_BOX_W + _GAP), 30.0, _BOX_W, _BOX_H))
        edge_list = tuple(Edge(n.x + n.width, n.x + n.width + _GAP, n.y + n.height / 2,
                               {1: "+", -1: "−"}.get(s, "?"), None if not s else s > 0)
                          for n, s in zip(nodes, edges))
        view = views[finding.fingerprint]
        diagrams.append(Diagram(view, ", ".join(view.departments), tuple(nodes), edge_list,
                                16 + len(nodes) * _BOX_W + (len(nodes) - 1) * _GAP, 30.0 + _BOX_H + 30))
    return tuple(diagrams)


# -- timeline --------------------------------------------------------------------------------------

# A label column wide enough for "hire 6 × product specialist, ramped 2027-06-29" (issue 21: labels were cut).
_LEFT, _PLOT, _LANE, _ROW, _AXIS = 380.0, 620.0, 30.0, 24.0, 40.0


def _add_months(day: datetime.date, months: float) -> datetime.date:
    whole = int(months)
    index = day.year * 12 + day.month - 1 + whole
    year, month = divmod(index, 12)
    start = datetime.date(year, month + 1, 1)
    nxt = datetime.date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    result = start + datetime.timedelta(days=min(day.day, (nxt - start).days) - 1)
    return result + datetime.timedelta(days=round((months - whole) * 30.4))


def _quarter_start(day: datetime.date, anchor: datetime.date) -> datetime.date:
    months = (day.year - anchor.year) * 12 + day.month - anchor.month
    return _add_months(anchor.replace(day=1), (months // 3) * 3)


@dataclass(frozen=True)
class _Item:
    kind: str
    id: str
    label: str
    department: str
    start: datetime.date | None
    end: datetime.date | None
    needed_by: datetime.date | None
    at: object


def _dependents(org: Organization, names: _Names) -> dict[str, list[_Item]]:
    found: dict[str, list[_Item]] = {}

    def add(milestone: str | None, item: _Item) -> None:
        if milestone:
            found.setdefault(milestone, []).append(item)

    for h in org.hires:
        ready = _add_months(h.start, h.ramp_months)
        who = f"{h.count} × {h.role}" if h.role else plural_word(h.count, "person", "people")
        add(h.contingent_on, _Item("hire", h.id, f"hire {who}, ramped {ready.isoformat()}",
                                   names.department(h.department), h.start, ready, ready, h.at))
    for s in org.spend:
        amount = f"{s.amount:,}" + (f" {org.currency}" if org.currency else "")
        add(s.contingent_on, _Item("spend", s.id, f"spend: {s.purpose or s.id} ({amount})",
                                   names.department(s.department), s.start, s.end, s.start, s.at))
    for t in org.targets:
        add(t.contingent_on, _Item("target", t.id, f"target {names.metric(t.metric)} {_amount(t.value)}"
                                   + (f" ({t.period})" if t.period else ""), names.department(t.owner),
                                   t.starts, t.ends, t.starts, t.at))
    for p in org.plans:
        for m in p.measures:
            add(m.contingent_on, _Item("measure", f"{p.id}/{m.metric}", f"plan {p.id} pays {names.metric(m.metric)}",
                                       names.department(p.department), p.effective_from, p.effective_to,
                                       p.effective_from, m.at))
    for d in org.dependencies:
        what = d.deliverable or (names.metric(d.metric) if d.metric else d.id)
        add(d.milestone, _Item("dependency", d.id, f"{names.department(d.consumer)} needs {what}",
                               names.department(d.consumer), d.due, None, d.due, d.at))
    for a in org.assumptions:
        add(a.milestone, _Item("assumption", f"{a.department}/{a.name}", f"assumes {a.name}"
                               + (f" by {a.date.isoformat()}" if a.date else ""), names.department(a.department),
                               a.date, None, a.date, a.at))
    return found


def _timeline(org: Organization, names: _Names) -> Timeline | None:
    if not org.milestones:
        return None
    dependents = _dependents(org, names)
    # The most slipped milestones (then the most depended on) are drawn; the rest are counted.
    shown = sorted(org.milestones, key=lambda m: (-(m.forecast - m.planned).days, -len(dependents.get(m.id, [])),
                                                  m.planned, m.id))[:MAX_LANES]
    days: list[datetime.date] = []
    for m in shown:
        days += [m.planned, m.forecast]
        for item in dependents.get(m.id, [])[:MAX_BARS]:
            days += [d for d in (item.start, item.end) if d is not None]
    anchor = org.fiscal_year_start or datetime.date(min(days).year, 1, 1)
    if org.fiscal_year_start:
        days += [org.fiscal_year_start, _add_months(org.fiscal_year_start, 12) - datetime.timedelta(days=1)]
    first = _quarter_start(min(days), anchor)
    last = _add_months(_quarter_start(max(days), anchor), 3)
    span = max((last - first).days, 1)

    def x(day: datetime.date) -> float:
        return round(_LEFT + (day - first).days / span * _PLOT, 1)

    ticks, shades, q = [], [], first
    while q < last:
        months = (q.year - anchor.year) * 12 + q.month - anchor.month
        index = months // 3
        year = (org.fiscal_year or anchor.year) + index // 4
        label = f"Q{index % 4 + 1} FY{year}" if org.fiscal_year_start else f"Q{index % 4 + 1} {year}"
        ticks.append(Tick(x(q), label))
        nxt = _add_months(q, 3)
        if index % 2 == 0:
            shades.append((x(q), round(x(nxt) - x(q), 1)))
        q = nxt
    lanes, y = [], _AXIS
    for m in sorted(shown, key=lambda m: (m.planned, m.id)):
        bars, row = [], y + _LANE
        items = sorted(dependents.get(m.id, []), key=lambda i: (i.start or m.planned, i.kind, i.id))
        for item in items[:MAX_BARS]:
            # At risk: the milestone slipped past the day this item needs it (what rule T01 reports).
            at_risk = m.forecast > m.planned and item.needed_by is not None and item.needed_by < m.forecast
            late = (m.forecast - item.needed_by).days if item.needed_by else 0
            note = (f"needs it by {item.needed_by.isoformat()}, {late} days before the forecast"
                    if at_risk and item.needed_by else "")
            begin = item.start or item.end
            drawn = begin is not None
            x1 = x(begin) if begin else _LEFT
            x2 = x(item.end) if item.end and item.start else x1
            bars.append(Bar(item.kind, item.id, item.label, item.department,
                            item.start.isoformat() if item.start else None, item.end.isoformat() if item.end else None,
                            item.needed_by.isoformat() if item.needed_by else None, at_risk, note,
                            x1, round(max(x2 - x1, 0), 1), row, drawn, _place(item.at)))
            row += _ROW
        lanes.append(Lane(m.id, m.name, names.department(m.owner), m.planned.isoformat(), m.forecast.isoformat(),
                          (m.forecast - m.planned).days, m.confidence, x(m.planned), x(m.forecast), y,
                          tuple(bars), _place(m.at), max(len(items) - MAX_BARS, 0)))
        y = row + 10
    return Timeline(first.isoformat(), last.isoformat(), _LEFT, _PLOT, _LEFT + _PLOT + 20, y + 10,
                    tuple(ticks), tuple(shades), tuple(lanes), len(org.milestones) - len(shown))


# -- year over year ----------------------------------------------------------------------------------


def _year_over_year(comparison: Comparison, views: Mapping[str, FindingView], names: _Names) -> YearOverYear:
    return YearOverYear(
        previous=comparison.previous,
        new=tuple(views[f.fingerprint] for f in sorted(comparison.new, key=_report_order)),
        resolved=tuple(_view(f, names) for f in sorted(comparison.resolved, key=_report_order)),
        persisting=tuple(views[c.fingerprint] for c, _p in sorted(comparison.persisting,
                                                                   key=lambda pair: _report_order(pair[0]))),
        before=Counts.of([*comparison.resolved, *(p for _c, p in comparison.persisting)]),
        after=Counts.of([*comparison.new, *(c for c, _p in comparison.persisting)]),
    )
