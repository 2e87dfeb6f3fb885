"""A measure never carries both "serves no objective" (V01) and "harms an objective" (V03, V12, V10),
nor "serves none" beside "unknown" (V11): on the bundled organization and every test organization."""
from __future__ import annotations

from pathlib import Path

import pytest

from interlock.lint import lint
from interlock.read.config import Config
from paths import FIXTURES_DIR, ROOT_DIR

ORGS = [ROOT_DIR / "policies", *(p for p in sorted(FIXTURES_DIR.iterdir())
                                  if p.is_dir() and any(p.glob("*.yml")) and "invalid" not in p.name)]
HARM = {"V03", "V12", "V10"}


@pytest.mark.parametrize("folder", ORGS, ids=lambda p: p.name)
def test_no_measure_is_both_orphaned_and_harmful(folder: Path) -> None:
    findings = lint([folder], Config()).findings
    verdicts: dict[str, set[str]] = {}
    for finding in findings:
        if finding.rule in HARM | {"V01", "V11"}:
            verdicts.setdefault(finding.cause, set()).add(finding.rule)
    for cause, rules in verdicts.items():
        assert not ("V01" in rules and rules & (HARM | {"V11"})), (cause, rules)
