"""Hostile workbooks and CSV sheets (docs/hardening.md, docs/spreadsheets.md): each class is refused with
one line naming the file and what is wrong, exit 2, no traceback, quickly and without unpacking or
allocating what the file claims."""
from __future__ import annotations

import io
import os
import re
import resource
import time
import zipfile
from pathlib import Path

import pytest

from interlock.read import workbook_files as workbook
from interlock.commands.cli import main
from workbooks import MINIMAL, forge_declared_size, part, rezip, sheet_part, write_xlsx

#: Every refusal must come quickly: nothing is unpacked or allocated before the bounds are checked.
QUICK = 5.0


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def refused(target: str, capsys: pytest.CaptureFixture[str]) -> str:
    """Check ``target``; assert exit 2, one line, nothing on stdout and no traceback; return the line."""
    start = time.perf_counter()
    code = main(["check", target])
    seconds = time.perf_counter() - start
    captured = capsys.readouterr()
    assert code == 2, captured.err
    assert captured.out == "" and "Traceback" not in captured.err
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].isprintable()
    assert seconds < QUICK
    return lines[0]


def good(here: Path) -> Path:
    return write_xlsx(here / "plans.xlsx", MINIMAL)


# -- not a workbook at all ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("content", "expected"), [
    (b"", "plans.xlsx: the file is empty: expected an .xlsx workbook"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), "plans.xlsx: not an .xlsx workbook: it is an Excel 97-2003 "
     "(.xls) workbook or a password-protected one; save it as an Excel workbook (.xlsx) without a password"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "plans.xlsx: not an .xlsx workbook: it is a PDF file"),
    (b"Plan,Metric,Weight\nsales-ae,bookings,70%\n", "plans.xlsx: not an .xlsx workbook: it is a text file (a CSV or "
     "YAML file renamed .xlsx?)"),
    (b"<html><body><table></table></body></html>", "plans.xlsx: not an .xlsx workbook: it is an XML or HTML text "
     "file (an .xls saved as web page?)"),
    (b"\x1f\x8b\x08\x00" + bytes(20), "plans.xlsx: not an .xlsx workbook: it is another kind of archive (gzip, 7z or rar)"),
    (b"PK\x03\x04" + bytes(40), "plans.xlsx: not an .xlsx workbook: the zip archive is damaged"),
])
def test_a_file_that_is_not_a_workbook_renamed_xlsx(here: Path, capsys: pytest.CaptureFixture[str], content: bytes,
                                                    expected: str) -> None:
    (here / "plans.xlsx").write_bytes(content)
    assert refused("plans.xlsx", capsys) == expected


