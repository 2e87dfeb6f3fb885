"""Year over year: new, resolved and persisting conflicts between two versions, matched by fingerprint."""
from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from interlock.commands.cli import main
from interlock.errors import UsageError
from interlock.findings.findings import Location
from interlock.outputs.render import render
from interlock.findings.yoy import compare, read_json_result
from sample_run import findings, previous_findings, with_plan
from paths import ROOT_DIR, FIXTURES_DIR

FIXTURE = FIXTURES_DIR / "report_org"
POLICIES = ROOT_DIR / "policies"


def test_compare_matches_by_fingerprint_not_by_place() -> None:
    comparison = compare(findings(), previous_findings(), "last year")
    assert [f.rule for f in comparison.new] == ["X90"]
    assert [f.rule for f in comparison.resolved] == ["V90"]
    moved = next((c, p) for c, p in comparison.persisting if c.rule == "V03")
    assert moved[0].primary != moved[1].primary  # the plan moved to another file: still the same conflict
    assert comparison.status(moved[0].fingerprint) == "persisting"
    assert comparison.status(comparison.new[0].fingerprint) == "new"
    assert comparison.to_json()["resolved"] == [comparison.resolved[0].fingerprint]


def test_compare_with_itself_has_nothing_new_or_resolved() -> None:
    comparison = compare(findings(), findings(), "same")
    assert not comparison.new and not comparison.resolved and len(comparison.persisting) == len(findings())


def test_json_result_round_trips(tmp_path: Path) -> None:
    from sample_run import sample_run

    path = tmp_path / "last.json"
    path.write_text(render("json", sample_run()), encoding="utf-8")
    loaded = read_json_result(path)
    assert [f.to_json() for f in loaded] == [f.to_json() for f in findings()]


@pytest.mark.parametrize("content", ["not json", "{}", '{"findings": 3}', '{"findings": [{"rule": "V03"}]}'])
def test_a_file_that_is_not_a_json_result_is_a_usage_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "x.json"
    path.write_text(content)
    with pytest.raises(UsageError, match="not an interlock JSON result"):
        read_json_result(path)


def _versions(tmp_path: Path) -> tuple[Path, Path]:
    """Last year: AP paid on paying suppliers on time, sales weights 90%. This year: AP paid to stretch
    payables (two V03 conflicts introduced, its plan moved to another file), sales weights fixed (Q08 resolved)."""
    old, new = tmp_path / "2026" / "policies", tmp_path / "2027" / "policies"
    shutil.copytree(FIXTURE, old)
    shutil.copytree(FIXTURE, new)
    ap = old / "accounts-payable.yml"
    ap.write_text(ap.read_text().replace("{metric: dpo, weight: 70%, direction: up}",
                                         "{metric: payment_on_time_pct, weight: 70%, direction: up}"))
    (new / "finance").mkdir()
    (new / "accounts-payable.yml").rename(new / "finance" / "payables.yml")
    sales = new / "sales.yml"
    sales.write_text(sales.read_text().replace("{metric: bookings, weight: 80%}", "{metric: bookings, weight: 90%}"))
    return old, new


