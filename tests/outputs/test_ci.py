"""CI (issue 21): input errors as results in every machine format, every -o file written, SARIF helpUri,
the GitHub Action and the pre-commit hook documented with the repository's one address."""
from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from interlock import REPOSITORY
from interlock.commands.cli import main
from interlock.outputs.sarif import help_uri
from paths import ROOT_DIR
from test_sarif import assert_valid

TYPO = "policies/marketing.yml"


@pytest.fixture()
def typo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example organization with `weight:` misspelt in marketing's first measure."""
    shutil.copytree(ROOT_DIR / "policies", tmp_path / "policies")
    path = tmp_path / TYPO
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("weight: ", "wieght: ", 1), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_an_input_error_is_written_to_every_output_and_still_exits_2(typo: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["check", "policies", "-f", "github", "-o", "out.sarif", "-o", "junit.xml", "-o", "out.json",
                   "-o", "out.txt", "-o", "out.md", "-o", "out.html"])
    captured = capsys.readouterr()
    assert status == 2
    problem = "plans[0].measures[0]: unknown key 'wieght' (did you mean 'weight'?)"
    line = next(l for l in captured.err.splitlines() if "wieght" in l)
    where = line.split(": ", 1)[0]
    file, row, col = where.rsplit(":", 2)
    assert file == TYPO and line == f"{where}: {problem}"
    # GitHub: an annotation at the place, on standard output.
    assert f"::error file={TYPO},line={row},col={col},title=Interlock input error::{problem}\n" in captured.out
    # SARIF: a result of the input-error rule at the place, and the invocation's notification; valid.
    log = json.loads((typo / "out.sarif").read_text(encoding="utf-8"))
    assert_valid(log)
    run = log["runs"][0]
    result = next(r for r in run["results"] if r["message"]["text"] == problem)
    assert result["ruleId"] == "input-error" and result["level"] == "error"
    assert result["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": TYPO}, "region": {"startLine": int(row), "startColumn": int(col)}}
    assert run["tool"]["driver"]["rules"][0]["helpUri"].endswith("docs/workflow.md#exit-status")
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False and invocation["exitCode"] == 2
    assert problem in [n["message"]["text"] for n in invocation["toolExecutionNotifications"]]
    # JUnit: a failure in the file's suite.
    suite = ET.fromstring((typo / "junit.xml").read_text(encoding="utf-8")).find("testsuite")
    assert suite is not None and suite.get("name") == TYPO
    assert problem in [f.get("message") for f in suite.iter("failure")]
    # JSON: the errors list, no findings.
    document = json.loads((typo / "out.json").read_text(encoding="utf-8"))
    assert document["findings"] == [] and {"file": TYPO, "line": int(row), "column": int(col),
                                           "message": problem} in document["errors"]
    # The human files say the same lines.
    assert f"{where}: {problem}\n" in (typo / "out.txt").read_text(encoding="utf-8")
    assert problem.replace("[", "\\[").replace("]", "\\]") in (typo / "out.md").read_text(encoding="utf-8")
    assert "did you mean &#x27;weight&#x27;" in (typo / "out.html").read_text(encoding="utf-8")


