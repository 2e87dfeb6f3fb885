"""Terminal, JSON, GitHub and JUnit output; `-o [FORMAT=]FILE`; atomic writes; user templates in the sandbox."""
from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import click
import pytest

from interlock.commands.cli import main
from interlock.errors import UsageError
from interlock.findings.findings import Finding
from interlock.files import write_atomic
from interlock.outputs.render import (FORMATS, Output, RenderOptions, md_escape, parse_output, render, render_github,
                                      render_text)
from interlock.findings.run import summarize
from sample_run import sample_run
from paths import FIXTURES_DIR

FIXTURE = FIXTURES_DIR / "report_org"


@pytest.fixture(scope="module")
def run():  # type: ignore[no-untyped-def]
    return sample_run()


# -- text ----------------------------------------------------------------------------------------


def test_text_groups_findings_under_their_file_sorted(run) -> None:  # type: ignore[no-untyped-def]
    """One `path:line:col: severity RULE-ID message` line per finding, files in order, a blank line between."""
    text = render("text", run)
    body, _, summary = text.partition("\nFound ")
    assert summary.startswith("5 findings (3 errors, 2 warnings, 0 info) in 6 files; 1 waived.\nNext: ")
    lines = [line for line in body.splitlines() if line and not line.startswith(" ")]
    files = [line.split(":")[0] for line in lines]
    assert files == sorted(files)
    groups = text.split("\n\n")
    ap = next(g for g in groups if g.startswith("policies/plans/accounts-payable.yml:"))
    assert {line.split(":")[0] for line in ap.splitlines() if not line.startswith(" ")} == {
        "policies/plans/accounts-payable.yml"}
    assert "policies/plans/accounts-payable.yml:5:5: error V03 Accounts payable is paid" in ap.replace("\n    ", " ")
    assert "\n    also at policies/objectives.yml:3:5" in ap
    assert ": waived H90 " in ap and "waived by cfo@acme.example until 2025-09-30" in ap


def test_text_puts_findings_without_a_place_last_under_organization(run) -> None:  # type: ignore[no-untyped-def]
    nowhere = replace(run.findings[0], locations=(), message="somewhere in the organization")
    text = render_text([nowhere, *run.findings], 6)
    assert "\n\n(organization): warning T90 somewhere in the organization\n\nFound 6 findings" in text


def test_text_without_colour_has_no_escape_codes_and_with_colour_has_them(run) -> None:  # type: ignore[no-untyped-def]
    plain = render("text", run, RenderOptions(color=False))
    assert "\033[" not in plain
    coloured = render("text", run, RenderOptions(color=True))
    assert click.style("error", fg="red", bold=True) in coloured and coloured != plain
    assert click.unstyle(coloured) == plain


def test_quiet_shows_only_failing_findings_and_nothing_when_clean(run) -> None:  # type: ignore[no-untyped-def]
    quiet = render("text", run, RenderOptions(quiet=True))
    assert " warning " not in quiet and "H90" not in quiet and quiet.count(" error ") == 3
    # Quiet: the findings and the count, no advice.
    assert quiet.rstrip().endswith("Found 3 findings (3 errors, 0 warnings, 0 info) in 6 files.")
    assert render_text([f for f in run.findings if f.severity != "error"], 6, quiet=True) == ""
    assert render_text([], 2) == "No findings in 2 files.\n"


def test_summary_counts_only_unwaived_findings(run) -> None:  # type: ignore[no-untyped-def]
    assert summarize(run.findings) == {"error": 3, "warning": 2, "info": 0}


def test_no_color_environment_and_pipes_turn_colour_off(monkeypatch: pytest.MonkeyPatch) -> None:
    from interlock.commands.cli import use_color

    monkeypatch.setenv("NO_COLOR", "1")
    assert use_color(None) is False and use_color(True) is True
    monkeypatch.delenv("NO_COLOR")
    assert use_color(None) is False  # pytest captures stdout: not a TTY


# -- json ----------------------------------------------------------------------------------------


def test_json_keeps_the_documented_contract(run) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(render("json", run))
    assert list(data) == ["tool", "summary", "findings"]
    assert data["summary"] == {"error": 3, "warning": 2, "info": 0}
    first = data["findings"][0]
    assert list(first)[:12] == ["rule", "name", "family", "severity", "title", "message", "departments",
                                "objectives", "locations", "fingerprint", "remediation", "trace"]
    waived = [f for f in data["findings"] if "waiver" in f]
    assert waived == [next(f.to_json() for f in run.findings if f.waiver)]


