"""The position index of a parsed file against positions read independently from PyYAML's node marks.

The index stores positions per container, not per path (memory at 10,000 files); these tests hold
it to the per-path meaning: every value and key where it was written, merged values inside their
anchor, and the nearest recorded ancestor for anything else.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from yaml.nodes import MappingNode, Node, SequenceNode

from interlock.read.yamlsource import DataPath, SourceIndex, parse_yaml

MERGE = "tag:yaml.org,2002:merge"


def _mark(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _pairs(node: MappingNode) -> list[tuple[str, Node, Node]]:
    """A mapping's (key, key node, value node) as YAML merges them: its own keys, then earlier sources'."""
    own = [(str(k.value), k, v) for k, v in node.value if k.tag != MERGE]
    seen = {key for key, _, _ in own}
    for k, v in node.value:
        if k.tag != MERGE:
            continue
        for source in v.value if isinstance(v, SequenceNode) else [v]:
            for key, key_node, value_node in _pairs(source):
                if key not in seen:
                    seen.add(key)
                    own.append((key, key_node, value_node))
    return own


def _expected(text: str) -> tuple[dict[DataPath, tuple[int, int]], dict[DataPath, tuple[int, int]]]:
    """Every value's and every key's position by path, walking the composed node tree."""
    values: dict[DataPath, tuple[int, int]] = {}
    keys: dict[DataPath, tuple[int, int]] = {}

    def walk(node: Node, path: DataPath) -> None:
        values[path] = _mark(node)
        if isinstance(node, SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, (*path, i))
        elif isinstance(node, MappingNode):
            for key, key_node, value_node in _pairs(node):
                keys[(*path, key)] = _mark(key_node)
                walk(value_node, (*path, key))

    root = yaml.compose(text, Loader=yaml.SafeLoader)
    assert root is not None
    walk(root, ())
    return values, keys


def _paths(data: Any, at: DataPath = ()) -> Iterator[DataPath]:
    yield at
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _paths(value, (*at, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _paths(value, (*at, i))


def _check(text: str) -> int:
    """Compare locate and locate_key on every path of the data and on paths below each; the count checked."""
    data, index = parse_yaml(text, "p.yml")
    values, keys = _expected(text)

    def locate(path: DataPath) -> tuple[int, int]:
        while path not in values:
            path = path[:-1]
        return values[path]

    checked = 0
    for path in _paths(data):
        assert path in values
        for probe in (path, (*path, "missing"), (*path, 0), (*path, 1), (*path, 99), (*path, -1), (*path, "0"),
                      (*path, "x", 2), (*path, 0, "y")):
            assert index.locate(probe) == locate(probe), probe
            assert index.locate_key(probe) == keys.get(probe, locate(probe)), probe
            assert index.where(probe) == "p.yml:{}:{}".format(*locate(probe))
            checked += 1
    return checked


TEXTS = {
    "nested block": """\
organization:
  name: Acme
plans:
  - id: a
    measures:
      - metric: churn
        weight: 40%
      - {metric: nps, weight: 60%}
  - id: b
    measures: []
""",
    "flow": "a: {b: [1, 2, {c: d}], e: {}}\nf: [[1, [2, 3]], [], {g: [h]}]\n",
    "lists of scalars": "ids: [a, b, c]\nmore:\n- 1\n- 2.5\n- true\n- ~\n- 2027-06-30\n",
    "empty containers": "a: {}\nb: []\nc:\n  d: {}\n  e: []\n  f: [{}, []]\n",
    "number-like keys": "1: one\n'2': two\n2027: year\n007: bond\non: yes\n0x1f: hex\n1.5: x\n",
    "multi-line scalars": "a: |\n  line one\n  line two\nb: >-\n  folded\n  text\nc: 'single\n  quoted'\nd: after\n",
    "merge one anchor": "base: &b {x: 1, y: {z: [1, 2]}}\nc:\n  <<: *b\n  x: 2\nd: {<<: *b}\n",
    "merge several anchors": """\
one: &one {a: 1, b: [x, y]}
two: &two {b: 2, c: {d: 3}}
both:
  <<: [*one, *two]
  e: 5
""",
    "nested merges": """\
inner: &inner {deep: {k: v}, list: [1, {m: n}]}
outer: &outer
  <<: *inner
  own: 1
use:
  - <<: *outer
    extra: [*inner]
""",
    "aliases": "a: &a [1, {b: 2}]\nc: *a\nd: [*a, *a]\n",
    "top empty": "{}\n",
    "quoted and odd keys": "'a.b': 1\n\"c d\": {'': 2}\n? complex\n: 3\n'- x': [4]\n",
    "comments and documents": "%YAML 1.1\n---\n# comment\na: 1  # trailing\nb:\n  # inside\n  - c\n...\n",
}


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_every_path_is_located_as_written(name: str) -> None:
    assert _check(TEXTS[name]) > 0


_KEYS = st.sampled_from(["a", "b", "id", "1", "007", "2027", "on", "x y", "weight"])
_SCALARS = st.one_of(st.integers(-5, 5), st.booleans(), st.none(), st.sampled_from(["", "s", "multi\nline", "3"]))
_DATA = st.recursive(_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(_KEYS, inner, max_size=4)), max_leaves=20)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(_KEYS, _DATA, max_size=5), st.sampled_from([None, True, False]), st.sampled_from([2, 4]))
def test_dumped_data_is_located_as_written(data: dict[str, Any], flow: bool | None, indent: int) -> None:
    _check(yaml.safe_dump(data, default_flow_style=flow, indent=indent, sort_keys=False))


def test_a_mapping_of_20000_keys_answers_every_lookup() -> None:
    count = 20_000
    text = "".join(f"k{i}: {{v: {i}}}\n" for i in range(count))
    data, index = parse_yaml(text, "p.yml")
    assert len(data) == count
    for i in reversed(range(count)):  # the last keys too, and missing keys below each
        line, col = i + 1, len(f"k{i}: ") + 1
        assert index.locate((f"k{i}",)) == (line, col)
        assert index.locate_key((f"k{i}",)) == (line, 1)
        assert index.locate_key((f"k{i}", "v")) == (line, col + 1)
        assert index.locate((f"k{i}", "missing")) == (line, col)
    assert index.locate(("absent", 3)) == (1, 1)
    assert index.locate_key(("absent",)) == (1, 1)


def test_an_empty_index_locates_everything_at_the_start() -> None:
    index = SourceIndex("f.yml")
    assert index.file == "f.yml"
    assert index.locate(()) == index.locate(("a", 0)) == index.locate_key(("a",)) == (1, 1)
    assert index.where(("a",)) == "f.yml:1:1"


def test_paths_may_be_any_sequence() -> None:
    """Schema errors give their paths as deques."""
    _, index = parse_yaml("a:\n  - b: 1\n", "p.yml")
    path: deque[str | int] = deque(["a", 0, "b"])
    assert index.locate(path) == index.locate(("a", 0, "b")) == (2, 8)  # type: ignore[arg-type]
    assert index.locate_key(path) == (2, 5)  # type: ignore[arg-type]
