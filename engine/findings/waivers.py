"""Waivers: findings accepted for a while, with a justification, an owner and an expiry date.

Compensation teams already approve exceptions; a waiver file records them
next to the plans, out of band, so that no policy file is edited to silence a
finding (linting-conventions.md, lessons 7 and 8). A waived finding stays in
every report, marked with its waiver, but does not fail the run. The
bookkeeping is itself reported, as findings of reserved hygiene rules, so it
flows through every output format:

- W001 waiver-expired: the waiver's date has passed; its findings count again.
- W002 waiver-stale: the waiver matches no finding; remove it.
- W003 waiver-not-allowed: the waiver targets a rule marked ``waivable: false``.

The clock is a parameter (``today``), never read here, so expiry is testable.
"""
from __future__ import annotations

import datetime
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import jsonschema

from interlock.read.config import file_schema
from interlock.read.schema_messages import problems_at
from interlock.errors import InputError, Problem
from interlock.findings.findings import Finding, Location, Waiver, fingerprint
from interlock.evaluation.rulebook import RuleBook
from interlock.read.yamlsource import SourceIndex, path_label, read_yaml

#: Reserved ids of the bookkeeping findings (no rule file may use them).
EXPIRED, STALE, NOT_ALLOWED = "W001", "W002", "W003"
_NOTES = {
    EXPIRED: ("waiver-expired", "warning", "A waiver has expired",
              "Fix the finding, or renew the waiver with a new expiry date after the owner reviews it again."),
    STALE: ("waiver-stale", "warning", "A waiver matches no finding",
            "Remove the waiver: the finding it was written for no longer occurs (or its fingerprint changed)."),
    NOT_ALLOWED: ("waiver-not-allowed", "warning", "A waiver targets a rule that cannot be waived",
                  "Remove the waiver and fix the plan: the rule's owners marked it `waivable: false`."),
}
EMPTY = "the file is empty: expected a mapping of sections"
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class WaiverEntry:
    """One entry of a waiver file, with the place it was written."""

    file: str
    line: int
    column: int
    justification: str
    owner: str
    expires: datetime.date
    fingerprint: str | None = None
    rule: str | None = None
    departments: tuple[str, ...] = ()
    objectives: tuple[str, ...] = ()
    approved_by: str | None = None

    @property
    def location(self) -> Location:
        return Location(self.file, self.line, self.column)

    def expired(self, today: datetime.date) -> bool:
        """A waiver applies through its expiry date and stops the day after."""
        return today > self.expires

    def names_rule(self, finding: Finding) -> bool:
        assert self.rule is not None
        return self.rule.upper() == finding.rule or self.rule.lower() == finding.name

    def matches(self, finding: Finding) -> bool:
        """Fingerprint (and rule, when given) or rule plus selectors that cover every department/objective."""
        if self.fingerprint is not None:
            return finding.fingerprint == self.fingerprint and (self.rule is None or self.names_rule(finding))
        if self.rule is None or not self.names_rule(finding):
            return False
        # Every department and objective the finding concerns must be listed: a waiver owned
        # by one department cannot silence a conflict that also involves another one.
        for wanted, actual in ((self.departments, finding.departments), (self.objectives, finding.objectives)):
            if wanted and (not actual or not set(actual) <= set(wanted)):
                return False
        return True

    def describe(self) -> str:
        if self.fingerprint is not None:
            return f"finding {self.fingerprint}" + (f" ({self.rule})" if self.rule else "")
        scope = [", ".join(values) for values in (self.departments, self.objectives) if values]
        return f"{self.rule} for {' / '.join(scope)}"

    def key(self) -> tuple[str, ...]:
        return (self.fingerprint or "", self.rule or "", ",".join(self.departments), ",".join(self.objectives))

    def to_waiver(self) -> Waiver:
        return Waiver(justification=self.justification, owner=self.owner, expires=self.expires.isoformat())


def load_waivers(path: Path, display: str | None = None, book: RuleBook | None = None) -> tuple[WaiverEntry, ...]:
    """Read and validate a waiver file; every problem is reported at once, at its file:line:col.

    With ``book``, rule names become ids and an unknown rule is a problem
    (a typo would otherwise only show up as a stale waiver).
    """
    shown = display or path.as_posix()
    if not path.is_file():
        raise InputError([Problem(shown, 1, 1, "waiver file not found")])
    try:
        data, index = read_yaml(path, shown)
    except InputError as exc:
        if [p.message for p in exc.problems] == [EMPTY]:
            return ()  # a file with only comments: every waiver was removed, which is fine
        raise
    data = _dates_as_text(data)
    validator = jsonschema.Draft202012Validator(file_schema("waivers-file"))
    errors = list(validator.iter_errors(data))
    # "name the rule" already says what the generic "names its finding" would say again.
    explained = {tuple(e.absolute_path) for e in errors if e.validator == "dependentRequired"}
    problems = [p for error in errors if not (error.validator == "anyOf" and tuple(error.absolute_path) in explained)
                for p in _problems(error, index, shown)]
    entries: list[WaiverEntry] = []
    for i, item in enumerate(data.get("waivers") or ()):
        if not isinstance(item, dict):
            continue
        rule = item.get("rule")
        if isinstance(rule, str) and book is not None:
            found = book.find(rule)
            if found is None:
                problems.append(Problem(shown, *index.locate(("waivers", i, "rule")),
                                        f"waivers[{i}].rule: unknown rule {rule!r} (see `interlock rules`)"))
            else:
                rule = found.id
        text = str(item.get("expires", ""))
        try:
            expires = datetime.date.fromisoformat(text)
        except ValueError:
            if _DATE.fullmatch(text):  # well formed but impossible (2026-02-30); the schema let it through
                problems.append(Problem(shown, *index.locate(("waivers", i, "expires")),
                                        f"waivers[{i}].expires: {text!r} is not a date"))
            continue
        line, column = index.locate(("waivers", i))
        entries.append(WaiverEntry(
            file=shown, line=line, column=column, justification=str(item.get("justification", "")).strip(),
            owner=str(item.get("owner", "")).strip(), expires=expires, fingerprint=item.get("fingerprint"),
            rule=rule, departments=tuple(item.get("departments", ())),
            objectives=tuple(item.get("objectives", ())), approved_by=item.get("approved_by"),
        ))
    if problems:
        raise InputError(problems)
    return tuple(entries)


