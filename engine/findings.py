"""Turn raw rule matches into findings: one per identity, best match kept, sorted.

A finding carries every place involved (both plans, the objective), the
departments and objectives it concerns, and a fingerprint built from what
the finding is about, never from line numbers, so it survives edits and
file reordering (baselines and waivers key on it).
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from interlock import expressions
from interlock.evaluate import Match
from interlock.model import Location
from interlock.rulebook import Rule, RuleBook

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class Waiver:
    """Why a finding is accepted for now: who decided, and until when."""

    justification: str
    owner: str
    expires: str


@dataclass(frozen=True)
class Finding:
    """One conflict, as every output format shows it (the JSON contract)."""

    rule: str
    name: str
    family: str
    severity: str
    title: str
    message: str
    departments: tuple[str, ...]
    objectives: tuple[str, ...]
    locations: tuple[Location, ...]
    fingerprint: str
    remediation: str
    trace: tuple[str, ...] = ()
    waiver: Waiver | None = None
    facts: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, compare=False, hash=False)

    @property
    def primary(self) -> Location | None:
        return self.locations[0] if self.locations else None

    def sort_key(self) -> tuple[Any, ...]:
        where = self.primary or Location("~", 0, 0)
        return (where.file, where.line, where.column, SEVERITY_ORDER[self.severity], self.rule, self.fingerprint)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "rule": self.rule,
            "name": self.name,
            "family": self.family,
            "severity": self.severity,
            "title": self.title,
            "message": self.message,
            "departments": list(self.departments),
            "objectives": list(self.objectives),
            "locations": [{"file": l.file, "line": l.line, "column": l.column} for l in self.locations],
            "fingerprint": self.fingerprint,
            "remediation": self.remediation,
            "trace": list(self.trace),
        }
        if self.waiver is not None:
            data["waiver"] = {"justification": self.waiver.justification, "owner": self.waiver.owner,
                              "expires": self.waiver.expires}
        return data


def fingerprint(rule_id: str, identity: Sequence[str]) -> str:
    """Stable id of a finding: its rule and what it is about, hashed."""
    text = json.dumps([rule_id, *identity], separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def build_findings(matches: Iterable[Match], book: RuleBook, options: Mapping[str, Mapping[str, Any]],
                   severities: Mapping[str, str] | None = None, names: Mapping[str, str] | None = None) -> list[Finding]:
    """Group matches by identity, keep each group's preferred match, render it."""
    groups: dict[tuple[str, tuple[str, ...]], list[Mapping[str, Any]]] = {}
    for match in matches:
        rule = book.get(match.rule_id)
        opts = {**rule.defaults(), **options.get(rule.id, {})}
        ctx = expressions.context(match.bindings, opts, names)
        groups.setdefault((rule.id, _identity(rule, match, ctx)), []).append(ctx)
    findings = []
    for (rule_id, identity), contexts in groups.items():
        rule = book.get(rule_id)
        best = min(contexts, key=lambda ctx: _preference(rule, ctx))
        findings.append(_finding(rule, identity, best, (severities or {}).get(rule.id, rule.severity)))
    return sorted(findings, key=Finding.sort_key)


def _identity(rule: Rule, match: Match, ctx: Mapping[str, Any]) -> tuple[str, ...]:
    if rule.identity:
        return tuple(str(expressions.evaluate(src, ctx)) for src in rule.identity)
    return tuple(f"{alias}={fact.get('kind')}:{fact.get('key', '')}" for alias, fact in sorted(match.bindings.items()))


def _preference(rule: Rule, ctx: Mapping[str, Any]) -> tuple[Any, ...]:
    ranks = tuple(expressions.evaluate(src, ctx) for src in rule.prefer)
    # Ties fall back to the bound facts themselves, so the choice is deterministic.
    return (*ranks, json.dumps({k: v for k, v in ctx.items() if isinstance(v, Mapping) and k != "options"}, sort_keys=True))


def _finding(rule: Rule, identity: tuple[str, ...], ctx: Mapping[str, Any], severity: str) -> Finding:
    bound = {k: v for k, v in ctx.items() if isinstance(v, Mapping) and k != "options"}
    aliases = rule.locations or tuple(bound)
    locations: list[Location] = []
    for alias in aliases:
        at = bound.get(alias, {}).get("at")
        if at and Location.parse(at) not in locations:
            locations.append(Location.parse(at))
    trace: tuple[str, ...] = ()
    for fact in bound.values():
        if fact.get("kind") == "path" and fact.get("via"):
            trace = tuple(str(fact["via"]).split(">"))
            break
    return Finding(
        rule=rule.id, name=rule.name, family=rule.family, severity=severity, title=rule.title,
        message=expressions.render(rule.message, ctx),
        departments=_listed(rule.departments, ctx), objectives=_listed(rule.objectives, ctx),
        locations=tuple(locations), fingerprint=fingerprint(rule.id, identity),
        remediation=rule.remediation, trace=trace, facts=bound,
    )


def _listed(sources: Sequence[str], ctx: Mapping[str, Any]) -> tuple[str, ...]:
    values: set[str] = set()
    for source in sources:
        value = expressions.evaluate(source, ctx)
        if isinstance(value, (list, tuple)):
            values.update(str(v) for v in value if v)
        elif value:
            values.add(str(value))
    return tuple(sorted(values))


def with_severity(finding: Finding, severity: str) -> Finding:
    return replace(finding, severity=severity)
