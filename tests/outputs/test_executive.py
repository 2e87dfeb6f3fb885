"""The report's first screen (issue 21) on the example organization: money at stake, distinct causes to fix
first with their owners and remediation, last year in one line; and the report at scale."""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from interlock.commands.cli import main
from interlock.findings.yoy import compare
from interlock.lint import lint
from interlock.outputs.executive import money
from interlock.outputs.heatmap import MAX_DEPARTMENTS
from interlock.outputs.report import ReportContext, build_report
from interlock.read.config import resolve
import inline_policies
from paths import ROOT_DIR, TESTS_DIR
from sample_run import with_plan


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> ReportContext:
    here = os.getcwd()
    os.chdir(ROOT_DIR)
    try:
        policies = Path("policies")
        config = resolve([policies])
        result = lint([policies], config)
        old = with_plan(ROOT_DIR / "policies", tmp_path_factory.mktemp("yoy") / "policies", "legacy-bonus", "50%")
        before = lint([old], resolve([old])).findings
        return build_report(result, previous=compare(result.findings, before, "last year"))
    finally:
        os.chdir(here)


def test_money_at_stake_is_summed_from_the_findings_facts(example: ReportContext) -> None:
    stakes = {s.label: s for s in example.executive.stakes}  # type: ignore[union-attr]
    # Revenue at risk: the funnel gap (EUR 10.0M - 7.47M) and the roll-up gap (EUR 99.9M - 96.3M).
    assert stakes["revenue at risk"].amount == pytest.approx(2_530_000 + 3_600_000)
    assert stakes["revenue at risk"].text == "EUR 6.13M"
    # Payout at stake: participants x target incentive x weight over the measures of open errors and warnings,
    # each measure once (accounts payable's DPO measure is in ten findings, counted once); a crowd finding
    # (X02) counts the measures of every department it gathers; a band measure (the AP manager's DPO band,
    # X17: 1 participant x EUR 8,000 x 60%) counts like any other.
    payout = stakes["payout at stake"]
    assert payout.amount == pytest.approx(1_733_600)
    assert payout.text == "EUR 1.73M" and "15 paid measures" in payout.detail


def test_the_first_causes_are_distinct_with_owners_and_remediation(example: ReportContext) -> None:
    causes = example.executive.causes  # type: ignore[union-attr]
    assert len(causes) == 5 and len({c.key for c in causes}) == 5
    first = causes[0]
    assert first.summary == "Accounts payable is paid to raise days payable outstanding (70% of plan ap-team)."
    assert (first.owner, first.department, first.findings) == ("AP manager", "Accounts payable", 10)
    assert first.rules == ("V12", "X02", "X10", "X11", "X15") and first.remediation.startswith("Stop paying for payment delay")
    assert [c.severity for c in causes] == ["error"] * 5
    # Top risks are distinct causes too: accounts payable's line appears once, not three times.
    places = [str(f.finding.primary) for f in example.top_risks]
    assert len(places) == len(set(places)) and places[0] == "policies/accounts-payable.yml:38:9"
    assert example.executive.cause_count == 38  # type: ignore[union-attr]


def test_last_year_is_one_line_on_the_first_screen(example: ReportContext) -> None:
    assert example.executive.versus == ("Against last year: 0 new, 3 resolved, 67 persisting; "  # type: ignore[union-attr]
                                        "errors 19 → 18.")


def test_every_open_finding_is_under_exactly_one_cause(example: ReportContext) -> None:
    grouped = [f.fingerprint for c in example.causes for f in c.findings]
    assert sorted(grouped) == sorted(f.fingerprint for f in example.findings)


