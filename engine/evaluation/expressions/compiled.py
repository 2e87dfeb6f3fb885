"""Rule sources compiled once: closures where the fast path covers them, Jinja's own code otherwise.

These are the entry points the rest of Interlock uses (``evaluate``, ``render``, ``syntax_error``).
A source is compiled to closures at most once; what the closures leave to Jinja at compile time
(``Unsupported``) or at run time (``Fallback``) is evaluated by Jinja, so results, errors and
sandbox refusals are Jinja's.
"""
from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from jinja2 import TemplateSyntaxError

from interlock.evaluation.expressions.arithmetic import ArithmeticNodes
from interlock.evaluation.expressions.calls import CallNodes
from interlock.evaluation.expressions.closures import Compiled, Fallback, Rendered, Unsupported
from interlock.evaluation.expressions.logic import LogicNodes
from interlock.evaluation.expressions.lookups import LookupNodes
from interlock.evaluation.expressions.sandbox import (environment, jinja_evaluate, jinja_expression, jinja_render,
                                                      jinja_template)
from interlock.evaluation.expressions.templates import TemplateStatements
from interlock.evaluation.expressions.trees import parse_expression, parse_template


class _Compiler(TemplateStatements, LogicNodes, ArithmeticNodes, LookupNodes, CallNodes):
    """The whole fast path: templates and every node family the rule catalog uses."""


@cache
def _fast_expression(source: str) -> Compiled | None:
    """Closures for the expression, or None where Jinja must evaluate it; raises on a syntax error."""
    try:
        return _Compiler(environment()).expr(parse_expression(source))
    except Unsupported:
        return None


@cache
def _fast_template(source: str) -> Rendered | None:
    """Closures for the template, or None where Jinja must render it; raises on a syntax error."""
    try:
        return _Compiler(environment()).template(parse_template(source))
    except Unsupported:
        return None


@cache
def compile_expression(source: str) -> Compiled:
    """The expression as a callable over a context: closures when they cover it, Jinja otherwise.

    Raises TemplateSyntaxError for a broken expression, like Jinja.
    """
    fast = _fast_expression(source)
    if fast is None:
        reference = jinja_expression(source)
        return lambda ctx: reference(**ctx)

    def run(ctx: Mapping[str, Any]) -> Any:
        try:
            return fast(ctx)
        except Fallback:
            return jinja_evaluate(source, ctx)

    return run


@cache
def compile_template(source: str) -> Rendered:
    """The template as a callable over a context returning its text (not stripped)."""
    fast = _fast_template(source)
    if fast is None:
        reference = jinja_template(source)
        return lambda ctx: str(reference.render(**ctx))

    def run(ctx: Mapping[str, Any]) -> str:
        try:
            return fast(ctx)
        except Fallback:
            return jinja_render(source, ctx)

    return run


def evaluate(source: str, context: Mapping[str, Any]) -> Any:
    return compile_expression(source)(context)


def render(source: str, context: Mapping[str, Any]) -> str:
    return compile_template(source)(context).strip()


def syntax_error(source: str, *, template: bool) -> str | None:
    """The first syntax error in an expression or template, or None.

    A source the fast path covers is checked by parsing alone (every filter and
    test it names exists, so Jinja's code generator would accept it too); any
    other source is compiled by Jinja as before, so every error Jinja reports
    is still reported, with Jinja's message.
    """
    try:
        if template:
            if _fast_template(source) is None:
                jinja_template(source)
        elif _fast_expression(source) is None:
            jinja_expression(source)
    except TemplateSyntaxError as exc:
        return exc.message or "invalid Jinja syntax"
    return None
