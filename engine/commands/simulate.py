"""What-if: change the validated organization in memory, lint again, and show the ripple.

``interlock simulate policies/ --slip product-launch=+1q`` lints the policies
as they are (the baseline), applies the changes to the validated Organization
(``dataclasses.replace``; no file is ever written), lints the result, and diffs
the two runs by finding fingerprint:

- **added**: findings the change creates;
- **resolved**: findings it makes go away;
- **changed**: the same finding (same fingerprint) with a different message or severity;

plus the quantitative numbers that move (funnel outcomes, payout costs, roll-ups,
milestone dates). The changes (docs/quantitative.md has the reference):

- ``--slip MILESTONE=SHIFT``: moves the milestone's forecast by ``+1q``, ``-3q``,
  ``+2m``, ``+3w``, ``+10d``, ``+1y``, or to a date ``2028-06-30``; the owner's own
  date assumption about the milestone moves with it.
- ``--set PATH=VALUE``: ``DEPT.METRIC`` (or ``company.METRIC``) is the department's
  target on the metric; ``TARGET_ID`` a target by id; ``DEPT.PLAN.FIELD`` a plan's
  ``participants``, ``target_incentive`` or ``pay_mix``; ``DEPT.PLAN.METRIC.FIELD`` a
  measure's ``target``, ``threshold``, ``excellence``, ``cap`` or ``weight``;
  ``organization.incentive_budget`` or ``organization.base_revenue``.
- ``--assume DEPT.NAME[.SEGMENT]=VALUE``: a department's assumption (a number, a
  percentage or a date), changed or added.
- ``--attainment DEPT=80%`` (or ``PLAN=80%``): prices the plans of the department
  (and the departments below it) at that attainment.
"""
from __future__ import annotations

import datetime
import difflib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from interlock import __version__
from interlock.errors import UsageError
from interlock.findings.findings import Finding
from interlock.read.loader import load_documents
from interlock.model.model import Assumption, Measure, Milestone, Organization, Plan, Target
from interlock.model.money import format_money, to_decimal
from interlock.evaluation.rulebook import RuleBook, load_rulebook
from interlock.model.periods import add_months
from interlock.model.validate import validate
from interlock.read.values import FIRST_DAY, LAST_DAY
from interlock.read.yamlsource import clip

if TYPE_CHECKING:
    from interlock.read.config import Config
    from interlock.knowledge.facts import Fact

SHIFT = re.compile(r"^([+-])\s*([0-9]+)\s*([dwmqy])$")
DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
NUMBER = re.compile(r"^[+-]?[0-9][0-9_]*(\.[0-9]+)?$|^[+-]?\.[0-9]+$")
PERCENT = re.compile(r"^([+-]?[0-9]+(?:\.[0-9]+)?)\s*%$")
MONTHS = {"m": 1, "q": 3, "y": 12}
DAYS = {"d": 1, "w": 7}
PLAN_FIELDS = ("participants", "target_incentive", "pay_mix")
MEASURE_FIELDS = ("target", "threshold", "excellence", "cap", "weight")
ORGANIZATION_FIELDS = ("incentive_budget", "base_revenue")
#: Numbers worth showing when they move, per fact kind: (field, format).
WATCHED: dict[str, tuple[tuple[str, str], ...]] = {
    "milestone": (("forecast_day", "date"), ("slip_days", "days")),
    "funnel": (("implied", "unit"), ("ratio", "percent")),
    "supply": (("provided", "number"), ("ratio", "percent")),
    "rollup": (("parent_value", "unit"), ("children_total", "unit"), ("ratio", "percent")),
    "capacity": (("quota_total", "money"), ("capacity", "money"), ("ratio", "percent")),
    "payout_cost": (("cost_target", "money"), ("cost_scenario", "money")),
    "budget": (("cost_target", "money"), ("cost_expected", "money"), ("ratio_expected", "percent")),
    "growth": (("revenue", "money"), ("implied_growth", "percent")),
}


