"""Parsing of rule expressions and templates, and their parse trees kept in the rule-catalog cache.

Parsing is done by Jinja's own parser, exactly as Jinja parses before compiling, so the trees the
fast path compiles are the ones Jinja would run; a tree stored in the cache skips Jinja's lexer.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any, cast

from jinja2 import TemplateSyntaxError, nodes
from jinja2.parser import Parser
from jinja2.sandbox import ImmutableSandboxedEnvironment

from interlock.evaluation.expressions.sandbox import environment


@cache
def parse_expression(source: str) -> nodes.Expr:
    """The expression's tree, parsed exactly as ``compile_expression`` parses it (no codegen)."""
    env = environment()
    stored = _stored_tree(source, template=False, root=nodes.Expr)
    if stored is not None:
        return cast(nodes.Expr, stored)
    parser = Parser(env, source, state="variable")
    expr = parser.parse_expression()
    if not parser.stream.eos:
        raise TemplateSyntaxError("chunk after expression", parser.stream.current.lineno, None, None)
    expr.set_environment(env)
    return expr


@cache
def parse_template(source: str) -> nodes.Template:
    """The template's tree (no codegen)."""
    stored = _stored_tree(source, template=True, root=nodes.Template)
    if stored is not None:
        return cast(nodes.Template, stored)
    return environment().parse(source)


# --- parse trees kept in the rule-catalog cache ---------------------------------------------------
# Parsing is most of what a rule's expressions cost in a short run (the lexer is pure Python): the
# catalog's ~200 sources take ~35 ms. The cached catalog (rulebook.py) therefore stores their trees
# as JSON: a node is ``[type name, lineno or null, *fields]``, a list field ``{"list": [...]}``, any
# other field a JSON scalar. A stored tree is rebuilt (without Jinja's lexer and parser) the first time
# its source is parsed; a tree that cannot be rebuilt is ignored and the source is parsed.

#: Stored trees not rebuilt yet, by (source, is template).
_STORED: dict[tuple[str, bool], Any] = {}
_SCALAR_FIELDS = (str, int, float, bool, type(None))


class Unstorable(ValueError):
    """A tree holding something other than nodes, lists and JSON scalars: it is parsed each time."""


def tree_to_json(node: nodes.Node) -> list[Any]:
    """A parse tree as JSON (raises Unstorable for a field that is not a node, a list or a scalar)."""
    if type(node.lineno) not in (int, type(None)):  # None: the parser leaves an Operand's unset
        raise Unstorable(f"{type(node).__name__} has no line number")
    encoded: list[Any] = [type(node).__name__, node.lineno]
    for name in node.fields:
        try:
            value = getattr(node, name)
        except AttributeError as exc:
            raise Unstorable(f"{type(node).__name__}.{name} is not set") from exc
        encoded.append(_field_to_json(value))
    return encoded


def _field_to_json(value: Any) -> Any:
    if isinstance(value, nodes.Node):
        return tree_to_json(value)
    if type(value) is list:
        return {"list": [_field_to_json(v) for v in value]}
    if type(value) is float and not math.isfinite(value) or type(value) is int and value.bit_length() > 4096:
        raise Unstorable("a number JSON cannot hold exactly")  # JSON has no inf; huge ints may not print
    if type(value) in _SCALAR_FIELDS:
        return value
    raise Unstorable(f"cannot store a {type(value).__name__} field")


def tree_from_json(data: Any, env: ImmutableSandboxedEnvironment | None = None) -> nodes.Node:
    """A tree stored by ``tree_to_json``, rebuilt node by node as Jinja's parser builds it, every node's
    environment set to ``env`` (as the parser's ``set_environment`` does).

    Raises ValueError when ``data`` is not such a tree.
    """
    if type(data) is not list or len(data) < 2 or type(data[0]) is not str or type(data[1]) not in (int, type(None)):
        raise ValueError("not a stored node")
    cls, size = _node_class(data[0])
    if len(data) != size:
        raise ValueError(f"not a stored {data[0]} node")
    node = object.__new__(cls)  # what Node.__init__ sets, without its argument checks (done above)
    fields = node.__dict__
    for name, value in zip(cls.fields, data[2:]):
        fields[name] = _field_from_json(value, env)
    fields["lineno"] = data[1]
    fields["environment"] = env
    return node


def _list_from_json(value: dict[str, Any], env: ImmutableSandboxedEnvironment | None) -> list[Any]:
    items = value.get("list")
    if len(value) != 1 or type(items) is not list:
        raise ValueError("not a stored list")
    return [_field_from_json(item, env) for item in items]


def _field_from_json(value: Any, env: ImmutableSandboxedEnvironment | None) -> Any:
    """A node's field or list item: a node (stored as a list), a list (a dict), or a plain value."""
    kind = type(value)
    if kind is list:
        return tree_from_json(value, env)
    if kind is dict:
        return _list_from_json(value, env)
    if kind not in _SCALAR_FIELDS:
        raise ValueError("not a stored field")
    return value


@cache
def _node_class(name: str) -> tuple[type[nodes.Node], int]:
    """The concrete node class called ``name``, and the length of its stored form."""
    cls = getattr(nodes, name, None)
    if not (isinstance(cls, type) and issubclass(cls, nodes.Node)) or cls.abstract:
        raise ValueError(f"not a stored node: {name!r}")
    return cls, 2 + len(cls.fields)


def stored_trees(sources: Iterable[tuple[str, bool]]) -> list[list[Any]]:
    """``[source, is template, tree]`` for each source that parses and whose tree JSON can hold."""
    stored = []
    for source, is_template in sources:
        try:
            tree = parse_template(source) if is_template else parse_expression(source)
            stored.append([source, is_template, tree_to_json(tree)])
        except (TemplateSyntaxError, Unstorable, RecursionError):
            continue
    return stored


def remember_trees(entries: Iterable[Sequence[Any]]) -> None:
    """Keep stored trees (``stored_trees``' output) to be rebuilt when their source is first parsed."""
    for source, is_template, tree in entries:
        if type(source) is str and type(is_template) is bool:
            _STORED.setdefault((source, is_template), tree)


def _stored_tree(source: str, *, template: bool, root: type[nodes.Node]) -> nodes.Node | None:
    """The stored tree of ``source``, rebuilt, or None (then it is parsed)."""
    data = _STORED.pop((source, template), None)
    if data is None:
        return None
    try:
        tree = tree_from_json(data, environment())
    except (ValueError, RecursionError):
        return None
    return tree if isinstance(tree, root) else None