def _json(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict:  # type: ignore[type-arg]
    capsys.readouterr()
    main(args)
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def test_report_lists_a_conflict_resolved_and_one_introduced(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    old, new = _versions(tmp_path)
    before = {f["fingerprint"]: f for f in _json(["check", str(old), "-f", "json"], capsys)["findings"]}
    after = {f["fingerprint"]: f for f in _json(["check", str(new), "-f", "json"], capsys)["findings"]}
    introduced = sorted(fp for fp in after if fp not in before)
    resolved = sorted(fp for fp in before if fp not in after)
    assert [before[fp]["rule"] for fp in resolved] == ["Q08"]
    # Stretched payables against two lead objectives, each through a chain too weak for an error (V12).
    assert sorted(after[fp]["rule"] for fp in introduced if after[fp]["rule"] in ("V03", "V12")) == ["V12", "V12"]

    out = tmp_path / "report.md"
    html = tmp_path / "report.html"
    assert main(["report", str(new), "--previous", str(old), "-o", str(out), "-o", str(html)]) == 0
    text = out.read_text(encoding="utf-8")
    section = text.split("## Year over year\n")[1].split("\n## ")[0]
    new_part = section.split("### New")[1].split("### Resolved")[0]
    resolved_part = section.split("### Resolved")[1].split("### Persisting")[0]
    persisting_part = section.split("### Persisting")[1]
    findings = text.split("## Findings\n")[1].split("\n## ")[0]
    assert f"### Resolved ({len(resolved)})" in section and f"### New ({len(introduced)})" in section
    assert "**Q08**" in resolved_part and "weights its measures 90%" in resolved_part
    assert new_part.count("**V12**") == 2 and "Accounts payable is paid to raise days payable" in new_part
    assert "**Q08**" not in new_part + persisting_part
    # An unchanged conflict persists: counted in the section, listed under Findings (only severity changes are listed).
    assert "Marketing is paid to raise" not in persisting_part and "Marketing is paid to raise" in findings
    assert "Year over year" in html.read_text(encoding="utf-8")

    # The same comparison from last year's JSON result instead of last year's folder.
    previous = tmp_path / "2026.json"
    assert main(["check", str(old), "-o", str(previous), "-q"]) == 1
    again = tmp_path / "again.md"
    assert main(["report", str(new), "--previous", str(previous), "-o", str(again)]) == 0
    assert again.read_text(encoding="utf-8").split("## Year over year\n")[1].split("\n## ")[0] == \
        section.replace(old.as_posix(), previous.as_posix())


def test_two_versions_of_the_example_organization(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The issue's acceptance test: between two versions of policies/, conflicts resolved and introduced.

    Last year's version had a legacy bonus plan, retired since; this year's adds a spot bonus plan. Both
    pay weights that do not add up (Q08); whatever else they set off, every new conflict is the spot
    bonus's and every resolved one the legacy bonus's, and everything else persists.
    """
    old = with_plan(POLICIES, tmp_path / "fy2026" / "policies", "legacy-bonus", "50%")
    new = with_plan(POLICIES, tmp_path / "fy2027" / "policies", "spot-bonus", "80%")
    before = {f["fingerprint"]: f for f in _json(["check", str(old), "-f", "json"], capsys)["findings"]}
    after = {f["fingerprint"]: f for f in _json(["check", str(new), "-f", "json"], capsys)["findings"]}
    data = _json(["report", str(new), "--previous", str(old), "-f", "json"], capsys)
    comparison = data["comparison"]
    assert sorted(comparison["new"]) == sorted(fp for fp in after if fp not in before)
    assert sorted(comparison["resolved"]) == sorted(fp for fp in before if fp not in after)

    def files(finding: dict) -> set[str]:  # type: ignore[type-arg]
        return {Path(loc["file"]).name for loc in finding["locations"]}

    introduced = [after[fp] for fp in comparison["new"]]
    resolved = [before[fp] for fp in comparison["resolved"]]
    assert ("Q08", "spot-bonus.yml") in {(f["rule"], name) for f in introduced for name in files(f)}
    assert ("Q08", "legacy-bonus.yml") in {(f["rule"], name) for f in resolved for name in files(f)}
    assert all("spot-bonus.yml" in files(f) for f in introduced)
    assert all("legacy-bonus.yml" in files(f) for f in resolved)
    assert len(comparison["persisting"]) == len(after) - len(introduced)

    out = tmp_path / "report.md"
    assert main(["report", str(new), "--previous", str(old), "-o", str(out)]) == 0
    section = out.read_text(encoding="utf-8").split("## Year over year\n")[1].split("\n## ")[0]
    assert f"{len(introduced)} new, {len(resolved)} resolved" in section
    assert "Plan spot-bonus weights its measures 80%" in section.split("### New")[1].split("### Resolved")[0]
    assert "Plan legacy-bonus weights its measures 50%" in section.split("### Resolved")[1].split("### Persisting")[0]


def test_report_json_output_records_the_comparison(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = _versions(tmp_path)
    data = _json(["report", str(new), "--previous", str(old), "-f", "json"], capsys)
    assert set(data["comparison"]) == {"previous", "new", "resolved", "persisting"}
    assert len(data["comparison"]["resolved"]) == 1


def test_missing_previous_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(FIXTURE), "--previous", str(tmp_path / "nope")]) == 2
    assert "--previous" in capsys.readouterr().err


def test_previous_locations_do_not_matter() -> None:
    moved = tuple(replace(f, locations=(Location("elsewhere.yml", 99, 1),)) for f in findings())
    comparison = compare(findings(), moved, "moved")
    assert not comparison.new and not comparison.resolved
