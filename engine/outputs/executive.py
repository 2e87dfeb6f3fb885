"""The report's first screen, for the people who read it (issue 21): what is at stake in money, who owns
each top risk, what to fix first, and how this compares with last year.

Findings that share a root cause (findings.run.cause_key: the same measure, assumption or milestone)
are one risk here: the risks are distinct causes ranked by severity and reach (how many departments
and objectives the cause touches), each with its owner (the owner of the department it is about) and
its remediation. Money is summed from the facts the findings matched, never re-derived:

- payout at stake: the target incentive (participants x target incentive x weight) of every measure an
  open error or warning is about, each measure counted once;
- revenue at risk: the currency shortfalls of the arithmetic findings (a funnel that multiplies out
  short of its target, a roll-up whose parts add up to less than the whole), each amount counted once:
  a target's funnel worked out as a whole and per segment (Q01 on both) is one shortfall, not two.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from interlock.findings.findings import SEVERITY_ORDER, Finding
from interlock.findings.run import cause_key

if TYPE_CHECKING:
    from interlock.findings.yoy import Comparison
    from interlock.model.model import Organization

#: How many distinct causes the first screen lists.
TOP_CAUSES = 5


@dataclass(frozen=True)
class Stake:
    """One amount of money at stake, with how it was counted."""

    label: str
    amount: float
    text: str
    detail: str


@dataclass(frozen=True)
class RiskCause:
    """A root cause and every open finding it produces."""

    key: str
    severity: str
    #: The cause in words: what its findings' messages share, or the one finding's message.
    summary: str
    department: str
    owner: str
    remediation: str
    findings: int
    rules: tuple[str, ...]
    departments: tuple[str, ...]
    objectives: tuple[str, ...]
    #: Departments and objectives the cause touches: the second ranking key after severity.
    reach: int
    #: The report anchor of the cause's worst finding.
    anchor: str
    place: str
    #: The fingerprints of its findings, worst first.
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class Executive:
    stakes: tuple[Stake, ...]
    #: The first causes to fix (at most TOP_CAUSES).
    causes: tuple[RiskCause, ...]
    #: Distinct causes among the open findings.
    cause_count: int
    #: Last year in one sentence, when the report compares ("" otherwise).
    versus: str
    #: Every cause, ranked: the findings appendix of the Markdown report prints each once.
    ranked: tuple[RiskCause, ...] = ()


def money(amount: float, currency: str | None) -> str:
    """EUR 2.53M, EUR 480k, EUR 950: short enough for a headline."""
    size = abs(amount)
    text = (f"{amount / 1e9:.2f}B" if size >= 1e9 else f"{amount / 1e6:.2f}M" if size >= 1e6
            else f"{amount / 1e3:.0f}k" if size >= 1e4 else f"{amount:,.0f}")
    return f"{currency} {text}" if currency else text


def executive(org: Organization, active: Sequence[Finding], anchors: Mapping[str, str],
              names: Mapping[str, str], comparison: Comparison | None) -> Executive:
    """The first screen from the open (unwaived) findings; ``names``: department id -> name."""
    groups: dict[str, list[Finding]] = {}
    for finding in active:
        groups.setdefault(cause_key(finding), []).append(finding)
    owners = {d.id: d.owner or "" for d in org.departments}
    causes = [_cause(key, members, anchors, names, owners) for key, members in groups.items()]
    causes.sort(key=lambda c: (SEVERITY_ORDER[c.severity], -c.reach, -c.findings, c.place, c.key))
    return Executive(_stakes(org, active), tuple(causes[:TOP_CAUSES]), len(causes), _versus(comparison),
                     tuple(causes))


def _cause(key: str, members: list[Finding], anchors: Mapping[str, str], names: Mapping[str, str],
           owners: Mapping[str, str]) -> RiskCause:
    worst = min(members, key=lambda f: (SEVERITY_ORDER[f.severity], -len(f.objectives), -len(f.departments),
                                        f.sort_key()))
    departments = sorted({d for f in members for d in f.departments}, key=lambda d: (d not in worst.departments, d))
    objectives = sorted({o for f in members for o in f.objectives})
    heads = {f.message.split(": ", 1)[0] for f in members}
    summary = heads.pop() if len(members) > 1 and len(heads) == 1 else _shared_or_worst(members, worst)
    lead = worst.departments[0] if worst.departments else ""
    return RiskCause(
        key=key, severity=worst.severity, summary=_sentence(summary), department=names.get(lead, lead),
        owner=owners.get(lead, ""), remediation=" ".join(worst.remediation.split()), findings=len(members),
        rules=tuple(sorted({f.rule for f in members})), departments=tuple(names.get(d, d) for d in departments),
        objectives=tuple(objectives), reach=len(departments) + len(objectives), anchor=anchors[worst.fingerprint],
        place=str(worst.primary) if worst.primary else "",
        members=tuple(f.fingerprint for f in sorted(members, key=lambda f: (SEVERITY_ORDER[f.severity], f.sort_key()))),
    )


def _shared_or_worst(members: list[Finding], worst: Finding) -> str:
    """What most of the messages start with (before ": "), else the worst finding's message."""
    counts: dict[str, int] = {}
    for finding in members:
        if ": " in finding.message:
            head = finding.message.split(": ", 1)[0]
            counts[head] = counts.get(head, 0) + 1
    best = max(counts.items(), key=lambda item: (item[1], -len(item[0])), default=("", 0))
    return best[0] if best[1] >= 2 else worst.message


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _payer_measures(org: Organization) -> dict[tuple[str, float], list[tuple[str, str]]]:
    """(metric, direction) -> the (plan, metric) of every measure paying that move, as D29 gathers them."""
    found: dict[tuple[str, float], list[tuple[str, str]]] = {}
    for plan in org.plans:
        for measure in plan.measures:
            found.setdefault((measure.metric, float(measure.direction)), []).append((plan.id, measure.metric))
    return found


