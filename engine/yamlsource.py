"""Read one YAML file into plain data plus a map from each path to its line and column.

PyYAML's loaders drop positions and keep the last of two duplicate keys, so we
compose the node tree (libyaml when available: performance-notes.md) and build
the values ourselves. Keys are always taken as written (``on:`` is the text
"on", not YAML 1.1's ``true``), dates become ``datetime.date``, and every
problem is a :class:`~interlock.errors.Problem`, never a traceback.
"""
from __future__ import annotations

import datetime
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from interlock.errors import InputError, Problem

#: A JSON-pointer-like path: mapping keys and list indexes from the top.
DataPath = tuple["str | int", ...]

_Loader: Any = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_TAG}{name}" for name in ("str", "int", "float", "bool", "null", "timestamp")}
#: Aliases may share structure; this bounds how much they may expand (billion laughs).
MAX_NODES = 1_000_000


@dataclass
class SourceIndex:
    """Where each value (and each mapping key) of a file starts, 1-based."""

    file: str
    values: dict[DataPath, tuple[int, int]] = field(default_factory=dict)
    keys: dict[DataPath, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: DataPath) -> tuple[int, int]:
        """The value at ``path``, or its nearest recorded ancestor (an error may name a missing key)."""
        path = tuple(path)
        while path not in self.values and path:
            path = path[:-1]
        return self.values.get(path, (1, 1))

    def locate_key(self, path: DataPath) -> tuple[int, int]:
        """The key that introduces ``path`` (for unknown or duplicate keys), else its value."""
        path = tuple(path)
        return self.keys[path] if path in self.keys else self.locate(path)

    def where(self, path: DataPath) -> str:
        """``file:line:col`` of the value at ``path``."""
        line, col = self.locate(path)
        return f"{self.file}:{line}:{col}"


def path_label(path: DataPath) -> str:
    """``plans[0].measures[1].weight``: a path as a person reads it in messages."""
    label = ""
    for part in path:
        label += f"[{part}]" if isinstance(part, int) else f".{part}" if label else str(part)
    return label


def parse_yaml(text: str, display: str) -> tuple[dict[str, Any], SourceIndex]:
    """Parse one YAML document that must be a mapping; raise InputError with every problem found."""
    try:
        with _gc_paused():
            node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise InputError([_syntax_problem(exc, text, display)]) from None
    except RecursionError:
        raise InputError([Problem(display, 1, 1, "YAML syntax error: the file nests too deeply")]) from None
    if node is None or (isinstance(node, ScalarNode) and node.tag == f"{_TAG}null" and not node.value):
        raise InputError([Problem(display, 1, 1, "the file is empty: expected a mapping of sections")])
    if not isinstance(node, MappingNode):
        line, col = _pos(node)
        raise InputError([Problem(display, line, col, f"expected a mapping of sections at the top, got {_kind(node)}")])
    builder = _Builder(display)
    try:
        data = builder.build(node, ())
    except RecursionError:
        raise InputError([Problem(display, 1, 1, "YAML syntax error: the file nests too deeply")]) from None
    if builder.problems:
        raise InputError(builder.problems)
    assert isinstance(data, dict)
    return data, builder.index


