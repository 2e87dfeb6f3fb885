"""Read a workbook (.xlsx) or a folder of CSV sheets into the documents the YAML reader produces.

The layout is engine/workbook_layout.py (docs/spreadsheets.md): one sheet per policy section, a
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

import csv
import datetime
import difflib
import html
import io
import os
import posixpath
import re
import stat
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from interlock.errors import InputError, Problem
from interlock.places import column_letters
from interlock.validate import did_you_mean
from interlock.workbook_layout import (
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
    header_key,
    sheet_key,
)
from interlock.yamlsource import DataPath, clip, forbidden_character, path_label

#: Files read as workbooks, and files refused with what to do instead.
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
CSV_SUFFIX = ".csv"
OTHER_SPREADSHEETS = {
    ".xls": "an Excel 97-2003 workbook (.xls): save it as an Excel workbook (.xlsx)",
    ".ods": "an OpenDocument spreadsheet (.ods): save it as an Excel workbook (.xlsx)",
    ".numbers": "a Numbers spreadsheet: export it as an Excel workbook (.xlsx)",
    ".xlsb": "an Excel binary workbook (.xlsb): save it as an Excel workbook (.xlsx)",
}

#: The largest workbook (or CSV sheet) read, judged from its size on disk: the 1,000-department
#: synthetic organization is 470 KB as .xlsx, so a workbook fifty times that size still fits.
MAX_WORKBOOK_BYTES = 32 * 1024 * 1024
#: What the parts read may unpack to, all together: zip bombs unpack to gigabytes from a few kilobytes.
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
#: Parts (files) in the archive: a workbook has a dozen or two; listing millions costs memory.
MAX_PARTS = 10_000
#: Rows of one sheet: Excel's own limit.
MAX_ROWS = 1_048_576
#: Cells of the layout's sheets, counting the whole rectangle from A1 to the last used cell (the
#: rectangle a reader allocates): the 1,000-department organization has about 200,000.
MAX_CELLS = 5_000_000

_MB = 1024 * 1024
#: How close a sheet's name must be to a layout sheet's to be taken for a typo of it (Measure, Targts).
_TYPO = 0.85
_SPREADSHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONSHIP_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_UNSAFE_XML = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_CELL_REF = re.compile(rb"<(?:[\w.-]+:)?c\s[^>]*?(?<=\s)r=\"([A-Z]+)([0-9]+)\"")
_CELL_OPEN = re.compile(rb"<(?:[\w.-]+:)?c[\s/>]")
_ROW_REF = re.compile(rb"<(?:[\w.-]+:)?row\s[^>]*?(?<=\s)r=\"([0-9]+)\"")
_ROW_OPEN = re.compile(rb"<(?:[\w.-]+:)?row[\s/>]")
_FORMULA_OR_ERROR = re.compile(rb"<(?:[\w.-]+:)?f[\s/>]|\st=\"e\"")
_CELL = re.compile(rb"<((?:[\w.-]+:)?)c\s([^>]*?)(?:/>|>(.*?)</\1c>)", re.DOTALL)
_ATTR_R = re.compile(rb"(?:^|\s)r=\"([A-Z]+)([0-9]+)\"")
_ATTR_T = re.compile(rb"(?:^|\s)t=\"(\w+)\"")
_FORMULA = re.compile(rb"<(?:[\w.-]+:)?f(?:\s[^>]*)?(?:/>|>(.*?)</(?:[\w.-]+:)?f>)", re.DOTALL)
_VALUE = re.compile(rb"<(?:[\w.-]+:)?v(?:\s[^>]*)?(?:/>|>(.*?)</(?:[\w.-]+:)?v>)", re.DOTALL)
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


# -- a sheet as rows of values ------------------------------------------------------------------------


@dataclass
class RawSheet:
    """The rows of one layout sheet, as read: row number (1-based) and the values from column A."""

    name: str
    layout: Sheet
    rows: Iterable[tuple[int, Sequence[Any]]]
    #: Cells that cannot be read (a formula never computed, an error value): (row, column) -> why.
    bad: dict[tuple[int, int], str] = field(default_factory=dict)


class _Refused(Exception):
    """The whole file is refused: one problem, nothing else is read."""

    def __init__(self, message: str, sheet: str = "", row: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.message, self.sheet, self.row, self.column = message, sheet, row, column


def read_workbook(path: Path, display: str) -> tuple[dict[str, Any], WorkbookIndex]:
    """Read an .xlsx workbook; InputError with every problem found (``file: what is wrong`` for a refused file)."""
    suffix = path.suffix.lower()
    if suffix in OTHER_SPREADSHEETS:
        raise InputError([Problem(display, 0, 0, f"cannot read {OTHER_SPREADSHEETS[suffix]}")])
    try:
        raw = _read_bounded(path)
        sheets, problems = _xlsx_sheets(raw, display)
    except _Refused as refused:
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
            sheets.append(RawSheet(name, layout, _csv_rows(path, name)))
        except _Refused as refused:
            problems.append(Problem(display, refused.row, refused.column, refused.message, name))
    if problems:
        raise InputError(problems)
    return _assemble(display, sheets, [])


# -- bounded reading ----------------------------------------------------------------------------------


def _read_bounded(path: Path, limit: int = MAX_WORKBOOK_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, judged from its size before reading."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        handle = os.open(path, flags)
    except OSError as exc:
        raise _Refused(f"cannot read the file: {exc.strerror or type(exc).__name__}") from None
    try:
        info = os.fstat(handle)
        if stat.S_ISDIR(info.st_mode):
            raise _Refused("cannot read the file: it is a folder")
        if not stat.S_ISREG(info.st_mode):
            raise _Refused("cannot read the file: not a regular file (a pipe, socket or device)")
        if info.st_size > limit:
            raise _Refused(_too_large(info.st_size, limit))
        with open(handle, "rb", buffering=0, closefd=False) as stream:
            raw = stream.read(limit + 1)
    except OSError as exc:
        raise _Refused(f"cannot read the file: {exc.strerror or type(exc).__name__}") from None
    finally:
        os.close(handle)
    if len(raw) > limit:
        raise _Refused(_too_large(len(raw), limit))
    return raw


def _too_large(size: int, limit: int) -> str:
    return f"the file is {size:,} bytes, over the limit of {limit:,} bytes ({limit // _MB} MB) per workbook or sheet"


def _not_a_workbook(raw: bytes) -> str:
    """What a file that should be an .xlsx (a zip archive) is instead."""
    head = raw[:8]
    if not raw:
        return "the file is empty: expected an .xlsx workbook"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return ("not an .xlsx workbook: it is an Excel 97-2003 (.xls) workbook or a password-protected one; "
                "save it as an Excel workbook (.xlsx) without a password")
    if head.startswith(b"%PDF"):
        return "not an .xlsx workbook: it is a PDF file"
    if head.startswith((b"\x1f\x8b", b"7z\xbc\xaf", b"Rar!")):
        return "not an .xlsx workbook: it is another kind of archive (gzip, 7z or rar)"
    sample = raw[:4096]
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError:
        return "not an .xlsx workbook: the file is not a zip archive"
    if text.lstrip().startswith("<"):
        return "not an .xlsx workbook: it is an XML or HTML text file (an .xls saved as web page?)"
    return "not an .xlsx workbook: it is a text file (a CSV or YAML file renamed .xlsx?)"


def _xlsx_sheets(raw: bytes, display: str) -> tuple[list[RawSheet], list[Problem]]:
    """Check the archive and read the layout's sheets from it (see the module's docstring)."""
    if not raw.startswith(b"PK\x03\x04"):
        raise _Refused(_not_a_workbook(raw))
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise _Refused("not an .xlsx workbook: the zip archive is damaged") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_PARTS:
            raise _Refused(f"the workbook holds more than {MAX_PARTS:,} parts (files in its archive)")
        reader = _Parts(archive)
        if "xl/workbook.xml" not in reader.names:
            if "word/document.xml" in reader.names or "ppt/presentation.xml" in reader.names:
                raise _Refused("not an .xlsx workbook: it is a Word or PowerPoint document")
            raise _Refused("not an .xlsx workbook: the archive has no workbook part (xl/workbook.xml)")
        book = _xml(reader.read("xl/workbook.xml"), "xl/workbook.xml")
        rels = reader.relationships("xl/_rels/workbook.xml.rels", "xl")
        calc = book.find(f"{{{_SPREADSHEET_NS}}}calcPr")
        recalculate = calc is not None and calc.get("fullCalcOnLoad") in ("1", "true")
        problems: list[Problem] = []
        chosen: list[tuple[str, Sheet, str]] = []
        taken: dict[str, str] = {}
        for sheet in book.iter(f"{{{_SPREADSHEET_NS}}}sheet"):
            name = sheet.get("name") or ""
            layout = BY_KEY.get(sheet_key(name))
            if layout is None:
                near = difflib.get_close_matches(sheet_key(name), list(BY_KEY), n=1, cutoff=_TYPO)
                if near:  # a typo of a layout sheet would hide a whole section: an error, not "another sheet"
                    problems.append(Problem(display, 0, 0, f"the sheet {clip(name)!r} is not a sheet of the "
                                                           f"layout (did you mean {BY_KEY[near[0]].name!r}?)", name))
                continue  # other sheets (notes, pivots, an About sheet) are not read
            if layout.name in taken:
                problems.append(Problem(display, 0, 0, f"a second sheet for {layout.name} (the first is "
                                                       f"{taken[layout.name]!r})", name))
                continue
            taken[layout.name] = name
            target, kind = rels.get(sheet.get(f"{{{_RELATIONSHIP_NS}}}id") or "", ("", ""))
            if not kind.endswith("/worksheet") or not target:
                problems.append(Problem(display, 0, 0, "the sheet is a chart or has no cells to read", name))
                continue
            chosen.append((name, layout, target))
        if not taken and not problems:
            names = ", ".join(s.name for s in SHEETS[:5])
            raise _Refused(f"the workbook has none of the layout's sheets ({names}...): see docs/spreadsheets.md")
        extra = [target for target, kind in rels.values() if kind.endswith(("/sharedStrings", "/styles"))]
        kept: dict[str, bytes] = {"xl/workbook.xml": reader.read("xl/workbook.xml"),
                                  "xl/_rels/workbook.xml.rels": reader.read("xl/_rels/workbook.xml.rels")}
        for part in ("[Content_Types].xml", "_rels/.rels", *extra):
            if part in reader.names:
                kept[part] = reader.read(part)
        sheets: list[RawSheet] = []
        cells = 0
        for name, layout, target in chosen:
            if target not in reader.names:
                problems.append(Problem(display, 0, 0, "the sheet's part is missing from the archive", name))
                continue
            data = reader.read(target)
            height, width = _extent(data)
            if height > MAX_ROWS:
                raise _Refused(f"the sheet holds {height:,} rows, over the limit of {MAX_ROWS:,}", name)
            cells += height * width
            if cells > MAX_CELLS:
                raise _Refused(f"the sheet reaches cell {column_letters(width)}{height}: the layout's sheets span "
                               f"more than {MAX_CELLS:,} cells (a workbook that big is refused)", name)
            kept[target] = data
            bad = _unreadable_cells(data, recalculate) if _FORMULA_OR_ERROR.search(data) else {}
            sheets.append(RawSheet(name, layout, (), bad))
    rows = _calamine_rows(kept, [s.name for s in sheets])
    for sheet in sheets:
        sheet.rows = rows[sheet.name]
    return sheets, problems


class _Parts:
    """The parts of the archive, read with bounds: each as declared, all together under MAX_UNPACKED_BYTES."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.names = {info.filename: info for info in archive.infolist()}
        self.unpacked = 0
        self.cache: dict[str, bytes] = {}

    def read(self, name: str) -> bytes:
        if name in self.cache:
            return self.cache[name]
        info = self.names[name]
        if info.flag_bits & 0x1:
            raise _Refused("the workbook is encrypted: save it without a password")
        self.unpacked += info.file_size
        if self.unpacked > MAX_UNPACKED_BYTES:
            raise _Refused(f"the workbook unpacks to more than {MAX_UNPACKED_BYTES:,} bytes "
                           f"({MAX_UNPACKED_BYTES // _MB} MB) in the parts Interlock reads: a zip bomb?")
        try:
            with self.archive.open(info) as stream:
                data = stream.read(info.file_size + 1)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError, OSError, EOFError):
            raise _Refused(f"not an .xlsx workbook: the part {clip(name)} is damaged") from None
        except RuntimeError:  # zipfile: an encrypted part
            raise _Refused("the workbook is encrypted: save it without a password") from None
        if len(data) > info.file_size:
            raise _Refused(f"not an .xlsx workbook: the part {clip(name)} is larger than its archive says")
        _check_xml(data, name)
        self.cache[name] = data
        return data

    def relationships(self, name: str, base: str) -> dict[str, tuple[str, str]]:
        """Relationship id -> (part name, type) of a .rels part (targets resolved against ``base``)."""
        if name not in self.names:
            return {}
        found: dict[str, tuple[str, str]] = {}
        for rel in _xml(self.read(name), name).iter(f"{{{_PACKAGE_RELS_NS}}}Relationship"):
            target = rel.get("Target") or ""
            if rel.get("TargetMode") == "External" or not target:
                continue
            part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(base, target))
            found[rel.get("Id") or ""] = (part, rel.get("Type") or "")
        return found


