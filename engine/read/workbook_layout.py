"""The workbook layout: one sheet per policy section, one row per item, one column per key.

A compensation designer fills in a workbook (Excel, LibreOffice, Google Sheets) or a folder of CSV
files, one per sheet; engine/read/workbook.py reads either into the same documents the YAML reader
produces, engine/outputs/workbook_write.py writes them. docs/spreadsheets.md describes every sheet and
column in words; this module is the one place that defines them, and a test checks that every
section and key of the policy schema (rules/schema/policy.schema.json) has its column.

Items that YAML nests are rows of their own sheet that name their parent: a measure names its plan
(Measures, column Plan), a payout curve point its plan and metric (Curves), a gate or modifier its
plan. Small fixed structures are columns of their item: a plan's ``effective: {from, to}`` is
Effective from and Effective to, its clawback and holdback are Clawback days, Clawback on, Holdback
share and Holdback days, a modifier's ``range`` is Range low and Range high. Lists of ids (levers,
an objective's metrics, aliases) are one cell, comma-separated.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from interlock import resources

#: A key path inside an item: ("weight",), ("effective", "from"), ("range", 0).
KeyPath = tuple["str | int", ...]

#: How a column's cells are read and written (engine/read/workbook.py, engine/outputs/workbook_write.py).
TEXT, ID, CHOICE, LIST, PERIOD, LAG = "text", "id", "choice", "list", "period", "lag"
PERCENT, QUANTITY, MONEY, COUNT, NUMBER, CAP = "percent", "quantity", "money", "count", "number", "cap"
DATE, FLAG = "date", "flag"
#: Kinds whose cells are numbers in a spreadsheet.
NUMERIC = frozenset({PERCENT, QUANTITY, MONEY, COUNT, NUMBER, CAP, LAG})
#: A column that links a row to its parent item instead of holding one of its keys.
LINK = "link"


@dataclass(frozen=True)
class Column:
    """One column: its header, where its value goes in the item, and how its cells are read."""

    header: str
    key: KeyPath
    kind: str
    #: For a link column: the parent's key it matches ("id" of a plan, "metric" of a measure).
    links_to: str = ""
    #: For a link column: what it holds, in words (the others take the schema's description).
    note: str = ""


@dataclass(frozen=True)
class Sheet:
    """One sheet: a section of the policy (or a list nested in one), one item per row."""

    name: str
    #: The section (``plans``), or for a nested sheet the key in its parent item (``measures``).
    section: str
    columns: tuple[Column, ...]
    #: The column whose cell stands for the whole row in messages and findings.
    anchor: str
    #: The sheet whose items this sheet's rows belong to (Measures -> Plans), if any.
    parent: str | None = None
    #: The organization: one row, read as a mapping instead of a list.
    single: bool = False
    #: One line for the documentation and the header of the sheet.
    about: str = ""
    by_header: Mapping[str, Column] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        names: dict[str, Column] = {}
        for column in self.columns:
            names.setdefault(header_key(column.header), column)
            if column.kind != LINK and all(isinstance(part, str) for part in column.key):
                names.setdefault(header_key("_".join(str(p) for p in column.key)), column)
        object.__setattr__(self, "by_header", names)

    @property
    def links(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.kind == LINK)

    @property
    def values(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.kind != LINK)

    @property
    def csv_name(self) -> str:
        """The file this sheet is kept in as CSV: ``measures.csv``, ``non-conflicts.csv``."""
        return f"{self.name.lower().replace(' ', '-')}.csv"


def header_key(text: str) -> str:
    """How a header is matched: case, spaces, '_' and '-' and a unit in parentheses do not matter.

    ``Target incentive``, ``target_incentive`` and ``Target incentive (USD)`` are one column.
    """
    text = re.sub(r"\([^)]*\)\s*$", "", text)
    return " ".join(re.sub(r"[\s_\-]+", " ", text).split()).lower()


def sheet_key(text: str) -> str:
    """How a sheet (or CSV file) name is matched: letters and digits only, any case."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _c(header: str, key: str | KeyPath, kind: str) -> Column:
    return Column(header, (key,) if isinstance(key, str) else key, kind)


