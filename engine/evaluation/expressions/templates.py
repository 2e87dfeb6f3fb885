"""The fast path for message templates: text, ``{{ ... }}`` outputs, ``{% if %}`` and ``{% set %}``.

A finding's message is a template; these are the statements the catalog's messages use, run in
one scope as Jinja runs a template's top level. Any other statement leaves the template to Jinja.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from jinja2 import nodes

from interlock.evaluation.expressions.closures import (MAX_DEPTH, SPECIAL_NAMES, Compiled, NodeCompiler, Rendered,
                                                       Unsupported)

#: A compiled statement: (the template's scope, the text written so far) -> None.
Statement = Callable[[dict[str, Any], list[str]], None]


class TemplateStatements(NodeCompiler):
    """Template trees -> a function writing the text, its expressions compiled by the node families."""

    def template(self, tree: nodes.Template) -> Rendered:
        body = self.statements(tree.body)

        def render(context: Mapping[str, Any]) -> str:
            out: list[str] = []
            body(dict(context), out)
            return "".join(out)

        return render

    def statements(self, body: list[nodes.Node]) -> Statement:
        steps = [self.statement(node) for node in body]

        def run(scope: dict[str, Any], out: list[str]) -> None:
            for step in steps:
                step(scope, out)

        return run

    def statement(self, node: nodes.Node) -> Statement:
        if self.depth >= MAX_DEPTH:
            raise Unsupported("nesting")
        self.depth += 1
        try:
            return self._statement(node)
        finally:
            self.depth -= 1

    def _statement(self, node: nodes.Node) -> Statement:
        if isinstance(node, nodes.Output):
            return self.output(node)
        if isinstance(node, nodes.If):
            return self.if_(node)
        if isinstance(node, nodes.Assign) and isinstance(node.target, nodes.Name) and node.target.ctx == "store":
            if node.target.name in SPECIAL_NAMES:
                raise Unsupported("special name")
            name, value = node.target.name, self.expr(node.node)

            def assign(scope: dict[str, Any], out: list[str]) -> None:
                scope[name] = value(scope)

            return assign
        raise Unsupported(type(node).__name__)

    def output(self, node: nodes.Output) -> Statement:
        parts: list[str | Compiled] = [self.output_part(child) for child in node.nodes]

        def emit(scope: dict[str, Any], out: list[str]) -> None:
            for part in parts:
                out.append(part if isinstance(part, str) else str(part(scope)))

        return emit

    def output_part(self, node: nodes.Expr) -> str | Compiled:
        """Template text, or an output Jinja turns into text at compile time when it can, or an expression."""
        if isinstance(node, nodes.TemplateData):
            return str(node.data)
        try:
            return str(node.as_const(self.eval_ctx))  # Jinja's _output_child_to_const, with str() as finalize
        except Exception:
            return self.expr(node)

    def if_(self, node: nodes.If) -> Statement:
        branches = [(self.expr(node.test), self.statements(node.body))]
        branches += [(self.expr(elif_.test), self.statements(elif_.body)) for elif_ in node.elif_]
        otherwise = self.statements(node.else_)

        def run(scope: dict[str, Any], out: list[str]) -> None:
            for test, body in branches:
                if test(scope):
                    body(scope, out)
                    return
            otherwise(scope, out)

        return run
