"""The conflict report: its model (counts, matrix, coverage, paths, timeline) and its HTML and Markdown."""
from __future__ import annotations

import datetime
import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from interlock.commands.cli import main
from interlock.outputs.render import RenderOptions, render
from interlock.outputs.report import Counts, ReportContext, build_report
from interlock.findings.yoy import compare
from sample_run import previous_findings, sample_run
from paths import FIXTURES_DIR

FIXTURE = FIXTURES_DIR / "report_org"
DAY = datetime.date(2025, 11, 23)
XSS = '<script>document.title="PWNED"</script>'


@pytest.fixture(scope="module")
def report() -> ReportContext:
    run = sample_run()
    return build_report(run, previous=compare(run.findings, previous_findings(), "old"), generated=DAY)


def test_counts_by_severity_and_family(report: ReportContext) -> None:
    assert report.counts == Counts(error=3, warning=2, info=0) and report.waived_count == 1
    families = {row.family: row.counts for row in report.families}
    assert list(families) == ["vertical", "cross-functional", "temporal", "quantitative", "hygiene"]
    assert families["vertical"] == Counts(2, 0, 0) and families["hygiene"] == Counts(0, 1, 0)
    assert dict(report.scope)["lead objectives"] == 4
    assert report.generated == "2025-11-23" and report.title == "Conflict report: Acme Build & Supply"


def test_top_risks_are_errors_first_in_plain_sentences(report: ReportContext) -> None:
    assert [f.rule for f in report.top_risks] == ["X90", "V03", "V02", "T90", "Q08"]
    assert report.top_risks[2].sentence.startswith("No plan pays") and report.top_risks[2].sentence.endswith(".")


def test_matrix_is_symmetric_with_single_department_findings_on_the_diagonal(report: ReportContext) -> None:
    # Ordered by business unit, the most affected first, then by each department's own severity weight.
    names = [a.name for a in report.matrix.departments]
    assert names[0] in ("Accounts payable", "Marketing", "Sales") and len(names) == len(set(names))
    at = {(c.row, c.column): c for c in report.matrix.cells}
    assert at[("marketing", "sales")].count == at[("sales", "marketing")].count == 1
    assert at[("marketing", "sales")].rules == ("X90",)
    assert at[("accounts-payable", "accounts-payable")].count == 1  # V03; the waived H90 is not counted
    assert at[("sales", "sales")].count == 1  # Q08
    # The colour is the severity weight (an error 3, a warning 1, a note 0), the number counts errors and warnings.
    assert report.matrix.maximum == 3 and at[("projects", "sales")].count == 0
    assert at[("accounts-payable", "accounts-payable")].weight == 3 and at[("marketing", "sales")].weight == 3
    counts = report.matrix.counts
    assert all(counts[i][j] == counts[j][i] for i in range(len(counts)) for j in range(len(counts)))


def test_coverage_lists_who_is_paid_to_move_and_to_hurt_each_objective(report: ReportContext) -> None:
    by_id = {c.id: c for c in report.coverage}
    assert [c.id for c in report.coverage][:4] == ["project-profitability", "customer-satisfaction",
                                                   "revenue-growth", "site-safety"]
    growth = by_id["revenue-growth"]
    assert [(c.plan, c.metric, c.weight, c.path) for c in growth.supporters] == [
        ("mkt-demand", "MQL count", 1.0, "MQL count → Bookings"),  # the shortest of two paths
        ("sales-ae", "Bookings", 0.8, ""),
    ]
    margin = by_id["project-profitability"]
    assert margin.status == "contested" and margin.target == "14%"
    assert [(c.plan, c.department, c.weight) for c in margin.opponents] == [("ap-team", "Accounts payable", 0.7)]
    assert margin.opponents[0].anchor == "f-" + next(f.fingerprint for f in report.findings if f.rule == "V03")
    assert by_id["site-safety"].status == "unpaid" and not by_id["site-safety"].supporters
    assert by_id["release-cadence"].lead is False