def _link(header: str, links_to: str, note: str) -> Column:
    return Column(header, (f"@{links_to}",), LINK, links_to, note)


SHEETS: tuple[Sheet, ...] = (
    Sheet("Organization", "organization", (
        _c("Name", "name", TEXT), _c("Currency", "currency", TEXT), _c("Fiscal year", "fiscal_year", COUNT),
        _c("Fiscal year start", "fiscal_year_start", DATE), _c("Incentive budget", "incentive_budget", MONEY),
        _c("Base revenue", "base_revenue", MONEY), _c("Working days", "working_days", COUNT),
        _c("Description", "description", TEXT),
    ), anchor="Name", single=True, about="The organization: one row."),
    Sheet("Objectives", "objectives", (
        _c("Id", "id", ID), _c("Adopt", "adopt", ID), _c("Name", "name", TEXT), _c("Metrics", "metrics", LIST),
        _c("Direction", "direction", CHOICE), _c("Target", "target", QUANTITY), _c("Unit", "unit", TEXT),
        _c("Priority", "priority", COUNT), _c("Period", "period", PERIOD), _c("Lead", "lead", FLAG),
        _c("Collaborative", "collaborative", FLAG), _c("Description", "description", TEXT),
    ), anchor="Id", about="What the company wants: one objective per row, adopted by id or defined here."),
    Sheet("Departments", "departments", (
        _c("Id", "id", ID), _c("Name", "name", TEXT), _c("Parent", "parent", ID), _c("Kind", "kind", CHOICE),
        _c("Owner", "owner", TEXT), _c("Headcount", "headcount", COUNT), _c("Function", "function", ID),
        _c("Plan year start", "plan_year_start", DATE), _c("Description", "description", TEXT),
    ), anchor="Id", about="Functions, teams and roles, each under its parent."),
    Sheet("Plans", "plans", (
        _c("Id", "id", ID), _c("Department", "department", ID), _c("Role", "role", TEXT),
        _c("Participants", "participants", COUNT), _c("Target incentive", "target_incentive", MONEY),
        _c("Pay mix", "pay_mix", PERCENT), _c("Effective from", ("effective", "from"), DATE),
        _c("Effective to", ("effective", "to"), DATE), _c("Levers", "levers", LIST),
        _c("Clawback days", ("clawback", "days"), COUNT), _c("Clawback on", ("clawback", "on"), LIST),
        _c("Clawback triggers", ("clawback", "triggers"), LIST),
        _c("Holdback share", ("holdback", "share"), PERCENT), _c("Holdback days", ("holdback", "days"), COUNT),
        _c("Plan cap", "cap", TEXT), _c("Discount authority", "discount_authority", PERCENT),
        _c("True-up", "true_up", CHOICE),
        _c("Description", "description", TEXT),
    ), anchor="Id",
        about="Incentive plans: one per row; their measures, curves, gates and modifiers have sheets of their own."),
    Sheet("Measures", "measures", (
        _link("Plan", "id", "The id of the plan that pays this measure."), _c("Metric", "metric", ID),
        _c("Weight", "weight", PERCENT),
        _c("Direction", "direction", CHOICE), _c("Threshold", "threshold", QUANTITY), _c("Target", "target", QUANTITY),
        _c("Excellence", "excellence", QUANTITY), _c("Band around", ("band", "around"), QUANTITY),
        _c("Band within", ("band", "within"), QUANTITY), _c("Cap", "cap", CAP), _c("Period", "period", CHOICE),
        _c("Basis", "basis", CHOICE), _c("Team", "team", FLAG), _c("Contingent on", "contingent_on", ID),
        _c("Reported by", "reported_by", CHOICE), _c("Definition", "definition", TEXT),
    ), anchor="Metric", parent="Plans", about="What each plan pays for: one measure per row, in the plan's order."),
    Sheet("Curves", "curve", (
        _link("Plan", "id", "The id of the plan."), _link("Metric", "metric", "The metric of the plan's measure."),
        _c("Attainment", "attainment", PERCENT),
        _c("Payout", "payout", PERCENT),
    ), anchor="Attainment", parent="Measures",
        about="Payout curves: one point per row, for the measure of the plan and metric named."),
    Sheet("Gates", "gates", (
        _link("Plan", "id", "The id of the plan."), _c("Metric", "metric", ID), _c("Minimum", "minimum", QUANTITY),
        _c("Effect", "effect", TEXT),
    ), anchor="Metric", parent="Plans", about="Gates: no payout unless a metric reaches a minimum."),
    Sheet("Time required", "time_required", (
        _link("Plan", "id", "The id of the plan."), _c("Activity", "activity", TEXT), _c("Days", "days", QUANTITY),
        _c("Department", "department", ID), _c("Per", "per", CHOICE),
    ), anchor="Activity", parent="Plans",
        about="Non-billable days a plan requires of a department's people (training, certification, onboarding)."),
    Sheet("Modifiers", "modifiers", (
        _link("Plan", "id", "The id of the plan."), _c("Metric", "metric", ID), _c("Range low", ("range", 0), PERCENT),
        _c("Range high", ("range", 1), PERCENT), _c("Criteria", "criteria", TEXT),
    ), anchor="Metric", parent="Plans",
        about="Modifiers: payout multiplied by a factor between Range low and Range high."),
    Sheet("Targets", "targets", (
        _c("Id", "id", ID), _c("Owner", "owner", ID), _c("Metric", "metric", ID), _c("Value", "value", QUANTITY),
        _c("Kind", "kind", CHOICE), _c("Period", "period", PERIOD), _c("Parent", "parent", ID),
        _c("Basis", "basis", TEXT), _c("Contingent on", "contingent_on", ID), _c("Phasing", "phasing", LIST),
        _c("Relative to", ("relative", "to"), TEXT), _c("Relative change", ("relative", "change"), PERCENT),
        _c("Description", "description", TEXT),
    ), anchor="Id", about="Targets and quotas: a number a department (or the company) owns for a period."),
    Sheet("Assumptions", "assumptions", (
        _c("Department", "department", ID), _c("Name", "name", ID), _c("Value", "value", QUANTITY),
        _c("Date", "date", DATE), _c("Period", "period", PERIOD), _c("Segment", "segment", ID),
        _c("Milestone", "milestone", ID), _c("Note", "note", TEXT),
    ), anchor="Name", about="The numbers and dates a department plans on."),
    Sheet("Dependencies", "dependencies", (
        _c("Id", "id", ID), _c("Consumer", "consumer", ID), _c("Provider", "provider", ID),
        _c("Deliverable", "deliverable", TEXT), _c("Metric", "metric", ID), _c("Amount", "amount", QUANTITY),
        _c("Due", "due", DATE), _c("Critical", "critical", FLAG), _c("Milestone", "milestone", ID),
        _c("Conversion", "conversion", PERCENT), _c("Definition", "definition", TEXT),
    ), anchor="Id", about="What one department (the consumer) needs from another (the provider)."),
    Sheet("History", "history", (
        _c("Owner", "owner", ID), _c("Metric", "metric", ID), _c("Period", "period", PERIOD),
        _c("Actual", "actual", QUANTITY), _c("Plan", "plan", ID), _c("Note", "note", TEXT),
    ), anchor="Metric", about="Last period's actuals: one per department, metric and period (optionally per plan)."),
    Sheet("Capacity", "capacity", (
        _c("Id", "id", ID), _c("Department", "department", ID), _c("Metric", "metric", ID),
        _c("Period", "period", PERIOD), _c("Amount", "amount", QUANTITY), _c("People", "people", NUMBER),
        _c("Per person", "per_person", QUANTITY), _c("Note", "note", TEXT),
    ), anchor="Id", about="What a department can deliver per period: stated, or people times throughput."),
    Sheet("Capacity drivers", "drivers", (
        _link("Capacity", "id", "The id of the capacity this driver loads."), _c("Target", "target", ID),
        _c("Per", "per", NUMBER),
    ), anchor="Target", parent="Capacity",
        about="Demand on a capacity: a target whose every unit needs Per units of it."),
    Sheet("Crediting", "crediting", (
        _c("Id", "id", ID), _c("Metric", "metric", ID), _c("Deals", "deals", TEXT), _c("Amount", "amount", QUANTITY),
        _c("Exclusive", "exclusive", FLAG), _c("Settled by", "settled_by", TEXT),
    ), anchor="Id", about="Which plans are credited for which deals: one crediting rule per row."),
    Sheet("Credits", "credits", (
        _link("Crediting", "id", "The id of the crediting rule."), _c("Plan", "plan", ID),
        _c("Share", "share", PERCENT), _c("Rate", "rate", PERCENT),
    ), anchor="Plan", parent="Crediting", about="Each plan credited under a crediting rule, and at what share."),
    Sheet("Milestones", "milestones", (
        _c("Id", "id", ID), _c("Name", "name", TEXT), _c("Owner", "owner", ID), _c("Planned", "planned", DATE),
        _c("Forecast", "forecast", DATE), _c("Confidence", "confidence", PERCENT),
        _c("Description", "description", TEXT),
    ), anchor="Id", about="Dated events plans depend on."),
    Sheet("Hires", "hires", (
        _c("Id", "id", ID), _c("Department", "department", ID), _c("Role", "role", TEXT), _c("Count", "count", COUNT),
        _c("Start", "start", DATE), _c("Ramp months", "ramp_months", NUMBER), _c("Contingent on", "contingent_on", ID),
    ), anchor="Id", about="Planned hires."),
    Sheet("Spend", "spend", (
        _c("Id", "id", ID), _c("Department", "department", ID), _c("Purpose", "purpose", TEXT),
        _c("Amount", "amount", MONEY), _c("From", "from", DATE), _c("To", "to", DATE),
        _c("Contingent on", "contingent_on", ID),
    ), anchor="Id", about="Planned spend."),
    Sheet("Definitions", "definitions", (
        _c("Metric", "metric", ID), _c("Department", "department", ID), _c("Text", "text", TEXT),
    ), anchor="Metric", about="How a department counts a metric."),
    Sheet("Metrics", "metrics", (
        _c("Id", "id", ID), _c("Name", "name", TEXT), _c("Function", "function", CHOICE), _c("Unit", "unit", CHOICE),
        _c("Good", "good", CHOICE), _c("Kind", "kind", CHOICE), _c("Definition", "definition", TEXT),
        _c("Aliases", "aliases", LIST), _c("Quality pair", "quality_pair", LIST), _c("Band low", ("band", 0), NUMBER),
        _c("Band high", ("band", 1), NUMBER),
    ), anchor="Id", about="Metrics of the organization's own, beside the built-in catalog."),
    Sheet("Influences", "influences", (
        _c("From", "from", ID), _c("To", "to", ID), _c("Sign", "sign", CHOICE), _c("Confidence", "confidence", NUMBER),
        _c("Lag", "lag", LAG), _c("Basis", "basis", CHOICE), _c("Source", "source", TEXT),
        _c("Rationale", "rationale", TEXT),
    ), anchor="From", about="Signed influence edges between metrics."),
    Sheet("Non-conflicts", "non_conflicts", (
        _c("First metric", ("metrics", 0), ID), _c("Second metric", ("metrics", 1), ID), _c("Source", "source", TEXT),
        _c("Rationale", "rationale", TEXT),
    ), anchor="First metric", about="Pairs of metrics known not to trade off."),
    Sheet("Formulas", "formulas", (
        _c("Id", "id", ID), _c("Output", "output", ID), _c("Expression", "expression", TEXT),
        _c("Rationale", "rationale", TEXT),
    ), anchor="Id", about="Driver formulas."),
)

