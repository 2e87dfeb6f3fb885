"""Speed and memory of `interlock check`, as ratios that hold on any machine, loaded or not: `make bench`.

Organizations. For each size N (default 10, 1,000 and 10,000 departments) a
seeded synthetic organization (tests/synthetic.py: a hierarchy of business
units, 3-8 measures per department, ~380 metrics, ~1,430 influence edges, 20
objectives, planted conflicts of every family) is written to a temporary
folder; at 1,000 departments also the same organization with a crowd, all
1,000 departments split 500/500 over one shared metric (X01's worst case).

Commands timed, each a fresh child process:

* the floor: Python importing Interlock, then loading and validating the files, nothing else;
* the workbook floor (at 1,000 departments): the same for the organization exported as a workbook;
* check: the installed `interlock check DIR --format text`, output discarded, warm cache;
* check --no-cache (at 10,000 departments), so the cache is never slower than none;
* on policies/: `interlock check policies` with a warm and with an empty (cold) cache, against a
  bare Python process importing exactly yaml, jinja2, click and durable.engine; and, for
  information, the warm check of a copy of policies/ whose first file gets a new comment line
  before every run.

The results memo of `check` (engine/commands/memo.py) replays an unchanged run without linting.
Every figure of the engine's work (check N, crowd, report, no-cache, so also cache / no cache) is
measured with the memo off (INTERLOCK_NO_MEMO=1; the other caches stay warm), so it times the
work, not the memo. On policies/, "warm" is the unchanged run a user repeats (the memo's hit,
the 2x target), "one file edited" the memo's miss with the other caches warm, and "cold" an empty
cache (no memo either).

How. Every figure is the CPU time (user + system) of the child alone, from
os.wait4, so other processes on the machine change it little; the commands
compared with each other run interleaved (round-robin, the order rotated each
round), so a slow moment of the machine hits them all alike. Each is repeated at
least --repeat times (default 3), more when the group is quick (by its slowest
unmeasured warm-up run: 11 rounds under a second, 5 under five seconds), so
that a ratio of short commands rests on many runs. A time ratio's verdict is the
median of its paired ratios (each round's run of one command against the same
round's run of the other, so that both saw the same machine), printed with the
ratio of the fastest runs beside it; the table lists each command's fastest and
median run. Peak memory is the child's own maximum resident set. The cache lives in a folder of the
benchmark's own: warmed once before the warm runs, empty before every cold run.

Targets (issue 22), printed each with its value:

* check / floor at 1,000 departments <= 2.5;
* time(check, 10,000) / time(check, 1,000) <= 11;
* peak memory of check at 10,000 departments < 500 MB, and growth per department
  (peak(10,000) - peak(1,000)) / 9,000 < 40 KB;
* the crowd at 1,000 departments <= 2x the time and 2x the peak memory of the same organization without it;
* check with the cache / check --no-cache at 10,000 departments <= 1;
* the CLI on policies/ <= 2x the bare import, warm cache; <= 3x, cold cache;
* reading (and validating) the 1,000-department organization from a workbook <= 2x from YAML (issue 20);
* the conflict report (issue 21), `interlock report DIR -o report.html` on the same organization:
  at 1,000 departments <= 1.5x the check's time and the HTML under 5 MB; at 10,000 the HTML under 20 MB.

Before timing, Interlock's bytecode is brought up to date (``compileall`` on its
package folder), as pip does for a regular install, and so are the cache entries an
installation ships (engine/prebuilt/, ``python -m interlock.commands.prebuild``, as
`make setup` runs it): the cold cache is the user's, empty, not the installation's.

Usage: python tests/benchmark.py [--sizes 10,1000,10000] [--repeat 3] [--json]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEPENDENCIES = ("yaml", "jinja2", "click", "durable.engine")
#: The results memo's own switch (engine/commands/memo.py): set for every command that measures the work.
NO_MEMO = "INTERLOCK_NO_MEMO"
WORK = {NO_MEMO: "1"}
FLOOR = ("import sys; from pathlib import Path; from interlock.read.loader import load_documents; "
         "from interlock.model.validate import validate; validate(load_documents([Path(sys.argv[1])]))")
CROWD_AT = 1000
#: (CPU seconds, rounds): a group whose slowest warm-up run took under that many seconds runs at least that
#: many rounds; longer groups run --repeat rounds.
QUICK_ROUNDS = ((1.0, 11), (5.0, 5))
#: Size in MB of the HTML report written at each size (filled by measure()).
report_mb: dict[int, float] = {}
TARGETS = {
    "check / floor at 1,000": 2.5,
    "time(10,000) / time(1,000)": 11.0,
    "peak MB at 10,000 / 500": 1.0,
    "growth KB per department / 40": 1.0,
    "crowd / no crowd at 1,000, time": 2.0,
    "crowd / no crowd at 1,000, peak memory": 2.0,
    "cache / no cache at 10,000": 1.0,
    "CLI on policies/ / bare import, warm": 2.0,
    "CLI on policies/ / bare import, cold": 3.0,
    "workbook / YAML read at 1,000": 2.0,
    "report / check at 1,000": 1.5,
    "report MB at 1,000 / 5": 1.0,
    "report MB at 10,000 / 20": 1.0,
}


@dataclass(frozen=True)
class Run:
    cpu: float  # user + system seconds of the child alone
    wall: float
    peak_mb: float
    status: int


@dataclass(frozen=True)
class Command:
    argv: Sequence[str]
    env: Mapping[str, str]
    fresh_cache: bool = False  # an empty cache folder before every run
    before: Callable[[], None] | None = None  # called before every run (unmeasured): e.g. edit a file


@dataclass(frozen=True)
class Figures:
    runs: tuple[Run, ...]

    @property
    def cpu(self) -> float:
        return min(r.cpu for r in self.runs)

    @property
    def median_cpu(self) -> float:
        return statistics.median(r.cpu for r in self.runs)

    @property
    def wall(self) -> float:
        return min(r.wall for r in self.runs)

    @property
    def peak_mb(self) -> float:
        return max(r.peak_mb for r in self.runs)


def run_once(command: Command, cache: Path) -> Run:
    """One child: its CPU time and peak memory, its own (os.wait4), and its wall time."""
    import time

    if command.fresh_cache:
        shutil.rmtree(cache, ignore_errors=True)
    if command.before is not None:
        command.before()
    env = {k: v for k, v in os.environ.items() if k not in ("INTERLOCK_NO_CACHE", NO_MEMO)}
    env.update({"INTERLOCK_CACHE_DIR": str(cache), **command.env})
    start = time.perf_counter()
    child = subprocess.Popen(command.argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = child.stderr.read().decode() if child.stderr else ""
    _pid, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if child.stderr:
        child.stderr.close()
    if child.returncode not in (0, 1):  # 1: findings at the failure threshold, expected
        raise SystemExit(f"benchmark: {' '.join(command.argv)} exited {child.returncode}: {stderr.strip()[:500]}")
    return Run(usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024, child.returncode)


def rounds(repeat: int, slowest: float) -> int:
    """How many rounds a group runs: at least ``repeat``, more for quick commands (``slowest``: CPU seconds
    of its slowest warm-up run), whose ratios would otherwise rest on a handful of short runs."""
    for limit, at_least in QUICK_ROUNDS:
        if slowest < limit:
            return max(repeat, at_least)
    return max(1, repeat)


def interleaved(commands: Mapping[str, Command], repeat: int, cache: Path) -> dict[str, Figures]:
    """Every command at least ``repeat`` times (see ``rounds``), round-robin, the order rotated each round."""
    names = list(commands)
    slowest = 0.0
    for name in names:  # warm the cache (and the file system) once, unmeasured
        if not commands[name].fresh_cache:
            slowest = max(slowest, run_once(commands[name], cache).cpu)
    runs: dict[str, list[Run]] = {name: [] for name in names}
    for round_ in range(rounds(repeat, slowest)):
        order = names[round_ % len(names):] + names[:round_ % len(names)]
        for name in order:
            runs[name].append(run_once(commands[name], cache / "cold" if commands[name].fresh_cache else cache))
    return {name: Figures(tuple(r)) for name, r in runs.items()}


def interlock_command() -> list[str]:
    script = shutil.which("interlock", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "interlock.commands.cli"]


def compile_bytecode() -> None:
    """Interlock's bytecode and shipped cache entries, current, as `make setup` writes them (a read-only
    install is left as is)."""
    from importlib.util import find_spec

    spec = find_spec("interlock")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        subprocess.run([sys.executable, "-m", "compileall", "-q", folder], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # The cache entries an installation ships (`make setup` computes them): current for this code.
    subprocess.run([sys.executable, "-m", "interlock.commands.prebuild"], check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def check(folder: Path, *extra: str) -> Command:
    """`interlock check FOLDER` doing the work: the results memo off, the other caches as they are."""
    return Command([*interlock_command(), "check", str(folder), "--format", "text", *extra], WORK)


def edited_copy(folder: Path, copy: Path) -> Callable[[], None]:
    """A copy of ``folder`` whose first file gets a new comment line before every run: a memo miss."""
    shutil.copytree(folder, copy)
    first = sorted(copy.glob("*.yml"))[0]
    original = first.read_text(encoding="utf-8")
    runs = iter(range(1, 1_000_000))

    def edit() -> None:
        first.write_text(f"{original}# benchmark edit {next(runs)}\n", encoding="utf-8")

    return edit


def write_organization(n: int, folder: Path, crowd: int = 0) -> None:
    """The synthetic organization, written by a child: this process stays small, and a child's
    peak memory (which counts what it shared with this process before exec) stays its own."""
    subprocess.run([sys.executable, str(HERE / "synthetic.py"), str(n), str(folder), "--seed", "1",
                    "--crowd", str(crowd)], check=True, stdout=subprocess.DEVNULL)


def measure(sizes: Sequence[int], repeat: int, work: Path) -> dict[str, Figures]:
    """Every command's figures, by name (``check 1000``, ``floor 1000``, ``crowd 1000``, ``cli warm`` ...)."""
    cache = work / "cache"
    figures: dict[str, Figures] = {}
    report_mb.clear()
    for n in sizes:
        folder = work / f"org-{n}"
        write_organization(n, folder)
        group = {f"floor {n}": Command([sys.executable, "-c", FLOOR, str(folder)], {}), f"check {n}": check(folder)}
        if n == CROWD_AT:
            # The same organization as a workbook (docs/spreadsheets.md), read and validated like the floor.
            book = work / f"org-{n}.xlsx"
            subprocess.run([*interlock_command(), "export", str(folder), "-o", str(book)], check=True,
                           stdout=subprocess.DEVNULL)
            group[f"workbook floor {n}"] = Command([sys.executable, "-c", FLOOR, str(book)], {})
            crowd = work / f"crowd-{n}"
            write_organization(n, crowd, crowd=n)
            group[f"crowd {n}"] = check(crowd)
        if n >= 1000:
            group[f"report {n}"] = Command([*interlock_command(), "report", str(folder), "-o",
                                            str(work / f"report-{n}.html")], WORK)
        if n >= 10_000:  # the floor is only compared at 1,000; here the cache is compared with none
            del group[f"floor {n}"]
            group[f"no-cache {n}"] = check(folder, "--no-cache")
        figures.update(interleaved(group, repeat, cache))
        if (work / f"report-{n}.html").exists():
            report_mb[n] = (work / f"report-{n}.html").stat().st_size / 1e6
        shutil.rmtree(folder)
    edit = edited_copy(ROOT / "policies", work / "policies-edited")
    figures.update(interleaved({
        "bare import": Command([sys.executable, "-c", "import " + ", ".join(DEPENDENCIES)], {}),
        "cli warm": Command([*interlock_command(), "check", "policies"], {}),
        "cli edited": Command([*interlock_command(), "check", str(work / "policies-edited")], {}, before=edit),
        "cli cold": Command([*interlock_command(), "check", "policies"], {}, fresh_cache=True),
    }, repeat, cache))
    return figures


