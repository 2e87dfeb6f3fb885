"""Waivers: exactly their finding, until their expiry date (clock injected), stale and non-waivable ones reported."""
from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

from interlock.commands.cli import main
from interlock.errors import InputError
from interlock.findings.findings import Finding, Location, Waiver
from interlock.evaluation.rulebook import RuleBook, load_rulebook
from interlock.findings.waivers import EXPIRED, NOT_ALLOWED, STALE, WaiverEntry, apply_waivers, load_waivers
from inline_policies import CONFLICT

D = datetime.date
NAMES = {"V03": "paid-against-lead-objective", "Q08": "weights-not-100-percent", "V02": "unpaid-lead-objective"}


def finding(rule: str = "V03", fp: str = "a" * 16, departments: tuple[str, ...] = ("accounts-payable",),
            objectives: tuple[str, ...] = ("project-profitability",), severity: str = "error", line: int = 1) -> Finding:
    return Finding(rule=rule, name=NAMES[rule], family="vertical", severity=severity, title="t", message=f"m {fp}",
                   departments=departments, objectives=objectives, locations=(Location("plans.yml", line, 1),),
                   fingerprint=fp, remediation="r")


def waiver(line: int = 3, **fields: object) -> WaiverEntry:
    base: dict[str, object] = {"justification": "renegotiating supplier terms", "owner": "cfo@example.com",
                               "expires": D(2026, 6, 30)}
    base.update(fields)
    return WaiverEntry(file="interlock-waivers.yml", line=line, column=5, **base)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def book() -> RuleBook:
    return load_rulebook()


# -- matching -----------------------------------------------------------------------------------------


def test_a_fingerprint_waiver_suppresses_exactly_its_finding() -> None:
    target, other = finding(fp="a" * 16), finding(fp="b" * 16)
    result, notes = apply_waivers([target, other], [waiver(fingerprint="a" * 16)], D(2026, 1, 1))
    assert result[0].waiver == Waiver("renegotiating supplier terms", "cfo@example.com", "2026-06-30")
    assert result[1] == other and result[1].waiver is None
    assert result[0].message == target.message  # still visible, unchanged apart from the waiver
    assert notes == []


def test_a_fingerprint_with_a_rule_must_match_both() -> None:
    result, notes = apply_waivers([finding(fp="a" * 16)], [waiver(fingerprint="a" * 16, rule="Q08")], D(2026, 1, 1))
    assert result[0].waiver is None
    assert [n.rule for n in notes] == [STALE]


def test_rule_and_selectors_must_cover_every_department_and_objective() -> None:
    alone = finding(fp="a" * 16, departments=("accounts-payable",))
    shared = finding(fp="b" * 16, departments=("accounts-payable", "procurement"))
    elsewhere = finding(fp="c" * 16, departments=("sales",))
    other_objective = finding(fp="d" * 16, objectives=("customer-satisfaction",))
    other_rule = finding(rule="Q08", fp="e" * 16, objectives=())
    entry = waiver(rule="paid-against-lead-objective", departments=("accounts-payable",),
                   objectives=("project-profitability",))
    result, notes = apply_waivers([alone, shared, elsewhere, other_objective, other_rule], [entry], D(2026, 1, 1))
    assert [f.fingerprint[0] for f in result if f.waiver] == ["a"]
    assert notes == []


def test_selectors_do_not_match_findings_that_concern_no_department() -> None:
    org_level = finding(fp="a" * 16, departments=())
    result, notes = apply_waivers([org_level], [waiver(rule="V03", departments=("sales",))], D(2026, 1, 1))
    assert result[0].waiver is None and [n.rule for n in notes] == [STALE]


def test_an_objective_selector_alone_covers_all_departments() -> None:
    found = [finding(fp="a" * 16, departments=("sales",)), finding(fp="b" * 16, departments=("marketing",))]
    result, _ = apply_waivers(found, [waiver(rule="V03", objectives=("project-profitability",))], D(2026, 1, 1))
    assert all(f.waiver for f in result)


# -- the clock ----------------------------------------------------------------------------------------


def test_a_waiver_applies_through_its_expiry_date_and_stops_the_day_after() -> None:
    found = [finding(fp="a" * 16)]
    entries = [waiver(fingerprint="a" * 16, expires=D(2026, 6, 30))]
    on_the_day, notes = apply_waivers(found, entries, D(2026, 6, 30))
    assert on_the_day[0].waiver is not None and notes == []
    after, notes = apply_waivers(found, entries, D(2026, 7, 1))
    assert after[0].waiver is None
    assert len(notes) == 1
    note = notes[0]
    assert (note.rule, note.name, note.family, note.severity) == (EXPIRED, "waiver-expired", "hygiene", "warning")
    assert note.message == (f"waiver for finding {'a' * 16} expired on 2026-06-30 (owner cfo@example.com); "
                            "it matched 1 finding, which counts again")
    assert note.locations == (Location("interlock-waivers.yml", 3, 5),)


