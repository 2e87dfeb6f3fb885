"""Input edge cases found by hand (issue 16), each through the real CLI in a child process.

A folder of department files with no organization; the example organization without its
organization.yml; a link that leads out of the checked folder (its content must never reach a CI
log); the temporary files of a run killed while writing.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from interlock.files import ORPHAN_AFTER, STALE_AFTER, Outbox, remove_stale_temporaries
from paths import ROOT_DIR

SECRET = "SECRET-TOKEN-" + "0123456789abcdef" * 8


def _interlock(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "interlock", *args, "--no-cache"], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


def _one_line(run: subprocess.CompletedProcess[str]) -> str:
    assert run.returncode == 2, (run.returncode, run.stdout, run.stderr)
    assert run.stdout == "" and "Traceback" not in run.stderr
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    return lines[0]


DEPARTMENT = """\
department:
  id: {id}
  name: {name}
plans:
  - id: {id}-plan
    measures:
      - {{metric: bookings, weight: 100%}}
"""


def test_department_files_without_an_organization_are_refused(tmp_path: Path) -> None:
    (tmp_path / "org").mkdir()
    (tmp_path / "org" / "sales.yml").write_text(DEPARTMENT.format(id="sales", name="Sales"), encoding="utf-8")
    (tmp_path / "org" / "support.yml").write_text(DEPARTMENT.format(id="support", name="Support"), encoding="utf-8")
    line = _one_line(_interlock("check", "org", cwd=tmp_path))
    assert line == ("org/sales.yml:2:3: no organization file: this and 1 more department files belong to an "
                    "organization, but no file in org has an `organization:` section; add org/organization.yml with "
                    "`organization: {name: ...}`, its objectives and the milestones and departments the department "
                    "files name (docs/policy-language.md#organization)")


def test_the_organization_file_completes_them(tmp_path: Path) -> None:
    (tmp_path / "org").mkdir()
    (tmp_path / "org" / "sales.yml").write_text(DEPARTMENT.format(id="sales", name="Sales"), encoding="utf-8")
    (tmp_path / "org" / "organization.yml").write_text("organization: {name: Acme}\n", encoding="utf-8")
    run = _interlock("check", "org", cwd=tmp_path)
    assert run.returncode in (0, 1), run.stderr


def test_the_example_organization_without_organization_yml_says_what_is_missing(tmp_path: Path) -> None:
    shutil.copytree(ROOT_DIR / "policies", tmp_path / "policies")
    (tmp_path / "policies" / "organization.yml").unlink()
    line = _one_line(_interlock("check", "policies", cwd=tmp_path))
    department_files = sum(1 for p in (tmp_path / "policies").glob("*.yml") if p.read_text().startswith("department:")
                           or "\ndepartment:" in p.read_text())
    assert line.startswith("policies/accounts-payable.yml:14:3: no organization file: this and "
                           f"{department_files - 1} more department files")
    assert "add policies/organization.yml with `organization: {name: ...}`" in line


def test_plain_sections_need_no_organization(tmp_path: Path) -> None:
    """Every section is optional: `departments:` and plans alone are a (small) organization."""
    (tmp_path / "org").mkdir()
    (tmp_path / "org" / "plans.yml").write_text(
        "departments:\n  - {id: sales, name: Sales}\nplans:\n  - id: ae\n    department: sales\n    measures:\n"
        "      - {metric: bookings, weight: 70%}\n      - {metric: gross_margin_pct, weight: 30%}\n", encoding="utf-8")
    assert _interlock("check", "org", cwd=tmp_path).returncode == 0


@pytest.fixture()
def leaking(tmp_path: Path) -> Path:
    """org/ holds a policy file and a link to a file outside it that is not a policy at all."""
    (tmp_path / "org").mkdir()
    (tmp_path / "org" / "plans.yml").write_text("departments:\n  - {id: sales, name: Sales}\n", encoding="utf-8")
    (tmp_path / "private.txt").write_text(f"root:x:0:0:{SECRET}\n", encoding="utf-8")
    (tmp_path / "org" / "stolen.yml").symlink_to(tmp_path / "private.txt")
    return tmp_path


def test_a_link_out_of_the_checked_folder_is_not_read(leaking: Path) -> None:
    line = _one_line(_interlock("check", "org", cwd=leaking))
    assert line == ("org/stolen.yml:1:1: not read: a symbolic link to a file outside the checked folders (its content "
                    "is not shown; --follow-links reads such links)")


def test_follow_links_reads_it_and_quotes_only_a_short_excerpt(leaking: Path) -> None:
    line = _one_line(_interlock("check", "org", "--follow-links", cwd=leaking))
    assert line.startswith("org/stolen.yml:1:1: expected a mapping of sections at the top, got the value 'root:x:0:0:")
    assert SECRET[:50] not in line  # 60 characters of the file at most: 11 of them "root:x:0:0:"
    assert f"({len(SECRET) + 11} characters)" in line


def test_a_link_inside_the_checked_folder_is_read(tmp_path: Path) -> None:
    (tmp_path / "org" / "real").mkdir(parents=True)
    (tmp_path / "org" / "real" / "plans.yml").write_text("departments:\n  - {id: sales, name: Sales}\n", encoding="utf-8")
    (tmp_path / "org" / "alias.yml").symlink_to(tmp_path / "org" / "real" / "plans.yml")
    assert _interlock("check", "org", cwd=tmp_path).returncode == 0


def test_a_long_value_is_quoted_as_a_short_excerpt(tmp_path: Path) -> None:
    (tmp_path / "org").mkdir()
    (tmp_path / "org" / "plans.yml").write_text(f"departments:\n  - {{id: sales, name: Sales, bogus: {SECRET}}}\n"
                                                f"plans: {SECRET}\n", encoding="utf-8")
    run = _interlock("check", "org", cwd=tmp_path)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert SECRET not in run.stderr and SECRET[:61] not in run.stderr


# -- temporary files of a killed run --------------------------------------------------------------

def _aged(path: Path, seconds: float) -> Path:
    path.write_text("half a report", encoding="utf-8")
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


def _gone_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_killed_run_leaves_a_temporary_file_the_next_run_removes(tmp_path: Path) -> None:
    """Kill a real `check -o` while it writes (SIGKILL: no cleanup runs), then run again."""
    script = ("import os, signal, interlock.files as f\n"
              "real = f.os.fdopen\n"
              "def dying(*a, **k):\n"
              "    stream = real(*a, **k)\n"
              "    stream.write(b'half')\n"
              "    stream.flush()\n"
              "    os.kill(os.getpid(), signal.SIGKILL)\n"
              "f.os.fdopen = dying\n"
              "from interlock.commands.cli import main\n"
              "main(['check', 'org', '-o', 'out/report.json', '--no-cache'])\n")
    (tmp_path / "org").mkdir()
    (tmp_path / "org" / "plans.yml").write_text("departments:\n  - {id: sales, name: Sales}\n", encoding="utf-8")
    killed = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, timeout=300)
    assert killed.returncode == -signal.SIGKILL
    left = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert len(left) == 1 and left[0].startswith(".report.json.") and left[0].endswith(".tmp")
    # the killed process is gone; its file is removed once it is ORPHAN_AFTER old
    stale = tmp_path / "out" / left[0]
    then = time.time() - ORPHAN_AFTER - 5
    os.utime(stale, (then, then))
    run = _interlock("check", "org", "-o", "out/report.json", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["report.json"]


def test_only_stale_files_of_the_outbox_pattern_are_removed(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    alive = os.getppid()  # a live process that is not this one: a concurrent run
    dead = _gone_pid()
    files = {
        "old, any owner": _aged(tmp_path / ".report.html.abcd1234.tmp", STALE_AFTER + 10),
        "owner gone": _aged(tmp_path / f".report.html.{dead}.abcd1234.tmp", ORPHAN_AFTER + 10),
        "owner gone, just written": _aged(tmp_path / f".report.html.{dead}.efgh5678.tmp", 1),
        "concurrent run": _aged(tmp_path / f".report.html.{alive}.abcd1234.tmp", ORPHAN_AFTER + 10),
        "recent, no owner": _aged(tmp_path / ".report.html.zzzz9999.tmp", 10),
        "another target": _aged(tmp_path / ".summary.html.abcd1234.tmp", STALE_AFTER + 10),
        "not ours": _aged(tmp_path / ".report.html.tmp", STALE_AFTER + 10),
    }
    removed = remove_stale_temporaries(target)
    assert sorted(removed) == sorted([files["old, any owner"], files["owner gone"]])
    assert sorted(name for name, path in files.items() if path.exists()) == [
        "another target", "concurrent run", "not ours", "owner gone, just written", "recent, no owner"]


def test_an_outbox_names_its_temporary_files_by_process(tmp_path: Path) -> None:
    with Outbox() as outbox:
        staged = outbox.stage(tmp_path / "report.html", "<p>")
        assert staged.name.startswith(f".report.html.{os.getpid()}.")
        outbox.commit()
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]
