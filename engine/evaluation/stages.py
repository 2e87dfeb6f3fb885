"""Which rules share an engine session when a large run is staged (``evaluate.Evaluator``).

One session holding every rule holds every fact and every partial match of every rule at once:
at 10,000 departments that is most of a check's memory, and its long hash chains slow each join.
A staged run gives the rules several sessions, one after another, each asserting only the kinds
its patterns read. The answer is the same because no stage needs what a later one derives:

* the derivation rules are split into components: two rules are in one component when one derives
  a kind the other reads or negates, or both derive the same kind (so a kept kind's candidates all
  meet in one place). A component runs its own strata; no other component reads what it derives;
* the check rules derive nothing, so they run last, in groups, over every fact and derived fact.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from interlock.evaluation.compiler import CompiledRule

#: The check rules are split into this many sessions (in rule id order: a family's rules read the same kinds).
CHECK_GROUPS = 4


def derivation_components(parts: Mapping[str, CompiledRule]) -> list[list[str]]:
    """The derivation variants in components no other component reads from; each sorted, in order of
    their first name (so the stages, and the order facts reach them, never vary)."""
    names = sorted(name for name, part in parts.items() if part.derives is not None)
    parent = {name: name for name in names}

    def root(name: str) -> str:
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    producers: dict[str, list[str]] = {}
    for name in names:
        producers.setdefault(parts[name].derives or "", []).append(name)
    for name in names:
        part = parts[name]
        for kind in {part.derives or "", *part.uses, *part.negates}:
            for producer in producers.get(kind, ()):
                parent[root(producer)] = root(name)
    components: dict[str, list[str]] = {}
    for name in names:
        components.setdefault(root(name), []).append(name)
    return sorted(components.values())


def check_groups(parts: Mapping[str, CompiledRule], groups: int = CHECK_GROUPS) -> list[list[str]]:
    """The check variants (those deriving nothing) in ``groups`` sessions of about equal size, by rule id."""
    checks = sorted((name for name, part in parts.items() if part.derives is None),
                    key=lambda name: (parts[name].rule_id, name))
    size = max(1, -(-len(checks) // max(1, groups)))
    return [checks[start:start + size] for start in range(0, len(checks), size)]


def kinds_read(parts: Sequence[CompiledRule]) -> list[str]:
    """The kinds some pattern of ``parts`` reads or negates, sorted: all a session is given."""
    return sorted({pattern.kind for part in parts for pattern in part.patterns})
