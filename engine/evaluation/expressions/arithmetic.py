"""The fast path for arithmetic and string concatenation: the numbers and texts rules compute."""
from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from jinja2 import nodes

from interlock.evaluation.expressions.closures import Compiled, NodeCompiler

_BINARY: dict[type[nodes.BinExpr], Callable[[Any, Any], Any]] = {
    nodes.Add: operator.add, nodes.Sub: operator.sub, nodes.Mul: operator.mul, nodes.Div: operator.truediv,
    nodes.FloorDiv: operator.floordiv, nodes.Mod: operator.mod, nodes.Pow: operator.pow,
}
_UNARY: dict[type[nodes.UnaryExpr], Callable[[Any], Any]] = {nodes.Neg: operator.neg, nodes.Pos: operator.pos}


class ArithmeticNodes(NodeCompiler):
    """``+ - * / // % **``, unary ``-``/``+`` and ``~``, with the Python operators Jinja's code uses."""

    def _BinExpr(self, node: nodes.BinExpr) -> Compiled:
        op = _BINARY[type(node)]
        left, right = self.expr(node.left), self.expr(node.right)
        return lambda ctx: op(left(ctx), right(ctx))

    _Add = _Sub = _Mul = _Div = _FloorDiv = _Mod = _Pow = _BinExpr

    def _UnaryExpr(self, node: nodes.UnaryExpr) -> Compiled:
        op, inner = _UNARY[type(node)], self.expr(node.node)
        return lambda ctx: op(inner(ctx))

    _Neg = _Pos = _UnaryExpr

    def _Concat(self, node: nodes.Concat) -> Compiled:
        """Jinja's str_join: every part evaluated, then str() of each in order, joined."""
        # constants are stringified now (the same str() Jinja applies when run), into a format string
        layout = "".join(str(n.value).replace("{", "{{").replace("}", "}}") if isinstance(n, nodes.Const) else "{}"
                         for n in node.nodes)
        parts = [self.expr(n) for n in node.nodes if not isinstance(n, nodes.Const)]
        if len(parts) == 1:
            (part,) = parts
            return lambda ctx: layout.format(str(part(ctx)))
        return lambda ctx: layout.format(*map(str, [p(ctx) for p in parts]))
