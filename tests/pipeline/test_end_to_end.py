"""The installed console script, run as a user runs it: in subprocesses, also several at once."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from paths import ROOT_DIR

ROOT = ROOT_DIR
ALIGNED = ROOT / "tests" / "fixtures" / "aligned_org"


def _script() -> str:
    """The `interlock` next to the running Python (the venv the tests run in)."""
    found = Path(sys.executable).with_name("interlock")
    assert found.exists() or shutil.which("interlock"), "the console script `interlock` is not installed"
    return str(found if found.exists() else shutil.which("interlock"))


def _check(folder: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_script(), "check", folder, "--format", "json"], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def test_example_organization_reports_the_three_first_rules(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    done = _check("policies", tmp_path)
    assert done.returncode == 1, done.stderr
    data = json.loads(done.stdout)
    assert data["tool"]["name"] == "interlock"
    assert {"Q08", "V02", "V12"} <= {f["rule"] for f in data["findings"]}
    assert all(loc["file"].startswith("policies/") for f in data["findings"] for loc in f["locations"])


def test_default_path_is_policies(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    default = subprocess.run([_script(), "check", "--format", "json"], cwd=tmp_path, capture_output=True,
                             text=True, timeout=300)
    assert default.returncode == 1 and default.stdout == _check("policies", tmp_path).stdout


def test_parallel_processes_give_the_same_results_as_one_at_a_time(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    shutil.copytree(ALIGNED, tmp_path / "aligned")
    alone = [_check(folder, tmp_path).stdout for folder in ("policies", "aligned")]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(lambda folder: _check(folder, tmp_path), ["policies", "aligned"] * 2))
    assert [p.stdout for p in together] == alone * 2
    assert [p.returncode for p in together] == [1, 0, 1, 0]


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "org").mkdir()
    (tmp_path / "org" / "sales.yml").write_text("plans:\n  - id: x\n    measures: [{metric: bookings, weight: 1}\n")
    done = subprocess.run([_script(), "check", "org"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("org/sales.yml:4:1: YAML syntax error")
    assert "Traceback" not in done.stderr


def test_findings_of_one_root_cause_share_its_key(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    findings = json.loads(_check("policies", tmp_path).stdout)["findings"]
    causes: dict[str, set[str]] = {}
    for finding in findings:
        assert finding["cause"], finding
        causes.setdefault(finding["cause"], set()).add(finding["rule"])
    # Accounts payable's payables measure: the harm, the dependency it breaks and the plans it hurts.
    assert {"V12", "X11", "X15", "X02"} <= causes["measure:ap-team/dpo"]
    # The slipped launch: every contingent item and every department's stale date.
    assert {"T01", "T02", "T03", "T04", "T11"} <= causes["milestone:product-launch"]
    assert len(causes) < len(findings)
