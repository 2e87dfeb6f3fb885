"""The report's department x department heatmap, and the business-unit summary that replaces it at scale.

Issue 21: the heatmap counted an information note like an error, its order (alphabetical) hid
clusters, and at 1,000 departments it drew a million cells (151 MB). Now:

- a cell's colour is its severity weight (error 3, warning 1, info 0: a note is listed, never heat);
  its number counts the errors and warnings;
- departments are ordered by business unit (units with the most weight first), then by their own
  weight, so the conflicts of one unit sit together as a block;
- at most MAX_DEPARTMENTS departments are drawn: the ones carrying the most weight. The others
  are counted in the caption, and every business unit gets a row in the summary table (`units`).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from interlock.findings.findings import Finding

if TYPE_CHECKING:
    from interlock.model.model import Organization

#: The weight of one finding in a cell, by severity.
WEIGHTS = {"error": 3, "warning": 1, "info": 0}
#: Departments drawn in the heatmap; beyond it the report summarises by business unit.
MAX_DEPARTMENTS = 24
#: Business units listed in the summary table.
MAX_UNITS = 30

_CELL = 40.0
_NEUTRAL = "#f1f3f5"
_LOW, _HIGH = (254, 229, 217), (165, 15, 21)  # ColorBrewer Reds, ends


@dataclass(frozen=True)
class Axis:
    id: str
    name: str
    short: str
    #: Centre of the row (y) and column (x) in the SVG.
    position: float


@dataclass(frozen=True)
class Cell:
    row: str
    column: str
    #: Errors and warnings involving both departments (the number printed in the cell).
    count: int
    rules: tuple[str, ...]
    x: float
    y: float
    fill: str
    ink: str
    tooltip: str
    #: The severity weight that colours the cell.
    weight: int = 0


@dataclass(frozen=True)
class Matrix:
    """Unwaived findings involving both departments; the diagonal counts one-department findings."""

    departments: tuple[Axis, ...]
    cells: tuple[Cell, ...]
    #: counts[i][j], same order as departments (for tables).
    counts: tuple[tuple[int, ...], ...]
    size: float
    left: float
    top: float
    width: float
    height: float
    maximum: int
    legend: tuple[tuple[float, str, str], ...]
    #: Departments with findings that the heatmap leaves out (see `units`).
    omitted: int = 0


@dataclass(frozen=True)
class UnitRow:
    """One business unit (a top-level department and everything under it) in the summary table."""

    name: str
    owner: str
    departments: int
    errors: int
    warnings: int
    info: int
    weight: int
    #: The unit's department with the most weight, and that weight.
    top: str
    top_weight: int


def _shade(weight: int, maximum: int) -> tuple[str, str]:
    if weight == 0 or maximum == 0:
        return _NEUTRAL, "#6b7280"
    t = weight / maximum
    rgb = tuple(round(lo + (hi - lo) * t) for lo, hi in zip(_LOW, _HIGH))
    return "#%02x%02x%02x" % rgb, "#ffffff" if t > 0.5 else "#1f2937"


def short(name: str, limit: int = 28) -> str:
    return name if len(name) <= limit else name[: limit - 1].rstrip() + "…"


def _unit_of(org: Organization) -> dict[str, str]:
    """Each department's business unit: its top-level ancestor (itself at the top)."""
    parent = {d.id: d.parent for d in org.departments}
    unit: dict[str, str] = {}
    for dept in parent:
        seen, here = {dept}, dept
        while parent.get(here) and parent[here] not in seen and parent[here] in parent:
            here = parent[here]  # type: ignore[assignment]
            seen.add(here)
        unit[dept] = here
    return unit


def _weights(active: Sequence[Finding]) -> dict[str, int]:
    weight: dict[str, int] = {}
    for finding in active:
        for dept in set(finding.departments):
            weight[dept] = weight.get(dept, 0) + WEIGHTS.get(finding.severity, 0)
    return weight