def read_yaml(path: Path, display: str) -> tuple[dict[str, Any], SourceIndex]:
    """Read and parse a file; unreadable or non-UTF-8 files are problems too."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError([Problem(display, 1, 1, f"cannot read the file: {exc.strerror or exc}")]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError([Problem(display, line, col, "the file is not UTF-8 text")]) from None
    return parse_yaml(text, display)


def _syntax_problem(exc: yaml.YAMLError, text: str, display: str) -> Problem:
    """One problem at the place the parser stopped, worded without parser internals where we can."""
    if isinstance(exc, yaml.reader.ReaderError):
        before = text[: max(exc.position, 0)]
        line, col = before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1
        return Problem(display, line, col, f"YAML syntax error: unacceptable character #x{exc.character:04x}: {exc.reason}")
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        if isinstance(exc, yaml.composer.ComposerError) and "another document" in str(exc.problem):
            message = "YAML syntax error: a policy file holds one YAML document (found a second '---')"
            return Problem(display, line, col, message)
        detail = exc.problem or exc.context
        if exc.problem and exc.context:
            detail = f"{exc.problem} ({exc.context})"
        return Problem(display, line, col, f"YAML syntax error: {detail}")
    return Problem(display, 1, 1, f"YAML syntax error: {exc}")


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Node trees are many small objects; the cyclic GC only slows building them (performance-notes.md)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _graft(source: SourceIndex, key: str, target: SourceIndex, at: DataPath) -> None:
    """Locate merged values where they were written (inside the anchor)."""
    for table, into in ((source.values, target.values), (source.keys, target.keys)):
        for path, pos in table.items():
            if path[:1] == (key,):
                into.setdefault((*at, *path[1:]), pos)


def _pos(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _tag(node: Node) -> str:
    return str(node.tag).replace(_TAG, "!!", 1)


def _kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return f"the value {node.value!r}"


class _Builder:
    """Turn a node tree into dicts, lists and scalars, recording positions and problems."""

    def __init__(self, display: str) -> None:
        self.file = display
        self.index = SourceIndex(display)
        self.problems: list[Problem] = []
        self._scalars = SafeConstructor()
        self._active: set[int] = set()
        self._count = 0

    def problem(self, node: Node, message: str) -> None:
        self.problems.append(Problem(self.file, *_pos(node), message))

    def build(self, node: Node, path: DataPath) -> Any:
        self.index.values.setdefault(path, _pos(node))
        self._count += 1
        if self._count > MAX_NODES:
            if self._count == MAX_NODES + 1:
                self.problem(node, f"the file expands to more than {MAX_NODES} values (aliases?)")
            return None
        if id(node) in self._active:
            self.problem(node, "an alias refers to the structure that contains it")
            return None
        if isinstance(node, ScalarNode):
            return self._scalar(node)
        self._active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                if node.tag != f"{_TAG}seq":
                    self.problem(node, f"unsupported YAML tag {_tag(node)!r}")
                return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
            assert isinstance(node, MappingNode)
            if node.tag != f"{_TAG}map":
                self.problem(node, f"unsupported YAML tag {_tag(node)!r}")
            return self._mapping(node, path)
        finally:
            self._active.discard(id(node))

    def _mapping(self, node: MappingNode, path: DataPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merged: list[Node] = []
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.tag == f"{_TAG}merge":
                merged.append(value_node)
                continue
            if not isinstance(key_node, ScalarNode):
                self.problem(key_node, f"a key must be plain text, got {_kind(key_node)}")
                continue
            key = str(key_node.value)
            if key in result:
                first = self.index.keys[(*path, key)]
                where = f"{path_label(path)}: " if path else ""
                self.problem(key_node, f"{where}duplicate key {key!r} (first defined at {self.file}:{first[0]}:{first[1]})")
                continue
            self.index.keys[(*path, key)] = _pos(key_node)
            result[key] = self.build(value_node, (*path, key))
        for source in merged:  # YAML merge keys (`<<: *defaults`): explicit keys, then earlier sources, win
            for item in source.value if isinstance(source, SequenceNode) else [source]:
                if not isinstance(item, MappingNode):
                    self.problem(item, f"a merge (<<) needs a mapping, got {_kind(item)}")
                    continue
                outer, self.index = self.index, SourceIndex(self.file)
                try:
                    built = self.build(item, ())
                finally:
                    scratch, self.index = self.index, outer
                for key, value in built.items() if isinstance(built, dict) else ():
                    if key not in result:
                        result[key] = value
                        _graft(scratch, key, self.index, (*path, key))
        return result

    def _scalar(self, node: ScalarNode) -> Any:
        if node.tag not in _SCALAR_TAGS:
            self.problem(node, f"unsupported YAML tag {_tag(node)!r}")
            return None
        try:
            value = self._scalars.construct_object(node)
        except (ConstructorError, ValueError, OverflowError):
            # An impossible timestamp such as 2027-02-30: keep the text; the schema reports it.
            return str(node.value)
        if isinstance(value, datetime.datetime):
            return str(node.value)  # a date with a time of day: left as text for the date checks
        return value