def test_the_html_appendix_lists_each_cause_once_with_its_findings_under_it_worst_first(
        example: ReportContext) -> None:
    from html.parser import HTMLParser

    from interlock.outputs.render import environment

    html = environment().get_template("report.html.j2").render(**example.as_dict())
    section = html[html.index('<section id="findings">'):html.index('<section id="waived">')]

    class Rows(HTMLParser):
        """The appendix as (cause header text, [finding anchors under it]) in document order."""

        def __init__(self) -> None:
            super().__init__()
            self.groups: list[tuple[str, list[str]]] = []
            self.header: list[str] | None = None

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found = dict(attrs)
            anchor = str(found.get("id") or "")
            if tag == "tr" and "cause" in str(found.get("class", "")).split():
                self.header = []
                # A cause of one finding is one row: the finding's anchor is the cause's row.
                self.groups.append(("", [anchor] if anchor.startswith("f-") else []))
            elif tag == "tr" and anchor.startswith("f-"):
                self.header = None
                self.groups[-1][1].append(anchor)

        def handle_data(self, data: str) -> None:
            if self.header is not None:
                self.groups[-1] = (self.groups[-1][0] + data, self.groups[-1][1])

    rows = Rows()
    rows.feed(section)
    assert len(rows.groups) == len(example.causes) == example.executive.cause_count  # type: ignore[union-attr]
    remedies: dict[str, int] = {}
    for number, ((text, anchors), cause) in enumerate(zip(rows.groups, example.causes), start=1):
        header = " ".join(text.split())
        if len(cause.findings) == 1:  # one row: severity, rule, the finding's own sentence
            only = cause.findings[0]
            assert header.startswith(f"{number}. {only.severity} {only.rule} {only.sentence}")
        else:
            assert header.startswith(f"{number}. {cause.cause.severity} {cause.cause.summary} "
                                     f"{len(cause.findings)} findings at {cause.cause.place}; ")
        # What to do, once: a cause needing what an earlier one needs refers to it by number.
        first = remedies.setdefault(cause.cause.remediation, number)
        said = f"What to do: {cause.cause.remediation}" if first == number else f"What to do: as for {first}."
        assert header.endswith(said)
        assert anchors == [f.anchor for f in cause.findings]
    assert len(remedies) < len(example.causes)  # the example has three T05 causes with one remedy
    # A consequence does not repeat the words its cause's header says.
    ap = example.causes[0]
    assert ap.cause.summary == "Accounts payable is paid to raise days payable outstanding (70% of plan ap-team)."
    said = dict((f.anchor, text) for f, text in ap.consequences)
    x15 = next(f for f in ap.findings if f.rule == "X15")
    assert said[x15.anchor] == "Supplier on-time delivery falls, which Procurement is paid to raise (50% of plan buyers)."
    assert f'<td>{said[x15.anchor]} <span class="muted">' in section
    assert ap.cause.summary[:-1] + ":" not in section.split("</th></tr>", 1)[1].split("</tbody>", 1)[0]
    every = [a for _header, anchors in rows.groups for a in anchors]
    assert sorted(every) == sorted(f.anchor for f in example.findings)  # each open finding once
    order = {"error": 0, "warning": 1, "info": 2}
    severities = [order[c.cause.severity] for c in example.causes]
    assert severities == sorted(severities)  # the worst causes first
    # The executive summary's causes are the appendix's first ones, and link into it.
    assert [c.key for c in example.executive.causes] == [c.cause.key for c in example.causes[:5]]  # type: ignore[union-attr]
    assert all(f'id="{c.anchor}"' in section for c in example.executive.causes)  # type: ignore[union-attr]


def test_money_is_short_for_a_headline() -> None:
    assert [money(v, "EUR") for v in (950, 48_000, 2_530_000, 1.2e9)] == [
        "EUR 950", "EUR 48k", "EUR 2.53M", "EUR 1.20B"]
    assert money(6_130_000, None) == "6.13M"


