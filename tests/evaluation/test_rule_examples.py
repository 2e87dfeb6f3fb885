"""Every rule is tested by its own examples (what `interlock test-rules` runs)."""
from __future__ import annotations

import pytest

from interlock.evaluation.rulebook import load_rulebook
from interlock.commands.selftest import missing_examples, run_example

BOOK = load_rulebook()
CASES = [
    (rule, kind, index, example)
    for rule in BOOK.checks
    for kind in ("fail", "pass")
    for index, example in enumerate(rule.examples.get(kind, []))
]


@pytest.mark.parametrize("rule, kind, index, example", CASES,
                         ids=[f"{r.id}-{k}{i}" for r, k, i, _e in CASES])
def test_rule_example(rule, kind, index, example) -> None:  # type: ignore[no-untyped-def]
    result = run_example(BOOK, rule, kind, index, example)
    assert result.ok, f"{result.label} ({result.description}): {result.detail}"


def test_every_check_rule_has_fail_and_pass_examples() -> None:
    assert missing_examples(BOOK) == []
