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
    """+1 -> 'raise', -1 -> 'lower', 0 -> 'hold' (a band target pays for holding the metric within it)."""
    return "raise" if int(value) > 0 else "hold" if int(value) == 0 else "lower"


def moves(value: Any) -> str:
    return "rises" if int(value) > 0 else "falls"


#: Letters whose spoken name starts with a vowel sound: "an HR metric", "an SDR team", "a USD amount".
_VOWEL_LETTERS = frozenset("AEFHILMNORSX")
#: Words that start with a vowel letter and a consonant sound, or a silent h.
_CONSONANT_SOUND = ("uni", "use", "usu", "uti", "eu", "one", "once", "ur")
_SILENT_H = ("hour", "honest", "honor", "honour", "heir")
#: Function ids as written in a sentence.
_FUNCTIONS = {"hr": "HR", "it": "IT", "fp-and-a": "FP&A", "fpa": "FP&A", "r-and-d": "R&D"}


def article(phrase: Any) -> str:
    """'operations metric' -> 'an operations metric'; 'HR metric' -> 'an HR metric'; 'unit' -> 'a unit'."""
    text = str(phrase).strip()
    word = text.split(" ", 1)[0] if text else ""
    if not word:
        return text
    letters = word.strip("(\"'")
    if len(letters) >= 2 and letters.isupper():  # an acronym, read letter by letter
        vowel = letters[0] in _VOWEL_LETTERS
    elif letters[:1].isdigit():
        vowel = letters.startswith(("8", "11", "18")) and not letters.startswith(("110", "180"))
    else:
        low = letters.lower()
        vowel = (low[:1] in "aeiou" and not low.startswith(_CONSONANT_SOUND)) or low.startswith(_SILENT_H)
    return f"{'an' if vowel else 'a'} {text}"


def possessive(name: Any) -> str:
    """'Sales' -> "Sales'", 'Marketing' -> "Marketing's", 'Professional services' -> "Professional services'"."""
    text = str(name)
    return f"{text}'" if text.endswith(("s", "S")) and not text.endswith(("ss", "SS")) else f"{text}'s"


def mid_sentence(value: Any) -> str:
    """'Product specialist' -> 'product specialist'; acronyms ('SDR team', 'HR partner') stay as written."""
    text = str(value)
    return text if text[:2].isupper() else text[:1].lower() + text[1:]


def function_name(value: Any) -> str:
    """A function id as a sentence reads it: 'accounts-payable' -> 'accounts payable', 'hr' -> 'HR'."""
    text = str(value)
    return _FUNCTIONS.get(text.lower(), text.replace("-", " ").replace("_", " "))


@cache
def environment() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
    from interlock.model.money import money_filter

    env.filters.update(percent=percent, number=number, direction=direction, moves=moves, date=date,
                       money=money_filter, article=article, possessive=possessive, function=function_name,
                       mid_sentence=mid_sentence)
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
