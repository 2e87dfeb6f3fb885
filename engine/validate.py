"""Check policy files strictly and build the normalized Organization from them.

Two passes, both reporting everything they find: the JSON Schema (shape, types,
ranges, unknown keys) and the semantic checks the schema cannot express
(duplicate ids across files, unknown references with a did-you-mean, cycles,
file defaults). Every problem is ``file:line:col: data.path: message``; the
builder never trusts its input, because it also runs over files the schema
rejected so that all problems come out at once.
"""
from __future__ import annotations

import ast
import calendar
import datetime
import difflib
import math
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

from interlock import knowledge, resources
from interlock.errors import InputError, Problem
from interlock.loader import Document
from interlock.model import (
    Assumption,
    Clawback,
    CurvePoint,
    Definition,
    Department,
    Dependency,
    Formula,
    Gate,
    Hire,
    Holdback,
    Influence,
    Lever,
    Location,
    Measure,
    Metric,
    Milestone,
    Modifier,
    NonConflict,
    Objective,
    Organization,
    Plan,
    Spend,
    Target,
)
from interlock.yamlsource import DataPath, clip, path_label

if TYPE_CHECKING:  # jsonschema is imported only when a document fails the fast verdict
    from jsonschema import ValidationError

PERCENT = re.compile(r"^([+-]?[0-9]+(?:\.[0-9]+)?)\s*%$")
#: Dates a plan can mean: the fiscal years the schema allows (1900 to 2999). Far enough from the
#: calendar's ends (year 1, year 9999) that date arithmetic downstream (ramps, slips, periods) cannot overflow.
FIRST_DAY, LAST_DAY = datetime.date(1900, 1, 1), datetime.date(2999, 12, 31)
COMPANY = "company"
DIRECTIONS = {"up": 1, "down": -1}


def validate(documents: Sequence[Document], *, cache: bool = True) -> Organization:
    """The organization the documents describe; InputError with every problem if they are not valid.

    ``cache`` lets the built-in knowledge base come from the on-disk cache (engine/cache.py)."""
    documents = sorted(documents, key=lambda d: d.path)
    problems: list[Problem] = []
    invalid: set[tuple[str, DataPath]] = set()
    for doc in documents:
        problems.extend(doc.problems)
        for path, problem in _schema_errors(doc):
            problems.append(problem)
            invalid.add((doc.path, path))
    if any(doc.problems for doc in documents):
        raise InputError(problems)  # a file we could not read would make every reference to it look wrong
    organization = _Builder(documents, knowledge.builtin(cache), problems, invalid).build()
    if problems:
        raise InputError(problems)
    return organization


# --- values --------------------------------------------------------------------------------------


def parse_percent(value: object) -> float | None:
    """``0.4`` and ``'40%'`` are both 0.4; anything else is None."""
    if isinstance(value, str):
        match = PERCENT.match(value.strip())
        return float(match.group(1)) / 100 if match else None
    return as_number(value)


#: The largest magnitude a plan value may have: money arithmetic runs in 28 significant digits
#: (Decimal's context), so amounts stay well inside it; no plan needs a number this large.
LARGEST = 1e21


def as_number(value: object) -> float | None:
    """A finite number of a size arithmetic can carry, or None: NaN, infinity and numbers beyond
    ``LARGEST`` (a 27-digit amount would overflow money arithmetic) are not amounts."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer of hundreds of digits
        return None
    return number if math.isfinite(number) and abs(number) <= LARGEST else None


def as_int(value: object) -> int | None:
    number = as_number(value)
    return int(number) if number is not None and number.is_integer() else None


def as_date(value: object) -> datetime.date | None:
    """A date a plan can hold: real (not 2027-02-30) and within FIRST_DAY..LAST_DAY, else None."""
    day = _calendar_date(value)
    return day if day is not None and FIRST_DAY <= day <= LAST_DAY else None


def _calendar_date(value: object) -> datetime.date | None:
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _is_plan_date(instance: object) -> bool:
    """The schema's `date` format: YYYY-MM-DD, a real day, in the years plans can mean."""
    return not isinstance(instance, str) or as_date(instance) is not None


def shift_months(day: datetime.date, months: int) -> datetime.date | None:
    """``add_months`` that answers None past the calendar's ends (year 0, year 10000) instead of raising."""
    try:
        return add_months(day, months)
    except (ValueError, OverflowError):
        return None


def as_money(value: object) -> Decimal | None:
    number = as_number(value)
    return Decimal(str(value)) if number is not None else None