def units(org: Organization, active: Sequence[Finding], names: dict[str, str]) -> tuple[UnitRow, ...]:
    """Every business unit with findings, heaviest first (at most MAX_UNITS)."""
    unit = _unit_of(org)
    weight = _weights(active)
    rows: dict[str, dict[str, int]] = {}
    for finding in active:
        for u in {unit.get(d, d) for d in finding.departments}:
            counts = rows.setdefault(u, {"error": 0, "warning": 0, "info": 0})
            counts[finding.severity] = counts.get(finding.severity, 0) + 1
    departments: dict[str, list[str]] = {}  # each unit's departments, gathered once (not one scan per unit)
    for dept, u in unit.items():
        departments.setdefault(u, []).append(dept)
    size = {u: len(members) for u, members in departments.items()}
    owners = {d.id: d.owner or "" for d in org.departments}
    result = []
    for u, counts in rows.items():
        members = departments.get(u) or [u]
        top = max(members, key=lambda d: (weight.get(d, 0), d))
        total = sum(weight.get(d, 0) for d in members)
        result.append(UnitRow(names.get(u, u), owners.get(u, ""), size.get(u, 1), counts["error"], counts["warning"],
                              counts["info"], total, names.get(top, top), weight.get(top, 0)))
    result.sort(key=lambda r: (-r.weight, -r.errors, r.name))
    return tuple(result[:MAX_UNITS])


def matrix(org: Organization, active: Sequence[Finding], names: dict[str, str]) -> Matrix:
    unit = _unit_of(org)
    weight = _weights(active)
    ids = {d.id for d in org.departments} | {d for f in active for d in f.departments}
    unit_weight: dict[str, int] = {}
    for dept in ids:
        u = unit.get(dept, dept)
        unit_weight[u] = unit_weight.get(u, 0) + weight.get(dept, 0)

    def rank(dept: str) -> tuple[object, ...]:
        u = unit.get(dept, dept)
        return (-unit_weight.get(u, 0), names.get(u, u).lower(), u, -weight.get(dept, 0),
                names.get(dept, dept).lower(), dept)

    involved = [d for d in ids if weight.get(d, 0) > 0]
    if len(ids) <= MAX_DEPARTMENTS:
        chosen = sorted(ids, key=rank)
        omitted = 0
    else:  # the heaviest departments, still grouped by unit
        heaviest = sorted(involved, key=lambda d: (-weight[d], d))[:MAX_DEPARTMENTS]
        chosen = sorted(heaviest, key=rank)
        omitted = len(involved) - len(chosen)
    index = {d: i for i, d in enumerate(chosen)}
    n = len(chosen)
    weights = [[0] * n for _ in range(n)]
    counts = [[0] * n for _ in range(n)]
    rules: list[list[set[str]]] = [[set() for _ in range(n)] for _ in range(n)]
    for finding in active:
        depts = sorted({d for d in finding.departments if d in index})
        if len(depts) == 1 and len(set(finding.departments)) == 1:
            pairs = [(depts[0], depts[0])]
        else:
            pairs = [(a, b) for a in depts for b in depts if a != b]
        for a, b in pairs:
            i, j = index[a], index[b]
            weights[i][j] += WEIGHTS.get(finding.severity, 0)
            if finding.severity != "info":
                counts[i][j] += 1
            rules[i][j].add(finding.rule)
    maximum = max((w for row in weights for w in row), default=0)
    longest = max((len(short(names.get(d, d))) for d in chosen), default=4)
    left = 16 + 6.6 * longest
    top = 20 + 5.2 * longest  # column labels are rotated 45 degrees
    axes = tuple(Axis(d, names.get(d, d), short(names.get(d, d)), i * _CELL + _CELL / 2) for i, d in enumerate(chosen))
    cells = []
    for r, row in enumerate(chosen):
        for c, col in enumerate(chosen):
            fill, ink = _shade(weights[r][c], maximum)
            found = tuple(sorted(rules[r][c]))
            what = "within" if row == col else "between"
            who = names.get(row, row) if row == col else f"{names.get(row, row)} and {names.get(col, col)}"
            tip = f"{counts[r][c]} error{'s' if counts[r][c] != 1 else ''} and warnings {what} {who}"
            cells.append(Cell(row, col, counts[r][c], found, left + c * _CELL, top + r * _CELL, fill, ink,
                              tip + (f" ({', '.join(found)})" if found else ""), weights[r][c]))
    steps = sorted({0, *(round(maximum * k / 4) for k in range(1, 5))}) if maximum else [0]
    legend = tuple((left + i * 56.0, _shade(s, maximum)[0], str(s)) for i, s in enumerate(steps))
    width = left + n * _CELL + 0.72 * 6.6 * longest + 16  # room for the last rotated label
    return Matrix(axes, tuple(cells), tuple(tuple(row) for row in counts), _CELL, left, top,
                  max(width, left + len(steps) * 56 + 16), top + n * _CELL + 56, maximum, legend, omitted)