# -- github --------------------------------------------------------------------------------------


def test_github_annotations_escape_data_and_properties() -> None:
    finding = Finding("V03", "a,b", "vertical", "warning", "t", "50% done\r\nnext: line", ("x",), (),
                      (), "0123456789abcdef", "")
    from interlock.findings.findings import Location

    finding = replace(finding, locations=(Location("dir,1/a:b.yml", 3, 7), Location("o.yml", 1, 1)))
    assert render_github([finding]) == (
        "::warning file=dir%2C1/a%3Ab.yml,line=3,col=7,title=V03 a%2Cb::"
        "50%25 done%0D%0Anext: line%0Aalso at o.yml:1:1\n")


def test_github_levels_skip_waived_and_organization_findings_have_no_file(run) -> None:  # type: ignore[no-untyped-def]
    lines = render("github", run).splitlines()
    assert len(lines) == 5 and not any("H90" in line for line in lines)
    assert {line.split(" ", 1)[0] for line in lines} == {"::error", "::warning"}
    info = replace(run.findings[0], severity="info", locations=())
    assert render_github([info]).startswith("::notice title=")


# -- junit ---------------------------------------------------------------------------------------


def test_junit_one_suite_per_file_failures_at_the_threshold(run) -> None:  # type: ignore[no-untyped-def]
    root = ET.fromstring(render("junit", run, RenderOptions(fail_on="error")))
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert sorted(suites) == sorted(run.files)
    assert root.get("tests") == "7" and root.get("failures") == "3" and root.get("skipped") == "1"
    organization = suites["policies/organization.yml"]
    assert [c.get("name") for c in organization] == ["no findings"]
    ap = suites["policies/plans/accounts-payable.yml"]
    cases = {c.get("name").split()[0]: c for c in ap}
    assert cases["V03"].find("failure").get("type") == "error"
    assert "cfo@acme.example" in cases["H90"].find("skipped").get("message")
    warning = next(iter(suites["policies/plans/sales.yml"]))
    assert warning.find("failure") is None and "weights its measures" in warning.find("system-out").text
    strict = ET.fromstring(render("junit", run, RenderOptions(fail_on="warning")))
    assert strict.get("failures") == "5"


def test_junit_escapes_markup_in_messages(run) -> None:  # type: ignore[no-untyped-def]
    evil = replace(run.findings[0], severity="error", message='<![CDATA[ "x" & </failure>', waiver=None)
    text = render("junit", replace(run, findings=(evil,)))
    failure = ET.fromstring(text).find(".//failure")
    assert failure is not None and failure.get("message") == '<![CDATA[ "x" & </failure>'


# -- markdown escaping ---------------------------------------------------------------------------


@pytest.mark.parametrize("raw, escaped", [
    ("R&D -> sales", "R&D -> sales"),
    ("<script>alert(1)</script>", "\\<script>alert(1)\\</script>"),
    ("a | b", "a \\| b"),
    ("*bold* _it_ `code` [x](y) ~s~", "\\*bold\\* \\_it\\_ \\`code\\` \\[x\\](y) \\~s\\~"),
    ("# title", "\\# title"),
    ("- item", "\\- item"),
    ("1. first", "1\\. first"),
    ("&amp; stays text", "\\&amp; stays text"),
    ("two\nlines", "two lines"),
])
def test_md_escape(raw: str, escaped: str) -> None:
    assert md_escape(raw) == escaped


# -- outputs -------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec, expected", [
    ("out.sarif", Output("sarif", Path("out.sarif"))),
    ("out.json", Output("json", Path("out.json"))),
    ("junit.xml", Output("junit", Path("junit.xml"))),
    ("report.HTML", Output("html", Path("report.HTML"))),
    ("r.md", Output("markdown", Path("r.md"))),
    ("sarif=results.json", Output("sarif", Path("results.json"))),
    ("github=annotations.txt", Output("github", Path("annotations.txt"))),
    ("template=out.csv", Output("template", Path("out.csv"))),
    ("weird=name.json", Output("json", Path("weird=name.json"))),
])
def test_parse_output(spec: str, expected: Output) -> None:
    assert parse_output(spec) == expected