@dataclass(frozen=True)
class WhatIf:
    """The changes as written on the command line."""

    slips: tuple[str, ...] = ()
    sets: tuple[str, ...] = ()
    assumes: tuple[str, ...] = ()
    attainments: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.slips or self.sets or self.assumes or self.attainments)

    def specs(self) -> list[str]:
        return ([f"--slip {s}" for s in self.slips] + [f"--set {s}" for s in self.sets]
                + [f"--assume {s}" for s in self.assumes] + [f"--attainment {s}" for s in self.attainments])


@dataclass(frozen=True)
class Change:
    """One applied change: how it was asked for, and what it did."""

    option: str  # slip, set, assume, attainment
    spec: str
    effect: str

    def to_json(self) -> dict[str, str]:
        return {"option": self.option, "spec": self.spec, "effect": self.effect}


@dataclass(frozen=True)
class NumberChange:
    kind: str
    key: str
    field: str
    before: float | int | None
    after: float | int | None
    before_text: str
    after_text: str

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "key": self.key, "field": self.field, "before": self.before,
                "after": self.after, "before_text": self.before_text, "after_text": self.after_text}


@dataclass(frozen=True)
class Run:
    """One lint of an organization (the shape render.LintRun asks for)."""

    findings: tuple[Finding, ...]
    organization: Organization
    files: tuple[str, ...]
    book: RuleBook
    derived: tuple[dict[str, object], ...] = ()
    facts: tuple[Fact, ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True)
class Simulation:
    baseline: Run
    scenario: Run
    changes: tuple[Change, ...]
    added: tuple[Finding, ...]
    resolved: tuple[Finding, ...]
    #: (before, after) pairs with one fingerprint and a different message or severity.
    changed: tuple[tuple[Finding, Finding], ...]
    unchanged: int
    numbers: tuple[NumberChange, ...]

    @property
    def label(self) -> str:
        return "the plans before the what-if (" + "; ".join(f"--{c.option} {c.spec}" for c in self.changes) + ")"

    def to_json(self) -> dict[str, Any]:
        return {
            "tool": {"name": "interlock", "version": __version__},
            "changes": [c.to_json() for c in self.changes],
            "summary": {"added": len(self.added), "resolved": len(self.resolved), "changed": len(self.changed),
                        "unchanged": self.unchanged, "before": len(self.baseline.findings),
                        "after": len(self.scenario.findings)},
            "added": [f.to_json() for f in self.added],
            "resolved": [f.to_json() for f in self.resolved],
            "changed": [{"fingerprint": a.fingerprint, "before": b.to_json(), "after": a.to_json()}
                        for b, a in self.changed],
            "numbers": [n.to_json() for n in self.numbers],
            "findings": [f.to_json() for f in self.scenario.findings],
        }


# -- running --------------------------------------------------------------------------------------


def lint_organization(org: Organization, config: Config, book: RuleBook, files: Sequence[str],
                      attainment: Mapping[str, float] | None = None) -> Run:
    """One side of a what-if: the lint pipeline's tail on an organization already validated."""
    from interlock.lint import check_organization

    findings, derived, facts = check_organization(org, config, book, attainment=attainment, keep_facts=True)
    return Run(tuple(findings), org, tuple(files), book, tuple(derived), facts)


def simulate(paths: Sequence[Path], config: Config, whatif: WhatIf, book: RuleBook | None = None) -> Simulation:
    """Lint ``paths``, apply ``whatif`` to the organization, lint again, and diff."""
    if whatif.empty:
        raise UsageError("nothing to simulate: give --slip, --set, --assume or --attainment")
    book = book or load_rulebook(config.rule_packs)
    config.validate(book)
    from interlock.lint import long_lived_objects

    documents = load_documents(list(paths), follow_links=config.follow_links)
    organization = validate(documents, cache=config.cache)
    files = tuple(d.path for d in documents)
    changed_org, changes, attainment = apply(organization, whatif)
    with long_lived_objects():
        baseline = lint_organization(organization, config, book, files)
        scenario = lint_organization(changed_org, config, book, files, attainment)
    return diff(baseline, scenario, tuple(changes))


