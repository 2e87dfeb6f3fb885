"""Write workbooks: an organization in the layout (`interlock export`, `init --spreadsheet`) and findings.

The policy workbook follows engine/read/workbook_layout.py: an About sheet, then one sheet per section with
a frozen header row (a note on each header says what the column holds, from the policy schema),
filters, drop-down lists for the columns with fixed choices, and real cells: percentages as numbers
formatted ``40%``, money as numbers formatted ``#,##0``, dates as dates. Text is always written as
text, never as a formula, whatever it starts with. The same rows can be written as CSV files, one per
sheet. Written with XlsxWriter; the files carry a fixed creation date, so the same input gives the
same bytes.

The findings workbook (``-o findings.xlsx``) has one row per finding (severity, rule, family,
departments, objectives, message, remediation and every location as ``plans.xlsx:Measures!C7`` or
``policies/sales.yml:12:9``), a frozen header, filters and a colour per severity, and a Summary sheet.
"""
from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from interlock.read.workbook_layout import (
    BY_NAME,
    CAP,
    CHOICE,
    COUNT,
    FLAG,
    LAG,
    LINK,
    LIST,
    MONEY,
    NUMBER,
    OWNER_KEYS,
    PERCENT,
    QUANTITY,
    SECTIONS,
    SHEETS,
    Column,
    KeyPath,
    Sheet,
    children,
    choices,
    description,
)

if TYPE_CHECKING:
    from interlock.findings.findings import Finding
    from interlock.read.loader import Document
    from interlock.model.model import Organization

#: The creation date written into every workbook, so that the same input gives the same bytes.
FIXED_DATE = datetime.datetime(2000, 1, 1)
_PERCENT = re.compile(r"^\s*([+-]?[0-9]+(?:\.[0-9]+)?)\s*%\s*$")
#: Drop-down lists reach this many rows below the last item, so that new rows get them too.
_SPARE_ROWS = 500
SEVERITY_COLOURS = {"error": "#F4C7C3", "warning": "#FCE8B2", "info": "#C9DAF8"}


# -- an organization as rows ---------------------------------------------------------------------------


@dataclass
class Rows:
    """The rows of every sheet: values by column, in the order a person reads them."""

    sheets: dict[str, list[dict[Column, Any]]] = field(default_factory=lambda: {s.name: [] for s in SHEETS})
    #: A metric's unit ("percent", "currency"...) by id or alias, to format quantities.
    units: dict[str, str] = field(default_factory=dict)


def organization_rows(documents: Sequence[Document], organization: Organization | None = None) -> Rows:
    """Every item of the documents as rows of the layout's sheets.

    A YAML file's `department:` becomes a row of Departments, and the items that take it as their
    default (plans, targets, assumptions...) name it in their row: a workbook has no file defaults.
    """
    rows = Rows()
    if organization is not None:
        for metric in organization.metrics:
            for name in (metric.id, *metric.aliases):
                rows.units[name] = metric.unit
        for objective in organization.objectives:
            if objective.metrics and objective.metrics[0] in rows.units:
                rows.units[f"objective:{objective.id}"] = rows.units[objective.metrics[0]]
    for doc in sorted(documents, key=lambda d: d.path):
        data = doc.data
        home = data.get("department")
        default = home.get("id") if isinstance(home, dict) else None
        for section in SECTIONS:
            sheet = next(s for s in SHEETS if s.section == section and s.parent is None)
            items: list[Any]
            if sheet.single:
                items = [data[section]] if isinstance(data.get(section), dict) else []
            else:
                items = list(data.get(section) or [])
                if section == "departments" and isinstance(home, dict):
                    items.insert(0, home)
            for item in items:
                if not isinstance(item, dict):
                    continue
                owner = OWNER_KEYS.get(section)
                if owner and owner not in item and default is not None:
                    item = {**item, owner: default}
                _add(rows, sheet, item, {})
    return rows


def _add(rows: Rows, sheet: Sheet, item: Mapping[str, Any], links: dict[str, Any]) -> None:
    row: dict[Column, Any] = {}
    for column in sheet.columns:
        value = links.get(column.links_to) if column.kind == LINK else _lookup(item, column.key)
        if value is not None:
            row[column] = value
    context = _metric_context(sheet, item)
    if context:
        row[_CONTEXT] = context
    rows.sheets[sheet.name].append(row)
    for child in children(sheet):
        # A top-level item (a plan, a capacity, a crediting rule) is named by its id; a measure by plan and metric.
        own = {"id": item.get("id")} if sheet.parent is None else {"id": links.get("id"), "metric": item.get("metric")}
        for entry in item.get(child.section) or []:
            if isinstance(entry, dict):
                _add(rows, child, entry, own)


