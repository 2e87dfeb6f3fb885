"""Gold files: every output format of one realistic run, compared byte for byte (after scrubbing).

The run is `interlock check` with every format at once, and `interlock report`
with a year-over-year comparison, on the bundled example organization
(policies/, with its own configuration and waivers, if any). Volatile parts are
scrubbed before comparing: the interlock version, the "generated" date and the
temporary folder of the previous version.

Refresh after an intended change (to an output, a template, a rule or
policies/), then read every changed file (docs/reports.md):

    INTERLOCK_REFRESH_GOLD=1 python -m pytest tests/outputs/test_gold.py     # or: make gold
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from interlock import __version__
from interlock.commands.cli import main
from sample_run import with_plan
from paths import ROOT_DIR, GOLD_DIR

ROOT = ROOT_DIR
GOLD = GOLD_DIR
SOURCE = "policies"
TODAY = "2027-02-01"
REFRESH = os.environ.get("INTERLOCK_REFRESH_GOLD") == "1"

#: Gold file -> the `-o FORMAT=FILE` of `interlock check` that writes it (None: standard output, text).
CHECK_OUTPUTS = {"check.txt": None, "check.json": "json", "check.sarif": "sarif", "check.junit.xml": "junit",
                 "check.github.txt": "github"}
REPORT_OUTPUTS = {"report.md": "markdown", "report.html": "html"}


def previous_version(folder: Path) -> Path:
    """Last year's policies: today's, plus a legacy bonus plan since retired (a resolved conflict)."""
    return with_plan(ROOT / SOURCE, folder / "policies-2026", "legacy-bonus", "50%")


def scrub(text: str, previous: Path) -> str:
    # Placeholders in brackets, not <angle brackets>: they must stay text in the HTML and XML gold files.
    text = text.replace(previous.as_posix(), "[previous]")
    text = re.sub(r'(interlock |"version": "|"semanticVersion": ")' + re.escape(__version__), r"\1[version]", text)
    return re.sub(r"Generated \d{4}-\d{2}-\d{2}", "Generated [date]", text)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("gold")
    previous = previous_version(tmp)
    here = os.getcwd()
    os.chdir(ROOT)  # paths in outputs are shown as given: keep them relative to the checkout
    try:
        stdout = tmp / "stdout.txt"
        common = ["--today", TODAY]
        args = ["check", SOURCE, *common, "--no-color", "-o", f"text={stdout}"]
        args += [arg for name, fmt in CHECK_OUTPUTS.items() if fmt for arg in ("-o", f"{fmt}={tmp / name}")]
        assert main(args) == 1
        (tmp / "check.txt").write_text(stdout.read_text(encoding="utf-8"), encoding="utf-8")
        args = ["report", SOURCE, *common, "--previous", previous.as_posix()]
        args += [arg for name, fmt in REPORT_OUTPUTS.items() for arg in ("-o", f"{fmt}={tmp / name}")]
        assert main(args) == 0
    finally:
        os.chdir(here)
    return {name: scrub((tmp / name).read_text(encoding="utf-8"), previous)
            for name in [*CHECK_OUTPUTS, *REPORT_OUTPUTS]}


@pytest.mark.parametrize("name", [*CHECK_OUTPUTS, *REPORT_OUTPUTS])
def test_gold(outputs: dict[str, str], name: str) -> None:
    gold = GOLD / name
    if REFRESH:
        GOLD.mkdir(exist_ok=True)
        gold.write_text(outputs[name], encoding="utf-8", newline="\n")
    assert gold.exists(), f"no gold file {gold}: run `make gold` (INTERLOCK_REFRESH_GOLD=1) and review it"
    expected = gold.read_text(encoding="utf-8")
    assert outputs[name] == expected, (
        f"{name} differs from {gold.relative_to(ROOT)}; if the change is intended, refresh with `make gold` "
        "and review the diff")


def test_scrub_leaves_only_volatile_parts_out() -> None:
    text = f'interlock {__version__} "version": "{__version__}" Generated 2031-12-24 /tmp/x/p/a.yml'
    assert scrub(text, Path("/tmp/x/p")) == 'interlock [version] "version": "[version]" Generated [date] [previous]/a.yml'


def test_gold_files_have_no_stray_files() -> None:
    assert sorted(p.name for p in GOLD.iterdir()) == sorted([*CHECK_OUTPUTS, *REPORT_OUTPUTS])
