"""Turn raw rule matches into findings: one per identity, best match kept, sorted.

A finding carries every place involved (both plans, the objective), the
departments and objectives it concerns, and a fingerprint built from what
the finding is about, never from line numbers, so it survives edits and
file reordering (baselines and waivers key on it).

A rule pack's expression (identity, prefer, departments, objectives) or
message that fails here (an undefined field, a comparison of a number with a
text) is bad input: an InputError at the key in the rule file, with the rule
id and what went wrong, one per broken rule. The built-in rules never fail
here; if one does, it is a bug and is raised as it is (exit 3).
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from jinja2.runtime import Undefined

from interlock.evaluation import expressions
from interlock.errors import InputError, Problem
from interlock.evaluation.evaluate import Match
from interlock.model.model import Location
from interlock.evaluation.rulebook import Rule, RuleBook

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
    #: The root cause, stable across edits: the kind and key of the policy item the finding stems from
    #: (``measure:ap-team/dpo``, ``milestone:launch``, ``assumption:sales/win-rate``). Findings of
    #: different rules with the same cause are consequences of one thing to fix.
    cause: str = ""

    @property
    def primary(self) -> Location | None:
        return self.locations[0] if self.locations else None

    def sort_key(self) -> tuple[Any, ...]:
        where = self.primary or Location("~", 0, 0)
        return (where.file, where.sheet, where.line, where.column, SEVERITY_ORDER[self.severity], self.rule,
                self.fingerprint)

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
            "locations": [location_json(l) for l in self.locations],
            "fingerprint": self.fingerprint,
            "remediation": self.remediation,
            "trace": list(self.trace),
            "cause": self.cause,
        }
        if self.waiver is not None:
            data["waiver"] = {"justification": self.waiver.justification, "owner": self.waiver.owner,
                              "expires": self.waiver.expires}
        return data


def location_json(location: Location) -> dict[str, Any]:
    """A place in the JSON contract: file, line, column; a workbook cell adds its sheet and cell (row and column stay)."""
    data: dict[str, Any] = {"file": location.file, "line": location.line, "column": location.column}
    if location.sheet:
        data.update(sheet=location.sheet, cell=location.cell)
    return data


def fingerprint(rule_id: str, identity: Sequence[str]) -> str:
    """Stable id of a finding: its rule and what it is about, hashed."""
    text = json.dumps([rule_id, *identity], separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def build_findings(matches: Iterable[Match], book: RuleBook, options: Mapping[str, Mapping[str, Any]],
                   severities: Mapping[str, str] | None = None, names: Mapping[str, str] | None = None) -> list[Finding]:
    """Group matches by identity, keep each group's preferred match, render it.

    Raises InputError naming every rule-pack rule whose expressions or message failed.
    """
    groups: dict[tuple[str, tuple[str, ...]], list[Mapping[str, Any]]] = {}
    broken: dict[str, Problem] = {}
    for match in matches:
        rule = book.get(match.rule_id)
        if rule.id in broken:
            continue
        opts = {**rule.defaults(), **options.get(rule.id, {})}
        ctx = expressions.context(match.bindings, opts, names)
        try:
            identity = _identity(rule, match, ctx)
        except _RuleFailed as failed:
            broken[rule.id] = failed.problem
            continue
        groups.setdefault((rule.id, identity), []).append(ctx)
    findings = []
    for (rule_id, identity), contexts in groups.items():
        if rule_id in broken:
            continue
        rule = book.get(rule_id)
        try:
            best = _best(rule, contexts)
            findings.append(_finding(rule, identity, best, (severities or {}).get(rule.id, rule.severity)))
        except _RuleFailed as failed:
            broken[rule_id] = failed.problem
    if broken:
        raise InputError(list(broken.values()))
    return sorted(findings, key=Finding.sort_key)


class _RuleFailed(Exception):
    """A rule pack's expression or message failed for one match: the problem to report."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def _failed(rule: Rule, path: tuple[str | int, ...], doing: str, exc: Exception) -> _RuleFailed:
    """The problem for a failure in a rule pack; a built-in rule's failure is a bug and is re-raised."""
    if rule.builtin:
        raise exc
    detail = _one_line(f"{type(exc).__name__}: {exc}")
    return _RuleFailed(rule.problem(path, f"rule {rule.id} failed while {doing} a finding: {detail}"))


def is_causal_path(fact: Mapping[str, Any]) -> bool:
    """A bound fact that carries a causal path between metrics: a `path`, or a `sway` of at least
    one hop (a measure's strongest path to an objective)."""
    if not fact.get("via"):
        return False
    return fact.get("kind") == "path" or (fact.get("kind") == "sway" and int(fact.get("hops") or 0) >= 1)


