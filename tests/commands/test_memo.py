"""The results memo of `interlock check` (engine/commands/memo.py, issue 22): an unchanged run prints what
the last one printed without linting; any change to what the output depends on is a new run; a run that
writes, fails or cannot read its input is never kept; a broken memo is a silent miss.

(tests/read/test_cache.py compares every format with and without the memo, byte for byte.)
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest

from interlock import lint as lint_module
from interlock.commands import memo
from interlock.commands.cli import main
from interlock.read.config import resolve
from paths import FIXTURES_DIR, ROOT_DIR

TODAY = "2027-03-01"


@pytest.fixture
def org(tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the report fixture (findings, a waiver file) with its own cache and the memo on."""
    monkeypatch.delenv(memo.SWITCH, raising=False)
    folder = tmp_path / "org"
    shutil.copytree(FIXTURES_DIR / "report_org", folder)
    yield folder


def _run(*argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str, int]:
    """(exit status, standard output, standard error, how many times the pipeline ran)."""
    with mock.patch.object(lint_module, "lint", wraps=lint_module.lint) as linted:
        code = main(["check", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err, linted.call_count


def _memos(cache_dir: Path) -> list[Path]:
    return sorted(cache_dir.glob("memo-*.json")) if cache_dir.is_dir() else []


def test_an_unchanged_run_is_replayed_without_linting(org: Path, cache_dir: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    first = _run(str(org), "--today", TODAY, capsys=capsys)
    assert first[0] == 1 and first[3] == 1 and "weights" in first[1]
    assert len(_memos(cache_dir)) == 1
    assert _run(str(org), "--today", TODAY, capsys=capsys) == (*first[:3], 0)


def test_an_edited_file_is_linted_again(org: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = _run(str(org), "--today", TODAY, capsys=capsys)
    sales = org / "sales.yml"
    sales.write_text(sales.read_text(encoding="utf-8") + "# a comment\n", encoding="utf-8")
    again = _run(str(org), "--today", TODAY, capsys=capsys)
    assert again == (*first[:3], 1)  # linted again; a comment changes no finding
    assert len(_memos(cache_dir)) == 2
    # a change that matters shows: the memo never hides it
    (org / "marketing.yml").unlink()
    changed = _run(str(org), "--today", TODAY, capsys=capsys)
    assert changed[3] == 1 and changed[1] != first[1]


def _key(org: Path, **options: object) -> str | None:
    arguments = {"format": "text", **options}
    found = memo.memo_for([org], arguments, lambda: resolve([org], waivers=options.get("waivers")))  # type: ignore[arg-type]
    return found.key if found is not None else None


def test_the_key_covers_every_input(org: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    keys = [_key(org)]
    assert keys[0] is not None and _key(org) == keys[0]  # the same inputs, the same key
    keys.append(_key(org, format="json"))
    keys.append(_key(org, fail_on="warning"))
    keys.append(_key(org, waivers=org / "interlock-waivers.yml"))
    (org / "interlock-waivers.yml").write_text("waivers: []\n", encoding="utf-8")
    keys.append(_key(org, waivers=org / "interlock-waivers.yml"))
    (org / "launch.yml").rename(org / "launch.yaml")
    keys.append(_key(org))
    (org / "extra.yml").write_text("department: {id: extra}\n", encoding="utf-8")
    keys.append(_key(org))
    (org / "interlock.yml").write_text("fail-on: warning\n", encoding="utf-8")
    keys.append(_key(org))
    (org / "interlock.yml").write_text("fail-on: info\n", encoding="utf-8")
    keys.append(_key(org))
    monkeypatch.setenv("NO_COLOR", "1")
    keys.append(_key(org))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    keys.append(_key(org))
    monkeypatch.chdir(tmp_path)
    keys.append(_key(org))
    with mock.patch.object(memo, "installation", return_value="another build"):
        keys.append(_key(org))
    assert None not in keys and len(set(keys)) == len(keys)


def test_a_rule_pack_is_part_of_the_key(org: Path, tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(FIXTURES_DIR / "simulate_rules", pack)

    def key() -> str | None:
        found = memo.memo_for([org], {}, lambda: resolve([org], rule_packs=[pack]))
        return found.key if found is not None else None

    before = key()
    rule = next(pack.glob("*.yaml"))
    rule.write_text(rule.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    assert None not in (before, key()) and key() != before


def test_files_the_loader_leaves_out_leave_the_key_alone(org: Path) -> None:
    """The memo sees the files through the loader's own walk: hidden, excluded and companion files are not policy."""
    (org / "interlock.yml").write_text("exclude: [drafts]\n", encoding="utf-8")
    before = _key(org)
    (org / ".hidden.yml").write_text("anything: 1\n", encoding="utf-8")
    (org / "drafts").mkdir()
    (org / "drafts" / "next-year.yml").write_text("department: {id: draft}\n", encoding="utf-8")
    (org / "notes.txt").write_text("not a policy file\n", encoding="utf-8")
    assert _key(org) == before


@pytest.mark.parametrize("extra", [["--no-cache"], ["-o", "{out}/findings.json"], ["--write-baseline", "{out}/b.json"]])
def test_runs_that_write_or_turn_the_cache_off_are_never_kept(extra: list[str], org: Path, cache_dir: Path,
                                                               tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [a.format(out=tmp_path) for a in extra]
    for _ in range(2):
        assert _run(str(org), *argv, capsys=capsys)[3] == 1
    assert not _memos(cache_dir)


@pytest.mark.parametrize("variable", ["INTERLOCK_NO_CACHE", memo.SWITCH])
def test_the_switches_turn_it_off(variable: str, org: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(variable, "1")
    for _ in range(2):
        assert _run(str(org), capsys=capsys)[3] == 1
    assert not _memos(cache_dir)


def test_bad_input_is_never_kept(org: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (org / "sales.yml").write_text("department: [unclosed\n", encoding="utf-8")
    runs = [_run(str(org), capsys=capsys) for _ in range(2)]
    assert runs[0] == runs[1] and runs[0][0] == 2 and runs[0][3] == 1
    assert "sales.yml:" in runs[0][2]
    assert not _memos(cache_dir)


def test_an_unreadable_configuration_is_left_to_the_run(org: Path, cache_dir: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    (org / "interlock.yml").write_text("fail-on: sometimes\n", encoding="utf-8")
    code, _out, err, _linted = _run(str(org), capsys=capsys)
    assert code == 2 and "interlock.yml:1:" in err
    assert not _memos(cache_dir)


def test_a_file_changed_during_the_run_is_not_kept(org: Path, cache_dir: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    real = lint_module.lint

    def editing(*args: object, **kwargs: object) -> object:
        result = real(*args, **kwargs)  # type: ignore[arg-type]
        (org / "sales.yml").write_text((org / "sales.yml").read_text(encoding="utf-8") + "# meanwhile\n",
                                       encoding="utf-8")
        return result

    with mock.patch.object(lint_module, "lint", editing):
        assert main(["check", str(org)]) == 1
    capsys.readouterr()
    assert not _memos(cache_dir)


@pytest.mark.parametrize("content", ["{{not json", "[]", '{{"format": 1, "namespace": "memo", "key": "{key}", "value": 1}}',
                                     '{{"format": 1, "namespace": "memo", "key": "{key}", "value": {{"stdout": 1}}}}',
                                     '{{"format": 1, "namespace": "memo", "key": "{key}", "value": {{"stdout": "x", '
                                     '"stderr": [], "color": false, "status": 3}}}}'])
def test_a_broken_memo_is_a_silent_miss(content: str, org: Path, cache_dir: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    first = _run(str(org), capsys=capsys)
    (entry,) = _memos(cache_dir)
    entry.write_text(content.format(key=entry.stem.split("-", 1)[1]), encoding="utf-8")
    assert _run(str(org), capsys=capsys) == (*first[:3], 1)


def test_a_replay_loads_neither_the_model_nor_the_engine_nor_the_outputs(org: Path, cache_dir: Path) -> None:
    """In fresh processes: the second run replays the first, importing none of the pipeline's later stages."""
    env = {**os.environ, "INTERLOCK_CACHE_DIR": str(cache_dir), "PYTHONPATH": os.pathsep.join(sys.path)}
    env.pop(memo.SWITCH, None)
    probe = ("import sys; from interlock.commands.cli import main; code = main(['check', sys.argv[1]]); "
             "print(sorted(m for m in sys.modules if m.startswith(('interlock.model', 'interlock.knowledge', "
             "'interlock.findings', 'interlock.outputs', 'interlock.lint', 'durable', 'jinja2', "
             "'interlock.evaluation.')) and m != 'interlock.evaluation.enginebuild'), file=sys.stderr); sys.exit(code)")
    runs = [subprocess.run([sys.executable, "-c", probe, str(org)], env=env, capture_output=True, text=True,
                           timeout=120, cwd=ROOT_DIR) for _ in range(2)]
    assert [r.returncode for r in runs] == [1, 1] and runs[0].stdout == runs[1].stdout
    assert "interlock.model.model" in runs[0].stderr
    assert runs[1].stderr == "[]\n"


def test_interlock_itself_is_part_of_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An edited module, rule or template is a new build; bytecode and the prebuilt entries are not."""
    import importlib.util
    from types import SimpleNamespace

    from interlock import resources

    package = tmp_path / "interlock"
    for name in ("lint.py", "rules/R01.yaml", "reports/text.txt.j2", "__pycache__/lint.pyc", "prebuilt/x.json"):
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text("1\n", encoding="utf-8")
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: SimpleNamespace(
        submodule_search_locations=[str(package)]) if name == "interlock" else real(name, *a))
    monkeypatch.setattr(resources, "rules_dir", lambda: package / "rules")
    monkeypatch.setattr(resources, "reports_dir", lambda: package / "reports")
    build = memo.installation.__wrapped__  # not the process's cached answer
    first = build()
    for name in ("__pycache__/lint.pyc", "prebuilt/x.json"):
        (package / name).write_text("22\n", encoding="utf-8")
    assert build() == first
    seen = {first}
    for name in ("lint.py", "rules/R01.yaml", "reports/text.txt.j2"):
        os.utime(package / name, ns=(1, 1))
        seen.add(build())
    assert len(seen) == 4