@pytest.mark.slow
def test_at_scale_the_report_summarises_instead_of_drawing_every_pair(tmp_path: Path) -> None:
    """300 departments: the heatmap draws the heaviest 24 and the business units are tabled; the size stays
    bounded (1,000 departments gave 151 MB before issue 21; the benchmark measures 1,000 and 10,000)."""
    sys.path.insert(0, str(TESTS_DIR))
    import synthetic

    folder = tmp_path / "org"
    synthetic.write(synthetic.generate(300, seed=1), folder)
    out = tmp_path / "report.html"
    start = time.perf_counter()
    assert main(["report", str(folder), "-o", str(out), "-o", f"markdown={tmp_path / 'report.md'}"]) == 0
    assert time.perf_counter() - start < 120
    html = out.read_text(encoding="utf-8")
    assert len(html.encode()) < 1_500_000
    assert html.count('class="heatmap"') == 1 and html.count("<rect x=") <= MAX_DEPARTMENTS ** 2 + 50
    assert "By business unit" in html and "more with findings are summarised by business unit" in html


#: Sales' funnel with its plan for small contractors, where marketing's own figures fall short.
FUNNEL = inline_policies.FUNNEL + """\
  - {department: sales, name: mql_count, value: 500, segment: small-contractors}
  - {department: sales, name: win_rate, value: 25%, segment: small-contractors}
  - {department: sales, name: avg_deal_size, value: 30000, segment: small-contractors}
  - {department: marketing, name: win_rate, value: 20.75%, segment: small-contractors}
  - {department: marketing, name: avg_deal_size, value: 18000, segment: small-contractors}
"""


def _revenue_at_risk(tmp_path: Path, policy: str) -> tuple[list[str], float, str]:
    folder = tmp_path / "org"
    folder.mkdir()
    (folder / "plans.yml").write_text(policy, encoding="utf-8")
    result = lint([folder], resolve([folder]))
    stake = {s.label: s for s in build_report(result).executive.stakes}["revenue at risk"]  # type: ignore[union-attr]
    q01 = sorted(f.message.split(",")[0] for f in result.findings if f.rule == "Q01")
    return q01, stake.amount, stake.detail


def test_a_shortfall_seen_whole_and_by_segment_is_counted_once(tmp_path: Path) -> None:
    # Marketing's overall figures leave sales' EUR 10.0M target EUR 4.00M short (2,000 x 50% x 20% x 30,000 =
    # EUR 6.00M); its segment figures leave sales' EUR 1.88M plan for the segment EUR 941,250 short. Both Q01
    # findings fire; the segment is a slice of the same target, so the target's EUR 4.00M is counted once.
    policy = FUNNEL + ("  - {department: marketing, name: win_rate, value: 20%}\n"
                       "  - {department: marketing, name: avg_deal_size, value: 30000}\n")
    q01, amount, detail = _revenue_at_risk(tmp_path, policy)
    assert [m.split(" ")[0] for m in q01] == ["if", "in"]  # the whole funnel and the segment's
    assert amount == pytest.approx(4_000_000)
    assert detail.startswith("what 1 plan or roll-up multiplies or adds up to short of its target")


def test_a_target_short_only_in_a_segment_counts_the_segments_shortfall(tmp_path: Path) -> None:
    q01, amount, _detail = _revenue_at_risk(tmp_path, FUNNEL)
    assert [m.split(" ")[0] for m in q01] == ["in"]
    assert amount == pytest.approx(1_875_000 - 933_750)


def test_two_segments_of_one_target_are_two_slices_of_it(tmp_path: Path) -> None:
    policy = FUNNEL + """\
  - {department: sales, name: mql_count, value: 300, segment: renovators}
  - {department: sales, name: win_rate, value: 30%, segment: renovators}
  - {department: sales, name: avg_deal_size, value: 20000, segment: renovators}
  - {department: marketing, name: win_rate, value: 15%, segment: renovators}
  - {department: marketing, name: avg_deal_size, value: 20000, segment: renovators}
"""
    q01, amount, detail = _revenue_at_risk(tmp_path, policy)
    assert [m.split(" ")[0] for m in q01] == ["in", "in"]
    # small contractors EUR 1.88M - 933,750; renovators 300 x 50% x (30% - 15%) x EUR 20,000 = EUR 450,000.
    assert amount == pytest.approx(1_875_000 - 933_750 + 450_000)
    assert detail.startswith("what 1 plan or roll-up")  # one target, two slices
