"""The state every section builder shares: the documents, the problems found so far, the ids defined, and
how to report a problem at a value with its path (``plans[0].measures[1].weight: ...``)."""
from __future__ import annotations

import ast
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from interlock.errors import Problem
from interlock.model import knowledge_base as knowledge
from interlock.model.model import (
    Definition,
    Location,
)
from interlock.read.loader import Document
from interlock.read.values import COMPANY, did_you_mean, quote
from interlock.read.yamlsource import DataPath, path_label


@dataclass(frozen=True)
class Node:
    """One mapping in a document, with what it needs to report problems and read defaults."""

    doc: Document
    path: DataPath
    data: Mapping[str, Any]
    department: str | None  # the file's `department`: the default owner of what the file holds

    @property
    def at(self) -> Location:
        return Location(self.doc.path, *self.doc.index.locate(self.path))

    def where(self, *keys: str | int) -> Location:
        return Location(self.doc.path, *self.doc.index.locate((*self.path, *keys)))

    def label(self, *keys: str | int) -> str:
        return path_label((*self.path, *keys))

    def text(self, key: str) -> str | None:
        value = self.data.get(key)
        return value if isinstance(value, str) else None

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.data.get(key)
        return value if isinstance(value, bool) else default

    def children(self, key: str) -> list[Node]:
        """The mapping under ``key``, or the mappings listed under it."""
        items = self.data.get(key)
        if isinstance(items, dict):
            return [Node(self.doc, (*self.path, key), items, self.department)]
        if not isinstance(items, list):
            return []
        return [
            Node(self.doc, (*self.path, key, i), item, self.department)
            for i, item in enumerate(items)
            if isinstance(item, dict)
        ]