def diff(baseline: Run, scenario: Run, changes: tuple[Change, ...]) -> Simulation:
    before = {f.fingerprint: f for f in baseline.findings}
    after = {f.fingerprint: f for f in scenario.findings}
    added = tuple(f for f in scenario.findings if f.fingerprint not in before)
    resolved = tuple(f for f in baseline.findings if f.fingerprint not in after)
    changed = tuple((before[f.fingerprint], f) for f in scenario.findings if f.fingerprint in before
                    and (before[f.fingerprint].message != f.message or before[f.fingerprint].severity != f.severity))
    unchanged = sum(1 for f in scenario.findings if f.fingerprint in before) - len(changed)
    return Simulation(baseline, scenario, changes, added, resolved, changed, unchanged,
                      tuple(number_changes(baseline, scenario)))


def number_changes(baseline: Run, scenario: Run) -> list[NumberChange]:
    """The watched numbers that differ between the two runs, in kind and key order."""
    def index(run: Run) -> dict[tuple[str, str], Fact]:
        return {(str(f["kind"]), str(f["key"])): f for f in run.facts if f["kind"] in WATCHED}

    old, new = index(baseline), index(scenario)
    result = []
    for kind, key in sorted(set(old) | set(new)):
        a, b = old.get((kind, key), {}), new.get((kind, key), {})
        for name, style in WATCHED[kind]:
            x, y = a.get(name), b.get(name)
            if x == y or (isinstance(x, (int, float)) and isinstance(y, (int, float)) and abs(x - y) < 1e-9):
                continue
            result.append(NumberChange(kind, key, name, _plain(x), _plain(y), _show(x, style, a or b),
                                       _show(y, style, b or a)))
    return result


def _plain(value: object) -> float | int | None:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _show(value: object, style: str, fact: Mapping[str, object]) -> str:
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return "-"
    currency = str(fact.get("currency") or "")
    if style == "unit":
        style = "money" if fact.get("unit") == "currency" else "number"
    if style == "money":
        return format_money(value, currency or None)
    if style == "percent":
        return f"{value * 100:.1f}%".replace(".0%", "%")
    if style == "date":
        return (datetime.date(1970, 1, 1) + datetime.timedelta(days=int(value))).isoformat()
    if style == "days":
        return f"{int(value)} days"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


# -- applying the changes ---------------------------------------------------------------------------


def apply(org: Organization, whatif: WhatIf) -> tuple[Organization, list[Change], dict[str, float]]:
    """The organization with every change applied (in the order slip, set, assume), and the attainments."""
    changes: list[Change] = []
    for spec in whatif.slips:
        org, change = slip(org, spec)
        changes.append(change)
    for spec in whatif.sets:
        org, change = set_value(org, spec)
        changes.append(change)
    for spec in whatif.assumes:
        org, change = assume(org, spec)
        changes.append(change)
    attainment: dict[str, float] = {}
    for spec in whatif.attainments:
        plans, value, change = attain(org, spec)
        attainment.update({plan: value for plan in plans})
        changes.append(change)
    return org, changes, attainment


def _split(option: str, spec: str, what: str) -> tuple[str, str]:
    name, sep, value = spec.partition("=")
    if not sep or not name.strip() or not value.strip():
        raise UsageError(f"--{option} {spec}: expected {what}")
    return name.strip(), value.strip()


def _unknown(option: str, spec: str, kind: str, name: str, known: Sequence[str]) -> UsageError:
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return UsageError(f"--{option} {spec}: unknown {kind} {name!r}{hint}")


