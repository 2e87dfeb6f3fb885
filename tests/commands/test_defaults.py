"""`interlock check` without a path (issue 21): the nearest interlock.yml's organization, else the current folder
when it holds an organization file, else policies/; `exclude` keeps unrelated YAML out."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from interlock.commands.cli import main
from paths import ROOT_DIR


def test_check_in_a_folder_made_by_init_checks_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", str(tmp_path / "org")]) == 0
    monkeypatch.chdir(tmp_path / "org")
    capsys.readouterr()
    assert main(["check"]) == 0
    assert capsys.readouterr().out == "No findings in 3 files.\n"


def test_without_a_configuration_the_folder_holding_an_organization_file_is_checked(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", str(tmp_path / "org")]) == 0
    (tmp_path / "org" / "interlock.yml").unlink()
    monkeypatch.chdir(tmp_path / "org")
    capsys.readouterr()
    assert main(["check", "-f", "json"]) == 0
    assert '"findings": []' in capsys.readouterr().out


def test_a_repository_root_config_checks_its_folder_and_exclude_keeps_other_yaml_out(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(ROOT_DIR / "policies", tmp_path / "plans")
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "pipeline.yml").write_text("stages: [build, test]\n", encoding="utf-8")
    (tmp_path / "mkdocs.yml").write_text("site_name: docs\n", encoding="utf-8")
    (tmp_path / "interlock.yml").write_text("exclude: [ci, mkdocs.yml]\n", encoding="utf-8")
    (tmp_path / "plans" / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "plans" / "sub")  # the nearest interlock.yml is two folders up
    capsys.readouterr()
    assert main(["check", "--no-color"]) == 1
    out = capsys.readouterr().out
    policy_files = len(list((ROOT_DIR / "policies").glob("*.yml")))
    assert f"in {policy_files} files." in out and "ci/pipeline.yml" not in out and "mkdocs" not in out
    # Without the globs the unrelated files are read, and are not policy files.
    (tmp_path / "interlock.yml").write_text("fail-on: error\n", encoding="utf-8")
    assert main(["check"]) == 2
    assert "pipeline.yml" in capsys.readouterr().err


def test_an_excluded_file_named_on_the_command_line_is_still_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", str(tmp_path)]) == 0
    (tmp_path / "interlock.yml").write_text("exclude: ['*.yml']\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert main(["check", "organization.yml", "sales.yml", "customer-support.yml"]) == 0
    assert main(["check"]) == 2  # every file found in the folder is excluded
    assert "no policy files" in capsys.readouterr().err


def test_nowhere_to_look_is_a_usage_error_that_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["check"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("interlock: no organization to check here:") and "interlock init DIR" in err


def test_exclude_is_in_the_configuration_schema_and_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", str(tmp_path)]) == 0
    (tmp_path / "interlock.yml").write_text("exclude: docs\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["check", str(tmp_path)]) == 2
    assert "interlock.yml:1:10: exclude" in capsys.readouterr().err
