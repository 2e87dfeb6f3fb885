"""Helpers for the workbook tests: write small workbooks and CSV folders, and tamper with .xlsx archives."""
from __future__ import annotations

import csv
import datetime
import io
import struct
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import xlsxwriter

Rows = Sequence[Sequence[Any]]

#: A small organization in the workbook layout: every sheet a test needs, one header row each.
MINIMAL: dict[str, list[list[Any]]] = {
    "Organization": [["Name", "Currency", "Fiscal year", "Fiscal year start"],
                     ["Example Co", "USD", 2027, datetime.date(2027, 1, 1)]],
    "Objectives": [["Adopt", "Target", "Priority", "Period"],
                   ["revenue-growth", 0.1, 1, "FY2027"]],
    "Departments": [["Id", "Name", "Kind", "Owner", "Headcount"],
                    ["sales", "Sales", "function", "Head of sales", 12]],
    "Plans": [["Id", "Department", "Role", "Participants", "Target incentive", "Pay mix", "Effective from",
               "Effective to", "Clawback days", "Clawback on"],
              ["sales-ae", "sales", "Account executive", 10, 50000, 0.4, datetime.date(2027, 1, 1),
               datetime.date(2027, 12, 31), 180, "cancellation, non-payment"]],
    "Measures": [["Plan", "Metric", "Weight", "Target", "Period", "Basis"],
                 ["sales-ae", "bookings", 0.7, 4000000, "quarter", "booking"],
                 ["sales-ae", "gross_margin_pct", 0.3, 0.35, "year", None]],
}


def write_xlsx(path: Path, sheets: Mapping[str, Rows]) -> Path:
    """A workbook with these sheets; numbers as numbers, dates as date cells, text always as text."""
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False,
                                           "strings_to_urls": False})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    percent = book.add_format({"num_format": "0%"})
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, Formula):
                    sheet.write_formula(r, c, value.text, None, value.value)
                elif isinstance(value, bool):
                    sheet.write_boolean(r, c, value)
                elif isinstance(value, (datetime.date, datetime.datetime)):
                    stamp = value if isinstance(value, datetime.datetime) else datetime.datetime(value.year, value.month, value.day)
                    sheet.write_datetime(r, c, stamp, day)
                elif isinstance(value, float) and 0 < value < 1:
                    sheet.write_number(r, c, value, percent)
                elif isinstance(value, (int, float)):
                    sheet.write_number(r, c, value)
                else:
                    sheet.write_string(r, c, str(value))
    book.close()
    return path


class Formula:
    """A formula cell with the value written as its result."""

    def __init__(self, text: str, value: Any = 0) -> None:
        self.text, self.value = text, value


def write_csv_folder(folder: Path, sheets: Mapping[str, Rows]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in sheets.items():
        with open(folder / f"{name.lower()}.csv", "w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream)
            for row in rows:
                writer.writerow(["" if v is None else v.isoformat() if isinstance(v, datetime.date) else v
                                 for v in row])
    return folder


def edited(sheets: Mapping[str, Rows], sheet: str, row: int, column: int, value: Any) -> dict[str, list[list[Any]]]:
    """A copy of ``sheets`` with one cell changed (row and column 0-based, the header is row 0)."""
    copy = {name: [list(r) for r in rows] for name, rows in sheets.items()}
    target = copy[sheet][row]
    while len(target) <= column:
        target.append(None)
    target[column] = value
    return copy


def rezip(path: Path, replace: Mapping[str, bytes | None] = {}, add: Mapping[str, bytes] = {},
          compression: int = zipfile.ZIP_DEFLATED) -> Path:
    """Rewrite an .xlsx with some parts replaced (None removes one) or added."""
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    for name, data in replace.items():
        if data is None:
            parts.pop(name, None)
        else:
            parts[name] = data
    parts.update(add)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    path.write_bytes(buffer.getvalue())
    return path


def part(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read(name)


def sheet_part(path: Path, sheet: str) -> str:
    """The archive name of a sheet's XML (xlsxwriter numbers them in order)."""
    with zipfile.ZipFile(path) as archive:
        book = archive.read("xl/workbook.xml").decode()
    names = [chunk.split('"', 1)[0] for chunk in book.split('<sheet name="')[1:]]
    return f"xl/worksheets/sheet{names.index(sheet) + 1}.xml"


def forge_declared_size(path: Path, name: str, size: int) -> Path:
    """Make the archive declare ``size`` bytes for part ``name`` (local and central headers), data unchanged."""
    data = bytearray(path.read_bytes())
    encoded = name.encode()
    for signature, offset, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            length = struct.unpack_from("<H", data, start + (26 if signature == b"PK\x03\x04" else 28))[0]
            if bytes(data[start + name_at: start + name_at + length]) == encoded:
                struct.pack_into("<I", data, start + offset, size)
            start += 4
    path.write_bytes(bytes(data))
    return path
