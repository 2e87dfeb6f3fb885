"""A lint run as every output sees it, and the two questions each asks of its findings.

Outputs read a run through this shape only (engine/lint.py's LintResult has it, and so does a
what-if scenario), and ask every finding the same question: does it fail the run?
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol, TypedDict

from interlock.findings.findings import SEVERITY_ORDER, Finding

if TYPE_CHECKING:
    from interlock.evaluation.rulebook import RuleBook
    from interlock.model.model import Organization


class LintRun(Protocol):
    """What rendering needs from a lint: engine/lint.py's LintResult has exactly this shape."""

    @property
    def findings(self) -> Sequence[Finding]: ...
    @property
    def files(self) -> Sequence[str]: ...
    @property
    def organization(self) -> Organization: ...
    @property
    def book(self) -> RuleBook: ...
    @property
    def derived(self) -> Sequence[Mapping[str, object]]: ...


class Summary(TypedDict):
    error: int
    warning: int
    info: int


def summarize(findings: Sequence[Finding]) -> Summary:
    counts: Summary = {"error": 0, "warning": 0, "info": 0}
    for finding in findings:
        if finding.waiver is None:
            counts[finding.severity] += 1  # type: ignore[literal-required]
    return counts


def failing(finding: Finding, fail_on: str) -> bool:
    """An unwaived finding at or above the failure threshold (`--fail-on`)."""
    if fail_on == "never" or finding.waiver is not None:
        return False
    return SEVERITY_ORDER[finding.severity] <= SEVERITY_ORDER[fail_on]


def cause_key(finding: Finding) -> str:
    """The root cause a finding shares with others (issue 19, "one cause, one entry"): findings about
    the same measure, assumption or milestone share ``Finding.cause``; one without a cause stands alone."""
    return finding.cause or f"{finding.rule}:{finding.fingerprint}"