#: A hidden entry of a row: the metric its quantities are in (to format them), or an objective.
_CONTEXT = Column("", ("@context",), LINK, "@context")


def _metric_context(sheet: Sheet, item: Mapping[str, Any]) -> str:
    if sheet.name == "Objectives":
        ident = item.get("id") or item.get("adopt")
        metrics = item.get("metrics")
        if isinstance(metrics, list) and metrics:
            return str(metrics[0])
        return f"objective:{ident}"
    if sheet.name == "Assumptions":
        return str(item.get("name") or "")
    return str(item.get("metric") or "")


def _lookup(item: Mapping[str, Any], key: KeyPath) -> Any:
    value: Any = item
    for part in key:
        if isinstance(part, int):
            value = value[part] if isinstance(value, list) and part < len(value) else None
        else:
            value = value.get(part) if isinstance(value, dict) else None
        if value is None:
            return None
    return value


# -- cells --------------------------------------------------------------------------------------------


def percent_value(value: Any) -> float | None:
    """``'40%'`` and ``0.4`` are 0.4 (the number a percent cell holds); None for anything else."""
    if isinstance(value, str):
        match = _PERCENT.match(value)
        return float(match.group(1)) / 100 if match else None
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return float(value)
    return None


def _percent_format(value: float) -> str:
    """``0%``, ``0.0%`` ...: as many decimals as the percentage needs (at most four)."""
    text = f"{value * 100:.4f}".rstrip("0").rstrip(".")
    decimals = len(text.partition(".")[2])
    return "0%" if not decimals else "0." + "0" * decimals + "%"


def _number_format(value: float, kind: str = "") -> str:
    """Money and quantities with thousands separators; counts (a year, a headcount, days) as they are."""
    if float(value).is_integer():
        return "0" if kind == COUNT else "#,##0"
    return "#,##0.########"


def cell(column: Column, value: Any, unit: str = "") -> tuple[Any, str]:
    """(value for the spreadsheet, number format) of one value; text stays text."""
    kind = column.kind
    if kind == LIST and isinstance(value, list):
        return ", ".join(_plain(v) for v in value), ""
    if isinstance(value, bool):
        return value, ""
    if isinstance(value, datetime.date):
        day = value if not isinstance(value, datetime.datetime) else value.date()
        return datetime.datetime(day.year, day.month, day.day), "yyyy-mm-dd"
    if kind in (PERCENT, QUANTITY, CAP) and isinstance(value, str) and _PERCENT.match(value):
        number = percent_value(value)
        assert number is not None
        return number, _percent_format(number)
    if isinstance(value, (int, float, Decimal)) and kind in (PERCENT, QUANTITY, MONEY, COUNT, NUMBER, CAP, LAG):
        number = float(value) if isinstance(value, Decimal) else value
        if kind == PERCENT or (kind in (QUANTITY, CAP) and unit == "percent"):
            return number, _percent_format(float(number))
        return number, _number_format(float(number), kind)
    return _plain(value), ""


def _plain(value: Any) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def csv_text(column: Column, value: Any) -> str:
    """One value as a CSV cell: as written in YAML (``40%`` stays ``40%``, dates are YYYY-MM-DD)."""
    if column.kind == LIST and isinstance(value, list):
        return ", ".join(_plain(v) for v in value)
    if isinstance(value, float):
        return repr(value) if not value.is_integer() else str(int(value))
    return _plain(value)


# -- the policy workbook ------------------------------------------------------------------------------


def policy_workbook(rows: Rows, source: str = "") -> bytes:
    """The organization as an .xlsx workbook in the layout (every sheet, filled or not)."""
    import xlsxwriter

    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_numbers": False, "strings_to_urls": False})
    book.set_properties({"title": "Interlock plans", "created": FIXED_DATE,
                         "comments": "Layout: docs/spreadsheets.md (Interlock)"})
    styles = _Styles(book)
    _about(book, styles, source)
    for sheet in SHEETS:
        _policy_sheet(book, styles, sheet, rows.sheets[sheet.name], rows.units)
    book.close()
    return output.getvalue()