def parse_shift(spec: str, value: str, start: datetime.date) -> datetime.date:
    """``+1q`` from ``start``, or an ISO date; a day outside the years policies allow is a usage error."""
    if DATE.match(value):
        try:
            day = datetime.date.fromisoformat(value)
        except ValueError:
            raise UsageError(f"--slip {spec}: {value!r} is not a valid date (write YYYY-MM-DD)") from None
        return _in_calendar("slip", spec, day)
    match = SHIFT.match(value)
    if not match:
        raise UsageError(f"--slip {spec}: {value!r} is not a shift (write +1q, -3q, +2m, +3w, +10d, +1y "
                         "or a date YYYY-MM-DD)")
    sign, count, unit = match.groups()
    try:  # +9000y or +3000000d leave Python's calendar (years 1 to 9999); int() refuses over 4,300 digits
        amount = int(count) * (1 if sign == "+" else -1)
        moved = (_add_months_keeping_month_end(start, amount * MONTHS[unit]) if unit in MONTHS
                 else start + datetime.timedelta(days=amount * DAYS[unit]))
    except (ValueError, OverflowError):
        raise UsageError(f"--slip {clip(spec)}: moves the forecast from {start.isoformat()} "
                         f"outside the years {FIRST_DAY.year} to {LAST_DAY.year}") from None
    if not FIRST_DAY <= moved <= LAST_DAY:
        raise UsageError(f"--slip {clip(spec)}: moves the forecast from {start.isoformat()} to {moved.isoformat()}, "
                         f"outside the years {FIRST_DAY.year} to {LAST_DAY.year}")
    return moved