def _stakes(org: Organization, active: Sequence[Finding]) -> tuple[Stake, ...]:
    plans = {p.id: p for p in org.plans}
    measures: set[tuple[str, str]] = set()
    payout = 0.0
    shortfalls: dict[str, Mapping[str, object]] = {}
    payers = _payer_measures(org)
    for finding in active:
        for fact in finding.facts.values():
            kind = fact.get("kind")
            # A crowd finding (X01, X02, X15) binds the payers of a metric, not each of their measures.
            # A band target (X17, H16) is a measure of its own kind: the plan pays on it all the same.
            keys = [(str(fact.get("plan")), str(fact.get("metric")))] if kind in ("measure", "band_target") else []
            if kind == "payers":
                gathered = set(fact.get("depts") or ())  # type: ignore[arg-type]
                keys = [key for key in payers.get((str(fact.get("metric")), _number(fact.get("dir"))), [])
                        if plans[key[0]].department in gathered]
            if keys and finding.severity != "info":
                for key in keys:
                    plan = plans.get(key[0])
                    if key in measures or plan is None or plan.target_incentive is None:
                        continue
                    measures.add(key)
                    weight = next((m.weight for m in plan.measures if m.metric == key[1]), 0.0)
                    payout += float(plan.target_incentive) * (plan.participants or 1) * weight
            elif fact.get("unit") == "currency" and _number(fact.get("gap")) > 0:
                shortfalls[f"{kind}/{fact.get('key')}"] = fact
    gaps = _shortfalls(shortfalls)
    currency = org.currency
    stakes = [Stake("payout at stake", payout, money(payout, currency),
                    f"a year's target incentive on the {len(measures)} paid "
                    f"measure{'s' if len(measures) != 1 else ''} that open errors and warnings are about")]
    shortfall = sum(gaps.values())
    stakes.append(Stake("revenue at risk", shortfall, money(shortfall, currency),
                        (f"what {len(gaps)} plans or roll-ups multiply or add up to short of their targets"
                         if len(gaps) != 1 else "what 1 plan or roll-up multiplies or adds up to short of its target")
                        + ", even if every department hits its own"
                        if gaps else "no arithmetic shortfall"))
    return tuple(stakes)


def _shortfalls(facts: Mapping[str, Mapping[str, object]]) -> dict[str, float]:
    """Each amount of revenue at risk once, by what falls short.

    A funnel is worked out for the consumer's target as a whole and, where both sides state figures for a
    segment, for each segment: a segment is a slice of the same target, and two dependencies feeding one
    target (or one segment of it) each say how short it falls. So a target's shortfall is counted once,
    the largest view of it: its largest whole-funnel shortfall, or the sum over its segments of each
    segment's largest. A roll-up's shortfall is its own.
    """
    amounts: dict[str, float] = {}
    segments: dict[tuple[str, str], float] = {}
    for name, fact in facts.items():
        gap = _number(fact.get("gap"))
        if fact.get("kind") != "funnel" or not fact.get("planned_key"):
            amounts[name] = gap
            continue
        target = f"funnel/{fact.get('planned_key')}"
        if fact.get("segment"):
            piece = (target, str(fact.get("segment")))
            segments[piece] = max(segments.get(piece, 0.0), gap)
        else:
            amounts[target] = max(amounts.get(target, 0.0), gap)
    by_target: dict[str, float] = {}
    for (target, _segment), gap in segments.items():
        by_target[target] = by_target.get(target, 0.0) + gap
    for target, total in by_target.items():
        amounts[target] = max(amounts.get(target, 0.0), total)
    return amounts


def _number(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0


def _versus(comparison: Comparison | None) -> str:
    if comparison is None:
        return ""
    before = [p for _c, p in comparison.persisting] + list(comparison.resolved)
    after = [c for c, _p in comparison.persisting] + list(comparison.new)
    errors = (sum(f.severity == "error" and f.waiver is None for f in before),
              sum(f.severity == "error" and f.waiver is None for f in after))
    return (f"Against last year: {len(comparison.new)} new, {len(comparison.resolved)} resolved, "
            f"{len(comparison.persisting)} persisting; errors {errors[0]} → {errors[1]}.")
