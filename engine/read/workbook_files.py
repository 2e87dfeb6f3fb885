"""Workbooks and CSV sheets read within bounds: size, zip bombs, XML tricks and formulas never computed
are refused with one line before any library parses them; what passes comes back as rows of cells."""
from __future__ import annotations

import csv
import difflib
import html
import io
import os
import posixpath
import re
import stat
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from interlock.errors import Problem
from interlock.places import column_letters
from interlock.read.workbook_layout import (
    BY_KEY,
    SHEETS,
    Sheet,
    sheet_key,
)
from interlock.read.yamlsource import clip

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


# -- a sheet as rows of values ------------------------------------------------------------------------


@dataclass
class RawSheet:
    """The rows of one layout sheet, as read: row number (1-based) and the values from column A."""

    name: str
    layout: Sheet
    rows: Iterable[tuple[int, Sequence[Any]]]
    #: Cells that cannot be read (a formula never computed, an error value): (row, column) -> why.
    bad: dict[tuple[int, int], str] = field(default_factory=dict)


class Refused(Exception):
    """The whole file is refused: one problem, nothing else is read."""

    def __init__(self, message: str, sheet: str = "", row: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.message, self.sheet, self.row, self.column = message, sheet, row, column


# -- bounded reading ----------------------------------------------------------------------------------


def read_bounded(path: Path, limit: int = MAX_WORKBOOK_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, judged from its size before reading."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        handle = os.open(path, flags)
    except OSError as exc:
        raise Refused(f"cannot read the file: {exc.strerror or type(exc).__name__}") from None
    try:
        info = os.fstat(handle)
        if stat.S_ISDIR(info.st_mode):
            raise Refused("cannot read the file: it is a folder")
        if not stat.S_ISREG(info.st_mode):
            raise Refused("cannot read the file: not a regular file (a pipe, socket or device)")
        if info.st_size > limit:
            raise Refused(_too_large(info.st_size, limit))
        with open(handle, "rb", buffering=0, closefd=False) as stream:
            raw = stream.read(limit + 1)
    except OSError as exc:
        raise Refused(f"cannot read the file: {exc.strerror or type(exc).__name__}") from None
    finally:
        os.close(handle)
    if len(raw) > limit:
        raise Refused(_too_large(len(raw), limit))
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


def xlsx_sheets(raw: bytes, display: str) -> tuple[list[RawSheet], list[Problem]]:
    """Check the archive and read the layout's sheets from it (see the module's docstring)."""
    if not raw.startswith(b"PK\x03\x04"):
        raise Refused(_not_a_workbook(raw))
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise Refused("not an .xlsx workbook: the zip archive is damaged") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_PARTS:
            raise Refused(f"the workbook holds more than {MAX_PARTS:,} parts (files in its archive)")
        reader = _Parts(archive)
        if "xl/workbook.xml" not in reader.names:
            if "word/document.xml" in reader.names or "ppt/presentation.xml" in reader.names:
                raise Refused("not an .xlsx workbook: it is a Word or PowerPoint document")
            raise Refused("not an .xlsx workbook: the archive has no workbook part (xl/workbook.xml)")
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
            raise Refused(f"the workbook has none of the layout's sheets ({names}...): see docs/spreadsheets.md")
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
                raise Refused(f"the sheet holds {height:,} rows, over the limit of {MAX_ROWS:,}", name)
            cells += height * width
            if cells > MAX_CELLS:
                raise Refused(f"the sheet reaches cell {column_letters(width)}{height}: the layout's sheets span "
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
            raise Refused("the workbook is encrypted: save it without a password")
        self.unpacked += info.file_size
        if self.unpacked > MAX_UNPACKED_BYTES:
            raise Refused(f"the workbook unpacks to more than {MAX_UNPACKED_BYTES:,} bytes "
                           f"({MAX_UNPACKED_BYTES // _MB} MB) in the parts Interlock reads: a zip bomb?")
        try:
            with self.archive.open(info) as stream:
                data = stream.read(info.file_size + 1)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError, OSError, EOFError):
            raise Refused(f"not an .xlsx workbook: the part {clip(name)} is damaged") from None
        except RuntimeError:  # zipfile: an encrypted part
            raise Refused("the workbook is encrypted: save it without a password") from None
        if len(data) > info.file_size:
            raise Refused(f"not an .xlsx workbook: the part {clip(name)} is larger than its archive says")
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
        raise Refused(f"the workbook part {clip(part)} is not UTF-8 XML")
    if b"<!" in data and _UNSAFE_XML.search(data):
        raise Refused(f"the workbook part {clip(part)} declares a DOCTYPE or entities, which workbooks never "
                       "need (an XML entity attack?)")


def _xml(data: bytes, part: str) -> ElementTree.Element:
    try:
        return ElementTree.fromstring(data)  # safe: _check_xml refused any DOCTYPE, so no entity can be declared
    except ElementTree.ParseError:
        raise Refused(f"not an .xlsx workbook: the part {clip(part)} is not well-formed XML") from None


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
        raise Refused(f"cannot read the workbook: it is not a valid .xlsx file ({detail})") from None
    return found


def csv_rows(path: Path, name: str) -> list[tuple[int, list[Any]]]:
    """The records of a CSV sheet (UTF-8, comma, semicolon or tab), numbered from 1 like a spreadsheet's rows."""
    raw = read_bounded(path)
    if raw.startswith(b"PK\x03\x04"):
        raise Refused("this is an .xlsx workbook named .csv: rename it to .xlsx")
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise Refused("this is an Excel 97-2003 workbook named .csv: save it as CSV UTF-8")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise Refused("the file is UTF-16 text: save it as CSV UTF-8")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = raw.count(b"\n", 0, exc.start) + 1
        raise Refused("the file is not UTF-8 text: save it as CSV UTF-8", row=row, column=1) from None
    if "\x00" in text:
        raise Refused("the file holds NUL characters: it is not a CSV text file")
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    rows: list[tuple[int, list[Any]]] = []
    cells = 0
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, record in enumerate(reader, start=1):
            if number > MAX_ROWS:
                raise Refused(f"the file holds more than {MAX_ROWS:,} rows")
            cells += len(record)
            if cells > MAX_CELLS:
                raise Refused(f"the file holds more than {MAX_CELLS:,} cells")
            rows.append((number, record))
    except csv.Error as exc:
        message = str(exc)
        if "field larger" in message:
            message = f"a cell holds more than {csv.field_size_limit():,} characters"
        else:
            message = f"the CSV text cannot be read ({message})"
        raise Refused(f"{message} (line {reader.line_num})") from None
    return rows


