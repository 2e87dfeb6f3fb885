"""The organization's own metrics, influences, formulas and non-conflicts, added to the built-in knowledge base."""
from __future__ import annotations

from interlock.model import knowledge_base as knowledge
from interlock.model.builder import Builder, Node
from interlock.model.model import (
    Formula,
    Influence,
    Metric,
    NonConflict,
)
from interlock.read.values import quote


def organization_knowledge(b: Builder) -> knowledge.Knowledge:
    """The built-in catalog extended with the organization's metrics, edges, formulas and non-conflicts."""
    b.catalog = b.catalog.extended(metrics=own_metrics(b))
    return b.catalog.extended(
        influences=own_influences(b), formulas=own_formulas(b), non_conflicts=own_non_conflicts(b)
    )


def own_metrics(b: Builder) -> list[Metric]:
    """New metrics only: a built-in id or alias is never redefined, and every name stays unique."""
    builtin, metrics = b.catalog, []
    nodes = b.nodes("metrics")
    for node in nodes:
        ident = node.text("id")
        if ident in builtin.names:
            b.report(node, f"{quote(ident)} is a built-in metric: use it as it is, or choose another id", "id")
        elif b.register("metric", ident, node) and b.valid(node):
            metrics.append(knowledge.metric_from(node.data, node.at))
    for node in nodes:
        aliases = node.data.get("aliases")
        for i, alias in enumerate(aliases if isinstance(aliases, list) else []):
            if isinstance(alias, str) and alias in builtin.names:
                b.report(node, f"{quote(alias)} already names the built-in metric {builtin.canonical(alias)!r}", "aliases", i)
            elif isinstance(alias, str):
                where = Node(node.doc, (*node.path, "aliases", i), {}, None)
                b.register("metric", alias, where, f"metric name {quote(alias)}")
    names = {*builtin.names, *(m.id for m in metrics), *(a for m in metrics for a in m.aliases)}
    for node in nodes:
        companions = node.data.get("quality_pair")
        for i in range(len(companions) if isinstance(companions, list) else 0):
            b.reference(node, "metric", names, "quality_pair", i)
    return metrics


def own_influences(b: Builder) -> list[Influence]:
    """Edges between known metrics, one per pair; each replaces the built-in edge between the same metrics."""
    influences = []
    for node in b.nodes("influences"):
        src, dst = b.metric(node, "from"), b.metric(node, "to")
        edge = f"influence from {src!r} to {dst!r}"
        if src and dst and b.register("influence", f"{src}>{dst}", node, edge) and b.valid(node):
            influences.append(knowledge.influence_from(node.data, node.at, b.catalog.canonical))
    return influences


def own_formulas(b: Builder) -> list[Formula]:
    checked = [(node, b.formula_names(node)) for _, node in b.identified("formula", "formulas")]
    own = [knowledge.formula_from(node.data, node.at) for node, ok in checked if ok and b.valid(node)]
    from interlock.model.formulas import (
        formula_problems,  # cycles, and two of the organization's formulas for one output
    )

    for at, message in formula_problems(b.catalog.extended(formulas=own).formulas, b.catalog.canonical):
        b.problem(at, message)
    return own


def own_non_conflicts(b: Builder) -> list[NonConflict]:
    pairs = []
    for node in b.nodes("non_conflicts"):
        listed = node.data.get("metrics")
        found = [b.metric(node, "metrics", i) for i in range(len(listed))] if isinstance(listed, list) else []
        if len(found) == 2 and all(found) and b.valid(node):
            pairs.append(knowledge.non_conflict_from(node.data, node.at, b.catalog.canonical))
    return pairs
