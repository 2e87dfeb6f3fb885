"""The sandboxed Jinja environment rule files are evaluated in, and Jinja's own evaluation path.

Everything here is what Jinja alone would do: the environment (its filters), Jinja's compiled
expressions and templates, and the context an expression sees. The fast path (``compiled``) is
checked against these, and hands them what it does not cover.
"""
from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

Names = Mapping[str, str]


def percent(value: Any, digits: int = 0) -> str:
    """0.4 -> '40%': how compensation designers read weights and rates."""
    number = float(value) * 100
    text = f"{number:.{digits}f}"
    if digits and "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


def number(value: Any, digits: int = 2) -> str:
    """A readable number: thousands separators, no trailing zeros."""
    number_ = float(value)
    if number_.is_integer():
        return f"{int(number_):,}"
    return f"{number_:,.{digits}f}".rstrip("0").rstrip(".")


def date(value: Any) -> str:
    """A day number of the facts (days since 1970-01-01) -> '2027-06-30'."""
    return (datetime.date(1970, 1, 1) + datetime.timedelta(days=int(value))).isoformat()


def direction(value: Any) -> str:
    return "raise" if int(value) > 0 else "lower"


def moves(value: Any) -> str:
    return "rises" if int(value) > 0 else "falls"


@cache
def environment() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
    from interlock.model.money import money_filter

    env.filters.update(percent=percent, number=number, direction=direction, moves=moves, date=date,
                       money=money_filter)
    return env


# --- the Jinja path: the reference, and the fallback of the fast path ----------------------------


@cache
def jinja_expression(source: str) -> Callable[..., Any]:
    """Jinja's own compiled expression (codegen + exec), built only when needed."""
    return environment().compile_expression(source, undefined_to_none=False)


@cache
def jinja_template(source: str) -> Any:
    """Jinja's own compiled template, built only when needed."""
    return environment().from_string(source)


def jinja_evaluate(source: str, context: Mapping[str, Any]) -> Any:
    """The expression's value computed by Jinja alone: the reference for the fast path."""
    return jinja_expression(source)(**context)


def jinja_render(source: str, context: Mapping[str, Any]) -> str:
    """The template's text rendered by Jinja alone (not stripped)."""
    return str(jinja_template(source).render(**context))


# --- what an expression sees ------------------------------------------------------------------------


def context(bindings: Mapping[str, Mapping[str, Any]], options: Mapping[str, Any], names: Names | None = None) -> dict[str, Any]:
    """What an expression sees: the bound facts by alias, ``options`` and ``name``."""
    lookup = names or {}

    def name(value: Any) -> str:
        return lookup.get(str(value), str(value).replace("_", " "))

    def chain(start: Any, path: Mapping[str, Any]) -> str:
        """'B falls -> C falls -> D rises': each metric on a path after the paid one."""
        metrics = str(path["via"]).split(">")[1:]
        steps, current = [], int(start)
        for metric, sign in zip(metrics, str(path["signs"])):
            current *= 1 if sign == "+" else -1
            steps.append(f"{name(metric)} {moves(current)}")
        return " -> ".join(steps)

    return {**bindings, "options": options, "name": name, "chain": chain}