def test_with_text_on_standard_output_the_problems_stay_on_standard_error_only(
        typo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "policies"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "wieght" in captured.err


def test_an_input_error_never_overwrites_a_file_the_run_reads(typo: Path) -> None:
    before = (typo / TYPO).read_bytes()
    assert main(["check", "policies", "-o", f"text={TYPO}"]) == 2
    assert (typo / TYPO).read_bytes() == before


def test_every_built_in_rule_links_to_its_section_of_the_rule_catalog() -> None:
    catalog = (ROOT_DIR / "docs" / "rules.md").read_text(encoding="utf-8")
    anchors = {"-".join(h.lower().split()) for h in re.findall(r"^## (.+)$", catalog, flags=re.M)}
    log = json.loads((ROOT_DIR / "tests" / "gold" / "check.sarif").read_text(encoding="utf-8"))
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert rules and all("helpUri" in r for r in rules)
    for rule in rules:
        base, _, anchor = rule["helpUri"].partition("#")
        assert base == f"{REPOSITORY}/blob/main/docs/rules.md" and anchor in anchors, rule["id"]
    assert help_uri("V03", "paid-against-lead-objective").endswith("docs/rules.md#v03-paid-against-lead-objective")


def test_the_action_is_a_composite_that_installs_from_its_checkout_and_uploads_sarif() -> None:
    action = yaml.safe_load((ROOT_DIR / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    runs = " ".join(str(s.get("run", "")) for s in steps)
    assert 'pip install --disable-pip-version-check "${{ github.action_path }}"' in runs
    assert "interlock check" in runs and "--format github" in runs and "sarif=" in runs
    upload = next(s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif@"))
    assert "!cancelled()" in upload["if"]


def test_the_documents_name_the_repository_by_its_one_address() -> None:
    owner_name = REPOSITORY.removeprefix("https://github.com/")
    documents = ["README.md", ".pre-commit-hooks.yaml", "action.yml", "pyproject.toml",
                 *(p.relative_to(ROOT_DIR).as_posix() for p in sorted((ROOT_DIR / "docs").glob("*.md")))]
    for name in documents:
        text = (ROOT_DIR / name).read_text(encoding="utf-8")
        assert "ORG/interlock" not in text, name
        named = set(re.findall(r"github\.com/([\w.-]+/interlock)\b", text))
        named |= set(re.findall(r"uses: ([\w.-]+/interlock)@", text))
        assert named <= {owner_name}, (name, named)
    workflow = (ROOT_DIR / "docs" / "workflow.md").read_text(encoding="utf-8")
    assert f"uses: {owner_name}@" in workflow
    # How to set the address is said once, in docs/workflow.md, and the constant's comment points there.
    assert workflow.count("The repository's address (a maintainer task)") == 1
    assert "docs/workflow.md#repository-address" in (ROOT_DIR / "engine" / "__init__.py").read_text(encoding="utf-8")


# -- read-time warnings (W005) reach the CI formats too -------------------------------------------


@pytest.fixture()
def forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scaffolded organization with two forms YAML 1.1 and 1.2 read differently in sales.yml."""
    monkeypatch.chdir(tmp_path)
    assert main(["init", "org"]) == 0
    sales = tmp_path / "org" / "sales.yml"
    text = sales.read_text(encoding="utf-8")
    assert "target_incentive: 50000" in text and "triggers:" in text
    sales.write_text(text.replace("target_incentive: 50000", "target_incentive: 50_000").replace("triggers:", "on:"),
                     encoding="utf-8")
    return tmp_path


def _places(forms: Path) -> list[tuple[int, int]]:
    """Where the two forms are in org/sales.yml (1-based line and column of the value or key)."""
    lines = (forms / "org" / "sales.yml").read_text(encoding="utf-8").splitlines()
    number = next(i for i, l in enumerate(lines) if "50_000" in l)
    key = next(i for i, l in enumerate(lines) if l.strip().startswith("on:"))
    return [(number + 1, lines[number].index("50_000") + 1), (key + 1, lines[key].index("on:") + 1)]


def test_a_yaml_form_warning_is_written_in_every_machine_format_and_never_fails_the_run(
        forms: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    status = main(["check", "org", "--fail-on", "info", "-f", "github", "-o", "out.sarif", "-o", "junit.xml",
                   "-o", "out.json"])
    captured = capsys.readouterr()
    assert status == 0  # a warning about a form is not a finding: the exit status does not change
    (number_line, number_col), (key_line, key_col) = _places(forms)
    number = ("plans[0].target_incentive: 50_000 is the number 50000 to Interlock (YAML 1.1) but text to editors "
              '(YAML 1.2, "Incorrect type. Expected number"): write 50000')
    key_start = "plans[0].clawback: the key on is the text 'on'"
    # Standard error keeps its lines, as with text.
    assert f"org/sales.yml:{number_line}:{number_col}: warning W005: {number}" in captured.err.splitlines()
    # GitHub: a warning annotation at each place.
    annotations = [l for l in captured.out.splitlines() if l.startswith("::")]
    assert annotations[0] == (f"::warning file=org/sales.yml,line={number_line},col={number_col},"
                              f"title=W005 yaml-version-form::{number}")
    assert annotations[1].startswith(f"::warning file=org/sales.yml,line={key_line},col={key_col},"
                                     f"title=W005 yaml-version-form::{key_start}")
    assert len(annotations) == 2
    # SARIF: valid; a result of the rule W005 at level warning at each place, the rule described with its help.
    log = json.loads((forms / "out.sarif").read_text(encoding="utf-8"))
    assert_valid(log)
    run = log["runs"][0]
    results = [r for r in run["results"] if r["ruleId"] == "W005"]
    assert [r["level"] for r in results] == ["warning", "warning"] and results[0]["message"]["text"] == number
    assert [(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
             r["locations"][0]["physicalLocation"]["region"]) for r in results] == [
        ("org/sales.yml", {"startLine": number_line, "startColumn": number_col}),
        ("org/sales.yml", {"startLine": key_line, "startColumn": key_col})]
    rule = run["tool"]["driver"]["rules"][results[0]["ruleIndex"]]
    assert rule["id"] == "W005" and rule["name"] == "yaml-version-form"
    assert rule["defaultConfiguration"] == {"level": "warning"} and rule["helpUri"].endswith("docs/workflow.md#notes")
    assert len({r["partialFingerprints"]["interlock/v1"] for r in results}) == 2
    # JUnit: passing testcases in the file's suite, the warning in system-out; no failure anywhere.
    root = ET.fromstring((forms / "junit.xml").read_text(encoding="utf-8"))
    assert root.get("failures") == "0" and not list(root.iter("failure"))
    suite = next(s for s in root.iter("testsuite") if s.get("name") == "org/sales.yml")
    cases = [c for c in suite.iter("testcase") if c.get("name", "").startswith("W005 yaml-version-form")]
    assert [(c.get("file"), c.get("line")) for c in cases] == [("org/sales.yml", str(number_line)),
                                                               ("org/sales.yml", str(key_line))]
    out = cases[0].find("system-out")
    assert out is not None and out.text == f"org/sales.yml:{number_line}:{number_col}: warning W005: {number}"
    assert suite.get("tests") == str(len(list(suite.iter("testcase")))) and suite.get("failures") == "0"
    # JSON: the warnings list, with file, line, column, code and message.
    document = json.loads((forms / "out.json").read_text(encoding="utf-8"))
    assert document["findings"] == [] and document["warnings"][0] == {
        "file": "org/sales.yml", "line": number_line, "column": number_col, "code": "W005", "message": number}
    assert [(w["line"], w["column"], w["code"]) for w in document["warnings"]] == [
        (number_line, number_col, "W005"), (key_line, key_col, "W005")]
    assert document["warnings"][1]["message"].startswith(key_start)


def test_a_yaml_form_warning_stays_on_standard_error_with_text_and_leaves_quiet_annotations_out(
        forms: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["check", "org"]) == 0
    captured = capsys.readouterr()
    assert "W005" not in captured.out and captured.err.count(": warning W005: ") == 2
    # --quiet shows only what fails the run; a warning about a form never does.
    assert main(["check", "org", "-f", "github", "--quiet"]) == 0
    assert capsys.readouterr().out == ""


def test_a_run_without_such_forms_has_no_warnings_in_its_machine_outputs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["init", "org"]) == 0
    capsys.readouterr()
    assert main(["check", "org", "-f", "json", "-o", "out.sarif"]) == 0
    captured = capsys.readouterr()
    assert "warnings" not in json.loads(captured.out) and "W005" not in captured.err
    log = json.loads((tmp_path / "out.sarif").read_text(encoding="utf-8"))
    assert "W005" not in [r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]]
