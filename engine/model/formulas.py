"""Driver formulas: a safe arithmetic parser and an exact (Decimal) evaluator.

A formula is one line of arithmetic over metric ids and numbers
(``sql_count * win_rate * avg_deal_size``): ``+ - * /``, unary minus and
parentheses, nothing else. It is parsed with Python's ``ast`` module and every
node is checked against a whitelist (no calls, no attributes, no powers, no
comparisons), then turned into a small tree of our own; nothing is ever
``eval``-ed. Numbers are Decimal, so ``0.1 * 3`` is exactly ``0.3``.

``FormulaSet`` is the effective set of an organization (built-in formulas from
rules/knowledge/formulas.yaml, replaced or extended by the organization's own):
one formula per output metric, an organization's formula winning over a
built-in one for the same output. It expands a metric down to its drivers
(``new_business`` -> ``mql_count * mql_to_sql_rate * win_rate * avg_deal_size``)
so engine/knowledge/quant/ can multiply each department's own assumptions out.

Cycles between formulas (``a = b * 2``, ``b = a / 2``) and two formulas of an
organization for one output are validation problems, reported at the
organization's formula (``formula_problems``); unknown metric ids in an
organization's formula are reported by validate.py.
"""
from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, DivisionByZero, InvalidOperation
from typing import Union

from interlock.model.model import Formula, Location

#: Longest expression accepted: formulas are one line of arithmetic, not programs.
MAX_LENGTH = 1000


class FormulaError(ValueError):
    """An expression that is not plain arithmetic, or that cannot be evaluated (unknown name, division by zero)."""


@dataclass(frozen=True)
class Num:
    value: Decimal


@dataclass(frozen=True)
class Var:
    name: str


@dataclass(frozen=True)
class BinOp:
    op: str  # + - * /
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Neg:
    operand: Expr


Expr = Union[Num, Var, BinOp, Neg]

_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}


# -- parsing ------------------------------------------------------------------------------------


def parse(expression: str, canonical: Callable[[str], str] | None = None) -> Expr:
    """The tree of ``expression``; names go through ``canonical`` (aliases to metric ids)."""
    if not isinstance(expression, str) or not expression.strip():
        raise FormulaError("an empty formula")
    if len(expression) > MAX_LENGTH:
        raise FormulaError(f"a formula longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise FormulaError(f"{expression!r} is not arithmetic: {exc.__class__.__name__}") from exc
    name = canonical or (lambda n: n)
    try:
        return _convert(tree.body, name)
    except RecursionError as exc:
        raise FormulaError(f"{expression!r} is nested too deeply") from exc


def _convert(node: ast.AST, name: Callable[[str], str]) -> Expr:
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return BinOp(_OPS[type(node.op)], _convert(node.left, name), _convert(node.right, name))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return Neg(_convert(node.operand, name))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd):
        return _convert(node.operand, name)
    if isinstance(node, ast.Name):
        return Var(name(node.id))
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        value = Decimal(repr(node.value)) if isinstance(node.value, float) else Decimal(node.value)
        if not value.is_finite():
            raise FormulaError(f"{node.value!r} is not a finite number")
        return Num(value)
    what = type(node).__name__
    if isinstance(node, ast.BinOp):
        what = f"the operator {type(node.op).__name__}"
    raise FormulaError(f"not allowed in a formula: {what} (use metric ids, numbers, + - * / and parentheses)")


def variables(expr: Expr) -> frozenset[str]:
    """Every metric id the expression uses."""
    if isinstance(expr, Var):
        return frozenset({expr.name})
    if isinstance(expr, BinOp):
        return variables(expr.left) | variables(expr.right)
    if isinstance(expr, Neg):
        return variables(expr.operand)
    return frozenset()


# -- evaluation ---------------------------------------------------------------------------------


def evaluate(expr: Expr, env: Mapping[str, Decimal]) -> Decimal:
    """The exact value of ``expr``; FormulaError for an unknown name or a division by zero."""
    if isinstance(expr, Num):
        return expr.value
    if isinstance(expr, Var):
        if expr.name not in env:
            raise FormulaError(f"no value for {expr.name!r}")
        return Decimal(env[expr.name])
    if isinstance(expr, Neg):
        return -evaluate(expr.operand, env)
    left, right = evaluate(expr.left, env), evaluate(expr.right, env)
    if expr.op == "+":
        return left + right
    if expr.op == "-":
        return left - right
    if expr.op == "*":
        return left * right
    if right == 0:
        raise FormulaError("division by zero")
    try:
        return left / right
    except (DivisionByZero, InvalidOperation) as exc:  # pragma: no cover - guarded above
        raise FormulaError("division by zero") from exc


def render(expr: Expr, leaf: Callable[[str], str], number: Callable[[Decimal], str] | None = None) -> str:
    """``expr`` as people read it: ``4,000 x 50% x 20.75% x EUR 18,000``, with parentheses only where needed."""
    return _render(expr, 0, False, "", leaf, number or (lambda d: format(d.normalize(), "f")))


def _render(node: Expr, parent: int, right_side: bool, parent_op: str, leaf: Callable[[str], str],
            number: Callable[[Decimal], str]) -> str:
    if isinstance(node, Num):
        return number(node.value)
    if isinstance(node, Var):
        return leaf(node.name)
    if isinstance(node, Neg):
        return f"-{_render(node.operand, 3, False, '', leaf, number)}"
    level = _PRECEDENCE[node.op]
    symbol = {"*": "x", "/": "/", "+": "+", "-": "-"}[node.op]
    left = _render(node.left, level, False, node.op, leaf, number)
    right = _render(node.right, level, True, node.op, leaf, number)
    text = f"{left} {symbol} {right}"
    needs = level < parent or (right_side and level == parent and parent_op in ("-", "/"))
    return f"({text})" if needs else text