class _Styles:
    """XlsxWriter formats, one per distinct number format."""

    def __init__(self, book: Any) -> None:
        self.book = book
        self.header = book.add_format({"bold": True, "bg_color": "#DDE5F0", "border": 1, "text_wrap": True,
                                       "valign": "top"})
        self.title = book.add_format({"bold": True, "font_size": 14})
        self.wrap = book.add_format({"text_wrap": True, "valign": "top"})
        self.top = book.add_format({"valign": "top"})
        self._numbers: dict[str, Any] = {}
        self.severity = {name: book.add_format({"bg_color": colour, "bold": True, "valign": "top"})
                         for name, colour in SEVERITY_COLOURS.items()}

    def number(self, fmt: str) -> Any:
        if not fmt:
            return self.top
        if fmt not in self._numbers:
            self._numbers[fmt] = self.book.add_format({"num_format": fmt, "valign": "top"})
        return self._numbers[fmt]


def _about(book: Any, styles: _Styles, source: str) -> None:
    sheet = book.add_worksheet("About")
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 1, 100)
    sheet.write_string(0, 0, "Interlock plans", styles.title)
    lines = [
        ("What this is", "The organization's incentive plans in Interlock's workbook layout: one sheet per section, "
                         "one row per item. `interlock check` lints this file; `interlock import` turns it into policy "
                         "YAML. This About sheet is not read."),
        ("How to fill it in", "Keep the header row. Percentages as percentages (40%), money as plain numbers in the "
                              "organization's currency, dates as dates. Ids are lowercase letters, digits, '-' and '_'. "
                              "Lists (levers, metrics) are comma-separated in one cell. Hover a header for what it holds."),
        ("Reference", "docs/spreadsheets.md (the layout) and docs/policy-language.md (what each key means)."),
    ]
    if source:
        lines.append(("Exported from", source))
    row = 2
    for label, text in lines:
        sheet.write_string(row, 0, label, styles.header)
        sheet.write_string(row, 1, text, styles.wrap)
        row += 1
    row += 1
    sheet.write_string(row, 0, "Sheet", styles.header)
    sheet.write_string(row, 1, "What each row is", styles.header)
    for layout in SHEETS:
        row += 1
        sheet.write_string(row, 0, layout.name)
        sheet.write_string(row, 1, layout.about, styles.wrap)


def _policy_sheet(book: Any, styles: _Styles, layout: Sheet, rows: list[dict[Column, Any]],
                  units: Mapping[str, str]) -> None:
    sheet = book.add_worksheet(layout.name)
    widths = [len(c.header) + 2 for c in layout.columns]
    for position, column in enumerate(layout.columns):
        sheet.write_string(0, position, column.header, styles.header)
        note = description(layout, column)
        if note:
            sheet.write_comment(0, position, note, {"x_scale": 2, "y_scale": 1.2})
    for number, row in enumerate(rows, start=1):
        unit = units.get(str(row.get(_CONTEXT, "")), "")
        for position, column in enumerate(layout.columns):
            if column not in row:
                continue
            value, fmt = cell(column, row[column], unit)
            style = styles.wrap if column.kind not in (LINK,) and isinstance(value, str) and len(value) > 60 \
                else styles.number(fmt)
            if isinstance(value, bool):
                sheet.write_boolean(number, position, value, style)
            elif isinstance(value, datetime.datetime):
                sheet.write_datetime(number, position, value, style)
            elif isinstance(value, (int, float)):
                sheet.write_number(number, position, value, style)
            else:
                sheet.write_string(number, position, str(value), style)
            widths[position] = max(widths[position], min(len(str(value)) + 2, 60))
    for position, width in enumerate(widths):
        sheet.set_column(position, position, width)
    sheet.freeze_panes(1, 0)
    last = max(len(rows), 1)
    sheet.autofilter(0, 0, last, len(layout.columns) - 1)
    for position, column in enumerate(layout.columns):
        allowed = choices(layout, column) if column.kind in (CHOICE, FLAG) else ()
        if column.kind == FLAG:
            allowed = ("TRUE", "FALSE")
        if allowed:
            sheet.data_validation(1, position, len(rows) + _SPARE_ROWS, position, {
                "validate": "list", "source": list(allowed), "error_type": "warning",
                "error_title": column.header, "error_message": f"One of: {', '.join(allowed)}"})


