"""Baselines: reviewable, atomic, keyed by fingerprint; a baseline run passes until a new conflict appears."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from interlock.findings.baseline import (GONE, Baseline, BaselineEntry, apply_baseline, load_baseline, render_baseline,
                                vanished_findings, write_baseline)
from interlock.commands.cli import main
from interlock.errors import InputError
from interlock.findings.findings import Finding, Location, Waiver


def finding(fp: str, rule: str = "V03", line: int = 1, waived: bool = False, message: str = "a conflict") -> Finding:
    return Finding(rule=rule, name=f"name-of-{rule}", family="vertical", severity="error", title="t", message=message,
                   departments=("sales",), objectives=(), locations=(Location("org/plans.yml", line, 3),),
                   fingerprint=fp, remediation="r",
                   waiver=Waiver("approved", "cfo@example.com", "2030-01-01") if waived else None)


def test_the_file_is_sorted_reviewable_yaml(tmp_path: Path) -> None:
    path = tmp_path / "baseline.yml"
    count = write_baseline([finding("b" * 16, "V03", 9), finding("a" * 16, "Q08", 20, message="x\n  y"),
                            finding("c" * 16, "V03", 1)], path)
    assert count == 3
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Interlock baseline")
    data = yaml.safe_load(text)
    assert data["version"] == 1
    assert [(e["rule"], e["fingerprint"]) for e in data["findings"]] == [
        ("Q08", "a" * 16), ("V03", "b" * 16), ("V03", "c" * 16)]
    assert data["findings"][0] == {"fingerprint": "a" * 16, "rule": "Q08", "name": "name-of-Q08", "severity": "error",
                                   "location": "org/plans.yml:20:3", "message": "x y"}
    # Same findings in another order: the same bytes.
    assert render_baseline([finding("c" * 16, "V03", 1), finding("a" * 16, "Q08", 20, message="x\n  y"),
                            finding("b" * 16, "V03", 9)]) == text


def test_waived_and_bookkeeping_findings_are_not_recorded(tmp_path: Path) -> None:
    path = tmp_path / "baseline.yml"
    assert write_baseline([finding("a" * 16, waived=True), finding("b" * 16, rule="W002"), finding("c" * 16)], path) == 1
    assert [e.fingerprint for e in load_baseline(path).entries] == ["c" * 16]


def test_writing_is_atomic_and_replaces_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "baseline.yml"
    write_baseline([finding("a" * 16)], path)
    write_baseline([], path)
    assert load_baseline(path).entries == ()
    assert sorted(p.name for p in path.parent.iterdir()) == ["baseline.yml"]  # no temporary file left


def test_load_locates_each_entry(tmp_path: Path) -> None:
    path = tmp_path / "baseline.yml"
    write_baseline([finding("a" * 16), finding("b" * 16)], path)
    baseline = load_baseline(path, "baseline.yml")
    assert [e.at for e in baseline.entries] == [Location("baseline.yml", 7, 3), Location("baseline.yml", 13, 3)]


def test_a_bad_baseline_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "baseline.yml"
    path.write_text("version: 2\nfindings:\n  - {fingerprint: nothex, rule: V03}\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_baseline(path, "baseline.yml")
    assert exc.value.lines() == [
        "baseline.yml:1:10: version: expected 1, got 2",
        "baseline.yml:3:19: findings[0].fingerprint: 'nothex' is not in the expected form (the pattern ^[0-9a-f]{16}$)",
    ]
    with pytest.raises(InputError, match="baseline file not found"):
        load_baseline(tmp_path / "missing.yml")


def test_apply_splits_new_known_and_vanished() -> None:
    entries = (BaselineEntry("a" * 16, "V03"), BaselineEntry("b" * 16, "V03", at=Location("b.yml", 6, 3)))
    baseline = Baseline("b.yml", entries)
    known_one, new_one, waived = finding("a" * 16), finding("c" * 16), finding("d" * 16, waived=True)
    new, known, vanished = apply_baseline([known_one, new_one, waived], baseline)
    assert new == [new_one, waived]
    assert known == [known_one]
    assert vanished == [entries[1]]


def test_vanished_entries_become_info_findings_at_the_entry() -> None:
    entry = BaselineEntry("b" * 16, "V03", "paid-against-lead-objective", "error", "org/x.yml:3:1", "old conflict",
                          Location("baseline.yml", 12, 3))
    (note,) = vanished_findings([entry])
    assert (note.rule, note.severity, note.family) == (GONE, "info", "hygiene")
    assert note.message == f"baseline entry {'b' * 16} (V03 paid-against-lead-objective) no longer occurs: old conflict"
    assert note.locations == (Location("baseline.yml", 12, 3),)


# -- end to end: passes until a new conflict is introduced --------------------------------------------

ORG = """\
objectives:
  - {id: gross-margin, adopt: gross-margin}
