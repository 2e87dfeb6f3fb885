"""The policy files' JSON Schema pass: a fast verdict for valid documents, and for the rest every
violation worded for a compensation designer, at its file:line:col."""
from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from interlock import resources
from interlock.errors import Problem
from interlock.read.loader import Document
from interlock.read.schema_messages import explain_errors
from interlock.read.values import (
    PERCENT,
    as_number,
    is_plan_date,
    parse_percent,
)
from interlock.read.yamlsource import DataPath

if TYPE_CHECKING:
    from jsonschema import ValidationError


def _is_number(checker: object, value: object) -> bool:
    """NaN, infinity and integers too large for arithmetic are not numbers a plan can use."""
    return as_number(value) is not None


def _is_integer(checker: object, value: object) -> bool:
    """A whole number small enough for arithmetic (a 400-digit headcount is not one)."""
    from jsonschema import Draft202012Validator

    return bool(Draft202012Validator.TYPE_CHECKER.is_type(value, "integer")) and as_number(value) is not None


def _bound(name: str, beyond: Callable[[float, float], bool]) -> Callable[..., Iterator[ValidationError]]:
    """minimum/maximum that also read percent strings ('-20%'), which plain JSON Schema ignores."""

    def check(validator: Any, bound: float, instance: object, schema: Mapping[str, Any]) -> Iterator[ValidationError]:
        from jsonschema import ValidationError

        value = parse_percent(instance) if isinstance(instance, str) else as_number(instance)
        if value is not None and beyond(value, bound):
            yield ValidationError(f"{name} {bound}", validator=name, validator_value=bound, instance=instance)

    return check


@cache
def _validator() -> Any:
    """jsonschema with the policy language's number, percent-aware bounds and plan-date format."""
    import jsonschema
    from jsonschema import Draft202012Validator

    policy_validator = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
        Draft202012Validator,
        validators={
            "minimum": _bound("minimum", lambda v, b: v < b),
            "maximum": _bound("maximum", lambda v, b: v > b),
        },
        type_checker=Draft202012Validator.TYPE_CHECKER.redefine_many({"number": _is_number, "integer": _is_integer}),
    )
    formats = jsonschema.FormatChecker()
    formats.checks("date")(is_plan_date)
    return policy_validator(resources.schema("policy"), format_checker=formats)


