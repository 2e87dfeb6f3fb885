"""Year over year: which conflicts are new, resolved or persisting since an earlier version.

Findings are matched by fingerprint, which depends on what a finding is about
(rule, plan, measure, objective) and never on lines or file names, so moving a
plan to another file or reformatting it does not turn a persisting conflict
into one resolved and one new. The earlier version is either a policies
folder (linted now, with the same configuration) or a JSON result that
`interlock check --format json` wrote back then.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from interlock.errors import UsageError
from interlock.findings.findings import Finding, Location, Waiver


@dataclass(frozen=True)
class Comparison:
    """The current findings against the previous ones; every list sorted like findings are."""

    previous: str
    new: tuple[Finding, ...]
    resolved: tuple[Finding, ...]
    #: (current, previous) pairs with the same fingerprint.
    persisting: tuple[tuple[Finding, Finding], ...]

    def status(self, fingerprint: str) -> str | None:
        """"new" or "persisting" for a current finding, None when unknown."""
        if any(f.fingerprint == fingerprint for f in self.new):
            return "new"
        if any(c.fingerprint == fingerprint for c, _p in self.persisting):
            return "persisting"
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "previous": self.previous,
            "new": [f.fingerprint for f in self.new],
            "resolved": [f.fingerprint for f in self.resolved],
            "persisting": [c.fingerprint for c, _p in self.persisting],
        }


def compare(current: Iterable[Finding], previous: Iterable[Finding], label: str) -> Comparison:
    before = {f.fingerprint: f for f in previous}
    now = {f.fingerprint: f for f in current}
    return Comparison(
        previous=label,
        new=tuple(sorted((f for fp, f in now.items() if fp not in before), key=Finding.sort_key)),
        resolved=tuple(sorted((f for fp, f in before.items() if fp not in now), key=Finding.sort_key)),
        persisting=tuple(sorted(((f, before[fp]) for fp, f in now.items() if fp in before),
                                key=lambda pair: pair[0].sort_key())),
    )


def load_previous(path: Path, lint_folder: Callable[[Path], Sequence[Finding]]) -> list[Finding]:
    """Findings of the earlier version: a JSON result is read, anything else is linted."""
    if not path.exists():
        raise UsageError(f"--previous {path}: no such file or directory")
    if path.is_file() and path.suffix.lower() == ".json":
        return read_json_result(path)
    return list(lint_folder(path))


def read_json_result(path: Path) -> list[Finding]:
    """Findings from `interlock check --format json` output (the documented contract)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        rows = data["findings"]
        if not isinstance(rows, list):
            raise TypeError("findings is not a list")
        return sorted((_finding(row) for row in rows), key=Finding.sort_key)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"--previous {path}: not an interlock JSON result ({exc.__class__.__name__}: {exc})") from exc


def _finding(row: Mapping[str, Any]) -> Finding:
    waiver = row.get("waiver")
    return Finding(
        rule=str(row["rule"]), name=str(row.get("name", "")), family=str(row.get("family", "")),
        severity=str(row["severity"]), title=str(row.get("title", "")), message=str(row.get("message", "")),
        departments=tuple(str(d) for d in row.get("departments", ())),
        objectives=tuple(str(o) for o in row.get("objectives", ())),
        locations=tuple(Location(str(l["file"]), int(l["line"]), int(l["column"]), str(l.get("sheet", "")))
                        for l in row.get("locations", ())),
        fingerprint=str(row["fingerprint"]), remediation=str(row.get("remediation", "")),
        trace=tuple(str(t) for t in row.get("trace", ())), cause=str(row.get("cause", "")),
        waiver=Waiver(str(waiver["justification"]), str(waiver["owner"]), str(waiver["expires"])) if waiver else None,
    )
