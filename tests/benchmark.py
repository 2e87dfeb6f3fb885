"""Speed and memory of `interlock check`, as ratios that hold on any machine: `make bench`.

For each size N (default 10, 1,000 and 10,000 departments) a seeded synthetic
organization (tests/synthetic.py: a hierarchy of business units, 3-8 measures
per plan, ~200 metrics, ~1,000 influence edges, 20 objectives, planted
conflicts of every family) is written to a temporary folder, then two fresh
processes are timed on it:

* the floor: a Python process that imports Interlock, then loads and validates
  the same files and nothing else;
* check: the installed `interlock check DIR` command, output discarded.

Then `interlock check policies/` is timed against a bare Python process that
imports the same third-party dependencies (durable-rules, PyYAML, Jinja2,
click, jsonschema) and does nothing else.

Targets (issue 9), all measured in one run as ratios:

* at N = 1,000, check <= 3x the floor;
* time(check, 10,000) / time(check, 1,000) <= 12 (linear scaling with slack);
* peak memory of check at N = 10,000 under 1 GB;
* the CLI on policies/ <= 2x the bare import process.

And the conflict report (issue 21): `interlock report DIR -o report.html` on the same
organization, its time and the size of the HTML file:

* at N = 1,000, report <= 1.5x check, and the HTML under 5 MB;
* at N = 10,000, the HTML under 20 MB.

Timings are the best of --repeat runs (the 10,000 size runs once); peak memory
is the child's own maximum resident set (os.wait4). Timings depend on the
machine, so they live here, not in unit tests.

Before timing, Interlock's bytecode is brought up to date (``compileall`` on its
package folder), as pip does for a regular install: an editable install has
none, and with PYTHONDONTWRITEBYTECODE set every run would compile Interlock
from source while the third-party packages it is compared with load theirs.

Usage: python tests/benchmark.py [--sizes 10,1000,10000] [--repeat 3] [--json]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import synthetic  # noqa: E402  (tests/ is not a package)

DEPENDENCIES = ("durable.engine", "yaml", "jinja2", "click", "jsonschema")
FLOOR = ("import sys; from pathlib import Path; from interlock.read.loader import load_documents; "
         "from interlock.model.validate import validate; validate(load_documents([Path(sys.argv[1])]))")
TARGET_CHECK_OVER_FLOOR = 3.0
TARGET_SCALING = 12.0
TARGET_PEAK_MB = 1024.0
TARGET_CLI_OVER_IMPORT = 2.0
TARGET_REPORT_OVER_CHECK = 1.5
TARGET_REPORT_MB = {1000: 5.0, 10_000: 20.0}


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mb: float
    status: int


def timed(command: list[str], cwd: Path = ROOT) -> Run:
    """Wall time and peak memory of one child process (its own, via wait4)."""
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    stderr = child.stderr.read().decode() if child.stderr else ""
    child.stderr and child.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):  # 1: findings at the failure threshold, expected
        raise SystemExit(f"benchmark: {' '.join(command)} exited {code}: {stderr.strip()[:500]}")
    return Run(elapsed, usage.ru_maxrss / 1024, code)


def best(command: list[str], repeat: int, cwd: Path = ROOT) -> Run:
    runs = [timed(command, cwd) for _ in range(max(1, repeat))]
    fastest = min(runs, key=lambda r: r.seconds)
    return Run(fastest.seconds, max(r.peak_mb for r in runs), fastest.status)


def interlock_command() -> list[str]:
    script = shutil.which("interlock", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "interlock.commands.cli"]


@dataclass(frozen=True)
class Size:
    departments: int
    files: int
    floor_s: float
    check_s: float
    check_peak_mb: float
    findings_exit: int
    report_s: float = 0.0
    report_mb: float = 0.0

    @property
    def ratio(self) -> float:
        return self.check_s / self.floor_s


def compile_bytecode() -> None:
    """Interlock's bytecode, current, as pip writes it for a regular install (a read-only install is left as is)."""
    from importlib.util import find_spec

    spec = find_spec("interlock")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        subprocess.run([sys.executable, "-m", "compileall", "-q", folder], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def measure_size(departments: int, repeat: int) -> Size:
    with tempfile.TemporaryDirectory(prefix=f"interlock-bench-{departments}-") as tmp:
        folder = Path(tmp)
        files = synthetic.write(synthetic.generate(departments, seed=1), folder)
        runs = 1 if departments >= 10_000 else repeat
        floor = best([sys.executable, "-c", FLOOR, str(folder)], runs)
        check = best([*interlock_command(), "check", str(folder), "--format", "text"], runs)
        html = Path(tmp) / "report.html"
        report = best([*interlock_command(), "report", str(folder), "-o", str(html)], runs, cwd=Path(tmp))
        report_mb = html.stat().st_size / 1e6
    return Size(departments, len(files), round(floor.seconds, 3), round(check.seconds, 3),
                round(check.peak_mb, 1), check.status, round(report.seconds, 3), round(report_mb, 2))


def measure_cli(repeat: int) -> tuple[float, float]:
    bare = best([sys.executable, "-c", "import " + ", ".join(DEPENDENCIES)], repeat)
    cli = best([*interlock_command(), "check", "policies"], repeat)
    return round(cli.seconds, 3), round(bare.seconds, 3)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,1000,10000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    compile_bytecode()
    sizes = {n: measure_size(n, args.repeat) for n in (int(s) for s in args.sizes.split(","))}
    cli_s, bare_s = measure_cli(max(5, args.repeat))
    verdicts = []
    if 1000 in sizes:
        verdicts.append(("check / floor at N=1,000", sizes[1000].ratio, TARGET_CHECK_OVER_FLOOR))
    if 1000 in sizes and 10_000 in sizes:
        verdicts.append(("time(10,000) / time(1,000)", sizes[10_000].check_s / sizes[1000].check_s, TARGET_SCALING))
    if 10_000 in sizes:
        verdicts.append(("peak MB at N=10,000 / 1,024", sizes[10_000].check_peak_mb / TARGET_PEAK_MB, 1.0))
    if 1000 in sizes:
        verdicts.append(("report / check at N=1,000", sizes[1000].report_s / sizes[1000].check_s,
                         TARGET_REPORT_OVER_CHECK))
    for n, limit in TARGET_REPORT_MB.items():
        if n in sizes:
            verdicts.append((f"report MB at N={n:,} / {limit:g}", sizes[n].report_mb / limit, 1.0))
    verdicts.append(("CLI on policies/ / bare import", cli_s / bare_s, TARGET_CLI_OVER_IMPORT))
    missed = [name for name, value, target in verdicts if value > target]
    if args.json:
        print(json.dumps({"sizes": [asdict(s) | {"ratio": round(s.ratio, 2)} for s in sizes.values()],
                          "cli_seconds": cli_s, "bare_import_seconds": bare_s,
                          "ratios": {name: {"value": round(value, 2), "target": target}
                                     for name, value, target in verdicts}}, indent=2))
    else:
        print(f"{'departments':>11} {'files':>6} {'floor s':>8} {'check s':>8} {'check/floor':>11} {'peak MB':>8} "
              f"{'report s':>9} {'report MB':>9}")
        for s in sizes.values():
            print(f"{s.departments:>11} {s.files:>6} {s.floor_s:>8.3f} {s.check_s:>8.3f} {s.ratio:>11.2f} "
                  f"{s.check_peak_mb:>8.1f} {s.report_s:>9.3f} {s.report_mb:>9.2f}")
        print(f"\ninterlock check policies/: {cli_s:.3f} s; bare import of {', '.join(DEPENDENCIES)}: {bare_s:.3f} s\n")
        for name, value, target in verdicts:
            print(f"{name:<32} {value:>6.2f}  target <= {target:<5} {'ok' if value <= target else 'MISSED'}")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
