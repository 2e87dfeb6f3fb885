"""`interlock metrics [TEXT]`: list and search the metric knowledge base.

Every metric with its id, name, function, aliases, unit, direction and the
influence edges into and out of it, so a plan author can find the id to
write instead of grepping rules/knowledge/. TEXT matches, case-insensitively,
an id, alias, name, function or definition, or an abbreviation of a name
(``AHT`` finds average handle time); an exact id or alias comes first.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from interlock.model.knowledge_base import Knowledge, fold
from interlock.model.model import Influence, Metric

DIRECTIONS = {1: "up", -1: "down", 0: "band or none"}


@dataclass(frozen=True)
class MetricEntry:
    """A metric and the edges that touch it."""

    metric: Metric
    drives: tuple[Influence, ...]
    driven_by: tuple[Influence, ...]

    def to_json(self) -> dict[str, Any]:
        m = self.metric
        return {
            "id": m.id, "name": m.name, "function": m.function, "aliases": list(m.aliases), "unit": m.unit,
            "direction": DIRECTIONS.get(m.good, "none"), "kind": m.kind, "definition": m.definition,
            "drives": [_edge(e, e.dst) for e in self.drives],
            "driven_by": [_edge(e, e.src) for e in self.driven_by],
        }


def _edge(edge: Influence, other: str) -> dict[str, Any]:
    return {"metric": other, "sign": "+" if edge.sign > 0 else "-", "confidence": edge.conf,
            "lag_days": edge.lag_days, "basis": edge.basis}


def search(kb: Knowledge, text: str | None = None) -> list[MetricEntry]:
    """The metrics matching ``text`` (all without it): exact id or alias first, then by id."""
    out: dict[str, list[Influence]] = {}
    into: dict[str, list[Influence]] = {}
    for edge in kb.influences:
        out.setdefault(edge.src, []).append(edge)
        into.setdefault(edge.dst, []).append(edge)
    chosen = [m for m in kb.metrics if text is None or _matches(m, text)]
    exact = kb.suggest(text) if text else None
    chosen.sort(key=lambda m: (m.id != exact, m.id))
    return [MetricEntry(m, tuple(sorted(out.get(m.id, ()), key=lambda e: e.dst)),
                        tuple(sorted(into.get(m.id, ()), key=lambda e: e.src))) for m in chosen]


def _matches(metric: Metric, text: str) -> bool:
    wanted = fold(text)
    if not wanted:
        return True
    words = [fold(w) for w in (metric.id, *metric.aliases, metric.name, metric.function)]
    if any(wanted in w for w in words) or wanted in fold(metric.definition):
        return True
    names = (metric.id, *metric.aliases, metric.name)
    return any(wanted == "".join(w[0] for w in fold(n).split("_") if w and w not in ("pct", "of", "the", "and"))
               for n in names)


def render_json(entries: Sequence[MetricEntry]) -> str:
    return json.dumps({"metrics": [e.to_json() for e in entries]}, indent=2, ensure_ascii=False) + "\n"


def render_text(entries: Sequence[MetricEntry], text: str | None, kb: Knowledge) -> str:
    """One line per metric; with a search text, each match in full with its edges."""
    if not entries:
        hint = kb.suggest(text or "")
        also = f"; did you mean {hint!r}?" if hint else ""
        return f"No metric matches {text!r}{also}. Declare a metric of your own under `metrics:` in a policy file.\n"
    if text is None:
        width = max(len(e.metric.id) for e in entries)
        lines = [f"{e.metric.id:<{width}}  {e.metric.name} ({e.metric.function}, {e.metric.unit}, "
                 f"{_direction(e.metric)}; {len(e.drives)} out, {len(e.driven_by)} in)" for e in entries]
        lines.append(f"{len(entries)} metrics, {len(kb.influences)} influence edges. "
                     "`interlock metrics TEXT` shows the matches with their edges.")
        return "\n".join(lines) + "\n"
    blocks = [_block(e, kb) for e in entries]
    blocks.append(f"{len(entries)} {'metric matches' if len(entries) == 1 else 'metrics match'} {text!r}.")
    return "\n\n".join(blocks) + "\n"


def _direction(metric: Metric) -> str:
    return {1: "higher is better", -1: "lower is better"}.get(metric.good, "neither more nor less is better")


def _block(entry: MetricEntry, kb: Knowledge) -> str:
    m = entry.metric
    lines = [f"{m.id}: {m.name}", f"  function: {m.function}; unit: {m.unit}; {_direction(m)}; kind: {m.kind}"]
    if m.aliases:
        lines.append(f"  aliases: {', '.join(m.aliases)}")
    if m.definition:
        lines.append(f"  definition: {m.definition}")
    lines.append(f"  drives: {_edges(entry.drives, True, kb)}")
    lines.append(f"  driven by: {_edges(entry.driven_by, False, kb)}")
    return "\n".join(lines)


def _edges(edges: Sequence[Influence], outgoing: bool, kb: Knowledge) -> str:
    if not edges:
        return "nothing Interlock knows"
    parts = []
    for e in edges:
        other = e.dst if outgoing else e.src
        moves = "raises" if e.sign > 0 else "lowers"
        parts.append(f"{other} ({moves}, confidence {e.conf:.0%})" if outgoing
                     else f"{other} ({moves} it, confidence {e.conf:.0%})")
    return "; ".join(parts)
