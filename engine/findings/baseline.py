"""Baselines: adopt Interlock on an organization that already has conflicts, then fail only on new ones.

A baseline is a reviewable YAML file of the findings that existed when it was
written, keyed by fingerprint: the fingerprint depends on what a finding is
about, never on line numbers, so edits and reformatting do not break it
(linting-conventions.md, lesson 9; Ruff #1149 is what line keys cost).
Entries that no longer occur are reported (W004) so the file gets pruned.

Waived findings and Interlock's own bookkeeping findings (W001-W004) are
never written: a baseline entry must not outlive a waiver's expiry date.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import jsonschema
import yaml

from interlock.read.config import file_schema
from interlock.errors import InputError, Problem
from interlock.findings.findings import Finding, fingerprint
from interlock.model.model import Location
from interlock.read.schema_messages import problems_at
from interlock.read.yamlsource import read_yaml

if TYPE_CHECKING:
    from interlock.files import Outbox

GONE = "W004"
VERSION = 1
#: Rules whose findings describe Interlock's own files, not the plans.
BOOKKEEPING = frozenset({"W001", "W002", "W003", GONE})
_HEADER = """\
# Interlock baseline: the findings accepted when this file was written.
# `interlock check --baseline FILE` fails only on findings that are not listed here
# and reports entries that no longer occur. Regenerate it, do not edit it:
#   interlock check POLICIES --write-baseline FILE
"""


@dataclass(frozen=True)
class BaselineEntry:
    """One accepted finding: its fingerprint, plus a summary for reviewers."""

    fingerprint: str
    rule: str
    name: str = ""
    severity: str = ""
    location: str = ""
    message: str = ""
    #: Where the entry is written in the baseline file (for reporting it when it vanishes).
    at: Location | None = None


@dataclass(frozen=True)
class Baseline:
    file: str
    entries: tuple[BaselineEntry, ...]

    @property
    def fingerprints(self) -> frozenset[str]:
        return frozenset(e.fingerprint for e in self.entries)


def recordable(findings: Iterable[Finding]) -> list[Finding]:
    """The findings a baseline records: unwaived plan findings."""
    return [f for f in findings if f.waiver is None and f.rule not in BOOKKEEPING]


def entries_for(findings: Iterable[Finding]) -> list[BaselineEntry]:
    unique = {f.fingerprint: f for f in recordable(findings)}
    return sorted(
        (BaselineEntry(f.fingerprint, f.rule, f.name, f.severity, str(f.primary) if f.primary else "",
                       _summary(f.message)) for f in unique.values()),
        key=lambda e: (e.rule, e.fingerprint),
    )


def render_baseline(findings: Iterable[Finding]) -> str:
    """The file's text: sorted by rule then fingerprint, one line per field, so a rewrite diffs cleanly."""
    rows = [{"fingerprint": e.fingerprint, "rule": e.rule, "name": e.name, "severity": e.severity,
             "location": e.location, "message": e.message} for e in entries_for(findings)]
    body = yaml.safe_dump({"version": VERSION, "findings": rows}, sort_keys=False, allow_unicode=True, width=10_000)
    return _HEADER + str(body)


def write_baseline(findings: Iterable[Finding], path: Path, outbox: Outbox | None = None) -> int:
    """Write the baseline atomically (a reader never sees half a file); return the number of entries.

    With ``outbox`` the file is only staged, to be committed with the run's other outputs.
    """
    from interlock.files import write_atomic

    findings = list(findings)
    if outbox is None:
        write_atomic(path, render_baseline(findings))
    else:
        outbox.stage(path, render_baseline(findings))
    return len(entries_for(findings))


def load_baseline(path: Path, display: str | None = None) -> Baseline:
    """Read and validate a baseline; problems are reported at their file:line:col."""
    shown = display or path.as_posix()
    if not path.is_file():
        raise InputError([Problem(shown, 1, 1, "baseline file not found (write one with --write-baseline)")])
    data, index = read_yaml(path, shown)
    validator = jsonschema.Draft202012Validator(file_schema("baseline-file"))
    problems = problems_at(validator.iter_errors(data), index, shown)
    if problems:
        raise InputError(problems)
    entries = tuple(
        BaselineEntry(item["fingerprint"], item["rule"], item.get("name", ""), item.get("severity", ""),
                      item.get("location", ""), item.get("message", ""),
                      Location(shown, *index.locate(("findings", i))))
        for i, item in enumerate(data.get("findings") or ())
    )
    return Baseline(shown, entries)


def apply_baseline(findings: Sequence[Finding], baseline: Baseline,
                   ) -> tuple[list[Finding], list[Finding], list[BaselineEntry]]:
    """Split findings into new and known, and list the entries that no longer occur.

    Waived findings and bookkeeping findings are always "new": they stay
    visible, and they do not fail the run anyway (waived) or must not be
    silenced by a baseline (bookkeeping).
    """
    known_prints = baseline.fingerprints
    new, known = [], []
    for finding in findings:
        if finding.rule not in BOOKKEEPING and finding.waiver is None and finding.fingerprint in known_prints:
            known.append(finding)
        else:
            new.append(finding)
    present = {f.fingerprint for f in findings}
    vanished = [e for e in baseline.entries if e.fingerprint not in present]
    return new, known, vanished


def vanished_findings(vanished: Iterable[BaselineEntry]) -> list[Finding]:
    """W004 (info): a baseline entry whose finding no longer occurs; prune it by rewriting the baseline."""
    notes = []
    for entry in vanished:
        what = f"{entry.rule} {entry.name}".strip()
        summary = f": {entry.message}" if entry.message else ""
        notes.append(Finding(
            rule=GONE, name="baseline-entry-gone", family="hygiene", severity="info",
            title="A baseline entry no longer occurs",
            message=f"baseline entry {entry.fingerprint} ({what}) no longer occurs{summary}",
            departments=(), objectives=(), locations=(entry.at,) if entry.at else (),
            fingerprint=fingerprint(GONE, [entry.fingerprint]),
            remediation="Rewrite the baseline with --write-baseline so it lists only findings that still occur.",
        ))
    return sorted(notes, key=Finding.sort_key)


def _summary(message: str, limit: int = 200) -> str:
    text = " ".join(message.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
