"""Workbooks as policy files (docs/spreadsheets.md): the layout, checking a workbook or a folder of CSV
sheets, locations that name workbook, sheet and cell in every format, import and export, the findings
workbook, and the round trip policies/ -> workbook -> YAML giving the same findings."""
from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
import python_calamine
import yaml

import synthetic
from interlock.commands.cli import main
from interlock.read.config import Config
from interlock.lint import LintResult, lint
from interlock.read.loader import load_documents
from interlock.model.model import Location
from interlock.model.validate import validate
from interlock.read.workbook_layout import BY_NAME, SHEETS, chain, schema_keys
from interlock.outputs.workbook_write import organization_rows, policy_workbook
from paths import ROOT_DIR
from workbooks import MINIMAL, Formula, edited, part, rezip, sheet_part, write_csv_folder, write_xlsx

ROOT = ROOT_DIR
POLICIES = ROOT / "policies"
CELL = re.compile(r"^[^:]+\.xlsx:[A-Z][A-Za-z-]+![A-Z]+[0-9]+$")


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def same(result: LintResult) -> Counter[tuple[str, tuple[str, ...], tuple[str, ...], str]]:
    """Findings as the round trip must keep them: rule, departments, objectives and message, counted."""
    return Counter((f.rule, f.departments, f.objectives, f.message) for f in result.findings)


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


# -- the layout ------------------------------------------------------------------------------------------


def test_every_section_and_key_of_the_policy_schema_has_a_sheet_and_column() -> None:
    covered: set[tuple[str, ...]] = set()
    for sheet in SHEETS:
        sections = tuple(s.section for s in chain(sheet))
        covered.add(sections)
        for column in sheet.values:
            key = tuple(str(k) for k in column.key if isinstance(k, str))
            for size in range(1, len(key) + 1):
                covered.add((*sections, *key[:size]))
    # `department:` (a YAML file's default owner) is a row of Departments: a workbook names every owner.
    missing = [k for k in schema_keys() if k not in covered and k[0] != "department"]
    assert missing == []


def test_sheet_names_fit_excel_and_headers_are_unique() -> None:
    for sheet in SHEETS:
        assert len(sheet.name) <= 31 and not set(sheet.name) & set(":\\/?*[]")
        headers = [c.header for c in sheet.columns]
        assert len(headers) == len(set(headers)), sheet.name
        assert sheet.anchor in headers


# -- checking a workbook -------------------------------------------------------------------------------------


