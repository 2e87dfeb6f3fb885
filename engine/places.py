"""Places in workbooks: a cell as a spreadsheet names it (``D7``) and a place as Interlock prints it.

A cell of a workbook reads ``plans.xlsx:Measures!D7``: the workbook, the sheet and the cell. A sheet
kept as its own CSV file in a folder (the same layout, docs/spreadsheets.md) reads
``plans/measures.csv:D7``: the folder and the file, then the cell. Lines of YAML files keep their
``file:line:col``. Used by model.Location and errors.Problem alike.
"""
from __future__ import annotations

import re

#: A sheet kept as its own CSV file: the place names the file, then the cell.
_CSV_SUFFIX = ".csv"
_CELL_PLACE = re.compile(r"^(?P<file>.*):(?P<sheet>[^:!/\\]+)!(?P<letters>[A-Z]{1,3})(?P<row>[0-9]+)$")
_CSV_PLACE = re.compile(r"^(?:(?P<file>.*)/)?(?P<sheet>[^/]+\.[cC][sS][vV]):(?P<letters>[A-Z]{1,3})(?P<row>[0-9]+)$")


def column_letters(column: int) -> str:
    """1 -> A, 27 -> AA: a column as a spreadsheet names it."""
    letters = ""
    while column > 0:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters or "A"


def column_number(letters: str) -> int:
    """A -> 1, AA -> 27."""
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def cell_text(file: str, sheet: str, row: int, column: int) -> str:
    """``plans.xlsx:Measures!D7``, or ``plans/measures.csv:D7`` for a sheet kept as a CSV file.

    Row 0 stands for the whole sheet: ``plans.xlsx:Measures``, ``plans/measures.csv``.
    """
    csv_file = sheet.lower().endswith(_CSV_SUFFIX)
    place = (sheet if file in ("", ".") else f"{file}/{sheet}") if csv_file else f"{file}:{sheet}"
    if row <= 0:
        return place
    cell = f"{column_letters(column)}{row}"
    return f"{place}:{cell}" if csv_file else f"{place}!{cell}"


def parse_cell_text(text: str) -> tuple[str, int, int, str]:
    """(file, row, column, sheet) of a workbook place written by ``cell_text``; ValueError otherwise."""
    match = _CSV_PLACE.match(text) or _CELL_PLACE.match(text)
    if match is None:
        raise ValueError(f"not a place: {text!r}")
    file = match.group("file") or ("." if match.re is _CSV_PLACE else "")
    return file, int(match.group("row")), column_number(match.group("letters")), match.group("sheet")