BY_NAME: dict[str, Sheet] = {sheet.name: sheet for sheet in SHEETS}
BY_KEY: dict[str, Sheet] = {sheet_key(sheet.name): sheet for sheet in SHEETS}
#: Top-level sections in the order of the sheets; the nested sheets (Measures...) live inside plans.
SECTIONS: tuple[str, ...] = tuple(s.section for s in SHEETS if s.parent is None)
#: The key that names an item's department when a YAML file's `department:` leaves it out.
OWNER_KEYS: dict[str, str] = {
    "plans": "department", "targets": "owner", "assumptions": "department", "milestones": "owner",
    "hires": "department", "spend": "department", "definitions": "department", "dependencies": "consumer",
    "history": "owner", "capacity": "department",
}


def children(sheet: Sheet) -> tuple[Sheet, ...]:
    """The sheets whose rows belong to ``sheet``'s items (Plans -> Measures, Gates, Modifiers)."""
    return tuple(s for s in SHEETS if s.parent == sheet.name)


def chain(sheet: Sheet) -> tuple[Sheet, ...]:
    """``sheet`` and its ancestors, outermost first: Curves -> (Plans, Measures, Curves)."""
    found = [sheet]
    while found[0].parent is not None:
        found.insert(0, BY_NAME[found[0].parent])
    return tuple(found)