departments:
  - {id: accounts-payable, name: Accounts payable}
  - {id: sales, name: Sales}
"""
AP_PLAN = """\
plans:
  - id: ap-team
    department: accounts-payable
    measures:
      - {metric: dpo, weight: 70%, direction: up}
      - {metric: invoice_cycle_time, weight: 30%, direction: down}
"""
SALES_PLAN = """\
plans:
  - id: sales-ae
    department: sales
    measures:
      - {metric: project_margin_pct, weight: 70%, direction: up}
      - {metric: bookings, weight: 30%, direction: up}
"""


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict[str, object]], str]:
    code = main([*args, "--format", "json"])
    captured = capsys.readouterr()
    findings = json.loads(captured.out)["findings"] if captured.out else []
    return code, findings, captured.err


def test_a_baseline_run_passes_until_a_new_conflict_is_introduced(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    org = tmp_path / "org"
    org.mkdir()
    (org / "organization.yml").write_text(ORG, encoding="utf-8")
    (org / "accounts-payable.yml").write_text(AP_PLAN, encoding="utf-8")
    (org / "sales.yml").write_text(SALES_PLAN, encoding="utf-8")
    # The two rules the story needs: the baseline machinery is under test, not the rest of the catalog.
    (org / "interlock.yml").write_text("select: [V03, Q08]\n", encoding="utf-8")

    code, findings, _ = run(["check", "org"], capsys)
    assert (code, [f["rule"] for f in findings]) == (1, ["V03"])

    code, findings, err = run(["check", "org", "--write-baseline", "baseline.yml"], capsys)
    assert (code, findings) == (0, [])
    assert err == "interlock: wrote 1 finding to baseline baseline.yml\ninterlock: 1 finding in baseline baseline.yml not shown\n"

    # Edits that move the known conflict to other lines do not matter: fingerprints are not line numbers.
    (org / "accounts-payable.yml").write_text("# Reviewed 2026-01-15.\n\n" + AP_PLAN, encoding="utf-8")
    code, findings, _ = run(["check", "org", "--baseline", "baseline.yml"], capsys)
    assert (code, findings) == (0, [])

    # A new conflict fails the run, and only it is shown.
    (org / "sales.yml").write_text(SALES_PLAN.replace("bookings, weight: 30%", "bookings, weight: 20%"), encoding="utf-8")
    code, findings, _ = run(["check", "org", "--baseline", "baseline.yml"], capsys)
    assert (code, [(f["rule"], f["departments"]) for f in findings]) == (1, [("Q08", ["sales"])])

    # Fixing the baselined conflict reports its entry as gone (info: does not fail by default).
    (org / "sales.yml").write_text(SALES_PLAN, encoding="utf-8")
    (org / "accounts-payable.yml").write_text(AP_PLAN.replace("dpo", "payment_on_time_pct"), encoding="utf-8")
    code, findings, _ = run(["check", "org", "--baseline", "baseline.yml"], capsys)
    assert code == 0
    assert [(f["rule"], f["locations"]) for f in findings] == [
        ("W004", [{"file": "baseline.yml", "line": 7, "column": 3}])]
    code, _, _ = run(["check", "org", "--baseline", "baseline.yml", "--fail-on", "info"], capsys)
    assert code == 1


def test_the_baseline_can_come_from_the_configuration(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    org = tmp_path / "org"
    org.mkdir()
    (org / "organization.yml").write_text(ORG + AP_PLAN + SALES_PLAN.replace("plans:\n", ""), encoding="utf-8")
    (org / "interlock.yml").write_text("baseline: interlock-baseline.yml\n", encoding="utf-8")
    code, _, err = run(["check", "org"], capsys)
    assert code == 2 and err == "org/interlock-baseline.yml:1:1: baseline file not found (write one with --write-baseline)\n"
    code, _, _ = run(["check", "org", "--write-baseline", "org/interlock-baseline.yml"], capsys)
    assert code == 0
    code, findings, _ = run(["check", "org"], capsys)
    assert (code, findings) == (0, [])