def test_an_expired_waiver_that_matches_nothing_says_it_expired() -> None:
    _, notes = apply_waivers([], [waiver(fingerprint="a" * 16, expires=D(2025, 12, 31))], D(2026, 1, 1))
    assert [n.rule for n in notes] == [EXPIRED]
    assert notes[0].message == f"waiver for finding {'a' * 16} expired on 2025-12-31 (owner cfo@example.com)"


def test_a_valid_waiver_wins_over_an_expired_one_for_the_same_finding() -> None:
    entries = [waiver(line=3, fingerprint="a" * 16, expires=D(2025, 1, 1), owner="old@example.com"),
               waiver(line=8, fingerprint="a" * 16, expires=D(2027, 1, 1), owner="new@example.com")]
    result, notes = apply_waivers([finding(fp="a" * 16)], entries, D(2026, 1, 1))
    assert result[0].waiver is not None and result[0].waiver.owner == "new@example.com"
    assert [n.rule for n in notes] == [EXPIRED]


# -- stale and non-waivable ---------------------------------------------------------------------------


def test_a_waiver_matching_nothing_is_reported_as_stale() -> None:
    entry = waiver(line=7, rule="V03", departments=("sales",))
    _, notes = apply_waivers([finding()], [entry], D(2026, 1, 1))
    assert len(notes) == 1
    assert (notes[0].rule, notes[0].name, notes[0].severity) == (STALE, "waiver-stale", "warning")
    assert notes[0].message == ("waiver for V03 for sales (owner cfo@example.com, expires 2026-06-30) "
                                "matches no finding")
    assert notes[0].primary == Location("interlock-waivers.yml", 7, 5)
    assert notes[0].departments == ("sales",)


def test_a_waiver_for_a_rule_not_evaluated_is_not_stale() -> None:
    _, notes = apply_waivers([], [waiver(rule="Q08", departments=("sales",))], D(2026, 1, 1), evaluated={"V03"})
    assert notes == []
    _, notes = apply_waivers([], [waiver(rule="Q08", departments=("sales",))], D(2026, 1, 1), evaluated={"Q08"})
    assert [n.rule for n in notes] == [STALE]


def test_a_non_waivable_rule_is_not_waived_and_the_attempt_reported() -> None:
    result, notes = apply_waivers([finding(fp="a" * 16)], [waiver(fingerprint="a" * 16)], D(2026, 1, 1),
                                  non_waivable={"V03"})
    assert result[0].waiver is None
    assert [(n.rule, n.name) for n in notes] == [(NOT_ALLOWED, "waiver-not-allowed")]
    assert "rule V03 cannot be waived" in notes[0].message
    _, notes = apply_waivers([], [waiver(rule="V03", departments=("x",))], D(2026, 1, 1), non_waivable={"V03"})
    assert [n.rule for n in notes] == [NOT_ALLOWED]  # not merely stale: it could never apply


def test_notes_are_deterministic() -> None:
    entries = [waiver(line=9, fingerprint="c" * 16), waiver(line=3, fingerprint="d" * 16)]
    first = apply_waivers([], entries, D(2026, 1, 1))[1]
    second = apply_waivers([], list(reversed(entries)), D(2026, 1, 1))[1]
    assert first == second
    assert [n.primary.line for n in first if n.primary] == [3, 9]
    assert len({n.fingerprint for n in first}) == 2


# -- the file -----------------------------------------------------------------------------------------


WAIVERS = """\
# Reviewed by the compensation committee.
waivers:
  - fingerprint: 36d4a655f6294502
    justification: Supplier terms are being renegotiated this quarter.
    owner: cfo@example.com
    expires: 2026-06-30
    approved_by: ceo@example.com
  - rule: weights-not-100-percent
    departments: [accounts-payable]
    justification: Weights are rebalanced at the next plan review.
    owner: ap-lead@example.com
    expires: "2026-03-31"
"""


def test_load_waivers_reads_entries_with_their_place(tmp_path: Path, book: RuleBook) -> None:
    path = tmp_path / "w.yml"
    path.write_text(WAIVERS, encoding="utf-8")
    first, second = load_waivers(path, "w.yml", book)
    assert (first.fingerprint, first.owner, first.expires, first.approved_by) == (
        "36d4a655f6294502", "cfo@example.com", D(2026, 6, 30), "ceo@example.com")
    assert (first.file, first.line, first.column) == ("w.yml", 3, 5)
    assert (second.rule, second.departments, second.expires, second.line) == ("Q08", ("accounts-payable",), D(2026, 3, 31), 8)


def test_an_empty_waiver_list_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "w.yml"
    path.write_text("# none yet\nwaivers: []\n", encoding="utf-8")
    assert load_waivers(path) == ()
    path.write_text("waivers:\n", encoding="utf-8")
    assert load_waivers(path) == ()
    path.write_text("# every waiver was removed\n", encoding="utf-8")
    assert load_waivers(path) == ()