def json_view(value: Any) -> Any:
    """The data as JSON would hold it: dates as ISO text (what a YAML 1.2 editor sees)."""
    if isinstance(value, dict):
        return {k: json_view(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_view(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def schema_problems(doc: Document) -> list[Problem]:
    """Every schema violation in one document, worded for a compensation designer."""
    return [problem for _, problem in schema_errors(doc)]


_ISO_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}")


@cache
def _fast_verdict() -> Any:
    """jsonschema-rs on the policy schema: ~100x faster than jsonschema, with standard semantics."""
    return resources.SchemaCheck(resources.schema("policy"), formats=True, exact=_validator)


def standard(value: Any) -> bool:
    """True when the policy validator's extensions cannot matter for ``value``: no percent text
    (its minimum and maximum read '40%'), no NaN, infinity or number too large for arithmetic
    (not numbers to it), no date text outside the years plans mean (its `date` format). Then
    standard JSON Schema, and so jsonschema-rs, decides the same."""
    if isinstance(value, dict):
        return all(standard(v) for v in value.values())
    if isinstance(value, list):
        return all(standard(v) for v in value)
    if isinstance(value, str):
        return PERCENT.match(value.strip()) is None and (_ISO_DAY.match(value) is None or is_plan_date(value))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return as_number(value) is not None
    return True


def fast_valid(view: Any) -> bool:
    """True when jsonschema-rs finds the document valid under the policy language's own semantics:
    the percent-aware verdict for documents whose numbers are all plain, else the standard one for
    standard documents. False means "ask jsonschema", never "invalid"."""
    if not _plain(view):
        return False
    verdict = _percent_verdict()
    if verdict is not None:
        try:
            return bool(verdict.is_valid(view))
        except Exception:  # a value jsonschema-rs cannot read: jsonschema judges it
            return False
    return standard(view) and _fast_verdict().passes(view)


def _plain(value: Any) -> bool:
    """No NaN, infinity or number too large for arithmetic (which the policy validator's types refuse)."""
    if isinstance(value, dict):
        return all(_plain(v) for v in value.values())
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return as_number(value) is not None
    return True


#: The keyword the percent-aware verdict adds next to every minimum and maximum of the policy schema.
PERCENT_BOUNDS = "x-interlock-percent-bounds"


_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")


_SCHEMA_VALUES = ("items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames",
                  "unevaluatedItems", "unevaluatedProperties")


_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")


class _PercentBounds:
    """jsonschema-rs keyword: a minimum or maximum also bounds percent text ('140%' is 1.4), as ``_bound`` does."""

    def __init__(self, _parent: Mapping[str, Any], value: Mapping[str, float], _path: Sequence[str | int]) -> None:
        self.minimum, self.maximum = value.get("minimum"), value.get("maximum")

    def validate(self, instance: Any) -> None:
        if not isinstance(instance, str):
            return  # numbers: the standard minimum and maximum
        value = parse_percent(instance)
        if value is None:
            return
        if self.minimum is not None and value < self.minimum or self.maximum is not None and value > self.maximum:
            raise ValueError(f"{instance} is out of bounds")


def with_percent_bounds(schema: Any) -> Any:
    """A copy of a JSON Schema where every subschema with a numeric minimum or maximum also carries
    ``PERCENT_BOUNDS`` (keys of `properties` and `$defs` are names, not keywords, and stay as they are)."""
    if isinstance(schema, list):
        return [with_percent_bounds(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    copy: dict[str, Any] = {}
    for word, value in schema.items():
        if word in _SCHEMA_MAPS and isinstance(value, dict):
            copy[word] = {name: with_percent_bounds(sub) for name, sub in value.items()}
        elif word in _SCHEMA_VALUES or word in _SCHEMA_LISTS:
            copy[word] = with_percent_bounds(value)
        else:
            copy[word] = value
    bounds = {word: schema[word] for word in ("minimum", "maximum")
              if isinstance(schema.get(word), (int, float)) and not isinstance(schema.get(word), bool)}
    if bounds:
        copy[PERCENT_BOUNDS] = bounds
    return copy


@cache
def _percent_verdict() -> Any:
    """jsonschema-rs with the policy validator's extensions (percent-aware bounds, the plan-date
    format), or None where jsonschema-rs cannot take custom keywords: then the standard verdict."""
    try:
        import jsonschema_rs

        return jsonschema_rs.validator_for(with_percent_bounds(resources.schema("policy")), validate_formats=True,
                                           formats={"date": is_plan_date}, keywords={PERCENT_BOUNDS: _PercentBounds})
    except Exception:  # not installed, too old for custom keywords, or a schema it refuses
        return None


def schema_errors(doc: Document) -> list[tuple[DataPath, Problem]]:
    found: list[tuple[DataPath, Problem]] = []
    view = json_view(doc.data)
    if fast_valid(view):
        return found  # valid: jsonschema would find nothing (tests/model/test_validate.py, test_fast_policy_verdict.py)
    for path, message, at_key in explain_errors(_validator().iter_errors(view)):
        # A YAML index gives (line, column); a workbook's (row, column, sheet): engine/read/workbook.py.
        place = doc.index.locate_key(path) if at_key else doc.index.locate(path)
        found.append((path, Problem(doc.path, *place[:2], message, *place[2:])))
    return found


def every_schema_error(documents: Sequence[Document], cache: bool = True) -> list[list[tuple[DataPath, Problem]]]:
    """``schema_errors`` of each document. With the cache (engine/read/cache.py), a set of documents found
    valid before, to the byte of what the schema sees, is not checked again: a warm `check` of unchanged
    files never loads jsonschema-rs (~15 ms), and at 10,000 departments skips ~1 s of verdicts for
    ~0.3 s of hashing. Only a wholly valid set is remembered, so every problem is reported on every run."""
    entry = _verdict_key(documents) if cache else None
    if entry is not None:
        from interlock.read.cache import Store

        store = Store.open()
        if store.load("verdicts", entry, _valid) is not None:
            return [[] for _doc in documents]
    found = [schema_errors(doc) for doc in documents]
    if entry is not None and not any(found):
        store.save("verdicts", entry, True)
    return found


def _valid(value: Any) -> bool:
    if value is not True:
        raise ValueError("not a verdict")
    return True


def _verdict_key(documents: Sequence[Document]) -> str | None:
    """The digest of what the schema sees of each document (in order), the schema and jsonschema-rs's
    build; None when a document holds a value JSON cannot write exactly (then it is checked)."""
    import hashlib
    import json

    from interlock.read.cache import key

    digest = hashlib.sha256()
    try:
        for doc in documents:
            # what json_view gives, written directly: a date as its ISO text (a date as a key: no key)
            text = json.dumps(doc.data, ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=_iso)
            data = text.encode("utf-8", "surrogatepass")
            digest.update(len(data).to_bytes(8, "big"))
            digest.update(data)
        schema = (resources.rules_dir() / "schema" / "policy.schema.json").read_bytes()
        return key("policy-verdicts", schema, _verdict_build(),
                   str(len(documents)), digest.hexdigest())
    except (TypeError, ValueError, OSError):
        return None


def _iso(value: object) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


def _verdict_build() -> str:
    """jsonschema-rs's installed build (its dist-info and library names), found without importing it."""
    import os
    from importlib.util import find_spec

    try:
        spec = find_spec("jsonschema_rs")
        if spec is None or not spec.origin:
            return "none"
        folder = os.path.dirname(os.path.dirname(spec.origin))
        return repr(sorted(n for n in os.listdir(folder) if n.lower().startswith("jsonschema_rs")))
    except (OSError, ImportError, ValueError):
        return "unknown"
