"""`interlock init`: the scaffold passes `interlock check`, explains itself, and never overwrites anything."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from interlock.commands.cli import main
from interlock.read.config import load_config
from interlock.evaluation.rulebook import load_rulebook
from interlock.commands.scaffold import FILES, scaffold
from interlock.findings.waivers import load_waivers
from paths import ROOT_DIR


@pytest.fixture(autouse=True)
def _here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_init_output_passes_check_with_no_finding_at_all(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["init", "acme"], capsys)
    assert (code, err) == (0, "")
    assert out.splitlines() == [*(f"created acme/{name}" for name, _ in FILES), "next: interlock check acme"]
    code, out, _ = run(["check", "acme", "--fail-on", "info", "--format", "json"], capsys)
    assert code == 0
    report = json.loads(out)
    assert report["findings"] == []
    code, out, _ = run(["check", "acme"], capsys)
    assert (code, out) == (0, "No findings in 3 files.\n")


def test_init_without_a_folder_writes_the_example_here(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["init"], capsys)
    assert (code, err) == (0, "")
    assert out.splitlines() == [*(f"created {name}" for name, _ in FILES), "next: interlock check ."]
    assert sorted(p.name for p in Path(".").iterdir()) == sorted(name for name, _ in FILES)
    assert run(["check", "."], capsys)[:2] == (0, "No findings in 3 files.\n")


def test_init_creates_nested_directories(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["init", "plans/acme"], capsys)[0] == 0
    assert run(["check", "plans/acme"], capsys)[0] == 0


def test_every_file_teaches_by_comments_and_is_valid(tmp_path: Path) -> None:
    written = scaffold(tmp_path / "acme")
    for path in written:
        text = path.read_text(encoding="utf-8")
        comments = [line for line in text.splitlines() if line.lstrip().startswith("#")]
        assert len(comments) >= 3, path.name
        assert isinstance(yaml.safe_load(text), dict)
    book = load_rulebook()
    config = load_config(tmp_path / "acme" / "interlock.yml")
    config.validate(book)
    assert config.waivers is not None and load_waivers(config.waivers) == ()
    sales = yaml.safe_load((tmp_path / "acme" / "sales.yml").read_text(encoding="utf-8"))
    assert sales["department"]["id"] == "sales" and sales["plans"][0]["measures"]


def test_the_conflict_the_comments_suggest_is_found(capsys: pytest.CaptureFixture[str]) -> None:
    scaffold(Path("acme"))
    support = Path("acme/customer-support.yml")
    original = support.read_text(encoding="utf-8")
    assert "replace the plan's two measures with\n# `- {metric: handle_time, weight: 100%, direction: down}`" in original
    measures = ("      - {metric: csat, weight: 60%, target: 88%}   # serves customer-satisfaction directly\n"
                "      - {metric: fcr, weight: 40%, target: 75%}    # first-contact resolution\n")
    assert measures in original
    # What the comment says to do, and exactly what it promises: V03, an error, through first-contact
    # resolution to customer satisfaction; no "serves none" (V01) beside it.
    support.write_text(original.replace(measures, "      - {metric: handle_time, weight: 100%, direction: down}\n"),
                       encoding="utf-8")
    code, out, _ = run(["check", "acme", "--format", "json"], capsys)
    assert code == 1
    findings = json.loads(out)["findings"]
    v03 = [f for f in findings if f["rule"] == "V03"]
    assert any(f["severity"] == "error" and f["message"].startswith(
        "Customer support is paid to lower average handle time (100% of plan support-agents): first-contact "
        "resolution falls -> customer satisfaction falls, against lead objective Customer satisfaction") for f in v03), v03
    assert not [f for f in findings if f["rule"] in ("V01", "V11")]
    # Its second sentence: first-contact resolution kept beside it is a counterweight (V10's information).
    support.write_text(original.replace(measures, "      - {metric: handle_time, weight: 60%, direction: down}\n"
                                                  "      - {metric: fcr, weight: 40%, target: 75%}\n"), encoding="utf-8")
    code, out, _ = run(["check", "acme", "--format", "json", "--fail-on", "info"], capsys)
    rules = {f["rule"] for f in json.loads(out)["findings"]}
    assert "V10" in rules and not rules & {"V01", "V03"}, rules


def test_init_refuses_to_overwrite_and_writes_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    Path("acme").mkdir()
    Path("acme/sales.yml").write_text("# mine\n", encoding="utf-8")
    code, out, err = run(["init", "acme"], capsys)
    assert (code, out) == (2, "")
    assert err == ("interlock: init would overwrite acme/sales.yml; nothing was written "
                   "(choose a new directory or move the files away)\n")
    assert sorted(p.name for p in Path("acme").iterdir()) == ["sales.yml"]
    assert Path("acme/sales.yml").read_text(encoding="utf-8") == "# mine\n"


def test_init_refuses_a_folder_with_other_policy_files(capsys: pytest.CaptureFixture[str]) -> None:
    Path("acme/old").mkdir(parents=True)
    Path("acme/old/plan.yaml").write_text("departments: []\n", encoding="utf-8")
    code, _, err = run(["init", "acme"], capsys)
    assert code == 2 and "already holds policy files (old/plan.yaml)" in err
    assert not Path("acme/organization.yml").exists()


def test_init_accepts_a_folder_with_unrelated_files(capsys: pytest.CaptureFixture[str]) -> None:
    Path("acme").mkdir()
    Path("acme/README.md").write_text("# Our plans\n", encoding="utf-8")
    Path("acme/.pre-commit-config.yaml").write_text("repos: []\n", encoding="utf-8")
    assert run(["init", "acme"], capsys)[0] == 0
    assert run(["check", "acme"], capsys)[0] == 0


def test_init_on_a_file_is_2(capsys: pytest.CaptureFixture[str]) -> None:
    Path("acme").write_text("", encoding="utf-8")
    code, _, err = run(["init", "acme"], capsys)
    assert code == 2 and "acme" in err


def test_the_pre_commit_hook_lints_the_folder(capsys: pytest.CaptureFixture[str]) -> None:
    hooks = yaml.safe_load((ROOT_DIR / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (hook,) = hooks
    assert hook["id"] == "interlock" and hook["pass_filenames"] is False
    assert hook["entry"] == "interlock check"
    assert [p for p in ("plans/sales.yml", "plans/x.yaml", "README.md") if re.search(hook["files"], p)] == [
        "plans/sales.yml", "plans/x.yaml"]
    # What pre-commit runs: the entry, then the hook's args (the folder), no file names.
    scaffold(Path("plans"))
    assert main([*hook["entry"].split()[1:], "plans"]) == 0
    capsys.readouterr()
