"""Exit statuses: 0 clean at the threshold, 1 findings at or above it, 2 bad input, configuration or usage.

3 (an internal error) and 130 (interrupted) are tested in test_cli_errors.py.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from interlock.commands.cli import cli, main
from inline_policies import CLEAN, CONFLICT
from paths import ROOT_DIR



@pytest.fixture(autouse=True)
def _here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INTERLOCK_TODAY", raising=False)


def org(text: str, config: str | None = None) -> None:
    Path("org").mkdir(exist_ok=True)
    Path("org/plans.yml").write_text(text, encoding="utf-8")
    if config is not None:
        Path("org/interlock.yml").write_text(config, encoding="utf-8")


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# -- 0 and 1 ------------------------------------------------------------------------------------------


def test_clean_is_0(capsys: pytest.CaptureFixture[str]) -> None:
    org(CLEAN)
    assert run(["check", "org"], capsys)[0] == 0


def test_findings_at_the_threshold_are_1(capsys: pytest.CaptureFixture[str]) -> None:
    org(CONFLICT)
    code, out, err = run(["check", "org"], capsys)
    assert code == 1 and "V03" in out and err == ""


def test_the_threshold_is_separate_from_severities(capsys: pytest.CaptureFixture[str]) -> None:
    org(CONFLICT, "severity: {V03: warning}\n")
    assert run(["check", "org"], capsys)[0] == 0  # a warning, below the default threshold (error)
    assert run(["check", "org", "--fail-on", "warning"], capsys)[0] == 1
    Path("org/interlock.yml").write_text("severity: {V03: warning}\nfail-on: warning\n", encoding="utf-8")
    assert run(["check", "org"], capsys)[0] == 1  # the file's threshold
    assert run(["check", "org", "--fail-on", "error"], capsys)[0] == 0  # the command line wins
    assert run(["check", "org", "--fail-on", "never"], capsys)[0] == 0


def test_deselected_rules_do_not_fail(capsys: pytest.CaptureFixture[str]) -> None:
    org(CONFLICT, "ignore: [vertical]\n")
    assert run(["check", "org"], capsys)[0] == 0
    assert run(["check", "org", "--ignore", "Q08"], capsys)[0] == 1  # replaces the file's ignore list


def test_click_runner_returns_the_status(tmp_path: Path) -> None:
    org(CONFLICT)
    result = CliRunner().invoke(cli, ["check", "org"], standalone_mode=False)
    assert result.exception is None and result.return_value == 1
    org(CLEAN)
    result = CliRunner().invoke(cli, ["check", "org", "--format", "json"], standalone_mode=False)
    assert result.return_value == 0 and '"findings": []' in result.output


# -- 2: configuration ---------------------------------------------------------------------------------


def test_a_bad_configuration_is_2_with_file_line_col(capsys: pytest.CaptureFixture[str]) -> None:
    org(CLEAN, "select: [vertical]\nfail-on: sometimes\n")
    code, out, err = run(["check", "org"], capsys)
    assert (code, out) == (2, "")
    assert err == "org/interlock.yml:2:10: fail-on: 'sometimes' is not one of error, warning, info, never\n"


def test_a_configuration_syntax_error_is_2(capsys: pytest.CaptureFixture[str]) -> None:
    org(CLEAN, "select: [vertical\n")
    code, _, err = run(["check", "org"], capsys)
    assert code == 2 and err.startswith("org/interlock.yml:2:1: YAML syntax error") and "Traceback" not in err


def test_an_unknown_rule_in_the_configuration_is_2(capsys: pytest.CaptureFixture[str]) -> None:
    org(CLEAN, "ignore:\n  - V03\n  - paid-for-nothing\n")
    code, _, err = run(["check", "org"], capsys)
    assert (code, err) == (2, "org/interlock.yml:3:5: ignore: unknown rule or family 'paid-for-nothing' (see `interlock rules`)\n")


def test_a_missing_config_file_is_2(capsys: pytest.CaptureFixture[str]) -> None:
    org(CLEAN)
    code, _, err = run(["check", "org", "--config", "nope.yml"], capsys)
    assert (code, err) == (2, "interlock: --config nope.yml: no such file\n")


# -- 2: usage and input -------------------------------------------------------------------------------


@pytest.mark.parametrize("args, message", [
    (["check", "nowhere"], "nowhere: no such file or directory"),
    (["check", "org", "--select", "V99"], "unknown rule or family 'V99'"),
    (["check", "org", "--fail-on", "sometimes"], "Invalid value for '--fail-on'"),
    (["check", "org", "--today", "tomorrow"], "Invalid value for '--today'"),
    (["check", "org", "--no-such-flag"], "No such option"),
    (["frobnicate"], "No such command 'frobnicate'"),
])
def test_usage_errors_are_2(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    org(CLEAN)
    code, _, err = run(args, capsys)
    assert code == 2 and message in err and "Traceback" not in err


def test_a_bad_policy_file_is_2(capsys: pytest.CaptureFixture[str]) -> None:
    org("departments: [\n")
    code, _, err = run(["check", "org"], capsys)
    assert code == 2 and err.startswith("org/plans.yml:") and "YAML syntax error" in err


def test_a_bad_waiver_file_is_2(capsys: pytest.CaptureFixture[str]) -> None:
    org(CLEAN, "waivers: interlock-waivers.yml\n")
    Path("org/interlock-waivers.yml").write_text("waivers:\n  - rule: V03\n    owner: me\n", encoding="utf-8")
    code, _, err = run(["check", "org"], capsys)
    assert code == 2
    assert "org/interlock-waivers.yml:2:5: waivers[0]: missing required key 'expires'" in err.splitlines()


def test_the_installed_entry_point_exits_2_without_a_traceback(tmp_path: Path) -> None:
    org(CLEAN, "fail-on: loud\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-m", "interlock", "check", "org"], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 2
    assert done.stderr == "org/interlock.yml:1:10: fail-on: 'loud' is not one of error, warning, info, never\n"
    done = subprocess.run([sys.executable, "-m", "interlock", "check", "org", "--config", os.devnull],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr


@pytest.mark.parametrize("doc", ["README.md", "docs/workflow.md"])
def test_every_exit_status_is_documented(doc: str) -> None:
    text = (ROOT_DIR / doc).read_text(encoding="utf-8")
    section = text.split("## Exit status", 1)[1].split("\n## ", 1)[0]
    assert re.findall(r"^\| (\d+) \|", section, re.MULTILINE) == ["0", "1", "2", "3", "130"]