def test_causal_paths_cross_functional_first_with_signs_and_moves(report: ReportContext) -> None:
    assert [d.finding.rule for d in report.diagrams] == ["X90", "V03"]
    ap = report.diagrams[1]
    assert [n.metric for n in ap.nodes] == ["dpo", "supplier_health", "supplier_otd", "on_time_delivery",
                                            "project_margin_pct"]
    assert [e.sign for e in ap.edges] == ["−", "+", "+", "+"]
    assert [n.move for n in ap.nodes] == ["↑", "↓", "↓", "↓", "↓"]
    assert [n.effect for n in ap.nodes] == ["neutral", "bad", "bad", "bad", "bad"]
    assert ap.finding.chain == ("Days payable outstanding ↑ −→ Supplier health ↓ +→ Supplier on-time delivery ↓ "
                                "+→ On-time delivery ↓ +→ Project margin ↓")
    assert all(e.x2 > e.x1 for e in ap.edges) and ap.width > ap.nodes[-1].x + ap.nodes[-1].width


def test_timeline_shows_what_depends_on_each_milestone_and_what_is_at_risk(report: ReportContext) -> None:
    timeline = report.timeline
    assert timeline is not None
    assert [lane.id for lane in timeline.lanes] == ["launch", "site-handover"]
    launch = timeline.lanes[0]
    assert launch.slip_days == 289 and launch.x_forecast > launch.x_planned
    assert [(b.kind, b.id, b.at_risk) for b in launch.bars] == [
        ("measure", "sales-ae/csat", True), ("hire", "launch-specialists", True),
        ("spend", "trade-shows", True), ("target", "new-product-bookings", True)]
    hire = launch.bars[1]
    assert hire.needed_by == "2025-06-01" and "228 days before the forecast" in hire.note
    assert [t.label for t in timeline.ticks][:2] == ["Q1 FY2025", "Q2 FY2025"] and timeline.ticks[-1].label == "Q1 FY2026"
    handover = timeline.lanes[1]  # did not slip: what depends on it is on plan, even when due long before
    assert [(b.kind, b.label, b.at_risk) for b in handover.bars] == [
        ("dependency", "Project delivery needs Suppliers paid within terms", False)]


def test_waived_findings_keep_their_justification(report: ReportContext) -> None:
    assert [f.rule for f in report.waived] == ["H90"] and report.waived[0].waiver is not None
    assert report.waived[0].waiver.owner == "cfo@acme.example"
    assert all(f.waiver is None for f in report.findings)


def test_year_over_year_section(report: ReportContext) -> None:
    yoy = report.comparison
    assert yoy is not None
    assert [f.rule for f in yoy.new] == ["X90"] and [f.rule for f in yoy.resolved] == ["V90"]
    assert sorted(f.rule for f in yoy.persisting) == ["H90", "Q08", "T90", "V02", "V03"]
    assert next(f for f in yoy.persisting if f.rule == "Q08").was == "info"
    assert next(f for f in report.findings if f.rule == "X90").status == "new"


# -- the HTML file ---------------------------------------------------------------------------------


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.headings: list[str] = []
        self.attributes: list[tuple[str, str, str]] = []
        self._heading: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [(tag, name, value or "") for name, value in attrs]
        if tag in ("h1", "h2"):
            self._heading = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h1", "h2") and self._heading is not None:
            self.headings.append("".join(self._heading).strip())
            self._heading = None

    def handle_data(self, data: str) -> None:
        if self._heading is not None:
            self._heading.append(data)


def _html(department: str = "Marketing") -> str:
    run = sample_run(marketing_name=department)
    return render("html", run, RenderOptions(generated=DAY, previous=compare(run.findings, previous_findings(),
                                                                             "old")))


def test_html_has_every_section() -> None:
    parsed = _Collect()
    parsed.feed(_html())
    assert parsed.headings == ["Conflict report: Acme Build & Supply", "Executive summary", "Year over year",
                               "Conflicts between departments", "Lead objective coverage", "Causal paths",
                               "Timeline", "Findings", "Waived findings"]
    assert parsed.tags.count("svg") == 1 + 1 + 2 + 1  # defs, heatmap, two paths, timeline