class Builder:
    """Builds the Organization, recording every semantic problem instead of stopping at the first.

    Items the schema already rejected are still read (defensively), so that a
    reference to them does not also show up as unknown.
    """

    def __init__(
        self,
        documents: Sequence[Document],
        kb: knowledge.Knowledge,
        problems: list[Problem],
        invalid: set[tuple[str, DataPath]],
    ) -> None:
        self.documents = documents
        self.problems = problems
        self.catalog = kb
        self.invalid = invalid  # (file, path) of every value the schema rejected
        self.first: dict[tuple[str, str], Location] = {}
        self.inline: list[tuple[Definition, str]] = []  # definitions written on measures and dependencies
        self.unbuilt_milestones: set[str] = set()  # identified, but a date or the owner was wrong

    def problem(self, at: Location, message: str) -> None:
        self.problems.append(Problem.at(at, message))

    def report(self, node: Node, message: str, *keys: str | int) -> None:
        """A problem at ``node[keys...]``, told with its path (``plans[0].measures[1].weight: ...``)."""
        self.problem(node.where(*keys), f"{node.label(*keys)}: {message}")

    def register(self, kind: str, ident: str | None, node: Node, what: str = "") -> bool:
        """False (and a problem) if ``ident`` was already defined for this kind."""
        if ident is None:
            return False
        first = self.first.setdefault((kind, ident), node.at)
        if first != node.at:
            what = what or f"{kind} id {quote(ident)}"
            self.report(node, f"duplicate {what} (first defined at {first})")
            return False
        return True

    def reference(self, node: Node, kind: str, known: Collection[str], *keys: str | int) -> str | None:
        """The id at ``node[keys...]`` if it exists; else None, and a did-you-mean problem if it was text."""
        value = _lookup(node.data, keys)
        if not isinstance(value, str):
            return None
        if value in known:
            return value
        self.report(node, f"unknown {kind} {quote(value)}{did_you_mean(value, known)}", *keys)
        return None

    def metric(self, node: Node, *keys: str | int) -> str | None:
        """A metric reference, by id or alias, as the metric's id; an unknown one gets a did-you-mean
        over ids, aliases, names and abbreviations (`interlock metrics TEXT` searches them)."""
        value = _lookup(node.data, keys)
        if isinstance(value, str) and value not in self.catalog.names:
            self.supersede(node, *keys)
            self.report(node, f"unknown metric {quote(value)}{self.metric_hint(value)}", *keys)
            return None
        found = self.reference(node, "metric", self.catalog.names, *keys)
        return self.catalog.canonical(found) if found else None

    def supersede(self, node: Node, *keys: str | int) -> None:
        """Drop the schema's problem with the value at ``node[keys...]`` (`'AHT' is not a valid id`): the
        builder's message about the same value says more (`unknown metric 'AHT' (did you mean 'aht'?)`),
        and one value wrong once is one line."""
        if (node.doc.path, (*node.path, *keys)) not in self.invalid:
            return
        at = Problem.at(node.where(*keys), "")
        self.problems[:] = [p for p in self.problems
                            if (p.file, p.line, p.column, p.sheet) != (at.file, at.line, at.column, at.sheet)]

    def metric_hint(self, value: str) -> str:
        known = self.catalog.suggest(value)
        if known is None:
            return " (search the knowledge base with `interlock metrics TEXT`, or declare it under `metrics:`)"
        return f" (did you mean {known!r}?)"

    def optional(self, node: Node, key: str, kind: str, known: Collection[str]) -> str | None:
        return self.reference(node, kind, known, key) if key in node.data else None

    def owner(self, node: Node, key: str, departments: Collection[str], company: bool = False) -> str | None:
        """A department reference that defaults to the file's `department`."""
        if key not in node.data:
            if node.department is None:
                self.report(node, f"missing required key {key!r} (or put the file under a `department:`)")
            return node.department
        return self.reference(node, "department", {*departments, COMPANY} if company else departments, key)

    def nodes(self, section: str) -> list[Node]:
        """The items of one section across all files, in file order."""
        found = []
        for doc in self.documents:
            home = doc.data.get("department")
            default = home.get("id") if isinstance(home, dict) and isinstance(home.get("id"), str) else None
            root = Node(doc, (), doc.data, default)
            if section == "departments":
                found.extend(root.children("department"))
            found.extend(root.children(section))
        return found

    def identified(self, kind: str, section: str) -> list[tuple[str, Node]]:
        """Items with a unique id; duplicates are reported and dropped."""
        return [(n.text("id") or "", n) for n in self.nodes(section) if self.register(kind, n.text("id"), n)]

    def valid(self, node: Node) -> bool:
        """Whether the schema found nothing wrong inside this item (needed where values are read as-is)."""
        depth = len(node.path)
        return not any(file == node.doc.path and path[:depth] == node.path for file, path in self.invalid)

    def formula_names(self, node: Node) -> bool:
        """A formula is arithmetic over metric ids and numbers; its output is a metric."""
        ok = self.metric(node, "output") is not None or not isinstance(node.data.get("output"), str)
        expression = node.text("expression")
        if expression is None:
            return ok
        names = formula_names(expression)
        if names is None:
            message = f"{quote(expression)} is not a formula over metric ids and numbers (+ - * / and parentheses)"
            self.report(node, message, "expression")
            return False
        for name in sorted(names - set(self.catalog.names)):
            self.report(node, f"unknown metric {quote(name)}{did_you_mean(name, self.catalog.names)}", "expression")
            ok = False
        return ok


def _lookup(data: Any, keys: Sequence[str | int]) -> Any:
    """``data[k1][k2]...``, or None where the shape does not fit."""
    for key in keys:
        if isinstance(data, dict):
            data = data.get(key)
        elif isinstance(data, list) and isinstance(key, int) and 0 <= key < len(data):
            data = data[key]
        else:
            return None
    return data


def formula_names(expression: str) -> set[str] | None:
    """The metric ids a formula uses, or None if it is not plain arithmetic."""
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError:
        return None
    allowed = (
        ast.Expression, ast.BinOp, ast.UnaryOp, ast.Name, ast.Load, ast.Constant,
        ast.Add, ast.Sub, ast.Mult, ast.Div, ast.USub, ast.UAdd,
    )
    nodes = list(ast.walk(tree))
    if not all(isinstance(n, allowed) for n in nodes):
        return None
    numbers = [n.value for n in nodes if isinstance(n, ast.Constant)]
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in numbers):
        return None
    return {n.id for n in nodes if isinstance(n, ast.Name)}
