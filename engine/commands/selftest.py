"""Run every rule's own examples: a `fail` example must produce the rule's finding, a `pass` example must not.

This is how a rule is tested by its documentation (SQLFluff's fail_str /
pass_str, semgrep --test), for built-in rules and user rule packs alike.
"""
from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from interlock.read.config import Config
from interlock.errors import InputError
from interlock.findings.findings import Finding
from interlock.evaluation.rulebook import Rule, RuleBook


@dataclass(frozen=True)
class ExampleResult:
    rule: str
    kind: str  # "fail" or "pass"
    index: int
    description: str
    ok: bool
    detail: str = ""

    @property
    def label(self) -> str:
        return f"{self.rule} {self.kind}[{self.index}]"


def _expected(finding: Finding, expect: Mapping[str, Any]) -> bool:
    if "departments" in expect and sorted(expect["departments"]) != list(finding.departments):
        return False
    if "objectives" in expect and sorted(expect["objectives"]) != list(finding.objectives):
        return False
    if "severity" in expect and expect["severity"] != finding.severity:
        return False
    return "message" not in expect or expect["message"] in finding.message


def run_example(book: RuleBook, rule: Rule, kind: str, index: int, example: Mapping[str, Any]) -> ExampleResult:
    from interlock.lint import lint

    description = str(example.get("description", ""))
    with tempfile.TemporaryDirectory(prefix="interlock-example-") as folder:
        path = Path(folder) / f"{rule.id}-{kind}-{index}.yml"
        path.write_text(yaml.safe_dump(example["policy"], sort_keys=False), encoding="utf-8")
        try:
            result = lint([path], Config(select=(rule.id,)), book)
        except InputError as exc:
            return ExampleResult(rule.id, kind, index, description, False, "invalid policy: " + "; ".join(exc.lines()))
    own = [f for f in result.findings if f.rule == rule.id]
    if kind == "pass":
        detail = "; ".join(f.message for f in own)
        return ExampleResult(rule.id, kind, index, description, not own, f"unexpected finding: {detail}" if own else "")
    if not own:
        return ExampleResult(rule.id, kind, index, description, False, "the rule reported nothing")
    for expect in example.get("expect", []):
        if not any(_expected(f, expect) for f in own):
            got = "; ".join(f"{list(f.departments)} {list(f.objectives)} {f.severity} {f.message}" for f in own)
            return ExampleResult(rule.id, kind, index, description, False, f"no finding matches {dict(expect)}; got: {got}")
    return ExampleResult(rule.id, kind, index, description, True)


def run_rule_examples(book: RuleBook, rule: Rule) -> list[ExampleResult]:
    return [
        run_example(book, rule, kind, index, example)
        for kind in ("fail", "pass")
        for index, example in enumerate(rule.examples.get(kind, []))
    ]


def run_all(book: RuleBook, rules: Sequence[Rule] | None = None) -> list[ExampleResult]:
    return [r for rule in (rules if rules is not None else book.checks) for r in run_rule_examples(book, rule)]


def missing_examples(book: RuleBook) -> list[str]:
    """Check rules without both a fail and a pass example."""
    return [r.id for r in book.checks if not r.examples.get("fail") or not r.examples.get("pass")]
