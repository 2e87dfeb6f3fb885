"""The terminal view (issue 21): folded to the width, grouped by cause, next steps, statistics, colour, progress."""
from __future__ import annotations

import io
import os
import subprocess
import sys
import time

import click
import pytest

from interlock.commands.cli import main
from interlock.outputs.progress import progress
from interlock.outputs.render import RenderOptions, render
from interlock.outputs.terminal import fold
from paths import ROOT_DIR


@pytest.fixture(scope="module")
def piped(tmp_path_factory: pytest.TempPathFactory) -> str:
    """`interlock check policies --statistics` as a pipe sees it (standard output is not a terminal)."""
    out = tmp_path_factory.mktemp("terminal") / "check.txt"
    here = os.getcwd()
    os.chdir(ROOT_DIR)
    try:
        assert main(["check", "policies", "--no-color", "--statistics", "-o", f"text={out}"]) == 1
    finally:
        os.chdir(here)
    return out.read_text(encoding="utf-8")


def test_every_line_of_check_policies_fits_80_columns(piped: str) -> None:
    wide = [line for line in piped.splitlines() if len(line) > 80]
    assert wide == []


def test_a_cause_is_printed_once_with_its_consequences_under_it(piped: str) -> None:
    """Accounts payable's DPO measure: one header at its line, ten consequences indented under it."""
    assert piped.count("policies/accounts-payable.yml:38:9") == 1
    header = piped.index("policies/accounts-payable.yml:38:9: 10 findings (2 errors, 7 warnings, 1 info)\n"
                         "    from one cause: Accounts payable is paid to raise days payable outstanding\n")
    block = piped[header:piped.index("policies/accounts-payable.yml:67:9")]  # the next location: X17 on ap-manager
    # The four-step chain to project margin is the uncertain tier: information, not a warning.
    assert block.count("\n  warning V12 ") == 2 and block.count("\n  info V12 ") == 1
    assert block.count("\n  warning X02 ") == 4
    # The shared words are in the header, not repeated in the consequences that start with them.
    assert block.count("Accounts payable is paid to raise days payable outstanding") == 1


def test_a_causal_chain_puts_each_step_on_its_own_indented_line(piped: str) -> None:
    assert ("  warning V12 supplier on-time delivery falls\n"
            "        -> material shortage days rises\n"
            "        -> site idle time rises\n"
            "        -> project margin falls, against lead objective Project profitability (4\n"
            "           steps, certainty 25%)\n") in piped


def test_a_lone_finding_keeps_the_location_first_and_folds_under_it(piped: str) -> None:
    assert ("policies/engineering.yml:20:5: error Q08 plan engineering-team weights its\n"
            "    measures 90% in total, not 100% (3 measures)\n") in piped


def test_the_summary_counts_causes_and_says_what_to_do_next(piped: str) -> None:
    summary = piped[piped.index("Found "):]
    assert summary.startswith("Found 67 findings from 38 causes (18 errors, 38 warnings, 11 info) in 12 files.\n")
    assert "Next: `interlock explain T01` says why it matters and how to fix it; `interlock\n" \
           "report policies -o report.html` writes the conflict report for leadership.\n" in summary


def test_statistics_count_findings_per_rule_most_first(piped: str) -> None:
    table = piped[piped.index("Findings per rule:\n"):].splitlines()[1:]
    assert table[0] == "    7  T01   error    milestone-exposure"
    assert "    4  V12   warning  paid-against-lead-objective-uncertain" in table
    counts = [int(row.split()[0]) for row in table]
    assert counts == sorted(counts, reverse=True) and sum(counts) == 67


def test_the_width_follows_the_option_and_never_drops_below_the_minimum() -> None:
    from sample_run import sample_run

    run = sample_run()
    for width in (60, 100):
        text = render("text", run, RenderOptions(width=width))
        assert max(len(line) for line in text.splitlines()) <= width
    # Narrower than a location and its rule: the message starts on the next line, folded to the minimum.
    narrow = render("text", run, RenderOptions(width=10)).splitlines()
    assert "policies/plans/accounts-payable.yml:5:5: error V03" in narrow
    assert all(len(line) <= 40 for line in narrow if not line.startswith("policies/"))


def test_fold_breaks_a_word_longer_than_the_line_instead_of_overflowing() -> None:
    lines = fold("see " + "x" * 100, 40, 10, 4)
    assert all(len(line) <= 40 for line in [" " * 10 + lines[0], *lines[1:]])
    assert "".join(line.strip() for line in lines).replace("see", "") == "x" * 100


def test_fold_moves_a_word_too_long_for_the_rest_of_a_line_to_the_next_instead_of_splitting_it() -> None:
    path = "policies/departments/accounts-payable.yml"  # 41 columns: fits a line of 76, not the rest of one
    lines = fold("also at " + " ".join(["word"] * 8) + " " + path + " end", 80, 30, 4)
    assert lines == ["also at word word word word word word word word", "    " + path + " end"]
    # A first word too long for what follows the location, but not for a line, starts below it.
    assert fold(path + " end", 80, 60, 4) == ["", "    " + path + " end"]


def test_color_forces_colour_even_when_piped() -> None:
    command = [sys.executable, "-m", "interlock", "check", "policies"]
    env = {**os.environ, "INTERLOCK_TODAY": "2027-02-01"}
    env.pop("NO_COLOR", None)
    plain = subprocess.run(command, cwd=ROOT_DIR, env=env, capture_output=True, text=True)
    forced = subprocess.run([*command, "--color"], cwd=ROOT_DIR, env=env, capture_output=True, text=True)
    assert plain.returncode == forced.returncode == 1
    assert "\033[" not in plain.stdout
    assert click.style("error", fg="red", bold=True) in forced.stdout
    assert click.unstyle(forced.stdout) == plain.stdout  # colour adds codes, never changes the text


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_appears_on_a_terminal_after_the_delay_and_is_erased() -> None:
    stream = _Terminal()
    with progress("interlock: checking policies", stream, delay=0.05):
        time.sleep(0.4)
    shown = stream.getvalue()
    assert "interlock: checking policies" in shown and "\033" not in shown
    drawn = shown.split("\r")[1:-2]  # the redraws, then the blanks, then the empty rest after the last return
    assert drawn and all(line.rstrip().startswith(("| ", "/ ", "- ", "\\ ")) for line in drawn)
    assert shown.endswith("\r" + " " * max(len(line) for line in drawn) + "\r")  # every column drawn is blanked


def test_progress_stays_silent_for_quick_runs_and_off_a_terminal() -> None:
    quick = _Terminal()
    with progress("interlock: checking policies", quick, delay=5):
        pass
    piped = io.StringIO()
    with progress("interlock: checking policies", piped, delay=0):
        time.sleep(0.2)
    assert quick.getvalue() == "" and piped.getvalue() == ""
