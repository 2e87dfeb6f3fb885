"""Read a workbook (.xlsx) or a folder of CSV sheets into the documents the YAML reader produces.

The layout is engine/read/workbook_layout.py (docs/spreadsheets.md): one sheet per policy section, a
header row, one row per item. The result is a (data, index) pair like yamlsource.read_yaml's: the
data is the mapping of sections a policy file holds, and the index locates every value at its cell,
so that validation reports ``plans.xlsx:Measures!C7: plans[0].measures[0].weight: ...`` with the
same words as for YAML. Formula cells are read as the values they were last computed to.

Input is hostile until read (docs/hardening.md). Before any library sees an .xlsx it is checked here:
its size on disk, that it is a zip archive at all (an old .xls, a CSV or a PDF renamed .xlsx is told
apart), how many parts it has, and the unpacked size of the few parts the layout needs (the
workbook, its relationships, styles, shared strings and the layout's sheets), read with a bound, so a
zip bomb costs nothing. No part may declare a DOCTYPE or an entity (billion laughs, external
entities), and the cells of each sheet must fit in the bounds (rows, and the rectangle a reader
allocates for them) before they are read. Only the parts checked are handed, repacked as they were
checked, to python-calamine (a Rust reader, nine times faster than openpyxl on the 1,000-department
workbook: docs/spreadsheets.md); nothing else in the file (macros, links, embedded objects) is
ever opened.
"""
from __future__ import annotations

import datetime
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from interlock.errors import InputError, Problem
from interlock.places import column_letters
from interlock.read.values import did_you_mean
from interlock.read.workbook_files import (
    CSV_SUFFIX,
    OTHER_SPREADSHEETS,
    RawSheet,
    Refused,
    csv_rows,
    read_bounded,
    xlsx_sheets,
)
from interlock.read.workbook_layout import (
    BY_KEY,
    CAP,
    CHOICE,
    DATE,
    FLAG,
    ID,
    LAG,
    LINK,
    LIST,
    NUMERIC,
    PERIOD,
    SHEETS,
    TEXT,
    Column,
    KeyPath,
    Sheet,
    children,
    header_key,
    sheet_key,
)
from interlock.read.yamlsource import DataPath, clip, forbidden_character, path_label

_NUMBER = re.compile(r"^[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$")
_PERCENT_TEXT = re.compile(r"^[+-]?[0-9]+(?:\.[0-9]+)?\s*%$")
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_TRUE, _FALSE = {"true", "yes"}, {"false", "no"}


# -- the index: where each value is -------------------------------------------------------------------


@dataclass
class _SheetPlaces:
    """One sheet as found: its name in the workbook (or its CSV file's name) and where its columns are."""

    name: str
    layout: Sheet
    #: Key path in the item (and its prefixes) -> 1-based column.
    columns: dict[KeyPath, int] = field(default_factory=dict)
    header_row: int = 1


@dataclass
class WorkbookIndex:
    """Where each value of a workbook's data is: the cell of its sheet, row and column.

    ``locate`` answers like yamlsource.SourceIndex's with a third element, the sheet: validation
    makes ``Location(file, row, column, sheet)`` of it, which reads ``plans.xlsx:Measures!C7``. A
    path below an item is found in the item's row, at the column of its key (or of its list); an
    item's own place is its anchor cell (the measure's Metric, the plan's Id).
    """

    file: str
    _items: dict[DataPath, tuple[_SheetPlaces, int, int]] = field(default_factory=dict)
    #: Read-time notes (YAML forms that 1.1 and 1.2 read differently): a workbook has none.
    notes: tuple[Any, ...] = ()
    _sections: dict[str, _SheetPlaces] = field(default_factory=dict)

    def locate(self, path: DataPath) -> tuple[int, int, str]:
        path = tuple(path)
        for length in range(len(path), 0, -1):
            found = self._items.get(path[:length])
            if found is None:
                continue
            sheet, row, anchor = found
            rest = path[length:]
            for size in range(len(rest), 0, -1):
                column = sheet.columns.get(rest[:size])
                if column is not None:
                    return row, column, sheet.name
            return row, anchor, sheet.name
        sheet_places = self._sections.get(str(path[0])) if path else None
        if sheet_places is None and self._sections:
            sheet_places = next(iter(self._sections.values()))
        if sheet_places is None:
            return 1, 1, ""
        return sheet_places.header_row, 1, sheet_places.name

    def locate_key(self, path: DataPath) -> tuple[int, int, str]:
        return self.locate(path)

    def where(self, path: DataPath) -> str:
        from interlock.places import cell_text

        row, column, sheet = self.locate(path)
        return cell_text(self.file, sheet, row, column) if sheet else f"{self.file}:1:1"