def apply_waivers(findings: Iterable[Finding], waivers: Sequence[WaiverEntry], today: datetime.date, *,
                  non_waivable: Collection[str] = (), evaluated: Collection[str] | None = None,
                  ) -> tuple[list[Finding], list[Finding]]:
    """Mark waived findings and report the waivers' own problems.

    Returns every finding (waived ones with ``waiver`` set, in the same order)
    and the notes (W001-W003 findings, sorted). A finding of a rule in
    ``non_waivable`` is never waived. A waiver whose rule was not evaluated
    this run (``evaluated``: rule ids selected; None means all) is not stale:
    it simply had no chance to match.
    """
    result = list(findings)
    notes: list[Finding] = []
    for waiver in waivers:
        hits = [i for i, finding in enumerate(result) if waiver.matches(finding)]
        if waiver.expired(today):
            count = f"; it matched {len(hits)} finding{'s' if len(hits) != 1 else ''}, which count{'s' if len(hits) == 1 else ''} again" if hits else ""
            notes.append(_note(EXPIRED, waiver, f"waiver for {waiver.describe()} expired on "
                                                f"{waiver.expires.isoformat()} (owner {waiver.owner}){count}"))
            continue
        refused = sorted({result[i].rule for i in hits if result[i].rule in non_waivable})
        if not refused and waiver.rule is not None and waiver.rule.upper() in non_waivable:
            refused = [waiver.rule.upper()]
        if refused:
            notes.append(_note(NOT_ALLOWED, waiver, f"waiver for {waiver.describe()} (owner {waiver.owner}) "
                                                    f"does not apply: rule {', '.join(refused)} cannot be waived"))
        for i in hits:
            if result[i].rule not in non_waivable and result[i].waiver is None:
                result[i] = replace(result[i], waiver=waiver.to_waiver())
        if not hits and not refused and _could_match(waiver, evaluated):
            notes.append(_note(STALE, waiver, f"waiver for {waiver.describe()} (owner {waiver.owner}, "
                                              f"expires {waiver.expires.isoformat()}) matches no finding"))
    return result, sorted(notes, key=Finding.sort_key)


def _could_match(waiver: WaiverEntry, evaluated: Collection[str] | None) -> bool:
    if evaluated is None or waiver.rule is None:
        return True
    return waiver.rule.upper() in evaluated or any(waiver.rule.lower() == r.lower() for r in evaluated)


def _note(rule_id: str, waiver: WaiverEntry, message: str) -> Finding:
    name, severity, title, remediation = _NOTES[rule_id]
    return Finding(
        rule=rule_id, name=name, family="hygiene", severity=severity, title=title, message=message,
        departments=tuple(sorted(waiver.departments)), objectives=tuple(sorted(waiver.objectives)),
        locations=(waiver.location,), fingerprint=fingerprint(rule_id, [waiver.file, *waiver.key()]),
        remediation=remediation,
    )


def _dates_as_text(value: Any) -> Any:
    """YAML turns 2026-06-30 into a date; the schema checks text, so turn it back."""
    if isinstance(value, dict):
        return {k: _dates_as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates_as_text(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _problems(error: jsonschema.ValidationError, index: SourceIndex, display: str) -> list[Problem]:
    """A waiver's own words where the schema's generic ones would not tell what to write."""
    path = tuple(error.absolute_path)
    if error.validator == "anyOf" and path[:1] == ("waivers",):
        message = "a waiver names its finding: `fingerprint`, or `rule` with `departments` and/or `objectives`"
    elif error.validator == "dependentRequired":
        message = "`departments` and `objectives` select findings of a `rule`: name the rule too"
    elif error.validator == "pattern" and path[-1:] == ("expires",):
        message = f"{error.instance!r} is not a date (YYYY-MM-DD)"
    elif error.validator == "pattern" and path[-1:] == ("fingerprint",):
        message = f"{error.instance!r} is not a fingerprint (16 hex digits, from `interlock check --format json`)"
    elif error.validator == "pattern" and error.validator_value == "\\S":
        message = "must not be empty"
    else:
        return problems_at([error], index, display)
    return [Problem(display, *index.locate(path), f"{path_label(path)}: {message}" if path else message)]