def test_a_workbook_is_checked_like_yaml(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_xlsx(here / "plans.xlsx", MINIMAL)
    code, out, err = run(["check", "plans.xlsx"], capsys)
    assert (code, err) == (0, "")
    assert out == "No findings in 1 file.\n"


def test_bad_cells_get_the_yaml_messages_at_their_cells(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sheets = edited(MINIMAL, "Measures", 1, 1, "bookngs")
    sheets = edited(sheets, "Measures", 2, 2, "fifty")
    sheets = edited(sheets, "Plans", 1, 7, "2027-02-30")
    write_xlsx(here / "plans.xlsx", sheets)
    code, out, err = run(["check", "plans.xlsx"], capsys)
    assert code == 2 and out == ""
    assert err.splitlines() == [
        "plans.xlsx:Measures!B2: plans[0].measures[0].metric: unknown metric 'bookngs' (did you mean 'bookings'?)",
        "plans.xlsx:Measures!C3: plans[0].measures[1].weight: 'fifty' is not a percentage (write 0.4 or 40%)",
        "plans.xlsx:Plans!H2: plans[0].effective.to: '2027-02-30' is not a valid date (write YYYY-MM-DD)",
    ]
    # The same three mistakes written in YAML get the same words.
    (here / "yaml").mkdir()
    (here / "yaml" / "org.yml").write_text(
        "organization: {name: Example Co, fiscal_year: 2027}\n"
        "departments: [{id: sales, name: Sales}]\n"
        "plans:\n  - id: sales-ae\n    department: sales\n    effective: {from: 2027-01-01, to: 2027-02-30}\n"
        "    measures:\n      - {metric: bookngs, weight: 70%}\n      - {metric: gross_margin_pct, weight: fifty}\n")
    _, _, yaml_err = run(["check", "yaml"], capsys)
    words = sorted(line.split(": ", 1)[1] for line in err.splitlines())
    assert words == sorted(line.split(": ", 1)[1] for line in yaml_err.splitlines())


def test_a_date_with_a_time_and_a_text_date_and_text_numbers(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sheets = edited(MINIMAL, "Plans", 1, 6, datetime.datetime(2027, 1, 1, 10, 30))
    sheets = edited(sheets, "Plans", 1, 4, "50,000")  # a number stored as text, with a thousands separator
    sheets = edited(sheets, "Plans", 1, 5, "40%")
    write_xlsx(here / "plans.xlsx", sheets)
    code, _, err = run(["check", "plans.xlsx"], capsys)
    assert code == 2
    assert err.splitlines() == [
        "plans.xlsx:Plans!G2: plans[0].effective.from: '2027-01-01 10:30' is not a valid date (write YYYY-MM-DD)"]


def test_headers_are_matched_loosely_but_unknown_ones_are_errors(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sheets = edited(MINIMAL, "Plans", 0, 4, "target_incentive (USD)")
    write_xlsx(here / "ok.xlsx", sheets)
    assert run(["check", "ok.xlsx"], capsys)[0] == 0
    sheets = edited(MINIMAL, "Measures", 0, 2, "Wieght")
    sheets = edited(sheets, "Measures", 0, 6, "Weight")
    sheets = edited(sheets, "Measures", 0, 5, "Target")
    sheets = edited(sheets, "Plans", 1, 12, "stray")
    write_xlsx(here / "bad.xlsx", sheets)
    code, _, err = run(["check", "bad.xlsx"], capsys)
    assert code == 2
    lines = err.splitlines()
    assert lines[0] == "bad.xlsx:Measures!C1: unknown column 'Wieght' (did you mean 'Weight'?) (the Measures sheet has: " \
                       "Plan, Metric, Weight, Direction, Threshold, Target, Excellence, Band around, Band within, Cap, Period, " \
                       "Basis, Team, Contingent on, Reported by, Definition)"
    assert "bad.xlsx:Measures!F1: the column 'Target' appears twice (first in D1)" in lines
    assert ("bad.xlsx:Plans!M2: a value in a column without a header: name the column in the header row or clear "
            "the cell") in lines


def test_rows_that_name_an_unknown_plan_or_measure(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sheets = edited(MINIMAL, "Measures", 2, 0, "sales-a")
    sheets["Curves"] = [["Plan", "Metric", "Attainment", "Payout"], ["sales-ae", "booking", 1.0, 1.0],
                        [None, "bookings", 1.5, 2]]
    write_xlsx(here / "plans.xlsx", sheets)
    code, _, err = run(["check", "plans.xlsx"], capsys)
    assert code == 2
    assert err.splitlines() == [
        "plans.xlsx:Curves!B2: plan 'sales-ae' has no measure of 'booking' (did you mean 'bookings'?) "
        "(see the Measures sheet)",
        "plans.xlsx:Curves!C3: the row does not say which measure (plan and metric) it belongs to: fill in Plan",
        "plans.xlsx:Measures!A3: unknown plan 'sales-a' (did you mean 'sales-ae'?) (no row of the Plans sheet has "
        "this id)",
    ]


def test_one_organization_row_and_near_miss_sheet_names(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sheets = {name: rows for name, rows in MINIMAL.items()}
    sheets["Organization"] = [*MINIMAL["Organization"], ["Other Co"]]
    sheets["Measure"] = [["Plan"]]
    sheets["Notes for the board"] = [["Anything"], ["goes here"]]
    write_xlsx(here / "plans.xlsx", sheets)
    code, _, err = run(["check", "plans.xlsx"], capsys)
    assert code == 2
    assert err.splitlines() == [
        "plans.xlsx:Measure: the sheet 'Measure' is not a sheet of the layout (did you mean 'Measures'?)",
        "plans.xlsx:Organization!A3: the Organization sheet holds one row: the organization is described once "
        "(in row 2)",
    ]


def test_control_characters_in_a_cell_are_refused(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_xlsx(here / "plans.xlsx", edited(MINIMAL, "Departments", 1, 1, "Sales\u202e"))
    code, _, err = run(["check", "plans.xlsx"], capsys)
    assert code == 2
    assert err.splitlines() == [
        "plans.xlsx:Departments!B2: departments[0].name: the text contains U+202E (RIGHT-TO-LEFT OVERRIDE), a control "
        "or bidirectional-override character that can hide or reorder text; remove it"]


def test_a_period_a_spreadsheet_turned_into_a_date_is_a_month_again() -> None:
    from interlock.read.workbook import cell_value

    period = BY_NAME["Objectives"].by_header["period"]
    assert cell_value(period, datetime.datetime(2027, 7, 1)) == "2027-07"
    assert cell_value(period, 2027.0) == "2027"
    assert cell_value(period, datetime.datetime(2027, 7, 15)) == "2027-07-15"  # validation says it is no period


# -- formulas -----------------------------------------------------------------------------------------------


def test_formula_cells_are_read_as_their_computed_values(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_xlsx(here / "plans.xlsx", edited(MINIMAL, "Measures", 1, 2, Formula("=1-C3", 0.7)))
    # As a spreadsheet program saves it: the value computed, no request to recalculate on opening.
    rezip(path, {"xl/workbook.xml": part(path, "xl/workbook.xml").replace(b' fullCalcOnLoad="1"', b"")})
    assert run(["check", "plans.xlsx"], capsys)[:2] == (0, "No findings in 1 file.\n")


def test_a_formula_never_computed_is_an_error_naming_its_cell(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Written by a program that asks the spreadsheet to compute it on opening (XlsxWriter does).
    write_xlsx(here / "written.xlsx", edited(MINIMAL, "Measures", 1, 2, Formula("=1-C3", 0)))
    code, _, err = run(["check", "written.xlsx"], capsys)
    assert code == 2
    assert err.splitlines() == [
        "written.xlsx:Measures!C2: the formula =1-C3 was never computed (the workbook was written by a program, not "
        "saved by a spreadsheet): open and save it in Excel, LibreOffice or Google Sheets, or type the value"]
    # A formula with no value at all (as openpyxl writes one), in a workbook that does not ask for recalculation.
    path = write_xlsx(here / "bare.xlsx", MINIMAL)
    name = sheet_part(path, "Measures")
    xml = part(path, name)
    xml = re.sub(rb'<c r="C2"([^>]*)><v>[^<]*</v></c>', rb'<c r="C2"\1><f>1-C3</f></c>', xml)
    rezip(path, {name: xml, "xl/workbook.xml": part(path, "xl/workbook.xml").replace(b' fullCalcOnLoad="1"', b"")})
    code, _, err = run(["check", "bare.xlsx"], capsys)
    assert code == 2 and err.startswith("bare.xlsx:Measures!C2: the formula =1-C3 was never computed")


def test_an_error_value_is_an_error_naming_its_cell(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_xlsx(here / "plans.xlsx", edited(MINIMAL, "Measures", 2, 3, Formula("=1/0", "#DIV/0!")))
    rezip(path, {"xl/workbook.xml": part(path, "xl/workbook.xml").replace(b' fullCalcOnLoad="1"', b"")})
    code, _, err = run(["check", "plans.xlsx"], capsys)
    assert (code, err) == (2, "plans.xlsx:Measures!D3: the cell holds the error #DIV/0! (its formula =1/0)\n")


# -- CSV sheets and mixed organizations ----------------------------------------------------------------------


def test_a_folder_of_csv_sheets_is_a_workbook(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_csv_folder(here / "sheets", edited(MINIMAL, "Measures", 2, 2, "fifty"))
    code, _, err = run(["check", "sheets"], capsys)
    assert (code, err) == (2, "sheets/measures.csv:C3: plans[0].measures[1].weight: 'fifty' is not a percentage "
                              "(write 0.4 or 40%)\n")
    write_csv_folder(here / "good", MINIMAL)
    assert run(["check", "good"], capsys)[:2] == (0, "No findings in 1 file.\n")


def test_csv_beside_yaml_is_read_and_a_csv_given_alone_is_a_sheet(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = here / "org"
    write_csv_folder(folder, {"Measures": [["Plan", "Metric", "Weight"], ["sales-ae", "bookings", "100%"]]})
    (folder / "org.yml").write_text("organization: {name: Example Co, fiscal_year: 2027}\n"
                                    "departments: [{id: sales, name: Sales}]\n")
    # Not ignored any more: the measures name a plan the (CSV) workbook does not have.
    code, _, err = run(["check", "org"], capsys)
    assert (code, err) == (2, "org/measures.csv:A2: unknown plan 'sales-ae' (no row of the Plans sheet has this id)\n")
    # Once read as YAML ("expected a mapping of sections at the top"), a CSV given by name is a sheet.
    code, _, err = run(["check", "org/measures.csv"], capsys)
    assert (code, err) == (2, "org/measures.csv:A2: unknown plan 'sales-ae' (no row of the Plans sheet has this id)\n")
    (folder / "notes.csv").write_text("a,b\n")
    code, _, err = run(["check", "org"], capsys)
    assert code == 2 and "org/notes.csv: 'notes.csv' is not a sheet of the workbook layout" in err


def test_yaml_and_a_workbook_make_one_organization(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = here / "org"
    folder.mkdir()
    sheets = {k: v for k, v in MINIMAL.items() if k in ("Plans", "Measures")}
    write_xlsx(folder / "plans.xlsx", sheets)
    (folder / "organization.yml").write_text(
        "organization: {name: Example Co, currency: USD, fiscal_year: 2027}\n"
        "objectives: [{adopt: revenue-growth, target: 10%, priority: 1, period: FY2027}]\n"
        "departments: [{id: sales, name: Sales, kind: function}]\n")
    (folder / "~$plans.xlsx").write_bytes(b"\x00lock")  # Excel's lock file while the workbook is open
    code, out, err = run(["check", "org", "--format", "json"], capsys)
    assert (code, err) == (0, "")
    assert json.loads(out)["findings"] == []
    (folder / "more.yml").write_text("plans: [{id: sales-ae, department: sales}]\n")
    code, _, err = run(["check", "org"], capsys)
    assert code == 2
    assert err.splitlines() == ["org/plans.xlsx:Plans!A2: plans[0]: duplicate plan id 'sales-ae' (first defined at "
                                "org/more.yml:1:9)"]


# -- locations in every format --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """policies/ as a workbook, once."""
    folder = tmp_path_factory.mktemp("exported")
    documents = load_documents([POLICIES])
    (folder / "plans.xlsx").write_bytes(policy_workbook(organization_rows(documents, validate(documents))))
    return folder / "plans.xlsx"


def test_locations_name_workbook_sheet_and_cell_in_every_format(exported: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(exported.parent)
    code, text, _ = run(["check", "plans.xlsx", "-o", f"{tmp_path}/out.json", "-o", f"{tmp_path}/out.sarif",
                         "-o", f"{tmp_path}/out.xml", "-o", f"{tmp_path}/out.md", "-o", f"{tmp_path}/out.html",
                         "-o", f"github={tmp_path}/out.github"], capsys)
    assert code == 1
    places = re.findall(r"^(\S+): (?:error|warning|info) ", text, re.M)
    assert places and all(CELL.match(p) for p in places)
    assert all(CELL.match(line.split("also at ", 1)[1]) for line in text.splitlines() if "also at" in line)
    findings = json.loads((tmp_path / "out.json").read_text())["findings"]
    for where in (loc for f in findings for loc in f["locations"]):
        assert where["file"] == "plans.xlsx" and CELL.match(f"plans.xlsx:{where['sheet']}!{where['cell']}")
        assert where["cell"] == f"{re.match('[A-Z]+', where['cell']).group()}{where['line']}"
    sarif = json.loads((tmp_path / "out.sarif").read_text())
    for result in sarif["runs"][0]["results"]:
        for place in [*result["locations"], *result.get("relatedLocations", [])]:
            assert place["physicalLocation"] == {"artifactLocation": {"uri": "plans.xlsx"}}
            logical = place["logicalLocations"][0]
            assert re.match(r"^[A-Z][A-Za-z-]+![A-Z]+[0-9]+$", logical["fullyQualifiedName"])
            assert logical["kind"] == "element" and place["properties"]["cell"] == logical["name"]
    junit = (tmp_path / "out.xml").read_text()
    assert re.search(r"at plans\.xlsx:Measures![A-Z]+[0-9]+", junit) and 'line="' not in junit
    for report in ("out.md", "out.html"):
        assert re.search(r"plans\.xlsx:[A-Z][a-z-]+![A-Z]+[0-9]+", (tmp_path / report).read_text())
        assert not re.search(r"plans\.xlsx:[0-9]+:[0-9]+", (tmp_path / report).read_text())
    github = (tmp_path / "out.github").read_text().splitlines()
    assert github and all(re.match(r"^::\w+ file=plans\.xlsx,title=[^:]+::plans\.xlsx:[A-Z][a-z-]+![A-Z]+[0-9]+: ",
                                   line) for line in github)


def test_sarif_with_workbook_locations_is_valid_sarif(exported: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    import jsonschema
    monkeypatch.chdir(exported.parent)
    code, out, _ = run(["check", "plans.xlsx", "--format", "sarif"], capsys)
    schema = json.loads((ROOT / "tests" / "schemas" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validate(json.loads(out), schema)


def test_a_workbook_location_reads_back() -> None:
    for place in (Location("plans.xlsx", 7, 4, "Measures"), Location("org", 12, 28, "measures.csv"),
                  Location(".", 3, 1, "plans.csv"), Location("a:b.yml", 3, 7)):
        assert Location.parse(str(place)) == place
    assert str(Location("org", 12, 28, "measures.csv")) == "org/measures.csv:AB12"
    assert sorted([Location("b.xlsx", 9, 1, "Plans"), Location("b.xlsx", 2, 1, "Targets"),
                   Location("b.xlsx", 3, 1, "Plans")]) == [
        Location("b.xlsx", 3, 1, "Plans"), Location("b.xlsx", 9, 1, "Plans"), Location("b.xlsx", 2, 1, "Targets")]


# -- the findings workbook -------------------------------------------------------------------------------------


def test_findings_as_a_workbook(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["check", str(POLICIES), "--format", "json", "-o", "findings.xlsx"], capsys)
    assert code == 1
    findings = json.loads(out)["findings"]
    book = python_calamine.CalamineWorkbook.from_path(str(here / "findings.xlsx"))
    assert book.sheet_names == ["Findings", "Summary"]
    rows = book.get_sheet_by_name("Findings").to_python()
    assert rows[0] == ["Severity", "Rule", "Name", "Family", "Title", "Departments", "Objectives", "Message",
                       "Remediation", "Locations", "Causal path", "Waiver", "Fingerprint"]
    assert len(rows) == len(findings) + 1
    for row, finding in zip(rows[1:], findings):
        assert row[0:4] == [finding["severity"], finding["rule"], finding["name"], finding["family"]]
        assert row[5] == ", ".join(finding["departments"]) and row[6] == ", ".join(finding["objectives"])
        assert row[7] == " ".join(finding["message"].split())
        places = [f"{l['file']}:{l['line']}:{l['column']}" for l in finding["locations"]]
        assert row[9].split("\n") == places and row[12] == finding["fingerprint"]
    sheet = part(here / "findings.xlsx", "xl/worksheets/sheet1.xml")
    assert b'<pane xSplit="1" ySplit="1"' in sheet and b'state="frozen"' in sheet
    assert b"<autoFilter ref=\"A1:M" in sheet
    styles = part(here / "findings.xlsx", "xl/styles.xml")
    assert all(colour in styles for colour in (b"FFF4C7C3", b"FFFCE8B2", b"FFC9DAF8"))  # error, warning, info fills
    summary = book.get_sheet_by_name("Summary").to_python()
    assert summary[1][:2] == ["error", float(sum(1 for f in findings if f["severity"] == "error"))]


def test_the_findings_workbook_is_a_file_never_standard_output(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_xlsx(here / "plans.xlsx", MINIMAL)
    code, out, err = run(["check", "plans.xlsx", "-o", "xlsx=findings.bin"], capsys)
    assert code == 0 and (here / "findings.bin").read_bytes().startswith(b"PK")
    assert run(["check", "plans.xlsx", "-o", "plans.xlsx"], capsys)[0] == 2  # never over an input


# -- import and export -----------------------------------------------------------------------------------------


def test_import_writes_policy_yaml_with_modelines_and_refuses_to_overwrite(here: Path,
                                                                           capsys: pytest.CaptureFixture[str]) -> None:
    write_xlsx(here / "plans.xlsx", MINIMAL)
    code, out, err = run(["import", "plans.xlsx", "-o", "policy"], capsys)
    assert (code, err) == (0, "")
    assert out.splitlines() == ["wrote policy/organization.yml", "wrote policy/sales.yml", "next: interlock check policy"]
    sales = (here / "policy" / "sales.yml").read_text()
    assert sales.startswith("# yaml-language-server: $schema=")
    schema = (here / "policy" / sales.splitlines()[0].split("$schema=", 1)[1]).resolve()
    assert schema.name == "policy.schema.json" and schema.is_file()
    data = yaml.safe_load(sales)
    assert data["department"]["id"] == "sales"
    plan = data["plans"][0]
    assert "department" not in plan  # the file's own department, as a person writes it
    assert plan["pay_mix"] == "40%" and plan["measures"][0]["weight"] == "70%"
    assert plan["measures"][1]["target"] == "35%"  # gross margin is a percent metric
    assert plan["effective"] == {"from": datetime.date(2027, 1, 1), "to": datetime.date(2027, 12, 31)}
    assert run(["check", "policy"], capsys)[:2] == (0, "No findings in 2 files.\n")
    before = {p.name: p.read_bytes() for p in (here / "policy").iterdir()}
    code, _, err = run(["import", "plans.xlsx", "-o", "policy"], capsys)
    assert (code, err) == (2, "interlock: import would overwrite policy/organization.yml, policy/sales.yml; nothing "
                              "was written (use --force to replace them)\n")
    assert {p.name: p.read_bytes() for p in (here / "policy").iterdir()} == before
    assert run(["import", "plans.xlsx", "-o", "policy", "--force"], capsys)[0] == 0
    assert not [p for p in (here / "policy").iterdir() if p.name.startswith(".")]  # no temporary file left
    code, _, err = run(["import", "plans.xlsx", "-o", "."], capsys)
    assert code == 2 and "already holds policy files (plans.xlsx, policy/organization.yml, " in err


def test_import_of_a_bad_workbook_writes_nothing(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_xlsx(here / "plans.xlsx", edited(MINIMAL, "Measures", 1, 1, "bookngs"))
    code, out, err = run(["import", "plans.xlsx", "-o", "policy"], capsys)
    assert code == 2 and out == "" and not (here / "policy").exists()
    assert err.startswith("plans.xlsx:Measures!B2: plans[0].measures[0].metric: unknown metric 'bookngs'")


def test_export_writes_a_workbook_or_csv_sheets_and_refuses_to_overwrite(here: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["export", str(POLICIES), "-o", "plans.xlsx"], capsys)
    assert (code, out) == (0, "wrote plans.xlsx\n")
    book = python_calamine.CalamineWorkbook.from_path(str(here / "plans.xlsx"))
    assert book.sheet_names == ["About", *(s.name for s in SHEETS)]
    measures = book.get_sheet_by_name("Measures").to_python()
    assert measures[0][:3] == ["Plan", "Metric", "Weight"] and isinstance(measures[1][2], float)
    milestones = book.get_sheet_by_name("Milestones").to_python()
    assert isinstance(milestones[1][3], datetime.date)  # a real date cell
    first = (here / "plans.xlsx").read_bytes()
    code, _, err = run(["export", str(POLICIES), "-o", "plans.xlsx"], capsys)
    assert (code, err) == (2, "interlock: export would overwrite plans.xlsx; nothing was written (use --force to "
                              "replace it)\n")
    assert run(["export", str(POLICIES), "-o", "plans.xlsx", "--force"], capsys)[0] == 0
    assert (here / "plans.xlsx").read_bytes() == first  # the same input gives the same bytes
    assert run(["export", str(POLICIES), "-o", "sheets"], capsys)[0] == 0
    assert sorted(p.name for p in (here / "sheets").iterdir()) == sorted(s.csv_name for s in SHEETS)
    code, _, err = run(["export", "plans.xlsx", "-o", "plans.xlsx", "--force"], capsys)
    assert code == 2 and "this run reads that file" in err


def test_init_spreadsheet_writes_a_filled_workbook_that_passes(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["init", "--spreadsheet", "example"], capsys)
    assert code == 0 and "created example/plans.xlsx" in out
    book = python_calamine.CalamineWorkbook.from_path(str(here / "example" / "plans.xlsx"))
    empty = [s.name for s in SHEETS if len(book.get_sheet_by_name(s.name).to_python()) < 2]
    # the optional sheets: time required, history, capacity and crediting, and the organization's own knowledge
    assert empty == ["Time required", "History", "Capacity", "Capacity drivers", "Crediting", "Credits", "Metrics", "Influences",
                     "Non-conflicts", "Formulas"]
    assert run(["check", "example"], capsys)[:2] == (0, "No findings in 1 file.\n")
    code, _, err = run(["init", "--spreadsheet", "example"], capsys)
    assert code == 2 and "init would overwrite example/plans.xlsx" in err
    assert run(["init", "--csv", "sheets"], capsys)[0] == 0
    assert run(["check", "sheets"], capsys)[:2] == (0, "No findings in 1 file.\n")


# -- the round trip ------------------------------------------------------------------------------------------


def test_policies_round_trip_through_a_workbook_with_the_same_findings(here: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    original = lint([POLICIES], Config())
    assert run(["export", str(POLICIES), "-o", "plans.xlsx"], capsys)[0] == 0
    assert run(["export", str(POLICIES), "-o", "sheets"], capsys)[0] == 0
    assert run(["import", "plans.xlsx", "-o", "back"], capsys)[0] == 0
    expected = same(original)
    assert {"V02", "T01", "Q08", "X11"} <= {f.rule for f in original.findings}  # the founding stories, not an empty run
    for target in ("plans.xlsx", "sheets", "back"):
        assert same(lint([here / target], Config())) == expected, target


def test_a_workbook_saved_by_libreoffice_gives_the_same_findings_and_computes_formulas(
        here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """What a designer does: open the exported workbook in a spreadsheet program and save it.

    Needs LibreOffice (Debian's libreoffice-calc-nogui, installed by .ci/run): skipped without it
    outside CI, failed without it under CI=true, like the browser tests."""
    if shutil.which("soffice") is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("LibreOffice is not installed (apt-get install libreoffice-calc-nogui)")
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-calc-nogui)")
    assert run(["export", str(POLICIES), "-o", "plans.xlsx"], capsys)[0] == 0
    write_xlsx(here / "formula.xlsx", edited(MINIMAL, "Measures", 1, 2, Formula("=1-C3", 0)))
    assert run(["check", "formula.xlsx"], capsys)[0] == 2  # never computed, as written
    # A profile that recomputes formulas on opening, as a designer's spreadsheet does (LibreOffice's
    # command line otherwise keeps the placeholder 0 XlsxWriter wrote, and then so would any reader).
    profile = here / ".config" / "libreoffice" / "4" / "user"
    profile.mkdir(parents=True)
    (profile / "registrymodifications.xcu").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<oor:items xmlns:oor="http://openoffice.org/2001/registry">'
        '<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">'
        "<value>0</value></prop></item></oor:items>\n")
    for name in ("plans.xlsx", "formula.xlsx"):
        done = subprocess.run(["soffice", "--headless", "--calc", "--convert-to", "xlsx", "--outdir", "saved", name],
                              capture_output=True, text=True, timeout=300, cwd=here,
                              env={**os.environ, "HOME": str(here)})
        assert (here / "saved" / name).is_file(), done.stderr
    assert same(lint([here / "saved" / "plans.xlsx"], Config())) == same(lint([POLICIES], Config()))
    assert run(["check", "saved/formula.xlsx"], capsys)[:2] == (0, "No findings in 1 file.\n")  # now computed: 0.7


@pytest.mark.slow
def test_the_synthetic_organization_round_trips_through_a_workbook(tmp_path: Path) -> None:
    org = synthetic.generate(1000, seed=0)
    synthetic.write(org, tmp_path / "yaml")
    original = lint([tmp_path / "yaml"], Config())
    documents = load_documents([tmp_path / "yaml"])
    (tmp_path / "plans.xlsx").write_bytes(policy_workbook(organization_rows(documents, validate(documents))))
    from interlock.commands.workbook_commands import import_workbook

    import_workbook(tmp_path / "plans.xlsx", tmp_path / "back")
    expected = same(original)
    assert sum(expected.values()) == len(original.findings) > 500
    assert same(lint([tmp_path / "plans.xlsx"], Config())) == expected
    assert same(lint([tmp_path / "back"], Config())) == expected


def test_the_documented_layout_and_limits_are_the_enforced_ones() -> None:
    from interlock.read import workbook_files as workbook

    docs = (ROOT / "docs" / "spreadsheets.md").read_text(encoding="utf-8")
    for sheet in SHEETS:
        section = docs.split(f"\n### {sheet.name}\n", 1)[1].split("\n### ", 1)[0].split("\n## ", 1)[0]
        assert f"`{sheet.csv_name}`" in section
        for column in sheet.columns:
            assert f"\n| {column.header} " in section, (sheet.name, column.header)
    for limit in (workbook.MAX_WORKBOOK_BYTES, workbook.MAX_UNPACKED_BYTES, workbook.MAX_PARTS, workbook.MAX_ROWS,
                  workbook.MAX_CELLS):
        assert f"{limit:,}" in docs