def _one_line(text: str, limit: int = 300) -> str:
    """An error's text on one printable line: it may quote a value with a newline or a control character."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in " ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _identity(rule: Rule, match: Match, ctx: Mapping[str, Any]) -> tuple[str, ...]:
    if rule.identity:
        values = []
        for i, src in enumerate(rule.identity):
            try:
                values.append(str(expressions.evaluate(src, ctx)))
            except Exception as exc:
                raise _failed(rule, ("identity", i), "identifying", exc) from exc
        return tuple(values)
    return tuple(f"{alias}={fact.get('kind')}:{fact.get('key', '')}" for alias, fact in sorted(match.bindings.items()))


def _best(rule: Rule, contexts: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    """The preferred match of one identity; ``prefer`` values that cannot be compared are the rule's fault."""
    ranked = [(_preference(rule, ctx), i) for i, ctx in enumerate(contexts)]
    try:
        return contexts[min(ranked)[1]]
    except Exception as exc:  # '<' between a number and a text, or an Undefined
        raise _failed(rule, ("prefer",), "choosing the best match of", exc) from exc


def _preference(rule: Rule, ctx: Mapping[str, Any]) -> tuple[Any, ...]:
    ranks = []
    for i, src in enumerate(rule.prefer):
        try:
            rank = expressions.evaluate(src, ctx)
            if isinstance(rank, Undefined):  # fails only when compared, so only when a finding has two matches
                rank._fail_with_undefined_error()
        except Exception as exc:
            raise _failed(rule, ("prefer", i), "choosing the best match of", exc) from exc
        ranks.append(rank)
    # Ties fall back to the bound facts themselves, so the choice is deterministic.
    return (*ranks, json.dumps({k: v for k, v in ctx.items() if isinstance(v, Mapping) and k != "options"}, sort_keys=True))


def _finding(rule: Rule, identity: tuple[str, ...], ctx: Mapping[str, Any], severity: str) -> Finding:
    bound = {k: v for k, v in ctx.items() if isinstance(v, Mapping) and k != "options"}
    aliases = rule.locations or tuple(bound)
    locations: list[Location] = []
    for alias in aliases:
        name, _, field = alias.partition(".")  # `b` is the fact's own location, `b.source_at` one it names
        at = bound.get(name, {}).get(field or "at")
        if at and Location.parse(at) not in locations:
            locations.append(Location.parse(at))
    trace: tuple[str, ...] = ()
    for fact in bound.values():
        if is_causal_path(fact):
            trace = tuple(str(fact["via"]).split(">"))
            break
    try:
        message = expressions.render(rule.message, ctx)
    except Exception as exc:
        raise _failed(rule, ("message",), "rendering the message of", exc) from exc
    if rule.certainty:
        severity = graded(rule, ctx, severity)
    return Finding(
        rule=rule.id, name=rule.name, family=rule.family, severity=severity, title=rule.title,
        message=message,
        departments=_listed(rule, "departments", ctx), objectives=_listed(rule, "objectives", ctx),
        locations=tuple(locations), fingerprint=fingerprint(rule.id, identity),
        remediation=rule.remediation, trace=trace, cause=cause_key(rule, ctx, bound, aliases), facts=bound,
    )


def graded(rule: Rule, ctx: Mapping[str, Any], severity: str) -> str:
    """Severity follows certainty: a rule's (or the configuration's) severity holds for findings at least
    ``error_certainty`` certain; a less certain one is at most a warning, and one below ``info_certainty``
    is information. Grading only lowers: a warning rule's strong findings stay warnings."""
    try:
        certainty = expressions.evaluate(rule.certainty, ctx)
        if isinstance(certainty, Undefined):
            certainty._fail_with_undefined_error()
        certainty = float(certainty)
    except Exception as exc:
        raise _failed(rule, ("certainty",), "grading", exc) from exc
    options = ctx["options"]
    tier = ("error" if certainty >= options["error_certainty"]
            else "warning" if certainty >= options["info_certainty"] else "info")
    return max(severity, tier, key=SEVERITY_ORDER.__getitem__) if severity in SEVERITY_ORDER else severity


def cause_key(rule: Rule, ctx: Mapping[str, Any], bound: Mapping[str, Mapping[str, Any]],
              aliases: Sequence[str]) -> str:
    """The finding's root cause: the rule's ``cause`` expression, else ``kind:key`` of the first
    located fact (the primary location), else of the first bound fact with a key."""
    if rule.cause:
        try:
            value = expressions.evaluate(rule.cause, ctx)
            if isinstance(value, Undefined):
                value._fail_with_undefined_error()
        except Exception as exc:
            raise _failed(rule, ("cause",), "naming the cause of", exc) from exc
        return str(value)
    chosen = [a for a in aliases if bound.get(a, {}).get("at")] or list(aliases)
    for alias in (*chosen, *sorted(bound)):
        fact = bound.get(alias)
        if fact and fact.get("key") not in (None, ""):
            return f"{fact.get('kind')}:{fact.get('key')}"
    return f"rule:{rule.id}"



def _listed(rule: Rule, key: str, ctx: Mapping[str, Any]) -> tuple[str, ...]:
    """The departments (or objectives) a finding concerns, from the rule's expressions under ``key``."""
    values: set[str] = set()
    for i, source in enumerate(getattr(rule, key)):
        try:
            value = expressions.evaluate(source, ctx)
            if isinstance(value, (list, tuple)):
                values.update(str(v) for v in value if v)
            elif value:
                values.add(str(value))
        except Exception as exc:
            raise _failed(rule, (key, i), f"listing the {key} of", exc) from exc
    return tuple(sorted(values))


def with_severity(finding: Finding, severity: str) -> Finding:
    return replace(finding, severity=severity)