def _in_calendar(option: str, spec: str, day: datetime.date) -> datetime.date:
    """``day`` if a policy could hold it (values.FIRST_DAY..LAST_DAY), else a usage error saying so."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise UsageError(f"--{option} {spec}: {day.isoformat()} is outside the years {FIRST_DAY.year} to {LAST_DAY.year}")
    return day


def slip(org: Organization, spec: str) -> tuple[Organization, Change]:
    name, value = _split("slip", spec, "MILESTONE=SHIFT, e.g. product-launch=+1q")
    found = next((m for m in org.milestones if m.id == name), None)
    if found is None:
        raise _unknown("slip", spec, "milestone", name, [m.id for m in org.milestones])
    forecast = parse_shift(spec, value, found.forecast)
    moved: Milestone = replace(found, forecast=forecast)
    assumptions = tuple(
        replace(a, date=forecast) if a.milestone == found.id and a.department == found.owner and a.date == found.forecast else a
        for a in org.assumptions
    )
    slip_days = (forecast - found.planned).days
    effect = (f"milestone {found.id} forecast {found.forecast.isoformat()} -> {forecast.isoformat()} "
              f"({'+' if slip_days > 0 else ''}{slip_days} days against the planned {found.planned.isoformat()})")
    org = replace(org, milestones=tuple(moved if m.id == found.id else m for m in org.milestones),
                  assumptions=assumptions)
    return org, Change("slip", spec, effect)


def parse_number(option: str, spec: str, value: str) -> float:
    """``12_000_000``, ``0.25`` or ``25%``; a number a float cannot hold (400 digits) is refused, as in policies."""
    text = value.replace(",", "")
    match = PERCENT.match(text)
    if match:
        number = float(match.group(1)) / 100
    elif NUMBER.match(text):
        number = float(text.replace("_", ""))
    else:
        raise UsageError(f"--{option} {clip(spec)}: {clip(value)!r} is not a number or a percentage "
                         "(write 12_000_000, 0.25 or 25%)")
    if not math.isfinite(number):
        raise UsageError(f"--{option} {clip(spec)}: the number is too large ({len(text):,} characters)")
    return number


def _shown(value: float | Decimal | None, org: Organization, metric: str | None = None, money: bool = False) -> str:
    if value is None:
        return "(none)"
    unit = org.metric_by_id[metric].unit if metric and metric in org.metric_by_id else ""
    if money or unit == "currency":
        return format_money(value, org.currency)
    if unit == "percent":
        return f"{float(value) * 100:g}%"
    number = float(value)
    return f"{int(number):,}" if number.is_integer() else f"{number:,}"


def set_value(org: Organization, spec: str) -> tuple[Organization, Change]:
    path, raw = _split("set", spec, "PATH=VALUE, e.g. sales.new_business=12_000_000")
    parts = path.split(".")
    departments = {d.id for d in org.departments}
    canonical = {alias: m.id for m in org.metrics for alias in m.aliases} | {m.id: m.id for m in org.metrics}
    if len(parts) == 2 and parts[0] == "organization":
        if parts[1] not in ORGANIZATION_FIELDS:
            raise _unknown("set", spec, "organization field", parts[1], ORGANIZATION_FIELDS)
        value = Decimal(str(parse_number("set", spec, raw)))
        before = getattr(org, parts[1])
        effect = f"organization {parts[1]} {_shown(before, org, money=True)} -> {_shown(value, org, money=True)}"
        return replace(org, **{parts[1]: value}), Change("set", spec, effect)
    if len(parts) == 1:
        target = next((t for t in org.targets if t.id == parts[0]), None)
        if target is None:
            raise _unknown("set", spec, "target", parts[0], [t.id for t in org.targets])
        return _set_target(org, spec, target, parse_number("set", spec, raw))
    if len(parts) == 2:
        owner, metric_name = parts
        if owner != "company" and owner not in departments:
            raise _unknown("set", spec, "department", owner, [*departments, "company", "organization"])
        metric = canonical.get(metric_name)
        if metric is None:
            raise _unknown("set", spec, "metric", metric_name, list(canonical))
        found = sorted((t for t in org.targets if t.owner == owner and t.metric == metric), key=lambda t: t.id)
        if not found:
            raise UsageError(f"--set {spec}: {owner} has no target on {metric}")
        if len(found) > 1:
            raise UsageError(f"--set {spec}: {owner} has several targets on {metric} "
                             f"({', '.join(t.id for t in found)}): name one, e.g. --set {found[0].id}={raw}")
        return _set_target(org, spec, found[0], parse_number("set", spec, raw))
    if len(parts) in (3, 4):
        dept, plan_id = parts[0], parts[1]
        if dept not in departments:
            raise _unknown("set", spec, "department", dept, list(departments))
        plan = next((p for p in org.plans if p.id == plan_id), None)
        if plan is None:
            raise _unknown("set", spec, "plan", plan_id, [p.id for p in org.plans])
        if plan.department not in _below(org, dept):
            raise UsageError(f"--set {spec}: plan {plan_id} belongs to {plan.department}, not to {dept}")
        if len(parts) == 3:
            return _set_plan(org, spec, plan, parts[2], raw)
        metric = canonical.get(parts[2], parts[2])
        measure = next((m for m in plan.measures if m.metric == metric), None)
        if measure is None:
            raise _unknown("set", spec, f"measure of plan {plan_id}", parts[2], [m.metric for m in plan.measures])
        return _set_measure(org, spec, plan, measure, parts[3], raw)
    raise UsageError(f"--set {spec}: expected DEPT.METRIC, TARGET_ID, DEPT.PLAN.FIELD, DEPT.PLAN.METRIC.FIELD "
                     "or organization.FIELD before the '='")


def _below(org: Organization, dept: str) -> set[str]:
    found = {dept}
    changed = True
    while changed:
        changed = False
        for d in org.departments:
            if d.parent in found and d.id not in found:
                found.add(d.id)
                changed = True
    return found


def _set_target(org: Organization, spec: str, target: Target, value: float) -> tuple[Organization, Change]:
    effect = (f"target {target.id} ({target.owner}, {target.metric}) "
              f"{_shown(target.value, org, target.metric)} -> {_shown(value, org, target.metric)}")
    targets = tuple(replace(t, value=value) if t.id == target.id else t for t in org.targets)
    return replace(org, targets=targets), Change("set", spec, effect)


def _set_plan(org: Organization, spec: str, plan: Plan, name: str, raw: str) -> tuple[Organization, Change]:
    if name not in PLAN_FIELDS:
        raise _unknown("set", spec, "plan field", name, [*PLAN_FIELDS, *(m.metric for m in plan.measures)])
    number = parse_number("set", spec, raw)
    value: Any
    if name == "participants":
        if not number.is_integer() or number < 0:
            raise UsageError(f"--set {spec}: participants must be a whole number")
        value = int(number)
    elif name == "target_incentive":
        value = to_decimal(raw.replace("_", "").replace(",", "")) if "%" not in raw else None
        if value is None:
            raise UsageError(f"--set {spec}: target_incentive is money, not a percentage")
    else:
        value = number
    before = getattr(plan, name)
    money = name == "target_incentive"
    effect = f"plan {plan.id} {name} {_shown(before, org, money=money)} -> {_shown(value, org, money=money)}"
    if name == "pay_mix":
        effect = f"plan {plan.id} pay_mix {before} -> {value}"
    changed = replace(plan, **{name: value})
    return replace(org, plans=tuple(changed if p.id == plan.id else p for p in org.plans)), Change("set", spec, effect)


def _set_measure(org: Organization, spec: str, plan: Plan, measure: Measure, name: str,
                 raw: str) -> tuple[Organization, Change]:
    if name not in MEASURE_FIELDS:
        raise _unknown("set", spec, "measure field", name, MEASURE_FIELDS)
    value = parse_number("set", spec, raw)
    before = getattr(measure, name)
    metric = None if name == "weight" else measure.metric
    shown_before = f"{before * 100:g}%" if name == "weight" and before is not None else _shown(before, org, metric)
    shown_after = f"{value * 100:g}%" if name == "weight" else _shown(value, org, metric)
    effect = f"measure {plan.id}/{measure.metric} {name} {shown_before} -> {shown_after}"
    changed = replace(measure, **{name: value})
    new_plan = replace(plan, measures=tuple(changed if m.metric == measure.metric else m for m in plan.measures))
    return (replace(org, plans=tuple(new_plan if p.id == plan.id else p for p in org.plans)),
            Change("set", spec, effect))


def assume(org: Organization, spec: str) -> tuple[Organization, Change]:
    path, raw = _split("assume", spec, "DEPT.ASSUMPTION=VALUE, e.g. marketing.avg_deal_size=30000")
    parts = path.split(".")
    if len(parts) not in (2, 3):
        raise UsageError(f"--assume {spec}: expected DEPT.ASSUMPTION or DEPT.ASSUMPTION.SEGMENT before the '='")
    dept, name = parts[0], parts[1]
    segment = parts[2] if len(parts) == 3 else None
    department = next((d for d in org.departments if d.id == dept), None)
    if department is None:
        raise _unknown("assume", spec, "department", dept, [d.id for d in org.departments])
    canonical = {alias: m.id for m in org.metrics for alias in m.aliases}
    name = canonical.get(name, name)
    date = value = None
    if DATE.match(raw):
        try:
            date = datetime.date.fromisoformat(raw)
        except ValueError:
            raise UsageError(f"--assume {spec}: {raw!r} is not a valid date (write YYYY-MM-DD)") from None
        _in_calendar("assume", spec, date)
    else:
        value = parse_number("assume", spec, raw)
    existing = next((a for a in org.assumptions if a.department == dept and a.name == name and a.segment == segment),
                    None)
    new_text = date.isoformat() if date else _shown(value, org, name)
    if existing is not None:
        if (existing.date is None) != (date is None):
            kind = "a date" if existing.date else "a number"
            raise UsageError(f"--assume {spec}: {dept}'s {name} is {kind}")
        old_text = existing.date.isoformat() if existing.date else _shown(existing.value, org, name)
        updated = replace(existing, value=value, date=date)
        assumptions = tuple(updated if a is existing else a for a in org.assumptions)
        effect = f"{dept} assumes {name}{' (' + segment + ')' if segment else ''} {old_text} -> {new_text}"
    else:
        added = Assumption(department=dept, name=name, at=department.at, value=value, date=date, segment=segment)
        assumptions = (*org.assumptions, added)
        effect = f"{dept} now assumes {name}{' (' + segment + ')' if segment else ''} = {new_text} (new)"
    return replace(org, assumptions=assumptions), Change("assume", spec, effect)


def attain(org: Organization, spec: str) -> tuple[list[str], float, Change]:
    who, raw = _split("attainment", spec, "DEPT=PERCENT or PLAN=PERCENT, e.g. sales=80%")
    value = parse_number("attainment", spec, raw)
    if value < 0:
        raise UsageError(f"--attainment {spec}: attainment cannot be negative")
    departments = {d.id for d in org.departments}
    plans = {p.id for p in org.plans}
    if who in departments:
        below = _below(org, who)
        chosen = sorted(p.id for p in org.plans if p.department in below)
        if not chosen:
            raise UsageError(f"--attainment {spec}: {who} has no plans")
        effect = f"plans of {who} ({', '.join(chosen)}) priced at {value * 100:g}% attainment"
    elif who in plans:
        chosen = [who]
        effect = f"plan {who} priced at {value * 100:g}% attainment"
    else:
        raise _unknown("attainment", spec, "department or plan", who, [*departments, *plans])
    return chosen, value, Change("attainment", spec, effect)


# -- rendering ----------------------------------------------------------------------------------------


def render_simulation(fmt: str, sim: Simulation, *, color: bool = False, fail_on: str = "error") -> str:
    """The ripple in one output format (text, json, markdown, html, sarif, junit, github)."""
    from interlock.findings.run import failing
    from interlock.outputs import render

    if fmt == "json":
        return json.dumps(sim.to_json(), indent=2, ensure_ascii=False) + "\n"
    if fmt in ("text", "markdown"):
        name = "simulate.txt.j2" if fmt == "text" else "simulate.md.j2"
        return render.render_template(name, sim=sim, color=color, fail_on=fail_on,
                                      failing=lambda f: failing(f, fail_on))
    if fmt == "html":
        from interlock.findings.yoy import compare

        comparison = compare(sim.scenario.findings, sim.baseline.findings, sim.label)
        return render.render("html", sim.scenario, render.RenderOptions(fail_on=fail_on, previous=comparison,
                                                                        generated=render.generated_date()))
    if fmt == "sarif":
        return _sarif(sim)
    if fmt == "junit":
        from interlock.outputs.junit import render_junit

        ripple = replace(sim.scenario, findings=tuple([*sim.added, *(after for _b, after in sim.changed)]))
        return render_junit(ripple, fail_on)
    if fmt == "github":
        marked = [replace(f, message=f"[what-if: added] {f.message}") for f in sim.added]
        marked += [replace(a, message=f"[what-if: changed] {a.message} (was: {b.message})") for b, a in sim.changed]
        marked += [replace(f, severity="info", message=f"[what-if: resolved] {f.message}") for f in sim.resolved]
        return render.render_github(sorted(marked, key=Finding.sort_key), fail_on=fail_on)
    raise UsageError(f"unknown format {fmt!r} (one of {', '.join(render.FORMATS)})")


def _sarif(sim: Simulation) -> str:
    """The scenario's findings with SARIF baselineState (new, updated, unchanged), resolved ones as absent."""
    from interlock.outputs.sarif import FINGERPRINT_KEY, sarif_log

    states = {f.fingerprint: "new" for f in sim.added}
    states.update({a.fingerprint: "updated" for _b, a in sim.changed})
    states.update({f.fingerprint: "absent" for f in sim.resolved})
    run = replace(sim.scenario, findings=tuple(sorted([*sim.scenario.findings, *sim.resolved], key=Finding.sort_key)))
    log = sarif_log(run)
    for result in log["runs"][0]["results"]:
        fingerprint = result.get("partialFingerprints", {}).get(FINGERPRINT_KEY)
        result["baselineState"] = states.get(fingerprint, "unchanged")
    log["runs"][0].setdefault("properties", {})["whatIf"] = [c.to_json() for c in sim.changes]
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def fails(sim: Simulation, fail_on: str) -> bool:
    """The what-if adds a finding at or above the failure threshold, or raises one to it."""
    from interlock.findings.run import failing

    return (any(failing(f, fail_on) for f in sim.added)
            or any(failing(a, fail_on) and not failing(b, fail_on) for b, a in sim.changed))


def _add_months_keeping_month_end(day: datetime.date, months: int) -> datetime.date:
    """``day`` moved by ``months``; the last day of a month stays the last day (2027-06-30 + 3q = 2028-03-31)."""
    moved = add_months(day, months)
    if (day + datetime.timedelta(days=1)).month != day.month:  # the last day of its month
        following = add_months(moved.replace(day=1), 1)
        return following - datetime.timedelta(days=1)
    return moved