def read_workbook(path: Path, display: str) -> tuple[dict[str, Any], WorkbookIndex]:
    """Read an .xlsx workbook; InputError with every problem found (``file: what is wrong`` for a refused file)."""
    suffix = path.suffix.lower()
    if suffix in OTHER_SPREADSHEETS:
        raise InputError([Problem(display, 0, 0, f"cannot read {OTHER_SPREADSHEETS[suffix]}")])
    try:
        raw = read_bounded(path)
        sheets, problems = xlsx_sheets(raw, display)
    except Refused as refused:
        raise InputError([Problem(display, refused.row, refused.column, refused.message, refused.sheet)]) from None
    return _assemble(display, sheets, problems)


def read_csv_sheets(files: Sequence[tuple[Path, str]], display: str) -> tuple[dict[str, Any], WorkbookIndex]:
    """Read CSV files, one sheet each (named by the file: ``measures.csv`` is Measures), as one workbook.

    ``files`` are (path, file name) pairs from one folder; ``display`` is the folder as shown.
    """
    sheets: list[RawSheet] = []
    problems: list[Problem] = []
    taken: dict[str, str] = {}
    for path, name in sorted(files, key=lambda item: item[1]):
        stem = name[: -len(CSV_SUFFIX)] if name.lower().endswith(CSV_SUFFIX) else name
        layout = BY_KEY.get(sheet_key(stem))
        if layout is None:
            known = [s.csv_name for s in SHEETS]
            hint = did_you_mean(name.lower(), known)
            problems.append(Problem(display, 0, 0, f"{clip(name)!r} is not a sheet of the workbook layout{hint} "
                                                   f"(the sheets: docs/spreadsheets.md)", name))
            continue
        if layout.name in taken:
            problems.append(Problem(display, 0, 0, f"a second file for the {layout.name} sheet "
                                                   f"(the first is {taken[layout.name]})", name))
            continue
        taken[layout.name] = name
        try:
            sheets.append(RawSheet(name, layout, csv_rows(path, name)))
        except Refused as refused:
            problems.append(Problem(display, refused.row, refused.column, refused.message, name))
    if problems:
        raise InputError(problems)
    return _assemble(display, sheets, [])


# -- rows into the policy's sections ------------------------------------------------------------------


def _assemble(display: str, sheets: Sequence[RawSheet], problems: list[Problem]) -> tuple[dict[str, Any], WorkbookIndex]:
    assembler = _Assembler(display, problems)
    by_layout = {sheet.layout.name: sheet for sheet in sheets}
    for layout in SHEETS:
        if layout.name in by_layout:
            assembler.sheet(by_layout[layout.name])
    if assembler.problems:
        raise InputError(assembler.problems)
    return assembler.data, assembler.index


