"""Jinja parse trees kept in the cached rule catalog (engine/evaluation/expressions/trees.py, rulebook.py).

A warm run rebuilds the trees of the catalog's expressions and templates from the cache instead
of running Jinja's lexer and parser (issue 9). A rebuilt tree must be the parsed tree, node for
node (types, fields, line numbers, environment); a tree JSON cannot hold exactly is not stored;
a stored tree that cannot be rebuilt is ignored and the source is parsed; the entry is keyed by
Jinja's version too.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import jinja2
import pytest
from jinja2 import nodes

from interlock.evaluation import expressions
from interlock.evaluation.expressions import compiled, trees
from interlock.evaluation import rulebook
from interlock.evaluation.rulebook import load_rulebook
from paths import ROOT_DIR

ROOT = ROOT_DIR


def catalog_sources() -> list[tuple[str, bool]]:
    """Every Jinja source of the built-in catalog, as (source, is template)."""
    found: set[tuple[str, bool]] = set()
    for path in sorted(rulebook.builtin_rule_dir().glob("*.yaml")):
        data, _index = rulebook.read_yaml(path, path.name)
        found.update(rulebook._stored_sources(data))
    return sorted(found)


SOURCES = catalog_sources()


def same_tree(a: Any, b: Any) -> bool:
    """Equal as Jinja compares nodes, and also in every node's line number and environment."""
    if isinstance(a, nodes.Node):
        return (type(a) is type(b) and a.lineno == b.lineno and a.environment is b.environment
                and all(same_tree(getattr(a, f), getattr(b, f)) for f in a.fields))
    if isinstance(a, list):
        return type(b) is list and len(a) == len(b) and all(map(same_tree, a, b))
    return type(a) is type(b) and a == b


def fresh_parse(source: str, template: bool) -> nodes.Node:
    """The source parsed by Jinja now, whatever is stored or cached."""
    with mock.patch.dict(trees._STORED, clear=True):
        parse = expressions.parse_template if template else expressions.parse_expression
        return parse.__wrapped__(source)


@pytest.fixture
def clean_parses() -> Iterator[None]:
    """No tree parsed, compiled or remembered in this process yet, as in a new one."""
    cached = [expressions.parse_expression, expressions.parse_template, compiled._fast_expression,
              compiled._fast_template, expressions.compile_expression, expressions.compile_template]
    for function in cached:
        function.cache_clear()
    with mock.patch.dict(trees._STORED, clear=True):
        yield
    for function in cached:
        function.cache_clear()


def test_every_catalog_tree_survives_json_exactly() -> None:
    assert len(SOURCES) > 150 and any(t for _s, t in SOURCES) and any(not t for _s, t in SOURCES)
    env = expressions.environment()
    for source, template in SOURCES:
        parsed = fresh_parse(source, template)
        stored = json.loads(json.dumps(expressions.tree_to_json(parsed)))
        assert same_tree(expressions.tree_from_json(stored, env), parsed), source


def test_a_warm_catalog_evaluates_without_jinjas_parser(cache_dir: Path, clean_parses: None) -> None:
    load_rulebook()  # cold: parsed, checked and stored
    for function in (expressions.parse_expression, expressions.parse_template):
        function.cache_clear()
    trees._STORED.clear()
    book = load_rulebook()  # warm: the trees come with the catalog
    assert set(trees._STORED) == set(SOURCES)
    parsed = {(source, template): fresh_parse(source, template) for source, template in SOURCES}
    with mock.patch.object(trees, "Parser", side_effect=AssertionError("parsed an expression")), \
            mock.patch.object(jinja2.Environment, "parse", side_effect=AssertionError("parsed a template")):
        for source, template in SOURCES:
            rebuilt = expressions.parse_template(source) if template else expressions.parse_expression(source)
            assert same_tree(rebuilt, parsed[(source, template)]), source
        rule = book.get("V03")
        assert expressions.compile_template(rule.message) is not None
    assert not trees._STORED  # each stored tree is rebuilt once, then forgotten


@pytest.mark.parametrize("source", ["1e999", "-1e999 + 1", "10 ** 400 * 0 + " + "9" * 1300])
def test_a_tree_json_cannot_hold_exactly_is_not_stored(source: str) -> None:
    tree = fresh_parse(source, False)
    with pytest.raises(expressions.Unstorable):
        expressions.tree_to_json(tree)
    assert expressions.stored_trees([(source, False), ("a.b", False)]) == [
        ["a.b", False, expressions.tree_to_json(fresh_parse("a.b", False))]]


def test_a_source_that_does_not_parse_is_not_stored() -> None:
    assert expressions.stored_trees([("a.", False), ("{{ x", True)]) == []


@pytest.mark.parametrize("stored", [
    ["NoSuchNode", 1], ["Node", 1], ["Name", 1, "a"], ["Name", "1", "a", "load"], "a.b", ["Getattr", 1, {"x": []}, "b", "load"],
    ["Getattr", 1, ["Name", 1, "a", "load"], ["not", "a", "field"], "load"], ["Name", 1, {"list": "x"}, "load"],
    ["Output", 1, {"list": [7j]}],
])
def test_a_stored_tree_that_cannot_be_rebuilt_is_parsed_instead(stored: Any, clean_parses: None) -> None:
    expressions.remember_trees([["a.b", False, stored]])
    tree = expressions.parse_expression("a.b")
    assert same_tree(tree, fresh_parse("a.b", False))
    assert expressions.evaluate("a.b", {"a": {"b": 3}}) == 3


def test_a_stored_tree_of_the_wrong_kind_is_parsed_instead(clean_parses: None) -> None:
    expressions.remember_trees([["x", True, expressions.tree_to_json(fresh_parse("x", False))]])
    assert same_tree(expressions.parse_template("x"), fresh_parse("x", True))


def test_the_catalog_entry_is_keyed_by_jinjas_version(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    load_rulebook()
    monkeypatch.setattr(jinja2, "__version__", "0.0-other")
    load_rulebook()
    assert len(list(cache_dir.glob("catalog-*.json"))) == 2
