"""The resolved configuration of one run: which rules, at what severity, with which options.

The CLI builds exactly one Config; each rule sees only its own resolved
options. Nothing here is global.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from interlock.errors import UsageError
from interlock.rulebook import FAMILIES, SEVERITIES, RuleBook

FAIL_ON = ("error", "warning", "info", "never")


@dataclass(frozen=True)
class Config:
    """Rule selection, severities, options and the failure threshold."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    rule_packs: tuple[Path, ...] = ()
    fail_on: str = "error"
    source: str | None = None

    def selected(self, book: RuleBook) -> set[str]:
        """Ids of the check rules this run evaluates (select by id, name or family, then ignore)."""
        chosen = {r.id for r in book.checks if not self.select or self._hits(r.id, self.select, book)}
        return {rid for rid in chosen if not self._hits(rid, self.ignore, book)}

    def severities(self, book: RuleBook) -> dict[str, str]:
        result = {r.id: r.severity for r in book.checks}
        for ident, severity in self.severity.items():
            result[book.get(ident).id] = severity
        return result

    def rule_options(self, book: RuleBook) -> dict[str, dict[str, Any]]:
        """Options per rule id, validated against each rule's declared options."""
        resolved: dict[str, dict[str, Any]] = {}
        for ident, values in self.options.items():
            rule = book.get(ident)
            for name, value in values.items():
                spec = rule.options.get(name)
                if spec is None:
                    known = ", ".join(sorted(rule.options)) or "none"
                    raise UsageError(f'unknown option "{name}" for rule {rule.id} (its options: {known})')
                problem = spec.problem(value)
                if problem:
                    raise UsageError(f"rule {rule.id}: {problem}")
            resolved[rule.id] = dict(values)
        return resolved

    def validate(self, book: RuleBook) -> None:
        """Unknown rule ids, families or severities are usage errors, not silent no-ops."""
        for ident in (*self.select, *self.ignore):
            if ident not in FAMILIES:
                book.get(ident)
        for ident, severity in self.severity.items():
            book.get(ident)
            if severity not in SEVERITIES:
                raise UsageError(f"severity for {ident} must be one of {', '.join(SEVERITIES)}, not {severity!r}")
        if self.fail_on not in FAIL_ON:
            raise UsageError(f"fail-on must be one of {', '.join(FAIL_ON)}, not {self.fail_on!r}")
        self.rule_options(book)

    @staticmethod
    def _hits(rule_id: str, selectors: tuple[str, ...], book: RuleBook) -> bool:
        rule = book.get(rule_id)
        return any(s in (rule.family, rule.id, rule.name) or s.upper() == rule.id for s in selectors)