def test_every_problem_in_a_waiver_file_is_located(tmp_path: Path, book: RuleBook) -> None:
    path = tmp_path / "w.yml"
    path.write_text("""\
waivers:
  - fingerprint: 36d4a655f6294502
    justification: "  "
    expires: 2026-13-01
  - rule: V03
    justification: why
    owner: me
    expires: 2026-02-30
  - departments: [sales]
    justification: why
    owner: me
    expires: 2026-01-01
  - rule: V99
    objectives: [csat]
    justification: why
    owner: me
    expires: 2026-01-01
    until: 2026-01-01
""", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_waivers(path, "w.yml", book)
    assert exc.value.lines() == [
        "w.yml:2:5: waivers[0]: missing required key 'owner'",
        "w.yml:3:20: waivers[0].justification: must not be empty",
        "w.yml:4:14: waivers[0].expires: '2026-13-01' is not a date",
        "w.yml:5:5: waivers[1]: a waiver names its finding: `fingerprint`, or `rule` with `departments` and/or `objectives`",
        "w.yml:8:14: waivers[1].expires: '2026-02-30' is not a date",
        "w.yml:9:5: waivers[2]: `departments` and `objectives` select findings of a `rule`: name the rule too",
        "w.yml:13:11: waivers[3].rule: unknown rule 'V99' (see `interlock rules`)",
        "w.yml:18:5: waivers[3]: unknown key 'until' (known keys: fingerprint, rule, departments, objectives, justification, owner, expires,"
        " approved_by)",
    ]


# -- end to end ---------------------------------------------------------------------------------------

POLICY = CONFLICT  # one V03 finding to waive


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object], str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if captured.out.startswith("{") else {}, captured.err


def test_check_applies_waivers_from_the_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INTERLOCK_TODAY", raising=False)
    (tmp_path / "org").mkdir()
    (tmp_path / "org" / "plans.yml").write_text(POLICY, encoding="utf-8")
    # Only V03: the waiver machinery is under test, not the rest of the catalog.
    (tmp_path / "org" / "interlock.yml").write_text("select: [V03]\n", encoding="utf-8")
    code, report, _ = run(["check", "org", "--format", "json", "--today", "2026-01-01"], capsys)
    assert code == 1
    findings = report["findings"]
    assert isinstance(findings, list) and [f["rule"] for f in findings] == ["V03"]
    fp = findings[0]["fingerprint"]
    (tmp_path / "org" / "interlock.yml").write_text("select: [V03]\nwaivers: interlock-waivers.yml\n", encoding="utf-8")
    (tmp_path / "org" / "interlock-waivers.yml").write_text(f"""\
waivers:
  - fingerprint: {fp}
    justification: Supplier terms are being renegotiated.
    owner: cfo@example.com
    expires: 2026-06-30
  - rule: V03
    departments: [sales]
    justification: Old exception.
    owner: sales-ops@example.com
    expires: 2026-12-31
""", encoding="utf-8")
    code, report, _ = run(["check", "org", "--format", "json", "--today", "2026-06-30"], capsys)
    assert code == 0
    rows = report["findings"]
    assert isinstance(rows, list)
    assert [(f["rule"], f.get("waiver", {}).get("owner")) for f in rows] == [("W002", None), ("V03", "cfo@example.com")]
    assert rows[0]["locations"] == [{"file": "org/interlock-waivers.yml", "line": 6, "column": 5}]
    # The clock also comes from the environment (for CI and tests), never only from the real date.
    monkeypatch.setenv("INTERLOCK_TODAY", "2026-07-01")
    code, report, _ = run(["check", "org", "--format", "json"], capsys)
    assert code == 1
    rows = report["findings"]
    assert isinstance(rows, list)
    assert [(f["rule"], "waiver" in f) for f in rows] == [("W001", False), ("W002", False), ("V03", False)]
    assert rows[0]["message"] == (f"waiver for finding {fp} expired on 2026-06-30 (owner cfo@example.com); "
                                  "it matched 1 finding, which counts again")


def test_waivers_option_overrides_the_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "org").mkdir()
    (tmp_path / "org" / "plans.yml").write_text(POLICY, encoding="utf-8")
    (tmp_path / "org" / "interlock.yml").write_text("select: [V03]\n", encoding="utf-8")
    (tmp_path / "w.yml").write_text("""\
waivers:
  - rule: V03
    departments: [accounts-payable]
    justification: Approved by the committee.
    owner: cfo@example.com
    expires: 2030-01-01
""", encoding="utf-8")
    code, report, _ = run(["check", "org", "-f", "json", "--waivers", "w.yml", "--today", "2026-01-01"], capsys)
    assert code == 0
    assert report["summary"] == {"error": 0, "warning": 0, "info": 0}
    code, _, err = run(["check", "org", "--waivers", "missing.yml"], capsys)
    assert (code, err) == (2, "missing.yml:1:1: waiver file not found\n")