def _check_xml(data: bytes, part: str) -> None:
    """UTF-8 XML without a DOCTYPE or entity declarations (billion laughs, external entities)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data:
        raise _Refused(f"the workbook part {clip(part)} is not UTF-8 XML")
    if b"<!" in data and _UNSAFE_XML.search(data):
        raise _Refused(f"the workbook part {clip(part)} declares a DOCTYPE or entities, which workbooks never "
                       "need (an XML entity attack?)")


def _xml(data: bytes, part: str) -> ElementTree.Element:
    try:
        return ElementTree.fromstring(data)  # safe: _check_xml refused any DOCTYPE, so no entity can be declared
    except ElementTree.ParseError:
        raise _Refused(f"not an .xlsx workbook: the part {clip(part)} is not well-formed XML") from None


def _extent(data: bytes) -> tuple[int, int]:
    """A bound on (rows, columns) of the rectangle a reader allocates for a sheet, from its cell references."""
    refs = _CELL_REF.findall(data)
    rows = _ROW_REF.findall(data)
    unnamed_cells = len(_CELL_OPEN.findall(data)) - len(refs)
    unnamed_rows = len(_ROW_OPEN.findall(data)) - len(rows)
    last_row = max((int(r) for r in {*rows, *(number for _, number in refs)} if len(r) < 12), default=0)
    if any(len(r) >= 12 for r in rows) or any(len(n) >= 12 for _, n in refs):
        last_row = 10 ** 12
    letters = {letter for letter, _ in refs}
    last_column = max((_number(letter) for letter in letters), default=0)
    return last_row + unnamed_rows, last_column + unnamed_cells


def _number(letters: bytes) -> int:
    if len(letters) > 4:
        return 10 ** 7
    value = 0
    for letter in letters:
        value = value * 26 + letter - 64
    return value


def _unreadable_cells(data: bytes, recalculate: bool) -> dict[tuple[int, int], str]:
    """Cells whose value cannot be trusted: a formula never computed, or an error such as #DIV/0!."""
    bad: dict[tuple[int, int], str] = {}
    for cell in _CELL.finditer(data):
        attributes, content = cell.group(2), cell.group(3) or b""
        ref = _ATTR_R.search(attributes)
        if ref is None:
            continue
        where = (int(ref.group(2)), _number(ref.group(1)))
        kind = _ATTR_T.search(attributes)
        value = _VALUE.search(content)
        formula = _FORMULA.search(content)
        shown = _formula_text(formula.group(1)) if formula else ""
        if kind is not None and kind.group(1) == b"e":
            error = html.unescape((value.group(1) or b"").decode("utf-8", "replace")) if value else "an error"
            bad[where] = f"the cell holds the error {error}" + (f" (its formula {shown})" if shown else "")
        elif formula is not None:
            empty = value is None or (not value.group(1) and (kind is None or kind.group(1) not in (b"str", b"inlineStr")))
            if recalculate or empty:
                bad[where] = (f"the formula {shown or 'in this cell'} was never computed (the workbook was written "
                              "by a program, not saved by a spreadsheet): open and save it in Excel, LibreOffice or "
                              "Google Sheets, or type the value")
    return bad