def test_html_is_self_contained_without_scripts_or_network() -> None:
    html = _html()
    parsed = _Collect()
    parsed.feed(html)
    assert "script" not in parsed.tags and "iframe" not in parsed.tags and "link" not in parsed.tags
    assert not [a for a in parsed.attributes if a[1].startswith("on")]
    for tag, name, value in parsed.attributes:
        if name in ("href", "src", "xlink:href", "action"):
            assert value.startswith("#"), (tag, name, value)
    assert not re.search(r"https?:|//[a-z]|@import|@font-face", html, re.IGNORECASE)
    assert all(u.startswith("#") for u in re.findall(r"url\(([^)]*)\)", html))
    assert "Content-Security-Policy" in html and "@media print" in html


def test_a_department_named_like_a_script_is_text() -> None:
    html = _html(XSS)
    assert XSS not in html
    assert "&lt;script&gt;document.title=&#34;PWNED&#34;&lt;/script&gt;" in html
    parsed = _Collect()
    parsed.feed(html)
    assert "script" not in parsed.tags


def test_markdown_escapes_policy_data() -> None:
    run = sample_run(marketing_name=XSS)
    text = render("markdown", run, RenderOptions(generated=DAY))
    assert XSS not in text and "\\<script>document.title=\"PWNED\"\\</script>" in text
    assert "Acme Build & Supply" in text  # readable: & alone is not an entity
    assert "\\<b>note\\</b> & \\*stars\\* \\[link\\](x)" in text


def test_markdown_has_every_section() -> None:
    text = render("markdown", sample_run(), RenderOptions(generated=DAY))
    assert [line for line in text.splitlines() if line.startswith("## ")] == [
        "## Executive summary", "## Conflicts between departments", "## Lead objective coverage",
        "## Causal paths", "## Timeline", "## Findings", "## Waived findings", "## Policy files"]
    assert "\n\n\n" not in text


def test_an_organization_without_milestones_findings_or_departments_still_renders() -> None:
    run = sample_run()
    bare = replace(run, findings=(), derived=(), organization=replace(
        run.organization, milestones=(), departments=(), objectives=(), plans=(), name=None))
    for fmt in ("html", "markdown"):
        text = render(fmt, bare, RenderOptions(generated=DAY))
        assert "No milestones" in text and "No open findings" in text


def test_report_command_writes_html_and_markdown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    html, md = tmp_path / "report.html", tmp_path / "out" / "report.md"
    assert main(["report", str(FIXTURE), "-o", str(html), "-o", str(md), "--today", "2027-02-01",
                 "--waivers", str(FIXTURE / "interlock-waivers.yml")]) == 0
    err = capsys.readouterr().err
    assert f"wrote html report to {html.as_posix()}" in err and "wrote markdown report" in err
    text = html.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "Generated 2027-02-01" in text
    markdown = md.read_text(encoding="utf-8")
    assert markdown.startswith("# Conflict report: Acme Build & Supply")
    waived = markdown.split("## Waived findings\n")[1].split("\n## ")[0]
    assert "| Q08 | Plan sales-ae weights its measures 90%" in waived
    assert "| The customer-satisfaction measure gets its last 10% at the mid-year review. | " \
           "head-of-sales@acme.example | 2027-06-30 |" in waived
    assert "mid-year review." in text and "head-of-sales@acme.example" in text


def test_report_command_format_option_and_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(FIXTURE), "-f", "html", "-o", str(tmp_path / "annual.report")]) == 0
    assert (tmp_path / "annual.report").read_text().startswith("<!DOCTYPE html>")
    capsys.readouterr()
    assert main(["report", str(FIXTURE)]) == 0
    assert capsys.readouterr().out.startswith("# Conflict report")


def test_report_honours_source_date_epoch(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert main(["report", str(FIXTURE), "-f", "markdown"]) == 0
    assert "Generated 2023-11-14 by interlock" in capsys.readouterr().out
