"""Hypothesis strategies shared by the tests of rule files and knowledge files: small edits of real documents."""
from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from hypothesis import strategies as st

SCHEMA_WORDS = ["id", "name", "family", "severity", "title", "summary", "rationale", "when", "kind", "message",
                "derive", "fields", "examples", "fail", "pass", "policy", "options", "type", "default", "metrics",
                "from", "to", "sign", "band", "good", "unit", "lag", "basis", "x", "not", "any", "eq", "gte", "ref"]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats(-2, 2, allow_nan=False) | st.text(max_size=3)
    | st.sampled_from(["", "x", "up", "down", "band", "+", "-", "a_b", "V03", "error", "hygiene", "measure", "2w",
                       "sourced", "heuristic"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(SCHEMA_WORDS), inner, max_size=3),
    max_leaves=6,
)


def _paths(doc: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield at
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    for key, value in items:
        yield from _paths(value, (*at, key))


@st.composite
def mutated(draw: st.DrawFn, doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with one to three random edits: a value replaced, a key or item deleted, a key added."""
    doc = copy.deepcopy(doc)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(list(_paths(doc))))
        target = doc
        for key in path[:-1]:
            target = target[key]
        edit = draw(st.sampled_from(["replace", "delete", "add", "wrap"]))
        holder = target[path[-1]] if path else doc
        if edit == "add" and isinstance(holder, dict):
            holder[draw(st.sampled_from(SCHEMA_WORDS))] = draw(JSON)
        elif edit == "add" and isinstance(holder, list):
            holder.append(draw(JSON))
        elif path and edit == "delete":
            del target[path[-1]]
        elif path and edit == "wrap":
            target[path[-1]] = [target[path[-1]]]
        elif path:
            target[path[-1]] = draw(JSON)
    return doc
