"""Output safety: files are written whole or not at all, only where asked, and policy files are never touched.

Every writer (the -o outputs of check, report and simulate, baselines, init)
goes through files.Outbox: a temporary file beside the target, renamed once
everything is rendered and staged. These tests break runs at every stage and
check that no target is half-written or replaced, no temporary file or new
folder is left behind, and the policy files keep their bytes and mtimes.
"""
from __future__ import annotations

import json

import errno
import hashlib
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import interlock.files
import interlock.outputs.render
from interlock.commands.cli import main
from interlock.errors import UsageError
from interlock.files import Outbox
from interlock.commands.scaffold import FILES
from paths import ROOT_DIR

from inline_policies import CONFLICT

ROOT = ROOT_DIR
OLD = "an earlier result\n"


@pytest.fixture(autouse=True)
def _here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INTERLOCK_DEBUG", raising=False)
    Path("org").mkdir()
    Path("org/plans.yml").write_text(CONFLICT, encoding="utf-8")
    Path("out").mkdir()


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def listing(folder: Path) -> list[str]:
    """Every file and folder below ``folder``, hidden temporary files included."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def fail_on_call(monkeypatch: pytest.MonkeyPatch, name: str, call: int, error: BaseException) -> None:
    """Make ``os.<name>`` as render.py sees it raise ``error`` on its ``call``-th use (1-based)."""
    real = getattr(os, name)
    calls = {"n": 0}

    def flaky(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == call:
            raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(interlock.files.os, name, flaky)


# -- a failure after writing began leaves every target as it was, and nothing else ---------------------


def test_a_full_disk_on_the_second_output_writes_neither(monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    Path("out/result.json").write_text(OLD)
    fail_on_call(monkeypatch, "fsync", 2, OSError(errno.ENOSPC, "No space left on device"))
    code, out, err = run(["check", "org", "-o", "out/result.json", "-o", "out/result.sarif"], capsys)
    assert (code, out) == (2, "")
    assert err == "interlock: cannot write out/result.sarif: No space left on device\n"
    assert listing(Path("out")) == ["result.json"] and Path("out/result.json").read_text() == OLD


def test_a_bug_while_rendering_after_the_baseline_was_staged_writes_nothing(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    Path("out/baseline.yml").write_text(OLD)
    real = interlock.outputs.render.render

    def broken(fmt: str, *args: object, **kwargs: object) -> str:
        if fmt == "html":
            raise RuntimeError("template bug")
        return real(fmt, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(interlock.outputs.render, "render", broken)
    code, out, err = run(["check", "org", "--write-baseline", "out/baseline.yml", "-o", "out/new/r.json",
                          "-o", "out/r.html"], capsys)
    assert (code, out) == (3, "") and "internal error: RuntimeError: template bug" in err
    assert listing(Path("out")) == ["baseline.yml"] and Path("out/baseline.yml").read_text() == OLD


def test_ctrl_c_while_renaming_leaves_no_temporary_file(monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    Path("out/r.json").write_text(OLD)
    fail_on_call(monkeypatch, "replace", 1, KeyboardInterrupt())
    assert run(["check", "org", "-o", "out/r.json", "-o", "out/r.md"], capsys) == (130, "", "interlock: interrupted\n")
    assert listing(Path("out")) == ["r.json"] and Path("out/r.json").read_text() == OLD


def test_a_failed_run_removes_the_folders_it_created(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    fail_on_call(monkeypatch, "fsync", 1, OSError(errno.EIO, "Input/output error"))
    code, _, err = run(["check", "org", "-o", "out/a/b/c/r.sarif"], capsys)
    assert code == 2 and err == "interlock: cannot write out/a/b/c/r.sarif: Input/output error\n"
    assert listing(Path("out")) == []


@pytest.mark.parametrize("command", [
    ["simulate", "org", "--set", "sales.sales-ae.project_margin_pct.weight=90%"],
    ["report", "org"],
])
def test_simulate_and_report_outputs_are_all_or_nothing(command: list[str], monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    Path("out/old.md").write_text(OLD)
    fail_on_call(monkeypatch, "fsync", 2, OSError(errno.ENOSPC, "No space left on device"))
    code, out, err = run([*command, "-o", "out/old.md", "-o", "out/new.html"], capsys)
    assert (code, out, err) == (2, "", "interlock: cannot write out/new.html: No space left on device\n")
    assert listing(Path("out")) == ["old.md"] and Path("out/old.md").read_text() == OLD


# -- bad input or usage writes nothing ---------------------------------------------------------------


def test_bad_input_writes_the_problems_to_every_output_and_no_baseline(capsys: pytest.CaptureFixture[str]) -> None:
    """A policy file with a syntax error: exit 2, one line on stderr, and the -o file holds the problem for CI
    (issue 21); a baseline is never written from a run that could not lint."""
    Path("bad").mkdir()
    Path("bad/plans.yml").write_text("departments: [\n")
    Path("out/r.json").write_text(OLD)
    code, out, err = run(["check", "bad", "-o", "out/r.json", "--write-baseline", "out/b.yml"], capsys)
    assert (code, out) == (2, "") and len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert listing(Path("out")) == ["r.json"]
    document = json.loads(Path("out/r.json").read_text())
    assert document["findings"] == [] and [f"{e['file']}:{e['line']}:{e['column']}: {e['message']}"
                                           for e in document["errors"]] == [err.strip()]


@pytest.mark.parametrize("args", [
    ["check", "org", "-o", "out/r.json", "-o", "out/r.log"],                  # an unknown extension
    ["check", "org", "-o", "out/r.json", "--select", "V99"],                  # an unknown rule
    ["check", "org", "-o", "out/r.json", "--template", "missing.j2"],         # a missing template
    ["check", "org", "-o", "out/r.json", "--write-baseline", "out/r.json"],   # the same file twice
    ["report", "org", "-o", "out/r.html", "--previous", "nowhere"],           # a missing previous version
    ["simulate", "org", "-o", "out/r.json", "--slip", "no-such-milestone=+1q"],
])
def test_bad_input_or_usage_writes_nothing(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    Path("bad").mkdir()
    Path("bad/plans.yml").write_text("departments: [\n")
    Path("out/r.json").write_text(OLD)
    code, out, err = run(args, capsys)
    assert (code, out) == (2, "") and len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert listing(Path("out")) == ["r.json"] and Path("out/r.json").read_text() == OLD


def test_an_output_may_not_overwrite_a_file_the_run_reads(capsys: pytest.CaptureFixture[str]) -> None:
    Path("org/interlock.yml").write_text("fail-on: error\n")
    before = {p: p.read_bytes() for p in Path("org").iterdir()}
    for args in (["check", "org", "-o", "json=org/plans.yml"], ["check", "org", "--write-baseline", "org/plans.yml"],
                 ["report", "org", "-o", "markdown=org/interlock.yml"],
                 ["simulate", "org", "--set", "sales.sales-ae.project_margin_pct.weight=90%", "-o", "json=./org/plans.yml"]):
        code, out, err = run(args, capsys)
        assert (code, out) == (2, "") and "this run reads that file" in err and "refusing to overwrite" in err, args
    assert {p: p.read_bytes() for p in Path("org").iterdir()} == before


# -- where outputs go ---------------------------------------------------------------------------------


def test_missing_folders_are_created_and_nothing_else_is_written(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run(["check", "org", "-o", "out/ci/reports/r.sarif", "--write-baseline", "out/ci/base/b.yml"], capsys)
    assert code == 0  # a fresh baseline knows every finding
    assert listing(Path("out")) == ["ci", "ci/base", "ci/base/b.yml", "ci/reports", "ci/reports/r.sarif"]


def test_an_output_under_a_file_is_one_line_naming_the_path(capsys: pytest.CaptureFixture[str]) -> None:
    Path("out/notes.txt").write_text(OLD)
    code, out, err = run(["check", "org", "-o", "out/notes.txt/r.sarif"], capsys)
    assert (code, out, err) == (2, "", "interlock: cannot write out/notes.txt/r.sarif: out/notes.txt is a file, "
                                       "not a folder\n")
    code, _, err = run(["check", "org", "-o", "json=out"], capsys)
    assert (code, err) == (2, "interlock: cannot write out: it is a folder\n")
    assert listing(Path("out")) == ["notes.txt"] and Path("out/notes.txt").read_text() == OLD


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_one_line_naming_the_path(capsys: pytest.CaptureFixture[str]) -> None:
    Path("out/locked").mkdir()
    Path("out/locked").chmod(0o555)
    try:
        code, out, err = run(["check", "org", "-o", "out/locked/r.json"], capsys)
    finally:
        Path("out/locked").chmod(0o755)
    assert (code, out, err) == (2, "", "interlock: cannot write out/locked/r.json: Permission denied\n")
    assert listing(Path("out")) == ["locked"]


def test_permission_denied_is_one_line_naming_the_path(monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """The same as above where the tests run as root: the system refuses the temporary file."""
    def refuse(*_args: object, **_kwargs: object) -> tuple[int, str]:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(interlock.files.tempfile, "mkstemp", refuse)
    code, out, err = run(["check", "org", "-o", "out/r.json"], capsys)
    assert (code, out, err) == (2, "", "interlock: cannot write out/r.json: Permission denied\n")
    assert listing(Path("out")) == []


def test_a_replaced_file_keeps_its_permissions_and_a_new_one_follows_the_umask(tmp_path: Path) -> None:
    kept = tmp_path / "kept.json"
    kept.write_text(OLD)
    kept.chmod(0o600)
    interlock.files.write_atomic(kept, "new\n")
    assert kept.read_text() == "new\n" and stat.S_IMODE(kept.stat().st_mode) == 0o600
    mask = os.umask(0o027)
    try:
        interlock.files.write_atomic(tmp_path / "fresh.json", "x\n")
    finally:
        os.umask(mask)
    assert stat.S_IMODE((tmp_path / "fresh.json").stat().st_mode) == 0o640


# -- init: five files or none, never over anything ----------------------------------------------------


def test_init_writes_nothing_when_a_file_fails(monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    fail_on_call(monkeypatch, "fsync", 3, OSError(errno.ENOSPC, "No space left on device"))
    code, out, err = run(["init", "new/acme"], capsys)
    assert (code, out) == (2, "") and err == "interlock: cannot write new/acme/customer-support.yml: " \
                                             "No space left on device\n"
    assert not Path("new").exists()


def test_init_never_overwrites_a_file_that_appears_meanwhile(monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """Between the up-front check and the rename, another process creates one of the files."""
    real = os.link
    calls = {"n": 0}

    def racing(source: str, target: str) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            Path(target).write_text("theirs\n")
        real(source, target)

    monkeypatch.setattr(interlock.files.os, "link", racing)
    code, _, err = run(["init", "acme"], capsys)
    third = FILES[2][0]
    assert code == 2 and err == f"interlock: acme/{third} already exists; nothing was written\n"
    assert listing(Path("acme")) == [third] and Path("acme", third).read_text() == "theirs\n"


def test_init_without_hard_links_still_refuses_to_overwrite(monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """Some file systems (FAT, network shares) have no hard links: exclusive creation instead."""
    def unsupported(*_args: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(interlock.files.os, "link", unsupported)
    assert run(["init", "acme"], capsys)[0] == 0
    assert listing(Path("acme")) == sorted(name for name, _ in FILES)
    assert run(["check", "acme"], capsys)[0] == 0


def test_the_outbox_discards_on_any_exit_without_commit(tmp_path: Path) -> None:
    box_dir = tmp_path / "box"
    with pytest.raises(ZeroDivisionError), Outbox() as box:
        staged = box.stage(box_dir / "a" / "b.json", "{}\n")
        assert staged.read_text() == "{}\n" and staged.parent == box_dir / "a"
        1 / 0  # noqa: B018
    assert not box_dir.exists()  # the temporary file and both folders it needed are gone
    with pytest.raises(UsageError, match="named twice"), Outbox() as box:
        box.stage(box_dir / "c.json", "{}\n")
        box.stage(box_dir / "." / "c.json", "[]\n")
    assert not box_dir.exists()


# -- policy files: opened read-only, never modified ---------------------------------------------------


def _fingerprint(folder: Path) -> dict[str, tuple[str, int, int]]:
    """Each file's content hash, mtime (ns) and mode: what a modification would change."""
    return {p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns, p.stat().st_mode)
            for p in sorted(folder.iterdir())}


