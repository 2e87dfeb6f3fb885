"""How the `interlock` command ends (cli.main): the collector is spared a last scan, nothing else changes.

Run as a command (no ``argv``), main() freezes what the run built (gc.freeze) before the process
exits (issue 9); called with ``argv`` (tests, embedding) it leaves the collector alone. The command
prints and writes exactly what an in-process call does.
"""
from __future__ import annotations

import gc
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from interlock.commands import cli
from paths import ROOT_DIR

ROOT = ROOT_DIR


def _freezes(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    calls: list[bool] = []
    monkeypatch.setattr(cli, "_before_exit", lambda: calls.append(True))
    return calls


def test_before_exit_freezes_every_object(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bool] = []
    monkeypatch.setattr(gc, "freeze", lambda: calls.append(True))
    cli._before_exit()
    assert calls == [True]


def test_the_command_freezes_what_it_built_before_exiting(monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    calls = _freezes(monkeypatch)
    monkeypatch.setattr(sys, "argv", ["interlock", "--version"])
    assert cli.main() == 0
    assert calls == [True] and "interlock" in capsys.readouterr().out


def test_an_in_process_call_leaves_the_collector_alone(monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    calls = _freezes(monkeypatch)
    assert cli.main(["--version"]) == 0
    assert cli.main(["check", str(ROOT / "policies"), "--format", "json"]) == 1
    assert calls == []
    capsys.readouterr()


def test_the_command_prints_and_writes_what_an_in_process_call_does(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    script = shutil.which("interlock", path=str(Path(sys.executable).parent))
    command = [script] if script else [sys.executable, "-m", "interlock"]
    args = ["check", "policies", "--today", "2027-03-01", "-o", str(tmp_path / "out.sarif")]
    done = subprocess.run([*command, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)
    from_command = (tmp_path / "out.sarif").read_text(encoding="utf-8")
    (tmp_path / "out.sarif").unlink()
    monkeypatch = pytest.MonkeyPatch()
    try:
        monkeypatch.chdir(ROOT)
        status = cli.main(args)
    finally:
        monkeypatch.undo()
    captured = capsys.readouterr()
    assert (done.returncode, done.stdout, done.stderr) == (status, captured.out, captured.err)
    assert from_command == (tmp_path / "out.sarif").read_text(encoding="utf-8") and from_command.endswith("}\n")
