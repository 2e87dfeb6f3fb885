"""The fast path for comparisons, boolean logic and inline ifs: what decides whether a rule applies."""
from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

from jinja2 import nodes
from jinja2.runtime import Undefined

from interlock.evaluation.expressions.closures import Compiled, NodeCompiler

_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq, "ne": operator.ne, "gt": operator.gt, "gteq": operator.ge, "lt": operator.lt,
    "lteq": operator.le, "in": lambda a, b: a in b, "notin": lambda a, b: a not in b,
}


class LogicNodes(NodeCompiler):
    """``==``, ``<``, ``in`` and chains of them; ``and``, ``or``, ``not``; ``a if b else c``."""

    def _Compare(self, node: nodes.Compare) -> Compiled:
        first = self.expr(node.expr)
        ops = [(_COMPARE[o.op], self.expr(o.expr)) for o in node.ops]
        if len(ops) == 1:
            (op, second), = ops
            return lambda ctx: op(first(ctx), second(ctx))

        def chained(ctx: Mapping[str, Any]) -> Any:
            # Python's chained comparison, which Jinja emits: each operand once, stop at the first falsy result
            left = first(ctx)
            result: Any = True
            for op, operand in ops:
                right = operand(ctx)
                result = op(left, right)
                if not result:
                    return result
                left = right
            return result

        return chained

    def _And(self, node: nodes.And) -> Compiled:
        left, right = self.expr(node.left), self.expr(node.right)
        return lambda ctx: left(ctx) and right(ctx)

    def _Or(self, node: nodes.Or) -> Compiled:
        left, right = self.expr(node.left), self.expr(node.right)
        return lambda ctx: left(ctx) or right(ctx)

    def _Not(self, node: nodes.Not) -> Compiled:
        inner = self.expr(node.node)
        return lambda ctx: operator.not_(inner(ctx))

    def _CondExpr(self, node: nodes.CondExpr) -> Compiled:
        test, then = self.expr(node.test), self.expr(node.expr1)
        if node.expr2 is not None:
            otherwise = self.expr(node.expr2)
            return lambda ctx: then(ctx) if test(ctx) else otherwise(ctx)
        # Jinja's implicit else is the plain Undefined, whatever the environment's class
        hint = f"the inline if-expression on line {node.lineno} evaluated to false and no else section was defined."
        return lambda ctx: then(ctx) if test(ctx) else Undefined(hint)
