"""Internal errors (exit 3) and interruptions (exit 130): one line, the version, no traceback unless --debug.

A bug must not look like bad input (exit 2) and must not bury the user in a
traceback; it must say that it is a bug, which version, and where to report
it. `--debug` (or INTERLOCK_DEBUG=1) adds the traceback for the report.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from interlock import __version__
from interlock.commands.cli import main
from interlock.errors import EngineError
from inline_policies import CLEAN
from paths import ROOT_DIR

ROOT = ROOT_DIR


@pytest.fixture(autouse=True)
def _org(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INTERLOCK_DEBUG", raising=False)
    Path("org").mkdir()
    Path("org/plans.yml").write_text(CLEAN, encoding="utf-8")


def _break_lint(monkeypatch: pytest.MonkeyPatch, error: BaseException) -> None:
    """Make the pipeline fail the way a bug would: from deep inside, with an unexpected exception."""
    def broken(*_args: object, **_kwargs: object) -> None:
        raise error

    monkeypatch.setattr("interlock.lint.lint", broken)


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_bug_is_exit_3_with_one_line_naming_the_version(monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    _break_lint(monkeypatch, ValueError("cannot happen:\n  twice"))
    code, out, err = _run(["check", "org"], capsys)
    assert (code, out) == (3, "")
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith(f"interlock {__version__}: internal error: ValueError: cannot happen: twice (")
    assert "a bug in Interlock; please report it" in err and "the input" in err
    assert err.rstrip().endswith("rerun with --debug for the traceback")


@pytest.mark.parametrize("args", [["--debug", "check", "org"], ["check", "org", "--debug"], ["check", "org"]])
def test_debug_adds_the_traceback(args: list[str], monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Before the command, after it (where people append it), or INTERLOCK_DEBUG=1."""
    if "--debug" not in args:
        monkeypatch.setenv("INTERLOCK_DEBUG", "1")
    _break_lint(monkeypatch, RuntimeError("boom"))
    code, _, err = _run(args, capsys)
    lines = err.splitlines()
    assert code == 3 and lines[0] == "Traceback (most recent call last):"
    assert "RuntimeError: boom" in lines and 'in broken' in err  # the frame where it went wrong
    assert lines[-1].startswith(f"interlock {__version__}: internal error: RuntimeError: boom")
    assert "--debug" not in lines[-1]


def test_debug_does_not_add_tracebacks_to_input_errors(capsys: pytest.CaptureFixture[str]) -> None:
    Path("org/plans.yml").write_text("departments: [\n", encoding="utf-8")
    code, _, err = _run(["--debug", "check", "org"], capsys)
    assert code == 2 and err.startswith("org/plans.yml:") and "Traceback" not in err


def test_a_long_message_stays_short(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _break_lint(monkeypatch, KeyError("x" * 5000))
    code, _, err = _run(["check", "org"], capsys)
    assert code == 3 and len(err.splitlines()) == 1 and len(err) < 600


def test_every_command_reports_bugs_the_same_way(monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise TypeError("unexpected")

    monkeypatch.setattr("interlock.evaluation.rulebook.load_rulebook", broken)
    for args in (["rules"], ["config", "org"], ["explain", "V03"]):
        code, _, err = _run(args, capsys)
        assert code == 3 and "internal error: TypeError: unexpected" in err and len(err.splitlines()) == 1, args


def test_an_engine_failure_is_an_internal_error(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    _break_lint(monkeypatch, EngineError("a rule action failed: ZeroDivisionError: division by zero"))
    code, out, err = _run(["check", "org"], capsys)
    assert (code, out) == (3, "") and len(err.splitlines()) == 1
    assert err.startswith(f"interlock {__version__}: internal error: the rules engine failed: a rule action failed: "
                          "ZeroDivisionError: division by zero (a bug in Interlock")


def test_a_missing_engine_says_how_to_install_it_not_that_it_is_a_bug(monkeypatch: pytest.MonkeyPatch,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    error = EngineError("cannot load the rules engine durable-rules (no module); run `make setup` (see README)")
    error.__cause__ = ImportError("no module")
    _break_lint(monkeypatch, error)
    code, _, err = _run(["check", "org"], capsys)
    assert code == 3 and err == f"interlock {__version__}: installation problem: {error}\n"


def test_ctrl_c_is_130_with_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _break_lint(monkeypatch, KeyboardInterrupt())
    assert _run(["check", "org"], capsys) == (130, "", "interlock: interrupted\n")


def test_ctrl_c_inside_a_rule_action_is_still_an_interruption(monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """The adapter wraps whatever an action raised into EngineError; Ctrl-C is not a bug."""
    error = EngineError("a rule action failed: KeyboardInterrupt: ")
    error.__cause__ = KeyboardInterrupt()
    _break_lint(monkeypatch, error)
    assert _run(["check", "org"], capsys) == (130, "", "interlock: interrupted\n")


def _script(body: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run a few lines of Python that break Interlock, then call the console entry point, as a process."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    env.pop("INTERLOCK_DEBUG", None)
    code = textwrap.dedent(body) + "\nimport sys\nfrom interlock.commands.cli import main\nsys.exit(main(sys.argv[1:]))\n"
    return subprocess.run([sys.executable, "-c", code, "check", "org"], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=120)


def test_the_process_exits_3_on_a_bug(tmp_path: Path) -> None:
    done = _script("""
        import interlock.lint
        def broken(*args, **kwargs):
            return {}["missing"]
        interlock.lint.lint = broken
    """, tmp_path)
    assert done.returncode == 3 and done.stdout == ""
    assert done.stderr.startswith(f"interlock {__version__}: internal error: KeyError: 'missing'")
    assert len(done.stderr.splitlines()) == 1


def test_the_process_exits_130_on_sigint(tmp_path: Path) -> None:
    done = _script("""
        import os, signal, time
        import interlock.lint
        # Python raises KeyboardInterrupt on SIGINT unless the process was started with SIGINT ignored
        # (a background job of a non-interactive shell, as some CI runners start the tests): as from a terminal.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        def interrupted(*args, **kwargs):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(30)
        interlock.lint.lint = interrupted
    """, tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (130, "", "interlock: interrupted\n")


def test_the_documented_internal_error_line_is_what_users_see(monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    docs = (ROOT / "docs" / "workflow.md").read_text(encoding="utf-8")
    block = docs.split("## Exit status", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    documented = block.splitlines()[1].replace("0.1.0", __version__)
    _break_lint(monkeypatch, KeyError("sales"))
    assert main(["check", "org"]) == 3
    assert capsys.readouterr().err == documented + "\n"


def test_debug_is_a_documented_global_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "--debug" in capsys.readouterr().out


@pytest.mark.parametrize("text, message", [
    ("{{ findings | length }}\n{{ 1 / 0 }}\n", "interlock: tpl.j2:2: ZeroDivisionError: division by zero\n"),
    ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}\n", "interlock: tpl.j2:1: RecursionError: maximum recursion"),
    (b"\xff\xfe{{ findings }}\n", "interlock: tpl.j2: the template is not UTF-8 text\n"),
])
def test_a_failing_user_template_is_the_users_error_not_a_bug(text: str | bytes, message: str,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """Whatever a --template raises is reported at its line with exit 2; only built-in templates can have bugs."""
    Path("tpl.j2").write_bytes(text.encode() if isinstance(text, str) else text)
    code, out, err = _run(["check", "org", "--template", "tpl.j2"], capsys)
    assert (code, out) == (2, "") and err.startswith(message) and len(err.splitlines()) == 1