@pytest.fixture
def read_only_policies(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", folder)
    (folder / "interlock.yml").write_text("fail-on: error\n")
    for path in folder.iterdir():
        path.chmod(0o444)
    folder.chmod(0o555)
    try:
        yield folder
    finally:
        folder.chmod(0o755)
        for path in folder.iterdir():
            path.chmod(0o644)


def test_policy_files_keep_their_bytes_and_mtimes_and_read_only_copies_work(
        read_only_policies: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = _fingerprint(read_only_policies)
    outputs = [arg for name in ("r.txt", "r.json", "r.sarif", "r.xml", "r.md", "r.html") for arg in ("-o", f"out/{name}")]
    assert run(["check", "policies", *outputs, "-o", "github=out/r.gh"], capsys)[0] == 1
    assert run(["check", "policies", "--write-baseline", "out/baseline.yml"], capsys)[0] == 0
    assert run(["check", "policies", "--baseline", "out/baseline.yml", "--fail-on", "info"], capsys)[0] == 0
    assert run(["report", "policies", "-o", "out/report.html", "-o", "out/report.md"], capsys)[0] == 0
    assert run(["simulate", "policies", "--slip", "product-launch=+1q", "-o", "out/sim.json"], capsys)[0] in (0, 1)
    assert run(["config", "--show", "policies"], capsys)[0] == 0
    assert _fingerprint(read_only_policies) == before
    assert len(listing(Path("out"))) == 11


#: Runs the CLI under a Python audit hook that records every open, rename, removal and metadata change below a folder.
AUDITED = """\
import os, sys
folder = os.path.realpath(sys.argv[1])
WRITE = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
reads, changes = [], []

def below(path):
    return not isinstance(path, int) and os.path.realpath(os.fsdecode(path)).startswith(folder + os.sep)

def hook(event, args):
    if event == "open" and args[0] is not None and below(args[0]):
        mode, flags = args[1] or "", args[2] or 0
        (changes if any(c in mode for c in "wax+") or flags & WRITE else reads).append(event)
    elif event in ("os.rename", "os.remove", "os.rmdir", "os.chmod", "os.chown", "os.utime", "os.truncate",
                   "os.link", "os.symlink", "os.mkdir") and any(below(a) for a in args if isinstance(a, (str, bytes, os.PathLike))):
        changes.append(event)

sys.addaudithook(hook)
from interlock.commands.cli import main
status = main(sys.argv[2:])
print(status, len(reads), changes, file=sys.stderr)
"""


@pytest.mark.parametrize("args", [
    ["check", "policies", "-o", "out/r.html", "-o", "out/r.sarif", "--write-baseline", "out/b.yml"],
    ["report", "policies", "-o", "out/r.md"],
    ["simulate", "policies", "--slip", "product-launch=+1q", "-o", "out/s.json"],
])
def test_policy_files_are_only_ever_opened_for_reading(args: list[str], tmp_path: Path) -> None:
    """Stronger than comparing hashes: no open for writing, no rename, chmod or utime below the folder, ever."""
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    done = subprocess.run([sys.executable, "-c", AUDITED, "policies", *args], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    status, reads, changes = done.stderr.splitlines()[-1].split(" ", 2)
    assert status in ("0", "1") and int(reads) >= 10, done.stderr  # every policy file was read
    assert changes.strip() == "[]"
