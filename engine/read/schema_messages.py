"""JSON Schema errors in Interlock's own words, for every file Interlock reads against a schema.

jsonschema's messages are written for programmers and change between its releases; a compensation
designer reads `plans[0].measures[1].weight: expected a percentage (0.4 or 40%), got 'fifty'`.
Policy, configuration, waiver, baseline, knowledge and rule files all go through ``explain``.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from interlock.errors import Problem
from interlock.read.values import (
    FIRST_DAY,
    LAST_DAY,
    as_number,
    calendar_date,
    did_you_mean,
    show,
)
from interlock.read.yamlsource import DataPath, SourceIndex, clip, path_label

if TYPE_CHECKING:
    from jsonschema import ValidationError


_EXPECTED = {
    "percent": "a percentage (0.4 or 40%)",
    "quantity": "a number (or a percentage such as 25%)",
    "money": "an amount of money (a plain number)",
    "count": "a whole number",
    "date": "a date (YYYY-MM-DD)",
    "period": "a period such as FY2027 or 2027-Q3",
    "cap": "a number, a percentage or none",
    "plan cap": "a multiple of the target incentive (2x or 200%)",
}


_TYPES = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping",
    "null": "nothing",
}


#: What is wrong with a value that does not match the pattern of the schema `title`d so.
_PATTERNS = {
    "id": "is not a valid id: use lowercase letters, digits, '-' and '_'",
    "metric": "is not a valid id: use lowercase letters, digits, '-' and '_'",
    "department": "is not a valid id: use lowercase letters, digits, '-' and '_'",
    "milestone": "is not a valid id: use lowercase letters, digits, '-' and '_'",
    "metric id": "is not a valid metric id: use lowercase letters, digits and '_'",
    "kebab id": "is not a valid id: use lowercase letters, digits and '-'",
    "source id": "is not a source id of the domain brief (S1, L7, P12...)",
    "expression": "is not a formula: use metric ids, numbers, + - * / and parentheses",
    "percent": "is not a percentage (write 0.4 or 40%)",
    "quantity": "is not a number or a percentage (write 0.25 or 25%)",
    "cap": "is not a number, a percentage or none",
    "plan cap": "is not a multiple of the target incentive (write 2x or 200%)",
    "period": "is not a period (write FY2027, FY2027-Q3, FY2027-H2, 2027, 2027-Q3, 2027-H1 or 2027-07)",
    "currency": "is not an ISO currency code (three capital letters, e.g. USD)",
    "lag": "is not a lag: write 0 or a number with d, w, m, q or y (60d, 1q)",
}


def explain_errors(errors: Iterable[ValidationError]) -> list[tuple[DataPath, str, bool]]:
    """(path, message, located at the key?) for each problem the errors describe, each once, in order.

    jsonschema reports one `required` error per missing key, and each is explained with every key
    missing from its mapping; the duplicates are dropped here.
    """
    seen: dict[tuple[DataPath, str, bool], None] = {}
    for error in errors:
        seen.update(dict.fromkeys(explain(error)))
    return list(seen)


def problems_at(errors: Iterable[ValidationError], index: SourceIndex, display: str) -> list[Problem]:
    """One located problem per thing wrong: at the key for an unknown key, else at the value."""
    return [Problem(display, *(index.locate_key(path) if at_key else index.locate(path)), message)
            for path, message, at_key in explain_errors(errors)]


def explain(error: ValidationError) -> list[tuple[DataPath, str, bool]]:
    """(path, message, located at the key?) for one schema error, in Interlock's words, never jsonschema's."""
    path: DataPath = tuple(error.absolute_path)
    where = path_label(path)
    prefix = f"{where}: " if where else ""
    schema: Any = error.schema
    expected: Any = error.validator_value
    title = str(schema.get("title")) if isinstance(schema, Mapping) else ""
    kind, value = str(error.validator), error.instance
    if kind == "additionalProperties":
        known = list(schema.get("properties", {}))
        extra = sorted(set(value) - set(known)) if isinstance(value, dict) else []
        return [((*path, key), f"{prefix}unknown key {clip(key)!r}{_closest_key(key, known)}", True) for key in extra]
    if kind == "required":
        missing = [name for name in expected if isinstance(value, dict) and name not in value]
        return [(path, f"{prefix}missing required key {name!r}", False) for name in missing]
    return [(path, prefix + _value_message(kind, title, expected, value), False)]


def _closest_key(key: str, known: Sequence[str]) -> str:
    """A did-you-mean for a key, also across the two spellings Interlock's files use (fail-on, fiscal_year);
    with no close key, the keys a short mapping allows."""
    close = (did_you_mean(key, known) or did_you_mean(key.replace("_", "-"), known)
             or did_you_mean(key.replace("-", "_"), known))
    if close or not known or len(known) > _LISTED_KEYS:
        return close
    return f" (known keys: {', '.join(known)})"


#: Up to this many allowed keys, an unknown key's message lists them all.
_LISTED_KEYS = 10


def _value_message(kind: str, title: str, expected: Any, value: Any) -> str:
    """What is wrong with one value, in words."""
    if kind == "type":
        got = show(value) + _not_finite(value)
        return f"expected {_EXPECTED.get(title) or _expected_types(expected)}, got {got}"
    if kind == "enum":
        options = [str(option) for option in expected]
        hint = did_you_mean(value, options) if isinstance(value, str) else ""
        return f"{show(value)} is not one of {', '.join(options)}{hint}"
    if kind in ("pattern", "anyOf", "oneOf"):
        if title not in _PATTERNS and kind == "pattern":
            return f"{show(value)} is not in the expected form (the pattern {expected})"
        return f"{show(value)} {_PATTERNS.get(title, 'is not in the expected form')}"
    if kind == "format" and calendar_date(value) is not None:
        return f"{value} is outside the years {FIRST_DAY.year} to {LAST_DAY.year}"
    if kind == "format":
        return f"{show(value)} is not a valid date (write YYYY-MM-DD)"
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return _bound_message(kind, expected, value)
    count = len(value) if isinstance(value, list) else 0
    if kind == "minItems":
        return f"expected at least {expected} item{'s' if expected != 1 else ''}, got {count}"
    if kind == "maxItems":
        return f"expected at most {expected} items, got {count}"
    if kind == "uniqueItems":
        return f"lists {show(_first_repeated(value))} more than once"
    if kind == "const":
        return f"expected {show(expected)}, got {show(value)}"
    if kind == "minLength":
        return "must not be empty"
    return f"{show(value)} is not valid here ({kind})"


def _not_finite(value: object) -> str:
    """Why a number that looks like one is refused: NaN, infinity, or too large for arithmetic."""
    if isinstance(value, float) and not math.isfinite(value):
        return " (not a finite number)"
    if isinstance(value, (int, float)) and not isinstance(value, bool) and as_number(value) is None:
        return " (too large)"
    return ""


def _first_repeated(items: Sequence[Any]) -> Any:
    seen: list[Any] = []
    for item in items:
        if item in seen:
            return item
        seen.append(item)
    return None


def _expected_types(types: object) -> str:
    """``a number, true or false, or text``: each kind once (a whole number is a number too)."""
    names = [types] if isinstance(types, str) else list(types) if isinstance(types, list) else []
    if "number" in names and "integer" in names:
        names.remove("integer")
    words = [_TYPES.get(str(name), str(name)) for name in names]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])}{',' if len(words) > 2 else ''} or {words[-1]}"


def _bound_message(kind: str, bound: float, value: object) -> str:
    words = {
        "minimum": "is less than the minimum of",
        "maximum": "is greater than the maximum of",
        "exclusiveMinimum": "must be greater than",
        "exclusiveMaximum": "must be less than",
    }[kind]
    if isinstance(value, str):  # written as a percentage: answer in percent
        return f"{value} {words} {show(float(bound) * 100)}%"
    return f"{show(value)} {words} {show(bound)}"