class _Assembler:
    """Turns sheets into sections, in the layout's order (a parent's sheet before its children's)."""

    def __init__(self, display: str, problems: list[Problem]) -> None:
        self.file = display
        self.problems = problems
        self.data: dict[str, Any] = {}
        self.index = WorkbookIndex(display)
        #: Items that rows of other sheets name: a plan by (id,), a measure by (plan id, metric).
        self.named: dict[str, dict[tuple[Any, ...], tuple[DataPath, dict[str, Any]]]] = {}
        self.twice: dict[str, set[tuple[Any, ...]]] = {}

    def problem(self, sheet: str, row: int, column: int, message: str) -> None:
        self.problems.append(Problem(self.file, row, column, message, sheet))

    def sheet(self, raw: RawSheet) -> None:
        layout = raw.layout
        for (row, column), message in sorted(raw.bad.items()):
            self.problem(raw.name, row, column, message)
        rows = iter(raw.rows)
        header = _first_filled(rows)
        places = _SheetPlaces(raw.name, layout)
        self.index._sections.setdefault(layout.section if layout.parent is None else f"@{layout.name}", places)
        if header is None:
            return
        places.header_row, cells = header
        columns = self.header(raw, places, cells)
        anchor_column = next((p for p, c in columns.items() if c.header == layout.anchor), 0)
        for number, values in rows:
            item: dict[str, Any] = {}
            links: dict[str, Any] = {}
            first = 0
            for position, value in enumerate(values, start=1):
                if (number, position) in raw.bad:
                    first = first or position
                    continue
                if _empty(value):
                    continue
                first = first or position
                column = columns.get(position)
                if column is None:
                    self.problem(raw.name, number, position, "a value in a column without a header: name the "
                                                             "column in the header row or clear the cell")
                elif column.kind == LINK:
                    links[column.links_to] = _text_value(value)
                else:
                    _put(item, column.key, (column, number, position, value))
            if not first:
                continue  # an empty row: a separator
            anchor = anchor_column if anchor_column and anchor_column <= len(values) and not _empty(
                values[anchor_column - 1]) else first
            placed = self.place(raw, places, number, links, anchor)
            if placed is None:
                continue
            path, siblings = placed
            self.fill(raw.name, item, path)
            if siblings is None:
                self.data[layout.section] = item
            else:
                siblings.append(item)
            self.index._items[path] = (places, number, anchor)
            key = _key_of(layout, item, links)
            if key is not None:
                table = self.named.setdefault(layout.name, {})
                if key in table:
                    self.twice.setdefault(layout.name, set()).add(key)
                else:
                    table[key] = (path, item)

    def header(self, raw: RawSheet, places: _SheetPlaces, cells: Sequence[Any]) -> dict[int, Column]:
        """Column number -> layout column, from the header row; unknown and repeated headers are problems."""
        layout, row = raw.layout, places.header_row
        columns: dict[int, Column] = {}
        seen: dict[str, int] = {}
        for position, value in enumerate(cells, start=1):
            if _empty(value) or (row, position) in raw.bad:
                continue
            if not isinstance(value, str):
                self.problem(raw.name, row, position, f"expected a column name in the header row, got {_shown(value)}")
                continue
            column = layout.by_header.get(header_key(value))
            if column is None:
                headers = [c.header for c in layout.columns]
                hint = did_you_mean(value.strip(), headers) or did_you_mean(value.strip().capitalize(), headers)
                self.problem(raw.name, row, position, f"unknown column {clip(value.strip())!r}{hint} "
                                                      f"(the {layout.name} sheet has: {', '.join(headers)})")
                continue
            if column.header in seen:
                first = f"{column_letters(seen[column.header])}{row}"
                self.problem(raw.name, row, position, f"the column {column.header!r} appears twice (first in {first})")
                continue
            seen[column.header] = position
            columns[position] = column
            for size in range(len(column.key), 0, -1):
                places.columns.setdefault(column.key[:size], position)
        return columns

    def place(self, raw: RawSheet, places: _SheetPlaces, row: int, links: dict[str, Any],
              anchor: int) -> tuple[DataPath, list[dict[str, Any]] | None] | None:
        """Where a row's item goes: its data path and the list it joins (None: the organization's mapping).

        None, and a problem, for a second organization row or a row whose plan (or measure) is unknown.
        """
        layout = raw.layout
        if layout.single:
            if (layout.section,) in self.index._items:
                first = self.index._items[(layout.section,)][1]
                self.problem(raw.name, row, anchor, f"the {layout.name} sheet holds one row: the organization is "
                                                    f"described once (in row {first})")
                return None
            return (layout.section,), None
        if layout.parent is None:
            siblings = self.data.setdefault(layout.section, [])
            return (layout.section, len(siblings)), siblings
        key = tuple(links.get(c.links_to) for c in layout.links)
        missing = [c.header for c, value in zip(layout.links, key) if value is None]
        if missing:
            what = _PARENT_WORDS.get(layout.parent or "", (layout.parent or "").lower())
            self.problem(raw.name, row, anchor, f"the row does not say which {what} it belongs to: fill in "
                                                f"{' and '.join(missing)}")
            return None
        found = self.named.get(layout.parent or "", {}).get(key)
        if found is None:
            self.unknown_parent(raw, places, row, key, anchor)
            return None
        if key in self.twice.get(layout.parent or "", set()):
            self.problem(raw.name, row, anchor, f"plan {key[0]!r} measures {key[-1]!r} more than once: this row "
                                                "cannot tell which measure it belongs to")
            return None
        parent_path, parent_item = found
        siblings = parent_item.setdefault(layout.section, [])
        return (*parent_path, layout.section, len(siblings)), siblings

    def unknown_parent(self, raw: RawSheet, places: _SheetPlaces, row: int, key: tuple[Any, ...], anchor: int) -> None:
        parent = raw.layout.parent or ""
        if parent not in ("Plans", "Measures"):  # a capacity or a crediting rule, named by its id
            ids = [str(k[0]) for k in self.named.get(parent, {})]
            column = places.columns.get(("@id",), anchor)
            self.problem(raw.name, row, column, f"unknown {_PARENT_WORDS.get(parent, parent.lower())} "
                                                f"{clip(str(key[0]))!r}{did_you_mean(str(key[0]), ids)}"
                                                f" (no row of the {parent} sheet has this id)")
            return
        plans = self.named.get("Plans", {})
        if (key[0],) not in plans:
            ids = [str(k[0]) for k in plans]
            column = places.columns.get(("@id",), anchor)
            self.problem(raw.name, row, column, f"unknown plan {clip(str(key[0]))!r}{did_you_mean(str(key[0]), ids)}"
                                                " (no row of the Plans sheet has this id)")
            return
        metrics = [str(k[1]) for k in self.named.get("Measures", {}) if k[0] == key[0]]
        column = places.columns.get(("@metric",), anchor)
        self.problem(raw.name, row, column, f"plan {str(key[0])!r} has no measure of {clip(str(key[1]))!r}"
                                            f"{did_you_mean(str(key[1]), metrics)} (see the Measures sheet)")

    def fill(self, sheet: str, item: dict[str, Any], path: DataPath) -> None:
        """Turn the cells put in ``item`` (column, row, position, value) into values, in place."""
        for key, value in list(item.items()):
            if isinstance(value, dict):
                self.fill(sheet, value, (*path, key))
                if not value:
                    del item[key]
            elif isinstance(value, list):
                converted = [None if entry is None else self.convert(sheet, entry, (*path, key, i))
                             for i, entry in enumerate(value)]
                item[key] = [None if entry is _SKIP else entry for entry in converted]
            else:
                result = self.convert(sheet, value, (*path, key))
                if result is _SKIP:
                    del item[key]
                else:
                    item[key] = result

    def convert(self, sheet: str, cell: tuple[Column, int, int, Any], path: DataPath) -> Any:
        column, row, position, value = cell
        result = cell_value(column, value)
        for text in (result if isinstance(result, list) else [result]):
            if isinstance(text, str):
                found = forbidden_character(text)
                if found is not None:
                    self.problem(sheet, row, position, f"{path_label(path)}: the text contains {found}, a control or "
                                                       "bidirectional-override character that can hide or reorder "
                                                       "text; remove it")
                    return _SKIP
        return result