# -- the policy schema, for the words and the choices of each column ---------------------------------------


@cache
def _schema() -> dict[str, Any]:
    return resources.schema("policy")


def _resolve(node: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        merged = dict(_schema()["$defs"][ref.rsplit("/", 1)[1]])
        merged.update({k: v for k, v in node.items() if k != "$ref"})
        return _resolve(merged) if "$ref" in merged and merged["$ref"] != ref else merged
    return node


def item_schema(sheet: Sheet) -> Mapping[str, Any]:
    """The JSON Schema of one row's item."""
    node: Mapping[str, Any] = _resolve(_schema()["properties"][chain(sheet)[0].section])
    for inner in chain(sheet)[1:]:
        node = _resolve(_items(node)["properties"][inner.section])
    return _items(node)


def _items(node: Mapping[str, Any]) -> Mapping[str, Any]:
    node = _resolve(node)
    return _resolve(node["items"]) if node.get("type") == "array" and "items" in node else node


def column_schema(sheet: Sheet, column: Column) -> Mapping[str, Any]:
    """The JSON Schema of one column's value (an item of the list for list columns)."""
    node: Mapping[str, Any] = item_schema(sheet)
    for part in column.key:
        if isinstance(part, int):
            node = _items(node)
        else:
            node = _resolve(node.get("properties", {}).get(part, {}))
    return _items(node) if column.kind == LIST else node


def choices(sheet: Sheet, column: Column) -> tuple[str, ...]:
    """The values a choice (or list) column allows, from the schema's enum (empty when free)."""
    values = column_schema(sheet, column).get("enum")
    return tuple(str(v) for v in values) if isinstance(values, list) else ()


def description(sheet: Sheet, column: Column) -> str:
    """What the column holds, in the schema's words."""
    if column.kind == LINK:
        return column.note
    node = column_schema(sheet, column)
    text = node.get("description")
    if not text and len(column.key) > 1:
        text = _resolve(item_schema(sheet).get("properties", {}).get(str(column.key[0]), {})).get("description")
    return str(text or "")


def schema_keys(node: Mapping[str, Any] | None = None, prefix: KeyPath = ()) -> Iterator[KeyPath]:
    """Every key path of the policy schema, sections first (for the test that the layout covers them)."""
    if node is None:
        for section, sub in _schema()["properties"].items():
            yield (section,)
            yield from schema_keys(_items(sub), (section,))
        return
    for key, sub in node.get("properties", {}).items():
        yield (*prefix, key)
        inner = _items(sub)
        if inner.get("properties"):
            yield from schema_keys(inner, (*prefix, key))
