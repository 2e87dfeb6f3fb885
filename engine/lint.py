"""The pipeline, in order: read -> model -> knowledge (facts) -> evaluation -> findings.

The one place that runs the stages; rendering is the caller's business (commands/cli.py).
"""
from __future__ import annotations

import gc
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from interlock.errors import Problem
from interlock.read.cache import Store
from interlock.read.config import Config
from interlock.evaluation.evaluate import Evaluator
from interlock.knowledge.facts import Fact, organization_facts
from interlock.findings.findings import Finding, build_findings
from interlock.read.loader import load_documents
from interlock.model.model import Organization
from interlock.evaluation.rulebook import RuleBook, load_rulebook
from interlock.evaluation.static import CachedEvaluator
from interlock.model.validate import validate

#: One compiled engine per rule configuration (and cache setting), reused across runs in a process.
_EVALUATORS: dict[str, Evaluator | CachedEvaluator] = {}


@dataclass(frozen=True)
class LintResult:
    findings: tuple[Finding, ...]
    organization: Organization
    files: tuple[str, ...]
    book: RuleBook
    #: Facts the derivation rules added (causal paths, support of objectives), for reports.
    derived: tuple[dict[str, object], ...] = ()
    #: Read-time warnings (W005): plain values YAML 1.1 and YAML 1.2 read differently, at their places.
    notes: tuple[Problem, ...] = ()


#: First words that make a milestone's name a common noun phrase ("General availability of X",
#: "Product launch"): only those are lower-cased mid-sentence. Any other name ("Atlas launch",
#: "Riverside handover") is a proper name and stays as written.
_COMMON_FIRST_WORDS = frozenset({
    "general", "product", "launch", "release", "first", "new", "next", "go-live", "golive", "start",
    "end", "completion", "delivery", "opening", "migration", "rollout", "pilot", "beta", "phase",
    "handover", "approval", "certification", "commissioning", "the", "a", "an", "initial", "final",
    "system", "platform", "site", "plant", "store", "warehouse", "office", "project", "contract",
})


def _in_a_sentence(name: str) -> str:
    """'Supplier health' reads 'supplier health' mid-sentence; acronyms ('DSO') stay as written."""
    return name if name[:2].isupper() else name[:1].lower() + name[1:]


def _milestone_in_a_sentence(name: str) -> str:
    """A milestone's name mid-sentence: a common phrase ('Product launch') is lower-cased, a proper
    name ('Atlas launch', 'Riverside handover') is kept as written."""
    words = name.split()
    if not words or words[0].lower() not in _COMMON_FIRST_WORDS or any(w[:1].isupper() for w in words[1:]):
        return name
    return _in_a_sentence(name)


def names(org: Organization) -> dict[str, str]:
    """Readable names for ids in messages: metrics, milestones, departments, objectives."""
    table = {m.id: _in_a_sentence(m.name) for m in org.metrics}
    table.update({m.id: _milestone_in_a_sentence(m.name) for m in org.milestones})
    table.update({d.id: d.name for d in org.departments})
    table.update({o.id: o.name for o in org.objectives})
    return table


def facts_of(org: Organization, attainment: Mapping[str, float] | None = None) -> list[Fact]:
    """Every fact the rules see: the organization's own, then the driver arithmetic,
    roll-ups and payout costs computed from it (engine/knowledge/quant/); ``attainment``
    prices a what-if payout scenario."""
    from interlock.knowledge.quant import quantitative_facts  # imported here: quant imports validate, which lint imports

    return organization_facts(org) + list(quantitative_facts(org, attainment))


def evaluator(book: RuleBook, config: Config, store: Store | None = None) -> Evaluator | CachedEvaluator:
    """The compiled rules of this configuration; with a cache (``store``, default from the
    configuration and environment), the knowledge-only derivations come from it (engine/evaluation/static.py)."""
    store = store if store is not None else Store.open(config.cache)
    options = config.rule_options(book)
    selected = sorted(config.selected(book))
    # What the compiled engine depends on: each rule's patterns, check and derivation (not only its
    # file: a rule pack edited between two runs in one process must not reuse the old engine).
    rules = [[r.file, repr(r.when), r.check, repr(r.derive), r.builtin] for r in book.rules]
    key = json.dumps([rules, options, selected, str(store.directory)], sort_keys=True, default=str)
    if key not in _EVALUATORS:
        compiled = book.compile(options, selected)
        _EVALUATORS[key] = CachedEvaluator(compiled, store) if store.enabled else Evaluator(compiled)
    return _EVALUATORS[key]


def lint(paths: Sequence[Path], config: Config, book: RuleBook | None = None, *, derived: bool = True) -> LintResult:
    """Lint the policy files under ``paths``; the cache (``config.cache``) is never one of their folders.
    Without ``derived`` the result carries no derived facts (only the report reads them)."""
    store = Store.open(config.cache).outside(paths)
    with long_lived_objects():
        book = book or load_rulebook(config.rule_packs, cache=store.enabled)
        config.validate(book)
        documents = load_documents(list(paths), excluded=config.excluded if config.exclude else None,
                                   follow_links=config.follow_links)
        gc.freeze()
        organization = validate(documents, cache=store.enabled)
        files = tuple(d.path for d in documents)
        notes = tuple(n for d in documents for n in d.index.notes)
        del documents  # the parsed files and their line maps: the model keeps the locations it needs
        findings, added, _facts = check_organization(organization, config, book, store, derived=derived)
    return LintResult(tuple(findings), organization, files, book, tuple(added), notes)


#: The tag of the read-time warning about forms YAML 1.1 and YAML 1.2 read differently (docs/workflow.md#notes).
YAML_FORMS = "W005"


def note_lines(notes: Iterable[Problem]) -> list[str]:
    """`file:line:col: warning W005: message`, one per note, for standard error."""
    return [f"{n.file}:{n.line}:{n.column}: warning {YAML_FORMS}: {n.message}" for n in notes]


def check_organization(org: Organization, config: Config, book: RuleBook, store: Store | None = None, *,
                       attainment: Mapping[str, float] | None = None, keep_facts: bool = False,
                       derived: bool = True) -> tuple[list[Finding], list[dict[str, object]], tuple[Fact, ...]]:
    """facts -> evaluate -> findings for an organization already validated (a what-if changes it first).

    Run inside ``long_lived_objects()``. Returns the findings, the derived facts and, with
    ``keep_facts``, every fact (a what-if compares the numbers of two runs); without ``derived``, no
    derived facts.
    """
    rules = evaluator(book, config, store)
    every = facts_of(org, attainment)
    kept = tuple(every) if keep_facts else ()
    # Facts no rule can use (payout curves and costs are for the reports) are dropped before
    # the run: the engine's run is the peak of a check's memory.
    facts = [fact for fact in every if rules.needs(fact)]
    del every
    gc.freeze()
    matches, added = rules.run(facts, derived)
    del facts
    findings = build_findings(matches, book, config.rule_options(book), config.severities(book), names(org))
    return findings, added, kept


@contextmanager
def long_lived_objects() -> Iterator[None]:
    """A run builds millions of objects that live until it ends. The cyclic collector would
    rescan them all again and again (time growing faster than the organization), so the model
    and its facts are frozen out of its sight once built (``gc.freeze``); young garbage is still
    collected. Everything is handed back to the collector when the run ends, also on errors."""
    try:
        yield
    finally:
        gc.unfreeze()