_SKIP = object()


#: What a nested sheet's row names its parent as, in messages.
_PARENT_WORDS = {"Plans": "plan", "Measures": "measure (plan and metric)", "Capacity": "capacity",
                 "Crediting": "crediting rule"}


def _key_of(layout: Sheet, item: dict[str, Any], links: dict[str, Any]) -> tuple[Any, ...] | None:
    """How other sheets' rows name this item: a plan (or a capacity, a crediting rule) by (id,), a
    measure by (plan id, metric). None for an item no sheet's rows belong to."""
    if not children(layout):
        return None
    if layout.parent is None:
        return (item.get("id"),)
    return (links.get("id"), item.get("metric"))


def _put(item: dict[str, Any], key: KeyPath, cell: tuple[Column, int, int, Any]) -> None:
    """Place a cell under its key path: nested mappings for ("effective", "from"), a list for ("range", 1)."""
    target: Any = item
    for part, following in zip(key, key[1:]):
        if isinstance(following, int):
            target = target.setdefault(part, [])
        else:
            target = target.setdefault(part, {})
    last = key[-1]
    if isinstance(last, int):
        while len(target) <= last:
            target.append(None)
        target[last] = cell
    else:
        target[last] = cell


def _first_filled(rows: Iterator[tuple[int, Sequence[Any]]]) -> tuple[int, Sequence[Any]] | None:
    for number, values in rows:
        if any(not _empty(v) for v in values):
            return number, values
    return None


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _shown(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return repr(value) if isinstance(value, str) else str(value)


# -- cell values ------------------------------------------------------------------------------------------


def cell_value(column: Column, value: Any) -> Any:
    """A cell as the YAML reader would give the same thing written in a policy file.

    Numbers that are whole become ints; text in a number column that reads as a number becomes one
    (``1,800`` and ``40%`` too, as CSV files and numbers stored as text hold them); dates become
    dates (a date with a time of day stays text, as in YAML, and is reported); ids and periods typed
    as numbers become text (``2027``). Anything else is kept as it is, for validation to report in
    the words it uses for YAML (``expected a percentage (0.4 or 40%), got 'fifty'``).
    """
    kind = column.kind
    if isinstance(value, str):
        value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if kind == LIST:
        return [cell_value(Column(column.header, column.key, ID), part) for part in _split(value)]
    if kind in (TEXT, ID, CHOICE, PERIOD):
        return _as_text(value, kind)
    if kind == DATE:
        return _as_date(value)
    if kind == FLAG:
        if isinstance(value, str) and value.lower() in _TRUE | _FALSE:
            return value.lower() in _TRUE
        return _whole(value)
    if kind in NUMERIC:
        if isinstance(value, str):
            if kind == CAP and value.lower() == "none":
                return "none"
            if kind == LAG and not _NUMBER.match(value):
                return value
            if _PERCENT_TEXT.match(value):
                return value
            if _NUMBER.match(value):
                number = float(value.replace(",", ""))
                return _whole(number)
            return value
        return _whole(value)
    return value


def _as_text(value: Any, kind: str) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if kind == PERIOD and isinstance(value, datetime.date):
        # A spreadsheet reads the period 2027-07 as the date 1 July 2027: give the month back.
        day = value.date() if isinstance(value, datetime.datetime) else value
        return f"{day.year:04d}-{day.month:02d}" if day.day == 1 else day.isoformat()
    return value


def _as_date(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.date()
        return value.isoformat(sep=" ", timespec="minutes")  # kept as text: a date with a time is refused, as in YAML
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            return value  # 2027-02-30: validation says it is not a valid date
    return _whole(value)


def _whole(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53:
        return int(value)
    return value


def _split(value: Any) -> list[Any]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return [] if _empty(value) else [value]


def _text_value(value: Any) -> Any:
    """A link cell (a plan's id, a measure's metric) as the text it is compared with."""
    return _as_text(value.strip() if isinstance(value, str) else value, ID)