#: The two commands of each time ratio (numerator, denominator), for the median of paired runs.
_TIME_RATIOS = {
    "check / floor at 1,000": ("check 1000", "floor 1000"),
    "time(10,000) / time(1,000)": ("check 10000", "check 1000"),
    "cache / no cache at 10,000": ("check 10000", "no-cache 10000"),
    "workbook / YAML read at 1,000": ("workbook floor 1000", "floor 1000"),
    "report / check at 1,000": ("report 1000", "check 1000"),
    "crowd / no crowd at 1,000, time": ("crowd 1000", "check 1000"),
    "CLI on policies/ / bare import, warm": ("cli warm", "bare import"),
    "CLI on policies/ / bare import, cold": ("cli cold", "bare import"),
}


def paired(a: Figures, b: Figures) -> float:
    """The median of the ratios a/b run by run (a round's run of a against the same round's of b): the
    verdict of a time ratio. Both runs of a pair saw the same moment of the machine, and the median
    ignores the rounds a burst of load hit, where the ratio of the two fastest runs compares runs of
    different moments and follows the one lucky run of each."""
    return statistics.median(x.cpu / y.cpu for x, y in zip(a.runs, b.runs))


def verdicts(f: Mapping[str, Figures]) -> list[tuple[str, float, float, str]]:
    """(name, value, target, how it was computed) for every target the measured sizes allow. A time
    ratio's value is the median of its paired runs, the ratio of the fastest runs named beside it; a
    memory or size ratio's is the measured figure against its limit."""
    out = []

    def add(name: str, value: float, how: str) -> None:
        if name in _TIME_RATIOS:  # a time ratio: figures of two commands, interleaved
            a, b = _TIME_RATIOS[name]
            how = f"median of {len(f[a].runs)} paired runs; fastest runs {how} = {value:.2f}"
            value = paired(f[a], f[b])
        out.append((name, value, TARGETS[name], how))

    if "check 1000" in f:
        add("check / floor at 1,000", f["check 1000"].cpu / f["floor 1000"].cpu,
            f"{f['check 1000'].cpu:.2f} s / {f['floor 1000'].cpu:.2f} s")
    if "check 1000" in f and "check 10000" in f:
        add("time(10,000) / time(1,000)", f["check 10000"].cpu / f["check 1000"].cpu,
            f"{f['check 10000'].cpu:.2f} s / {f['check 1000'].cpu:.2f} s")
    if "check 10000" in f:
        add("peak MB at 10,000 / 500", f["check 10000"].peak_mb / 500, f"{f['check 10000'].peak_mb:.0f} MB")
        add("cache / no cache at 10,000", f["check 10000"].cpu / f["no-cache 10000"].cpu,
            f"{f['check 10000'].cpu:.2f} s / {f['no-cache 10000'].cpu:.2f} s")
    if "check 1000" in f and "check 10000" in f:
        growth = (f["check 10000"].peak_mb - f["check 1000"].peak_mb) * 1024 / 9000
        add("growth KB per department / 40", growth / 40, f"{growth:.1f} KB per department")
    if "workbook floor 1000" in f:
        add("workbook / YAML read at 1,000", f["workbook floor 1000"].cpu / f["floor 1000"].cpu,
            f"{f['workbook floor 1000'].cpu:.2f} s / {f['floor 1000'].cpu:.2f} s")
    if "report 1000" in f:
        add("report / check at 1,000", f["report 1000"].cpu / f["check 1000"].cpu,
            f"{f['report 1000'].cpu:.2f} s / {f['check 1000'].cpu:.2f} s")
    for n, limit in ((1000, 5), (10_000, 20)):
        if n in report_mb:
            add(f"report MB at {n:,} / {limit}", report_mb[n] / limit, f"{report_mb[n]:.2f} MB")
    if "crowd 1000" in f:
        add("crowd / no crowd at 1,000, time", f["crowd 1000"].cpu / f["check 1000"].cpu,
            f"{f['crowd 1000'].cpu:.2f} s / {f['check 1000'].cpu:.2f} s")
        add("crowd / no crowd at 1,000, peak memory", f["crowd 1000"].peak_mb / f["check 1000"].peak_mb,
            f"{f['crowd 1000'].peak_mb:.0f} MB / {f['check 1000'].peak_mb:.0f} MB")
    bare = f["bare import"].cpu
    add("CLI on policies/ / bare import, warm", f["cli warm"].cpu / bare, f"{f['cli warm'].cpu:.3f} s / {bare:.3f} s")
    add("CLI on policies/ / bare import, cold", f["cli cold"].cpu / bare, f"{f['cli cold'].cpu:.3f} s / {bare:.3f} s")
    return out