def show(value: object) -> str:
    """A value as the user would write it in YAML."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return repr(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, int):
        text = str(value)
        return text if len(text) <= 20 else f"a {len(text)}-digit number"
    if isinstance(value, str):
        return repr(clip(value))
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def written(value: object) -> str:
    """A number as written: ``40%`` stays ``40%``."""
    return value if isinstance(value, str) else show(value)


def quote(text: str) -> str:
    """A name from the input, quoted for a message and clipped to one readable line."""
    return repr(clip(text))


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    if len(name) > 100:  # nothing that long is a typo of a short name, and difflib is quadratic
        return ""
    close = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


# --- the schema pass -----------------------------------------------------------------------------


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
    formats.checks("date")(_is_plan_date)
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
    return [problem for _, problem in _schema_errors(doc)]


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
        return PERCENT.match(value.strip()) is None and (_ISO_DAY.match(value) is None or _is_plan_date(value))
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
                                           formats={"date": _is_plan_date}, keywords={PERCENT_BOUNDS: _PercentBounds})
    except Exception:  # not installed, too old for custom keywords, or a schema it refuses
        return None


def _schema_errors(doc: Document) -> list[tuple[DataPath, Problem]]:
    found: list[tuple[DataPath, Problem]] = []
    view = json_view(doc.data)
    if fast_valid(view):
        return found  # valid: jsonschema would find nothing (tests/test_validate.py, test_fast_policy_verdict.py)
    for error in _validator().iter_errors(view):
        for path, message, at_key in _explain(error):
            # A YAML index gives (line, column); a workbook's (row, column, sheet): engine/workbook.py.
            place = doc.index.locate_key(path) if at_key else doc.index.locate(path)
            found.append((path, Problem.at(Location(doc.path, *place), message)))
    return found


_EXPECTED = {
    "percent": "a percentage (0.4 or 40%)",
    "quantity": "a number (or a percentage such as 25%)",
    "money": "an amount of money (a plain number)",
    "count": "a whole number",
    "date": "a date (YYYY-MM-DD)",
    "period": "a period such as FY2027 or 2027-Q3",
    "cap": "a number, a percentage or none",
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
    "period": "is not a period (write FY2027, FY2027-Q3, FY2027-H2, 2027, 2027-Q3, 2027-H1 or 2027-07)",
    "currency": "is not an ISO currency code (three capital letters, e.g. USD)",
    "lag": "is not a lag: write 0 or a number with d, w, m, q or y (60d, 1q)",
}


def _explain(error: ValidationError) -> list[tuple[DataPath, str, bool]]:
    """(path, message, located at the key?) for one schema error."""
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
        return [((*path, key), f"{prefix}unknown key {clip(key)!r}{did_you_mean(key, known)}", True) for key in extra]
    if kind == "required":
        missing = [name for name in expected if isinstance(value, dict) and name not in value]
        return [(path, f"{prefix}missing required key {name!r}", False) for name in missing]
    return [(path, prefix + _value_message(kind, title, expected, value), False)]


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
        return f"{show(value)} {_PATTERNS.get(title, 'is not in the expected form')}"
    if kind == "format" and _calendar_date(value) is not None:
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
    names = [types] if isinstance(types, str) else list(types) if isinstance(types, list) else []
    return " or ".join(_TYPES.get(str(name), str(name)) for name in names)


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


# --- the semantic pass ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Node:
    """One mapping in a document, with what it needs to report problems and read defaults."""

    doc: Document
    path: DataPath
    data: Mapping[str, Any]
    department: str | None  # the file's `department`: the default owner of what the file holds

    @property
    def at(self) -> Location:
        return Location(self.doc.path, *self.doc.index.locate(self.path))

    def where(self, *keys: str | int) -> Location:
        return Location(self.doc.path, *self.doc.index.locate((*self.path, *keys)))

    def label(self, *keys: str | int) -> str:
        return path_label((*self.path, *keys))

    def text(self, key: str) -> str | None:
        value = self.data.get(key)
        return value if isinstance(value, str) else None

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.data.get(key)
        return value if isinstance(value, bool) else default

    def children(self, key: str) -> list[_Node]:
        """The mapping under ``key``, or the mappings listed under it."""
        items = self.data.get(key)
        if isinstance(items, dict):
            return [_Node(self.doc, (*self.path, key), items, self.department)]
        if not isinstance(items, list):
            return []
        return [
            _Node(self.doc, (*self.path, key, i), item, self.department)
            for i, item in enumerate(items)
            if isinstance(item, dict)
        ]


class _Builder:
    """Builds the Organization, recording every semantic problem instead of stopping at the first.

    Items the schema already rejected are still read (defensively), so that a
    reference to them does not also show up as unknown.
    """

    def __init__(
        self,
        documents: Sequence[Document],
        kb: knowledge.Knowledge,
        problems: list[Problem],
        invalid: set[tuple[str, DataPath]],
    ) -> None:
        self.documents = documents
        self.problems = problems
        self.catalog = kb
        self.invalid = invalid  # (file, path) of every value the schema rejected
        self.first: dict[tuple[str, str], Location] = {}
        self.inline: list[tuple[Definition, str]] = []  # definitions written on measures and dependencies
        self.unbuilt_milestones: set[str] = set()  # identified, but a date or the owner was wrong

    # --- reporting and references

    def problem(self, at: Location, message: str) -> None:
        self.problems.append(Problem.at(at, message))

    def report(self, node: _Node, message: str, *keys: str | int) -> None:
        """A problem at ``node[keys...]``, told with its path (``plans[0].measures[1].weight: ...``)."""
        self.problem(node.where(*keys), f"{node.label(*keys)}: {message}")

    def register(self, kind: str, ident: str | None, node: _Node, what: str = "") -> bool:
        """False (and a problem) if ``ident`` was already defined for this kind."""
        if ident is None:
            return False
        first = self.first.setdefault((kind, ident), node.at)
        if first != node.at:
            what = what or f"{kind} id {quote(ident)}"
            self.report(node, f"duplicate {what} (first defined at {first})")
            return False
        return True

    def reference(self, node: _Node, kind: str, known: Collection[str], *keys: str | int) -> str | None:
        """The id at ``node[keys...]`` if it exists; else None, and a did-you-mean problem if it was text."""
        value = _lookup(node.data, keys)
        if not isinstance(value, str):
            return None
        if value in known:
            return value
        self.report(node, f"unknown {kind} {quote(value)}{did_you_mean(value, known)}", *keys)
        return None

    def metric(self, node: _Node, *keys: str | int) -> str | None:
        """A metric reference, by id or alias, as the metric's id."""
        found = self.reference(node, "metric", self.catalog.names, *keys)
        return self.catalog.canonical(found) if found else None

    def optional(self, node: _Node, key: str, kind: str, known: Collection[str]) -> str | None:
        return self.reference(node, kind, known, key) if key in node.data else None

    def owner(self, node: _Node, key: str, departments: Collection[str], company: bool = False) -> str | None:
        """A department reference that defaults to the file's `department`."""
        if key not in node.data:
            if node.department is None:
                self.report(node, f"missing required key {key!r} (or put the file under a `department:`)")
            return node.department
        return self.reference(node, "department", {*departments, COMPANY} if company else departments, key)

    def nodes(self, section: str) -> list[_Node]:
        """The items of one section across all files, in file order."""
        found = []
        for doc in self.documents:
            home = doc.data.get("department")
            default = home.get("id") if isinstance(home, dict) and isinstance(home.get("id"), str) else None
            root = _Node(doc, (), doc.data, default)
            if section == "departments":
                found.extend(root.children("department"))
            found.extend(root.children(section))
        return found

    def identified(self, kind: str, section: str) -> list[tuple[str, _Node]]:
        """Items with a unique id; duplicates are reported and dropped."""
        return [(n.text("id") or "", n) for n in self.nodes(section) if self.register(kind, n.text("id"), n)]

    # --- the organization

    def build(self) -> Organization:
        self.catalog = self.knowledge()
        info = self.organization()
        departments = self.departments()
        built = self.milestones(departments)
        # A milestone with a bad date is reported once, not again at every reference to it.
        milestones = {*built, *self.unbuilt_milestones}
        # Plans and dependencies before definitions: they collect the definitions written inline.
        plans = self.plans(departments, milestones)
        dependencies = self.dependencies(departments, milestones)
        return Organization(
            **info,
            objectives=self.objectives(),
            departments=tuple(departments.values()),
            targets=self.targets(departments, milestones, info),
            plans=plans,
            assumptions=self.assumptions(departments, milestones),
            dependencies=dependencies,
            milestones=tuple(built.values()),
            hires=self.hires(departments, milestones),
            spend=self.spend(departments, milestones),
            definitions=self.definitions(departments),
            metrics=self.catalog.metrics,
            influences=self.catalog.influences,
            formulas=self.catalog.formulas,
            non_conflicts=self.catalog.non_conflicts,
        )

    def knowledge(self) -> knowledge.Knowledge:
        """The built-in catalog extended with the organization's metrics, edges, formulas and non-conflicts."""
        self.catalog = self.catalog.extended(metrics=self.own_metrics())
        return self.catalog.extended(
            influences=self.own_influences(), formulas=self.own_formulas(), non_conflicts=self.own_non_conflicts()
        )

    def own_metrics(self) -> list[Metric]:
        """New metrics only: a built-in id or alias is never redefined, and every name stays unique."""
        builtin, metrics = self.catalog, []
        nodes = self.nodes("metrics")
        for node in nodes:
            ident = node.text("id")
            if ident in builtin.names:
                self.report(node, f"{quote(ident)} is a built-in metric: use it as it is, or choose another id", "id")
            elif self.register("metric", ident, node) and self.valid(node):
                metrics.append(knowledge.metric_from(node.data, node.at))
        for node in nodes:
            aliases = node.data.get("aliases")
            for i, alias in enumerate(aliases if isinstance(aliases, list) else []):
                if isinstance(alias, str) and alias in builtin.names:
                    self.report(node, f"{quote(alias)} already names the built-in metric {builtin.canonical(alias)!r}", "aliases", i)
                elif isinstance(alias, str):
                    where = _Node(node.doc, (*node.path, "aliases", i), {}, None)
                    self.register("metric", alias, where, f"metric name {quote(alias)}")
        names = {*builtin.names, *(m.id for m in metrics), *(a for m in metrics for a in m.aliases)}
        for node in nodes:
            companions = node.data.get("quality_pair")
            for i in range(len(companions) if isinstance(companions, list) else 0):
                self.reference(node, "metric", names, "quality_pair", i)
        return metrics

    def own_influences(self) -> list[Influence]:
        """Edges between known metrics, one per pair; each replaces the built-in edge between the same metrics."""
        influences = []
        for node in self.nodes("influences"):
            src, dst = self.metric(node, "from"), self.metric(node, "to")
            edge = f"influence from {src!r} to {dst!r}"
            if src and dst and self.register("influence", f"{src}>{dst}", node, edge) and self.valid(node):
                influences.append(knowledge.influence_from(node.data, node.at, self.catalog.canonical))
        return influences

    def own_formulas(self) -> list[Formula]:
        checked = [(node, self.formula_names(node)) for _, node in self.identified("formula", "formulas")]
        own = [knowledge.formula_from(node.data, node.at) for node, ok in checked if ok and self.valid(node)]
        from interlock.formulas import formula_problems  # cycles, and two of the organization's formulas for one output

        for at, message in formula_problems(self.catalog.extended(formulas=own).formulas, self.catalog.canonical):
            self.problem(at, message)
        return own

    def own_non_conflicts(self) -> list[NonConflict]:
        pairs = []
        for node in self.nodes("non_conflicts"):
            listed = node.data.get("metrics")
            found = [self.metric(node, "metrics", i) for i in range(len(listed))] if isinstance(listed, list) else []
            if len(found) == 2 and all(found) and self.valid(node):
                pairs.append(knowledge.non_conflict_from(node.data, node.at, self.catalog.canonical))
        return pairs

    def valid(self, node: _Node) -> bool:
        """Whether the schema found nothing wrong inside this item (needed where values are read as-is)."""
        depth = len(node.path)
        return not any(file == node.doc.path and path[:depth] == node.path for file, path in self.invalid)

    def formula_names(self, node: _Node) -> bool:
        """A formula is arithmetic over metric ids and numbers; its output is a metric."""
        ok = self.metric(node, "output") is not None or not isinstance(node.data.get("output"), str)
        expression = node.text("expression")
        if expression is None:
            return ok
        names = formula_names(expression)
        if names is None:
            message = f"{quote(expression)} is not a formula over metric ids and numbers (+ - * / and parentheses)"
            self.report(node, message, "expression")
            return False
        for name in sorted(names - set(self.catalog.names)):
            self.report(node, f"unknown metric {quote(name)}{did_you_mean(name, self.catalog.names)}", "expression")
            ok = False
        return ok

    def organization(self) -> dict[str, Any]:
        nodes = [n for doc in self.documents for n in _Node(doc, (), doc.data, None).children("organization")]
        if not nodes:
            return {}
        node = nodes[0]
        for other in nodes[1:]:
            self.report(other, f"the organization is already defined (first defined at {node.at})")
        fiscal_year = as_int(node.data.get("fiscal_year"))
        if fiscal_year is not None and not FIRST_DAY.year <= fiscal_year <= LAST_DAY.year:
            fiscal_year = None  # the schema reports it; periods then follow the calendar
        start = as_date(node.data.get("fiscal_year_start"))
        if start is None and fiscal_year is not None:
            start = datetime.date(fiscal_year, 1, 1)
        if fiscal_year is None and start is not None:
            fiscal_year = start.year
        end = shift_months(start, 12) if start else None
        return {
            "name": node.text("name"),
            "currency": node.text("currency") or "USD",
            "fiscal_year": fiscal_year,
            "fiscal_year_start": start,
            "fiscal_year_end": end - datetime.timedelta(days=1) if end else None,
            "incentive_budget": as_money(node.data.get("incentive_budget")),
            "base_revenue": as_money(node.data.get("base_revenue")),
            "at": node.at,
        }

    def departments(self) -> dict[str, Department]:
        nodes = dict(self.identified("department", "departments"))
        result: dict[str, Department] = {}
        for ident, node in nodes.items():
            if ident == COMPANY:
                self.report(node, "'company' is reserved for the whole organization", "id")
            parent = self.optional(node, "parent", "department", nodes)
            result[ident] = Department(
                id=ident,
                name=node.text("name") or ident,
                kind=node.text("kind") or ("team" if parent else "function"),
                at=node.at,
                parent=parent,
                owner=node.text("owner"),
                headcount=as_int(node.data.get("headcount")),
            )
        self.cycles({d.id: d.parent for d in result.values()}, nodes, "the department hierarchy")
        return dict(sorted(result.items()))

    def cycles(self, parent: Mapping[str, str | None], nodes: Mapping[str, _Node], what: str) -> None:
        """Report each cycle of a parent relation once, at its smallest member."""
        reported: set[frozenset[str]] = set()
        for start in sorted(parent):
            chain: list[str] = []
            node: str | None = start
            while node is not None and node not in chain:
                chain.append(node)
                node = parent.get(node)
            if node is None:
                continue
            loop = chain[chain.index(node):]
            if frozenset(loop) in reported:
                continue
            reported.add(frozenset(loop))
            first = loop.index(min(loop))
            loop = loop[first:] + loop[:first]
            self.report(nodes[loop[0]], f"cycle in {what}: {' -> '.join([*loop, loop[0]])}", "parent")

    def milestones(self, departments: Collection[str]) -> dict[str, Milestone]:
        result = {}
        for ident, node in self.identified("milestone", "milestones"):
            owner = self.owner(node, "owner", departments)
            planned = as_date(node.data.get("planned"))
            forecast = as_date(node.data.get("forecast")) if "forecast" in node.data else planned
            confidence = parse_percent(node.data.get("confidence")) if "confidence" in node.data else 1.0
            if owner and planned and forecast and confidence is not None:
                result[ident] = Milestone(ident, node.text("name") or ident, owner, planned, forecast, confidence, node.at)
            else:  # something in it was reported: the organization will not be built
                self.unbuilt_milestones.add(ident)
        return dict(sorted(result.items()))

    def targets(
        self, departments: Mapping[str, Department], milestones: Collection[str], info: Mapping[str, Any]
    ) -> tuple[Target, ...]:
        nodes = dict(self.identified("target", "targets"))
        built: dict[str, Target] = {}
        for ident, node in nodes.items():
            owner = self.owner(node, "owner", departments, company=True)
            metric = self.metric(node, "metric")
            value = parse_percent(node.data.get("value"))
            parent = self.optional(node, "parent", "target", nodes)
            contingent = self.optional(node, "contingent_on", "milestone", milestones)
            period = node.text("period")
            starts, ends = (None, None)
            if period:
                starts, ends = period_range(period, info.get("fiscal_year"), info.get("fiscal_year_start"))
            if owner and metric and value is not None:
                built[ident] = Target(
                    id=ident, owner=owner, metric=metric, value=value, kind=node.text("kind") or "target", at=node.at,
                    period=period, starts=starts, ends=ends, parent=parent, basis=node.text("basis"),
                    contingent_on=contingent,
                )
        by_place = _targets_by_place(built)
        resolved = {ident: _with_parent(t, by_place, departments) for ident, t in sorted(built.items())}
        self.cycles({t.id: t.parent for t in resolved.values()}, nodes, "the target roll-up")
        return tuple(resolved.values())

    def objectives(self) -> tuple[Objective, ...]:
        result = []
        for node in self.nodes("objectives"):
            adopted = None
            if "adopt" in node.data:
                found = self.reference(node, "built-in objective", self.catalog.objectives, "adopt")
                if found is None:
                    continue
                adopted = self.catalog.objectives[found]
            ident = node.text("id") or (adopted.id if adopted else None)
            if not self.register("objective", ident, node):
                continue
            assert ident is not None
            listed = node.data.get("metrics")
            if isinstance(listed, list):
                metrics = tuple(self.metric(node, "metrics", i) for i in range(len(listed)))
            else:
                metrics = adopted.metrics if adopted else ()
            direction = DIRECTIONS.get(str(node.data.get("direction")), adopted.direction if adopted else 0)
            target = parse_percent(node.data.get("target"))
            if not metrics or None in metrics or not direction:
                continue
            result.append(
                Objective(
                    id=ident,
                    name=node.text("name") or (adopted.name if adopted else ident),
                    metrics=tuple(m for m in metrics if m),
                    direction=direction,
                    lead=node.flag("lead", True),
                    at=node.at,
                    target=target,
                    unit=node.text("unit"),
                    priority=as_int(node.data.get("priority")),
                    period=node.text("period"),
                    adopted=adopted.id if adopted else None,
                    description=node.text("description") or (adopted.description if adopted else ""),
                )
            )
        return tuple(sorted(result, key=lambda o: o.id))

    def plans(self, departments: Collection[str], milestones: Collection[str]) -> tuple[Plan, ...]:
        result = []
        for ident, node in self.identified("plan", "plans"):
            department = self.owner(node, "department", departments)
            built = [(m, self.measure(m, department, milestones)) for m in node.children("measures")]
            measures = self.once(ident, "measure", built)
            gates = self.once(ident, "gate", [(g, self.gate(g)) for g in node.children("gates")])
            modifiers = self.once(ident, "modifier", [(m, self.modifier(m)) for m in node.children("modifiers")])
            effective = node.children("effective")
            start, end = self.span(effective[0], "from", "to") if effective else (None, None)
            levers = node.data.get("levers")
            if department is None:
                continue
            result.append(
                Plan(
                    id=ident,
                    department=department,
                    at=node.at,
                    role=node.text("role"),
                    participants=as_int(node.data.get("participants")),
                    target_incentive=as_money(node.data.get("target_incentive")),
                    pay_mix=parse_percent(node.data.get("pay_mix")),
                    effective_from=start,
                    effective_to=end,
                    levers=tuple(
                        Lever(lever, node.where("levers", i))
                        for i, lever in enumerate(levers if isinstance(levers, list) else [])
                        if isinstance(lever, str)
                    ),
                    measures=measures,
                    gates=gates,
                    modifiers=modifiers,
                    clawback=next((self.clawback(c) for c in node.children("clawback")), None),
                    holdback=next((self.holdback(h) for h in node.children("holdback")), None),
                )
            )
        return tuple(sorted(result, key=lambda p: p.id))

    def span(self, node: _Node, first: str, last: str) -> tuple[datetime.date | None, datetime.date | None]:
        start, end = as_date(node.data.get(first)), as_date(node.data.get(last))
        if start and end and start > end:
            self.report(node, f"{end} is before {first} {start}", last)
        return start, end

    def once(self, plan: str, kind: str, items: Sequence[tuple[_Node, Measure | Gate | Modifier | None]]) -> tuple[Any, ...]:
        """The buildable items, each metric once: a plan pays, gates or modifies on a metric in one place."""
        seen: dict[str, Location] = {}
        kept = []
        for node, item in items:
            if item is None:
                continue
            if item.metric in seen:
                first = seen[item.metric]
                self.report(node, f"duplicate {kind} {item.metric!r} in plan {plan!r} (first defined at {first})")
                continue
            seen[item.metric] = item.at
            kept.append(item)
        return tuple(kept)

    def measure(self, node: _Node, department: str | None, milestones: Collection[str]) -> Measure | None:
        metric = self.metric(node, "metric")
        definition = node.text("definition")
        if metric and department and definition is not None:
            found = Definition(metric, department, definition, node.where("definition"))
            self.inline.append((found, node.label("definition")))
        weight = parse_percent(node.data.get("weight"))
        contingent = self.optional(node, "contingent_on", "milestone", milestones)
        if metric is None or weight is None:
            return None
        if "direction" in node.data:
            direction = DIRECTIONS.get(str(node.data.get("direction")), 0)
        else:
            direction = self.catalog.good(metric)
        if "direction" not in node.data and direction == 0:
            self.report(node, f"metric {metric!r} has no good direction of its own: add direction: up or down")
        if direction == 0:
            return None
        cap = node.data.get("cap")
        curve = []
        for point in node.children("curve"):
            attainment, payout = parse_percent(point.data.get("attainment")), parse_percent(point.data.get("payout"))
            if attainment is not None and payout is not None:
                curve.append(CurvePoint(attainment, payout, point.at))
        return Measure(
            metric=metric,
            weight=weight,
            direction=direction,
            at=node.at,
            threshold=parse_percent(node.data.get("threshold")),
            target=parse_percent(node.data.get("target")),
            excellence=parse_percent(node.data.get("excellence")),
            cap=None if cap == "none" else parse_percent(cap),
            curve=tuple(curve),
            period=node.text("period"),
            basis=node.text("basis"),
            team=node.flag("team"),
            contingent_on=contingent,
            definition=definition,
        )

    def gate(self, node: _Node) -> Gate | None:
        metric = self.metric(node, "metric")
        minimum = parse_percent(node.data.get("minimum"))
        if metric is None or minimum is None:
            return None
        return Gate(metric, minimum, node.at, node.text("effect"))

    def modifier(self, node: _Node) -> Modifier | None:
        metric = self.metric(node, "metric")
        bounds = node.data.get("range")
        span = None
        if isinstance(bounds, list) and len(bounds) == 2:
            low, high = parse_percent(bounds[0]), parse_percent(bounds[1])
            if low is not None and high is not None:
                span = (low, high)
                if low > high:
                    message = f"the lowest multiplier {written(bounds[0])} is above the highest {written(bounds[1])}"
                    self.report(node, message, "range")
        if metric is None:
            return None
        return Modifier(metric, node.at, span, node.text("criteria"))

    def clawback(self, node: _Node) -> Clawback:
        triggers = node.data.get("on")
        events = tuple(t for t in triggers if isinstance(t, str)) if isinstance(triggers, list) else ()
        return Clawback(as_int(node.data.get("days")), events, node.at)

    def holdback(self, node: _Node) -> Holdback:
        return Holdback(parse_percent(node.data.get("share")), as_int(node.data.get("days")), node.at)

    def assumptions(self, departments: Collection[str], milestones: Collection[str]) -> tuple[Assumption, ...]:
        result: dict[str, Assumption] = {}
        for node in self.nodes("assumptions"):
            department = self.owner(node, "department", departments)
            has_value, has_date = "value" in node.data, "date" in node.data
            if has_value == has_date:
                both = ", not both" if has_value else ""
                self.report(node, f"give either a value or a date{both}")
            milestone = self.optional(node, "milestone", "milestone", milestones)
            name = node.text("name")
            if department is None or name is None:
                continue
            name = self.catalog.canonical(name)
            segment = node.text("segment")
            key = "/".join(part for part in (department, name, segment) if part)
            if not self.register("assumption", key, node, f"assumption {quote(key)} (department/name/segment)"):
                continue
            result[key] = Assumption(
                department=department, name=name, at=node.at,
                value=parse_percent(node.data.get("value")), date=as_date(node.data.get("date")), segment=segment,
                period=node.text("period"), milestone=milestone, note=node.text("note"),
            )
        return tuple(result[k] for k in sorted(result))

    def dependencies(self, departments: Collection[str], milestones: Collection[str]) -> tuple[Dependency, ...]:
        result = []
        for ident, node in self.identified("dependency", "dependencies"):
            consumer = self.owner(node, "consumer", departments)
            provider = self.reference(node, "department", departments, "provider")
            metric = self.metric(node, "metric") if "metric" in node.data else None
            milestone = self.optional(node, "milestone", "milestone", milestones)
            if consumer and consumer == provider:
                self.report(node, f"{consumer!r} cannot depend on itself", "provider")
            if consumer is None or provider is None:
                continue
            definition = node.text("definition")
            if metric and definition is not None:
                found = Definition(metric, consumer, definition, node.where("definition"))
                self.inline.append((found, node.label("definition")))
            result.append(
                Dependency(
                    id=ident, consumer=consumer, provider=provider, at=node.at,
                    deliverable=node.text("deliverable"), metric=metric,
                    amount=parse_percent(node.data.get("amount")), due=as_date(node.data.get("due")),
                    critical=node.flag("critical"), milestone=milestone, definition=node.text("definition"),
                )
            )
        return tuple(sorted(result, key=lambda d: d.id))

    def hires(self, departments: Collection[str], milestones: Collection[str]) -> tuple[Hire, ...]:
        result = []
        for ident, node in self.identified("hire", "hires"):
            department = self.owner(node, "department", departments)
            contingent = self.optional(node, "contingent_on", "milestone", milestones)
            start = as_date(node.data.get("start"))
            count = as_int(node.data.get("count", 1))
            ramp = as_number(node.data.get("ramp_months", 0))
            if department and start and count is not None and ramp is not None:
                result.append(Hire(ident, department, count, start, ramp, node.at, node.text("role"), contingent))
        return tuple(sorted(result, key=lambda h: h.id))

    def spend(self, departments: Collection[str], milestones: Collection[str]) -> tuple[Spend, ...]:
        result = []
        for ident, node in self.identified("spend", "spend"):
            department = self.owner(node, "department", departments)
            contingent = self.optional(node, "contingent_on", "milestone", milestones)
            amount = as_money(node.data.get("amount"))
            start, end = self.span(node, "from", "to")
            if department and amount is not None:
                result.append(Spend(ident, department, amount, node.at, node.text("purpose"), start, end, contingent))
        return tuple(sorted(result, key=lambda s: s.id))

    def definitions(self, departments: Collection[str]) -> tuple[Definition, ...]:
        """Explicit definitions plus those written inline in measures and dependencies: one per metric and department."""
        found = list(self.inline)
        for node in self.nodes("definitions"):
            department = self.owner(node, "department", departments)
            metric = self.metric(node, "metric")
            text = node.text("text")
            if department and metric and text is not None:
                found.append((Definition(metric, department, text, node.at), node.label("text")))
        result: dict[tuple[str, str], Definition] = {}
        for definition, label in sorted(found, key=lambda item: item[0].at):
            first = result.setdefault((definition.metric, definition.department), definition)
            if first is not definition and first.normalized_text != definition.normalized_text:
                self.problem(
                    definition.at,
                    f"{label}: a second, different definition of {definition.metric!r} for department"
                    f" {definition.department!r} (first defined at {first.at})",
                )
        return tuple(result[k] for k in sorted(result))


