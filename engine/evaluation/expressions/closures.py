"""The core of the fast path: Jinja expression nodes -> closures over the context.

``NodeCompiler`` dispatches each node to a method named after its type (``_Compare`` for
``nodes.Compare``); the node families live in their own modules (``logic``, ``arithmetic``,
``lookups``, ``calls``, ``templates``) as mixins over this class. Here are what they share:
the two signals that hand a source to Jinja, the limits, constant folding and literals.
"""
from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping
from typing import Any

from jinja2 import nodes
from jinja2.nodes import EvalContext
from jinja2.sandbox import ImmutableSandboxedEnvironment

#: A compiled expression: the values it sees -> its value.
Compiled = Callable[[Mapping[str, Any]], Any]
#: A compiled template: the values it sees -> its text (not stripped).
Rendered = Callable[[Mapping[str, Any]], str]


class Unsupported(Exception):
    """At compile time: a construct the fast path leaves to Jinja."""


class Fallback(Exception):
    """At run time: a case (a call needing Jinja's context, an unsafe callable) left to Jinja."""


#: Names with a special meaning in Jinja's generated code.
SPECIAL_NAMES = frozenset({"self", "loop", "super", "caller", "varargs", "kwargs"})
#: Deeper expressions are left to Jinja (Python limits how deeply its generated code may nest).
MAX_DEPTH = 48


class NodeCompiler:
    """Jinja expression nodes -> closures over the context, doing what Jinja's generated code does."""

    def __init__(self, env: ImmutableSandboxedEnvironment) -> None:
        self.env = env
        self.eval_ctx = EvalContext(env)
        self.depth = 0

    def expr(self, node: nodes.Node) -> Compiled:
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            raise Unsupported(type(node).__name__)
        if isinstance(node, nodes.Expr) and not isinstance(node, nodes.Const):
            folded = self.fold(node)
            if folded is not None:
                return folded
        if self.depth >= MAX_DEPTH:
            raise Unsupported("nesting")  # Jinja's generated Python has limits of its own
        self.depth += 1
        try:
            compiled: Compiled = method(node)
        finally:
            self.depth -= 1
        return compiled

    def fold(self, node: nodes.Expr) -> Compiled | None:
        """Jinja's optimizer turns a constant part into its value at compile time (``as_const``, which
        differs from run time in places: a constant slice goes through ``getitem``); so do we."""
        try:
            value = node.as_const(self.eval_ctx)
            nodes.Const.from_untrusted(value)  # what the optimizer requires of a folded value
        except nodes.Impossible:
            return None
        except Exception as exc:  # the optimizer lets it escape: Jinja fails to compile
            raise Unsupported("constant folding fails") from exc
        return constant(value)

    # -- literals ---------------------------------------------------------
    def _Const(self, node: nodes.Const) -> Compiled:
        return constant(node.value)

    def _List(self, node: nodes.List) -> Compiled:
        items = [self.expr(n) for n in node.items]
        return lambda ctx: [i(ctx) for i in items]

    def _Tuple(self, node: nodes.Tuple) -> Compiled:
        if node.ctx != "load":
            raise Unsupported("tuple store")
        items = [self.expr(n) for n in node.items]
        return lambda ctx: tuple([i(ctx) for i in items])

    def _Dict(self, node: nodes.Dict) -> Compiled:
        pairs = [(self.expr(p.key), self.expr(p.value)) for p in node.items]
        return lambda ctx: {k(ctx): v(ctx) for k, v in pairs}


def constant(value: Any) -> Compiled:
    """A folded value: Jinja writes its repr into the generated code, so each evaluation gets a fresh copy."""
    if not finite(value):
        raise Unsupported("non-finite constant")  # Jinja's generated code names inf or nan, which fails
    try:
        repr(value)
    except ValueError as exc:  # an int beyond Python's digit limit: Jinja's code generation fails
        raise Unsupported("no repr") from exc
    if immutable(value):
        return lambda ctx: value
    return lambda ctx: copy.deepcopy(value)


def finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return all(finite(v) for v in value)
    if isinstance(value, dict):
        return all(finite(k) and finite(v) for k, v in value.items())
    return True


def immutable(value: Any) -> bool:
    if isinstance(value, tuple):
        return all(immutable(v) for v in value)
    return value is None or type(value) in (bool, int, float, complex, str, range)