def policy_csv(rows: Rows) -> dict[str, str]:
    """The same rows as CSV files, one per sheet (file name -> text), headers included."""
    files: dict[str, str] = {}
    for sheet in SHEETS:
        out = io.StringIO(newline="")
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([c.header for c in sheet.columns])
        for row in rows.sheets[sheet.name]:
            writer.writerow([csv_text(c, row[c]) if c in row else "" for c in sheet.columns])
        files[sheet.csv_name] = out.getvalue()
    return files


# -- findings -----------------------------------------------------------------------------------------


FINDING_COLUMNS = (
    ("Severity", 10), ("Rule", 8), ("Name", 28), ("Family", 16), ("Title", 40), ("Departments", 24),
    ("Objectives", 24), ("Message", 80), ("Remediation", 60), ("Locations", 42), ("Causal path", 30),
    ("Waiver", 30), ("Fingerprint", 18),
)


def findings_workbook(findings: Sequence[Finding], *, fail_on: str = "error") -> bytes:
    """One row per finding, a frozen header, filters and severity colours; a Summary sheet of counts."""
    import xlsxwriter

    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_numbers": False, "strings_to_urls": False})
    book.set_properties({"title": "Interlock findings", "created": FIXED_DATE})
    styles = _Styles(book)
    sheet = book.add_worksheet("Findings")
    for position, (header, width) in enumerate(FINDING_COLUMNS):
        sheet.write_string(0, position, header, styles.header)
        sheet.set_column(position, position, width)
    for number, finding in enumerate(findings, start=1):
        waiver = (f"waived by {finding.waiver.owner} until {finding.waiver.expires}: {finding.waiver.justification}"
                  if finding.waiver else "")
        values = (
            finding.severity, finding.rule, finding.name, finding.family, finding.title,
            ", ".join(finding.departments), ", ".join(finding.objectives), " ".join(finding.message.split()),
            " ".join(finding.remediation.split()), "\n".join(str(place) for place in finding.locations),
            " > ".join(finding.trace), waiver, finding.fingerprint,
        )
        for position, value in enumerate(values):
            style = styles.severity.get(finding.severity, styles.wrap) if position == 0 else styles.wrap
            sheet.write_string(number, position, value, style)
    sheet.freeze_panes(1, 1)
    sheet.autofilter(0, 0, max(len(findings), 1), len(FINDING_COLUMNS) - 1)
    _summary(book, styles, findings, fail_on)
    book.close()
    return output.getvalue()


def _summary(book: Any, styles: _Styles, findings: Sequence[Finding], fail_on: str) -> None:
    sheet = book.add_worksheet("Summary")
    sheet.set_column(0, 0, 12)
    sheet.set_column(1, 1, 34)
    sheet.set_column(2, 3, 12)
    sheet.write_string(0, 0, "Severity", styles.header)
    sheet.write_string(0, 1, "Findings (not waived)", styles.header)
    row = 1
    for severity in ("error", "warning", "info"):
        sheet.write_string(row, 0, severity, styles.severity[severity])
        sheet.write_number(row, 1, sum(1 for f in findings if f.severity == severity and f.waiver is None))
        row += 1
    sheet.write_string(row, 0, "waived", styles.top)
    sheet.write_number(row, 1, sum(1 for f in findings if f.waiver is not None))
    row += 2
    for position, header in enumerate(("Rule", "Name", "Severity", "Findings")):
        sheet.write_string(row, position, header, styles.header)
    counts: dict[tuple[str, str, str], int] = {}
    for finding in findings:
        key = (finding.rule, finding.name, finding.severity)
        counts[key] = counts.get(key, 0) + 1
    for (rule, name, severity), count in sorted(counts.items()):
        row += 1
        sheet.write_string(row, 0, rule)
        sheet.write_string(row, 1, name)
        sheet.write_string(row, 2, severity, styles.severity.get(severity, styles.top))
        sheet.write_number(row, 3, count)
    row += 2
    sheet.write_string(row, 0, f"A finding at or above '{fail_on}' (and not waived) fails the run.")


def column(sheet: str, header: str) -> Column:
    """A layout column by sheet and header (for callers that build rows by hand)."""
    return next(c for c in BY_NAME[sheet].columns if c.header == header)


def all_rows(rows: Rows) -> Iterable[tuple[Sheet, list[dict[Column, Any]]]]:
    return ((sheet, rows.sheets[sheet.name]) for sheet in SHEETS)