def _lookup(data: Any, keys: Sequence[str | int]) -> Any:
    """``data[k1][k2]...``, or None where the shape does not fit."""
    for key in keys:
        if isinstance(data, dict):
            data = data.get(key)
        elif isinstance(data, list) and isinstance(key, int) and 0 <= key < len(data):
            data = data[key]
        else:
            return None
    return data


def formula_names(expression: str) -> set[str] | None:
    """The metric ids a formula uses, or None if it is not plain arithmetic."""
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError:
        return None
    allowed = (
        ast.Expression, ast.BinOp, ast.UnaryOp, ast.Name, ast.Load, ast.Constant,
        ast.Add, ast.Sub, ast.Mult, ast.Div, ast.USub, ast.UAdd,
    )
    nodes = list(ast.walk(tree))
    if not all(isinstance(n, allowed) for n in nodes):
        return None
    numbers = [n.value for n in nodes if isinstance(n, ast.Constant)]
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in numbers):
        return None
    return {n.id for n in nodes if isinstance(n, ast.Name)}


Place = tuple[str, str, "str | None"]  # owner, metric, period


def _targets_by_place(targets: Mapping[str, Target]) -> dict[Place, list[str]]:
    """Target ids by owner, metric and period, sorted: one index instead of a scan per target."""
    found: dict[Place, list[str]] = {}
    for t in targets.values():
        found.setdefault((t.owner, t.metric, t.period), []).append(t.id)
    return {place: sorted(ids) for place, ids in found.items()}


