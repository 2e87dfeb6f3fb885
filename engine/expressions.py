"""Jinja expressions and templates inside rule files, evaluated in a sandbox.

Rule files hold no Python: what they compute (a derived fact's fields, a
finding's identity, its message) is a Jinja expression or template over the
bound facts and the rule's options. Jinja's sandbox keeps rule packs from
reaching Python internals; StrictUndefined turns a typo into an error instead
of an empty string.
"""
from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError
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
    from interlock.money import money_filter

    env.filters.update(percent=percent, number=number, direction=direction, moves=moves, date=date,
                       money=money_filter)
    return env


def syntax_error(source: str, *, template: bool) -> str | None:
    """The first syntax error in an expression or template, or None."""
    try:
        if template:
            environment().from_string(source)
        else:
            environment().compile_expression(source)
    except TemplateSyntaxError as exc:
        return exc.message or "invalid Jinja syntax"
    return None


@cache
def expression(source: str) -> Callable[..., Any]:
    return environment().compile_expression(source, undefined_to_none=False)


@cache
def template(source: str) -> Any:
    return environment().from_string(source)


def evaluate(source: str, context: Mapping[str, Any]) -> Any:
    return expression(source)(**context)


def render(source: str, context: Mapping[str, Any]) -> str:
    return str(template(source).render(**context)).strip()


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