def test_parse_output_rejects_unknown_extensions_with_advice() -> None:
    with pytest.raises(UsageError, match="sarif=out.log"):
        parse_output("out.log")
    with pytest.raises(UsageError, match="no file name"):
        parse_output("json=")


def test_write_atomic_replaces_whole_files_and_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "out.txt"
    write_atomic(target, "first\n")
    write_atomic(target, "second ✓\n")
    assert target.read_text(encoding="utf-8") == "second ✓\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.txt"]


def test_write_atomic_keeps_the_old_file_when_writing_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old\n")

    def broken(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError):
        write_atomic(target, "new\n")
    assert target.read_text() == "old\n" and sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_every_format_renders_and_is_deterministic(run) -> None:  # type: ignore[no-untyped-def]
    import datetime

    options = RenderOptions(generated=datetime.date(2025, 11, 23))
    for fmt in FORMATS:
        first = render(fmt, run, options)
        assert first and first == render(fmt, run, options), fmt
        assert first.endswith("\n"), fmt


def test_check_writes_several_outputs_in_one_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sarif, junit, html = tmp_path / "out.sarif", tmp_path / "reports" / "junit.xml", tmp_path / "r.html"
    status = main(["check", str(FIXTURE), "--no-color", "-f", "text", "-o", str(sarif), "-o", f"junit={junit}",
                   "--output", str(html), "-o", f"json={tmp_path / 'result.txt'}"])
    out = capsys.readouterr().out
    assert status == 1 and out.startswith(f"{FIXTURE.as_posix()}/accounts-payable.yml:")
    assert json.loads(sarif.read_text())["version"] == "2.1.0"
    assert ET.parse(junit).getroot().tag == "testsuites"
    assert html.read_text().startswith("<!DOCTYPE html>")
    assert json.loads((tmp_path / "result.txt").read_text())["summary"]["error"] >= 1


def test_check_stdout_in_any_format(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(FIXTURE), "-f", "github"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("::") and any(line.startswith("::error file=") for line in lines)
    assert main(["check", str(FIXTURE), "-f", "sarif", "--fail-on", "never"]) == 0
    assert json.loads(capsys.readouterr().out)["runs"][0]["results"]


def test_check_quiet(capsys: pytest.CaptureFixture[str]) -> None:
    main(["check", str(FIXTURE), "-q", "--no-color"])
    assert "error" in capsys.readouterr().out


def test_unknown_output_extension_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(FIXTURE), "-o", str(tmp_path / "x.log")]) == 2
    assert "cannot tell the format" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


# -- user templates ------------------------------------------------------------------------------


def test_user_template_renders_the_report_context(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template = tmp_path / "mine.csv.j2"
    template.write_text("{% for f in findings %}{{ f.rule }},{{ f.severity }},{{ f.places[0].text }}\n{% endfor %}")
    out = tmp_path / "out.csv"
    assert main(["check", str(FIXTURE), "--template", str(template), "-o", f"template={out}"]) == 1
    stdout = capsys.readouterr().out
    assert stdout == out.read_text() and stdout.splitlines()[0].startswith("V02,error,")


def test_user_html_template_is_autoescaped(tmp_path: Path) -> None:
    template = tmp_path / "t.html.j2"
    template.write_text("<p>{{ organization }}</p>")
    run = replace(sample_run(), organization=replace(sample_run().organization, name="<i>x</i>"))
    assert render("template", run, RenderOptions(template=template)) == "<p>&lt;i&gt;x&lt;/i&gt;</p>"


@pytest.mark.parametrize("source, message", [
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "not allowed|unsafe"),
    ("{% set d = {} %}{{ d.update({'a': 1}) }}", "not allowed|unsafe"),
    ("{{ no_such_variable }}", "undefined"),
    ("{% for %}", "TemplateSyntaxError"),
])
def test_user_templates_run_sandboxed_and_strict(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 source: str, message: str) -> None:
    template = tmp_path / "evil.txt.j2"
    template.write_text(source)
    assert main(["check", str(FIXTURE), "--template", str(template)]) == 2
    err = capsys.readouterr().err
    assert str(template) in err
    import re

    assert re.search(message, err), err