def _with_parent(target: Target, targets: Mapping[Place, list[str]], departments: Mapping[str, Department]) -> Target:
    """Default roll-up: the nearest ancestor department's target on the same metric and period, else the company's."""
    if target.parent is not None or target.owner == COMPANY:
        return target
    seen: set[str] = set()
    owner = departments[target.owner].parent if target.owner in departments else None
    while owner is not None and owner not in seen:  # `seen`: a department cycle is reported elsewhere
        seen.add(owner)
        parent = _matching(target, targets, owner)
        if parent:
            return replace(target, parent=parent)
        owner = departments[owner].parent if owner in departments else None
    parent = _matching(target, targets, COMPANY)
    return replace(target, parent=parent) if parent else target


def _matching(target: Target, targets: Mapping[Place, list[str]], owner: str) -> str | None:
    same = [ident for ident in targets.get((owner, target.metric, target.period), ()) if ident != target.id]
    return same[0] if same else None


def period_range(
    period: str, fiscal_year: int | None, fiscal_start: datetime.date | None
) -> tuple[datetime.date | None, datetime.date | None]:
    """First and last day of FY2027, FY2027-Q3, FY2027-H1, 2027, 2027-Q3, 2027-H1 or 2027-07.

    FY<n> starts ``n - fiscal_year`` years after ``fiscal_year_start`` (calendar
    years when the organization gives neither).
    """
    match = re.fullmatch(r"(FY)?([0-9]{4})(?:-(Q[1-4]|H[12]|0[1-9]|1[0-2]))?", period)
    if not match:
        return None, None
    fiscal, year, part = match.group(1), int(match.group(2)), match.group(3)
    start = datetime.date(year, 1, 1) if year >= datetime.MINYEAR else None
    if fiscal and fiscal_start is not None and fiscal_year is not None:
        start = shift_months(fiscal_start, 12 * (year - fiscal_year))
    months, offset = 12, 0
    if part and part[0] in "QH":
        months = 3 if part[0] == "Q" else 6
        offset = months * (int(part[1]) - 1)
    elif part:
        months, offset = 1, int(part) - 1
    first = shift_months(start, offset) if start else None
    after = shift_months(first, months) if first else None
    if first is None or after is None:  # FY9999-H2 of a fiscal year starting in 9999: past the calendar
        return None, None
    return first, after - datetime.timedelta(days=1)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later, clamped to the month's length."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return datetime.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))
