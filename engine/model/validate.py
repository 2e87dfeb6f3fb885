"""Check policy files strictly and build the normalized Organization from them.

Two passes, both reporting everything they find: the JSON Schema (shape, types,
ranges, unknown keys) and the semantic checks the schema cannot express
(duplicate ids across files, unknown references with a did-you-mean, cycles,
file defaults). Every problem is ``file:line:col: data.path: message``; the
builder never trusts its input, because it also runs over files the schema
rejected so that all problems come out at once.
"""
from __future__ import annotations

from collections.abc import Sequence

from interlock.errors import InputError, Problem
from interlock.model import knowledge_base as knowledge
from interlock.model.builder import Builder
from interlock.model.model import (
    Organization,
    UnresolvedTarget,
)
from interlock.model.sections.commitments import (
    assumptions,
    definitions,
    dependencies,
    hires,
    milestones,
    spend,
)
from interlock.model.sections.capacity import capacities
from interlock.model.sections.crediting import crediting
from interlock.model.sections.history import history
from interlock.model.sections.knowledge import organization_knowledge
from interlock.model.sections.organization import departments, organization_fields
from interlock.model.sections.plans import plans
from interlock.model.sections.targets import objectives, targets
from interlock.read.loader import Document
from interlock.read.policy_schema import every_schema_error
from interlock.read.yamlsource import DataPath


def validate(documents: Sequence[Document], *, cache: bool = True) -> Organization:
    """The organization the documents describe; InputError with every problem if they are not valid.

    ``cache`` lets the built-in knowledge base, and the verdict that unchanged files are valid, come from
    the on-disk cache (engine/read/cache.py)."""
    documents = sorted(documents, key=lambda d: d.path)
    problems: list[Problem] = []
    invalid: set[tuple[str, DataPath]] = set()
    for doc, errors in zip(documents, every_schema_error(documents, cache), strict=True):
        problems.extend(doc.problems)
        for path, problem in errors:
            problems.append(problem)
            invalid.add((doc.path, path))
    if any(doc.problems for doc in documents):
        raise InputError(problems)  # a file we could not read would make every reference to it look wrong
    organization = build(Builder(documents, knowledge.builtin(cache), problems, invalid))
    if problems:
        raise InputError(problems)
    return organization


def build(b: Builder) -> Organization:
    """Every section in the order references need: knowledge, departments and milestones first."""
    b.catalog = organization_knowledge(b)
    info = organization_fields(b)
    by_id = departments(b)
    built = milestones(b, by_id)
    # A milestone with a bad date is reported once, not again at every reference to it.
    known_milestones = {*built, *b.unbuilt_milestones}
    # Plans and dependencies before definitions: they collect the definitions written inline.
    built_plans = plans(b, by_id, known_milestones)
    built_dependencies = dependencies(b, by_id, known_milestones)
    built_history = history(b, by_id, built_plans, info)
    unresolved: list[UnresolvedTarget] = []
    built_targets = targets(b, by_id, known_milestones, info, built_history, unresolved)
    return Organization(
        **info,
        objectives=objectives(b),
        departments=tuple(by_id.values()),
        targets=built_targets,
        plans=built_plans,
        assumptions=assumptions(b, by_id, known_milestones),
        dependencies=built_dependencies,
        milestones=tuple(built.values()),
        hires=hires(b, by_id, known_milestones),
        spend=spend(b, by_id, known_milestones),
        definitions=definitions(b, by_id),
        crediting=crediting(b, built_plans),
        history=built_history,
        unresolved_targets=tuple(unresolved),
        capacities=capacities(b, by_id, built_targets),
        metrics=b.catalog.metrics,
        influences=b.catalog.influences,
        formulas=b.catalog.formulas,
        non_conflicts=b.catalog.non_conflicts,
    )
