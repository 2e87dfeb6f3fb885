"""The pipeline, in order: load -> validate -> facts -> evaluate -> findings.

Rendering is the caller's business (cli.py); this module returns data.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from interlock.config import Config
from interlock.evaluate import Evaluator
from interlock.facts import organization_facts
from interlock.findings import Finding, build_findings
from interlock.loader import load_documents
from interlock.model import Organization
from interlock.rulebook import RuleBook, load_rulebook
from interlock.validate import validate

#: One compiled engine per rule configuration, reused across runs in a process.
_EVALUATORS: dict[str, Evaluator] = {}


@dataclass(frozen=True)
class LintResult:
    findings: tuple[Finding, ...]
    organization: Organization
    files: tuple[str, ...]
    book: RuleBook
    #: Facts the derivation rules added (causal paths, support of objectives), for reports.
    derived: tuple[dict[str, object], ...] = ()


def names(org: Organization) -> dict[str, str]:
    """Readable names for ids in messages: metrics, milestones, departments, objectives."""
    table = {m.id: m.name[:1].lower() + m.name[1:] if not m.name[:2].isupper() else m.name for m in org.metrics}
    table.update({m.id: m.name[:1].lower() + m.name[1:] if not m.name[:2].isupper() else m.name for m in org.milestones})
    table.update({d.id: d.name for d in org.departments})
    table.update({o.id: o.name for o in org.objectives})
    return table


def quantitative_facts_or_none(org: Organization) -> list[dict[str, object]]:
    """Facts computed from the driver formulas, roll-ups and payout curves (engine/quant.py)."""
    from interlock.quant import quantitative_facts  # imported here: quant imports validate, which lint imports

    return list(quantitative_facts(org))


def evaluator(book: RuleBook, config: Config) -> Evaluator:
    options = config.rule_options(book)
    selected = sorted(config.selected(book))
    key = json.dumps([[r.file for r in book.rules], options, selected], sort_keys=True, default=str)
    if key not in _EVALUATORS:
        _EVALUATORS[key] = Evaluator(book.compile(options, selected))
    return _EVALUATORS[key]


def lint(paths: Sequence[Path], config: Config, book: RuleBook | None = None) -> LintResult:
    book = book or load_rulebook(config.rule_packs)
    config.validate(book)
    documents = load_documents(list(paths))
    organization = validate(documents)
    facts = organization_facts(organization) + quantitative_facts_or_none(organization)
    matches, derived = evaluator(book, config).run(facts)
    findings = build_findings(matches, book, config.rule_options(book), config.severities(book), names(organization))
    return LintResult(tuple(findings), organization, tuple(d.path for d in documents), book, tuple(derived))