def substitute(expr: Expr, replace: Callable[[str], Expr | None]) -> Expr:
    """``expr`` with every variable for which ``replace`` returns a tree replaced by it."""
    if isinstance(expr, Var):
        found = replace(expr.name)
        return expr if found is None else found
    if isinstance(expr, BinOp):
        return BinOp(expr.op, substitute(expr.left, replace), substitute(expr.right, replace))
    if isinstance(expr, Neg):
        return Neg(substitute(expr.operand, replace))
    return expr


# -- the effective set of formulas ---------------------------------------------------------------


@dataclass(frozen=True)
class Compiled:
    formula: Formula
    expr: Expr
    output: str

    @property
    def inputs(self) -> frozenset[str]:
        return variables(self.expr)


class FormulaSet:
    """One formula per output metric: the organization's wins over the built-in one, then the smallest id."""

    def __init__(self, formulas: Iterable[Formula], canonical: Callable[[str], str] | None = None) -> None:
        name = canonical or (lambda n: n)
        ranked: dict[str, Compiled] = {}
        for formula in sorted(formulas, key=lambda f: (f.at is None, f.id)):
            try:
                compiled = Compiled(formula, parse(formula.expression, name), name(formula.output))
            except FormulaError:
                continue  # validate.py reports it for an organization's formula; built-in ones are tested
            ranked.setdefault(compiled.output, compiled)
        self.by_output: dict[str, Compiled] = dict(sorted(ranked.items()))

    def get(self, output: str) -> Compiled | None:
        return self.by_output.get(output)

    def depends_on(self, output: str, metric: str) -> int | None:
        """How many formula levels separate ``output`` from ``metric`` (None if it does not depend on it)."""
        best: int | None = None
        stack: list[tuple[str, int, frozenset[str]]] = [(output, 0, frozenset())]
        while stack:
            current, depth, seen = stack.pop()
            compiled = self.by_output.get(current)
            if compiled is None or current in seen:
                continue
            for name in compiled.inputs:
                if name == metric:
                    best = depth + 1 if best is None else min(best, depth + 1)
                else:
                    stack.append((name, depth + 1, seen | {current}))
        return best

    def expand(self, output: str, should_expand: Callable[[str], bool]) -> Expr | None:
        """``output``'s formula with every input for which ``should_expand`` holds replaced by its own formula."""
        compiled = self.by_output.get(output)
        if compiled is None:
            return None

        def grow(expr: Expr, seen: frozenset[str]) -> Expr:
            def replace(name: str) -> Expr | None:
                inner = self.by_output.get(name)
                if inner is None or name in seen or not should_expand(name):
                    return None
                return grow(inner.expr, seen | {name})

            return substitute(expr, replace)

        return grow(compiled.expr, frozenset({output}))

    def evaluate(self, output: str, env: Mapping[str, Decimal]) -> Decimal | None:
        """``output`` from ``env``, expanding inputs ``env`` lacks; None when a driver is missing."""
        expr = self.expand(output, lambda name: name not in env)
        if expr is None:
            return None
        try:
            return evaluate(expr, env)
        except FormulaError:
            return None


def formula_problems(formulas: Iterable[Formula], canonical: Callable[[str], str] | None = None) -> list[tuple[Location, str]]:
    """Cycles through an organization's formulas, and two of its formulas for one output, at the formula."""
    name = canonical or (lambda n: n)
    compiled: list[Compiled] = []
    for formula in sorted(formulas, key=lambda f: (f.at is None, f.id)):
        try:
            compiled.append(Compiled(formula, parse(formula.expression, name), name(formula.output)))
        except FormulaError:
            continue
    problems: list[tuple[Location, str]] = []
    chosen: dict[str, Compiled] = {}
    for item in compiled:
        first = chosen.setdefault(item.output, item)
        if first is not item and item.formula.at is not None and first.formula.at is not None:
            problems.append((item.formula.at, f"formulas: {item.formula.id!r} computes {item.output!r}, which formula "
                                              f"{first.formula.id!r} already computes (at {first.formula.at})"))
    graph = {output: sorted(item.inputs & set(chosen)) for output, item in chosen.items()}
    for cycle in _cycles(graph):
        members = [chosen[output] for output in cycle]
        loop = " -> ".join([*cycle, cycle[0]])
        for item in members:
            if item.formula.at is not None:
                problems.append((item.formula.at, f"formulas: {item.formula.id!r} is part of a cycle between "
                                                  f"formulas: {loop}"))
    return problems


def _cycles(graph: Mapping[str, list[str]]) -> list[list[str]]:
    """Every strongly connected component that is a cycle (Tarjan), each rotated to start at its smallest node."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def connect(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, []):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, []):
                found.append(_ordered(component, graph))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return sorted(found)


def _ordered(component: list[str], graph: Mapping[str, list[str]]) -> list[str]:
    """The members of a cycle in the order the formulas reach each other, from the smallest."""
    members = set(component)
    start = min(component)
    order = [start]
    current = start
    while len(order) < len(members):
        nxt = next((n for n in graph.get(current, []) if n in members and n not in order), None)
        if nxt is None:
            break
        order.append(nxt)
        current = nxt
    order.extend(sorted(members - set(order)))
    return order
