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
    for name in ("README.md", "docs/workflow.md", ".pre-commit-hooks.yaml", "action.yml"):
        text = (ROOT_DIR / name).read_text(encoding="utf-8")
        assert "ORG/interlock" not in text, name
        named = set(re.findall(r"github\.com/([\w.-]+/interlock)\b", text))
        named |= set(re.findall(r"uses: ([\w.-]+/interlock)@", text))
        assert named <= {owner_name}, (name, named)
    assert f"uses: {owner_name}@" in (ROOT_DIR / "docs" / "workflow.md").read_text(encoding="utf-8")