def test_another_zip_renamed_xlsx(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    (here / "plans.xlsx").write_bytes(buffer.getvalue())
    assert refused("plans.xlsx", capsys) == "plans.xlsx: not an .xlsx workbook: it is a Word or PowerPoint document"
    with zipfile.ZipFile(here / "plans.xlsx", "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert refused("plans.xlsx", capsys) == ("plans.xlsx: not an .xlsx workbook: the archive has no workbook part "
                                             "(xl/workbook.xml)")


@pytest.mark.parametrize(("name", "expected"), [
    ("plans.xls", "plans.xls: cannot read an Excel 97-2003 workbook (.xls): save it as an Excel workbook (.xlsx)"),
    ("plans.ods", "plans.ods: cannot read an OpenDocument spreadsheet (.ods): save it as an Excel workbook (.xlsx)"),
])
def test_other_spreadsheet_formats_say_what_to_save_them_as(here: Path, capsys: pytest.CaptureFixture[str], name: str,
                                                           expected: str) -> None:
    (here / name).write_bytes(b"anything")
    assert refused(name, capsys) == expected


def test_a_workbook_too_large_on_disk(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with open(here / "plans.xlsx", "wb") as stream:  # sparse: no disk is used
        stream.truncate(workbook.MAX_WORKBOOK_BYTES + 1)
    assert refused("plans.xlsx", capsys) == ("plans.xlsx: the file is 33,554,433 bytes, over the limit of 33,554,432 "
                                             "bytes (32 MB) per workbook or sheet")


def test_a_workbook_of_other_sheets_is_not_an_organization(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_xlsx(here / "budget.xlsx", {"Budget": [["Line", "Amount"], ["Travel", 1000]], "Notes": [["x"]]})
    assert refused("budget.xlsx", capsys) == ("budget.xlsx: the workbook has none of the layout's sheets (Organization, "
                                              "Objectives, Departments, Plans, Measures...): see docs/spreadsheets.md")


# -- zip bombs -----------------------------------------------------------------------------------------------


def test_a_zip_bomb_is_refused_from_the_sizes_it_declares(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = good(here)
    forge_declared_size(path, sheet_part(path, "Measures"), 4_000_000_000)
    assert refused("plans.xlsx", capsys) == ("plans.xlsx: the workbook unpacks to more than 268,435,456 bytes (256 MB) "
                                             "in the parts Interlock reads: a zip bomb?")


@pytest.mark.slow
def test_a_real_zip_bomb_is_refused_before_it_is_unpacked(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """300 MB of cells that deflate to about 300 KB: refused without unpacking them (peak memory stays low)."""
    path = good(here)
    name = sheet_part(path, "Measures")
    row = b'<row r="9"><c r="A9" t="inlineStr"><is><t>x</t></is></c></row>'
    chunks = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    parts = {n: chunks.read(n) for n in chunks.namelist()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for part_name, data in parts.items():
            if part_name != name:
                archive.writestr(part_name, data)
        with archive.open(name, "w", force_zip64=True) as stream:
            stream.write(b"<worksheet><sheetData>")
            block = row * 16384
            for _ in range(300 * 1024 * 1024 // len(block)):
                stream.write(block)
            stream.write(b"</sheetData></worksheet>")
    path.write_bytes(buffer.getvalue())
    assert path.stat().st_size < 5 * 1024 * 1024
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert refused("plans.xlsx", capsys).endswith("in the parts Interlock reads: a zip bomb?")
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100 * 1024  # KB: far less than 300 MB


def test_a_part_that_unpacks_beyond_what_it_declares(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A lying header (declares a few bytes, holds many): only the declared bytes are read, and they fail."""
    path = good(here)
    name = sheet_part(path, "Measures")
    forge_declared_size(path, name, 10)
    assert refused("plans.xlsx", capsys) == f"plans.xlsx: not an .xlsx workbook: the part {name} is damaged"


def test_too_many_parts(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = good(here)
    rezip(path, add={f"junk/{i}.bin": b"" for i in range(workbook.MAX_PARTS + 1)}, compression=zipfile.ZIP_STORED)
    assert refused("plans.xlsx", capsys) == "plans.xlsx: the workbook holds more than 10,000 parts (files in its archive)"


# -- XML tricks ----------------------------------------------------------------------------------------------


def test_billion_laughs_in_a_sheet(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = good(here)
    name = sheet_part(path, "Measures")
    entities = "".join(f'<!ENTITY l{i} "{"&l%d;" % (i - 1) * 10 if i else "lol"}">' for i in range(10))
    xml = part(path, name).replace(b"<worksheet", f"<!DOCTYPE worksheet [{entities}]><worksheet".encode(), 1)
    xml = xml.replace(b"<v>0.7</v>", b"<v>&l9;</v>")
    rezip(path, {name: xml})
    assert refused("plans.xlsx", capsys) == (f"plans.xlsx: the workbook part {name} declares a DOCTYPE or entities, "
                                             "which workbooks never need (an XML entity attack?)")


def test_an_external_entity_in_the_workbook_part(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = good(here)
    xml = part(path, "xl/workbook.xml").replace(
        b"<workbook", b'<!DOCTYPE workbook [<!ENTITY secret SYSTEM "file:///etc/passwd">]><workbook', 1)
    rezip(path, {"xl/workbook.xml": xml.replace(b'name="Plans"', b'name="&secret;"')})
    assert refused("plans.xlsx", capsys) == ("plans.xlsx: the workbook part xl/workbook.xml declares a DOCTYPE or "
                                             "entities, which workbooks never need (an XML entity attack?)")


def test_a_part_that_is_not_utf8_xml(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = good(here)
    name = sheet_part(path, "Plans")
    rezip(path, {name: part(path, name).decode().encode("utf-16")})
    assert refused("plans.xlsx", capsys) == f"plans.xlsx: the workbook part {name} is not UTF-8 XML"


def test_a_part_that_is_not_xml(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = good(here)
    rezip(path, {"xl/workbook.xml": b"<workbook><sheets><sheet"})
    assert refused("plans.xlsx", capsys) == ("plans.xlsx: not an .xlsx workbook: the part xl/workbook.xml is not "
                                             "well-formed XML")


# -- too many rows or cells ---------------------------------------------------------------------------------


def test_too_many_rows(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = good(here)
    name = sheet_part(path, "Measures")
    xml = part(path, name).replace(b"</sheetData>", b'<row r="2000000"><c r="A2000000"><v>1</v></c></row></sheetData>')
    rezip(path, {name: xml})
    assert refused("plans.xlsx", capsys) == ("plans.xlsx:Measures: the sheet holds 2,000,000 rows, over the limit of "
                                             "1,048,576")


def test_one_far_away_cell_would_make_a_huge_grid(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Two cells, A1 and XFD900000: a reader would allocate 14.7 billion cells. Refused from the references."""
    path = good(here)
    name = sheet_part(path, "Measures")
    xml = part(path, name).replace(b"</sheetData>", b'<row r="900000"><c r="XFD900000"><v>1</v></c></row></sheetData>')
    rezip(path, {name: xml})
    assert refused("plans.xlsx", capsys) == ("plans.xlsx:Measures: the sheet reaches cell XFD900000: the layout's "
                                             "sheets span more than 5,000,000 cells (a workbook that big is refused)")


def test_cells_without_references_count_too(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = good(here)
    name = sheet_part(path, "Measures")
    cells = b"<c><v>1</v></c>" * 20_000
    xml = part(path, name).replace(b"</sheetData>", b'<row r="300">' + cells + b"</row></sheetData>")
    rezip(path, {name: xml})
    assert refused("plans.xlsx", capsys).startswith("plans.xlsx:Measures: the sheet reaches cell ")


def test_an_encrypted_part(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = good(here)
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            data[start + offset] |= 1
            start += 4
    path.write_bytes(bytes(data))
    assert refused("plans.xlsx", capsys) == "plans.xlsx: the workbook is encrypted: save it without a password"


# -- CSV sheets ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("content", "expected"), [
    (b"PK\x03\x04" + bytes(40), "sheets/plans.csv: this is an .xlsx workbook named .csv: rename it to .xlsx"),
    (b"\xff\xfeI\x00d\x00", "sheets/plans.csv: the file is UTF-16 text: save it as CSV UTF-8"),
    (b"Id,Name\nsales,Caf\xe9\n", "sheets/plans.csv:A2: the file is not UTF-8 text: save it as CSV UTF-8"),
    (b"Id\x00,Name\n", "sheets/plans.csv: the file holds NUL characters: it is not a CSV text file"),
    (b'Id,Role\nsales-ae,"' + b"x" * 200_000 + b'"\n', "sheets/plans.csv: a cell holds more than 131,072 characters "
     "(line 2)"),
])
def test_hostile_csv_sheets(here: Path, capsys: pytest.CaptureFixture[str], content: bytes, expected: str) -> None:
    (here / "sheets").mkdir()
    (here / "sheets" / "plans.csv").write_bytes(content)
    assert refused("sheets", capsys) == expected


def test_a_csv_sheet_too_large_on_disk(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (here / "sheets").mkdir()
    with open(here / "sheets" / "plans.csv", "wb") as stream:
        stream.truncate(workbook.MAX_WORKBOOK_BYTES + 1)
    assert refused("sheets", capsys) == ("sheets/plans.csv: the file is 33,554,433 bytes, over the limit of "
                                         "33,554,432 bytes (32 MB) per workbook or sheet")


def test_a_csv_sheet_with_too_many_rows(here: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workbook, "MAX_ROWS", 1000)
    (here / "sheets").mkdir()
    (here / "sheets" / "plans.csv").write_text("Id\n" + "x\n" * 1000)
    assert refused("sheets", capsys) == "sheets/plans.csv: the file holds more than 1,000 rows"


def test_an_unreadable_workbook(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    path = good(here)
    path.chmod(0)
    assert re.match(r"^plans\.xlsx: cannot read the file: ", refused("plans.xlsx", capsys))