def _formula_text(raw: bytes | None) -> str:
    return f"={clip(html.unescape(raw.decode('utf-8', 'replace')), 40)}" if raw else ""


def _calamine_rows(parts: dict[str, bytes], names: list[str]) -> dict[str, list[tuple[int, list[Any]]]]:
    """The checked parts, repacked as they were checked, read by python-calamine: rows numbered from 1."""
    if not names:
        return {}
    import python_calamine

    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_STORED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    packed.seek(0)
    found: dict[str, list[tuple[int, list[Any]]]] = {}
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(packed)
        for name in names:
            grid = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            found[name] = [(number, row) for number, row in enumerate(grid, start=1)]
    except Exception as exc:  # python-calamine's own errors: the file is not an .xlsx it can read
        detail = " ".join(str(exc).split())[:120]
        raise _Refused(f"cannot read the workbook: it is not a valid .xlsx file ({detail})") from None
    return found


def _csv_rows(path: Path, name: str) -> list[tuple[int, list[Any]]]:
    """The records of a CSV sheet (UTF-8, comma, semicolon or tab), numbered from 1 like a spreadsheet's rows."""
    raw = _read_bounded(path)
    if raw.startswith(b"PK\x03\x04"):
        raise _Refused("this is an .xlsx workbook named .csv: rename it to .xlsx")
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise _Refused("this is an Excel 97-2003 workbook named .csv: save it as CSV UTF-8")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _Refused("the file is UTF-16 text: save it as CSV UTF-8")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = raw.count(b"\n", 0, exc.start) + 1
        raise _Refused("the file is not UTF-8 text: save it as CSV UTF-8", row=row, column=1) from None
    if "\x00" in text:
        raise _Refused("the file holds NUL characters: it is not a CSV text file")
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    rows: list[tuple[int, list[Any]]] = []
    cells = 0
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, record in enumerate(reader, start=1):
            if number > MAX_ROWS:
                raise _Refused(f"the file holds more than {MAX_ROWS:,} rows")
            cells += len(record)
            if cells > MAX_CELLS:
                raise _Refused(f"the file holds more than {MAX_CELLS:,} cells")
            rows.append((number, record))
    except csv.Error as exc:
        message = str(exc)
        if "field larger" in message:
            message = f"a cell holds more than {csv.field_size_limit():,} characters"
        else:
            message = f"the CSV text cannot be read ({message})"
        raise _Refused(f"{message} (line {reader.line_num})") from None
    return rows


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
            what = "plan" if layout.parent == "Plans" else "measure (plan and metric)"
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


def _key_of(layout: Sheet, item: dict[str, Any], links: dict[str, Any]) -> tuple[Any, ...] | None:
    """How other sheets' rows name this item: a plan by (id,), a measure by (plan id, metric)."""
    if layout.name == "Plans":
        return (item.get("id"),)
    if layout.name == "Measures":
        return (links.get("id"), item.get("metric"))
    return None


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