def information(f: Mapping[str, Figures]) -> list[tuple[str, float, str]]:
    """Ratios printed with their values and no target: a warm check of policies/ after one file was edited
    (the results memo misses, the other caches are warm)."""
    if "cli edited" not in f:
        return []
    bare = f["bare import"].cpu
    return [("CLI on policies/ / bare import, warm, one file edited", paired(f["cli edited"], f["bare import"]),
             f"median of {len(f['cli edited'].runs)} paired runs; fastest runs {f['cli edited'].cpu:.3f} s / "
             f"{bare:.3f} s = {f['cli edited'].cpu / bare:.2f}")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,1000,10000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    compile_bytecode()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="interlock-bench-") as tmp:
        figures = measure([int(s) for s in args.sizes.split(",")], args.repeat, Path(tmp))
    load_after = os.getloadavg()
    results = verdicts(figures)
    missed = [name for name, value, target, _how in results if value > target]
    if args.json:
        print(json.dumps({
            "load": {"before": load_before, "after": load_after, "cpus": os.cpu_count()},
            "commands": {name: {"cpu_s": round(x.cpu, 3), "median_cpu_s": round(x.median_cpu, 3),
                                "wall_s": round(x.wall, 3), "peak_mb": round(x.peak_mb, 1), "runs": len(x.runs)}
                         for name, x in figures.items()},
            "ratios": {name: {"value": round(value, 3), "target": target, "figures": how}
                       for name, value, target, how in results},
            "information": {name: {"value": round(value, 3), "figures": how}
                            for name, value, how in information(figures)}}, indent=2))
    else:
        print(f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after, {os.cpu_count()} CPUs; "
              "CPU seconds of each child, fastest and median of its interleaved runs\n")
        print(f"{'command':<20} {'cpu s':>8} {'median':>8} {'wall s':>8} {'peak MB':>8} {'runs':>5}")
        for name, x in figures.items():
            print(f"{name:<20} {x.cpu:>8.3f} {x.median_cpu:>8.3f} {x.wall:>8.3f} {x.peak_mb:>8.1f} {len(x.runs):>5}")
        print()
        for name, value, target, how in results:
            print(f"{name:<40} {value:>6.2f}  target <= {target:<4} {'ok' if value <= target else 'MISSED':<6} ({how})")
        for name, value, how in information(figures):
            print(f"{name:<40} {value:>6.2f}  (for information: {how})")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
