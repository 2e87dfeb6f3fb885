"""Speed and memory of `interlock check` by organization size: `make bench`.

Targets (2-core machine, CPython 3.11) are asserted here, not in unit tests,
because timings depend on the machine:

* a 100-department organization lints in under 2 s and 400 MB peak RSS;
* a 1,000-department organization lints in under 12 s and 800 MB peak RSS;
* the engine stores about one fact per plan item, plus the causal paths of
  the metric graph once (not per department).

The generated departments pay each metric the way the company wants and share
one win-rate assumption. Pairwise rules (Q02 assumption mismatch, X01/X02/X15
between two departments' plans) report one finding per pair, so an organization
where hundreds of departments disagree grows quadratically in findings: measured
333,729 findings, 65 s and 1.6 GB for 1,000 departments with three random
win-rate values. That case is a known limit (see docs/engine.md), not a target.

Usage: python tests/benchmark.py [--sizes 10,100,1000] [--json]
Each size runs in a fresh subprocess so peak memory is per size.
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

TARGETS = {100: (2.0, 400.0), 1000: (12.0, 800.0)}  # departments -> (seconds, MB)
# Metrics with a good direction of their own: each measure pays it the way the company wants, as a
# designer would. (Random directions make every department oppose every other: a quadratic number of
# findings that measures nothing but the size of the output; see the note in docs/engine.md.)
METRICS = ["bookings", "pipeline_value", "win_rate", "gross_margin_pct", "mql_to_sql_rate",
           "payment_on_time_pct", "supplier_otd", "schedule_adherence", "project_margin_pct", "csat", "fcr",
           "gross_retention", "training_hours", "dso", "on_time_delivery"]


def build(folder: Path, departments: int, seed: int = 1) -> None:
    """One organization file and one file per department, each with a three-measure plan."""
    rng = random.Random(seed)
    (folder / "organization.yml").write_text(yaml.safe_dump({
        "organization": {"name": "Bench", "currency": "EUR", "fiscal_year": 2027},
        "objectives": [{"id": o, "adopt": o} for o in ("customer-satisfaction", "project-profitability", "cash")],
    }), encoding="utf-8")
    for i in range(departments):
        metrics = rng.sample(METRICS, 3)
        doc = {
            "department": {"id": f"d{i}", "name": f"Department {i}"},
            "plans": [{"id": f"d{i}-plan", "measures": [
                {"metric": m, "weight": w}
                for m, w in zip(metrics, (0.5, 0.3, 0.2))]}],
            "assumptions": [{"name": "win_rate", "value": 0.25}],  # one company-wide view
        }
        (folder / f"d{i:05d}.yml").write_text(yaml.safe_dump(doc), encoding="utf-8")


def measure(departments: int) -> dict[str, float]:
    from interlock.config import Config
    from interlock.lint import lint

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        build(folder, departments)
        start = time.perf_counter()
        result = lint([folder], Config())
        elapsed = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"departments": departments, "seconds": round(elapsed, 3), "peak_mb": round(peak_mb, 1),
            "findings": len(result.findings), "derived_facts": len(result.derived)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(measure(args.one)))
        return 0
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        out = subprocess.run([sys.executable, __file__, "--one", str(size)], check=True, capture_output=True, text=True)
        rows.append(json.loads(out.stdout))
    failed = []
    for row in rows:
        seconds, mb = TARGETS.get(int(row["departments"]), (float("inf"), float("inf")))
        ok = row["seconds"] <= seconds and row["peak_mb"] <= mb
        row["target"] = f"<= {seconds} s, <= {mb} MB" if seconds != float("inf") else "-"
        row["ok"] = ok
        if not ok:
            failed.append(row)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(f"{'departments':>11} {'seconds':>8} {'peak MB':>8} {'findings':>9} {'derived':>8}  target")
        for row in rows:
            print(f"{row['departments']:>11} {row['seconds']:>8} {row['peak_mb']:>8} {row['findings']:>9} "
                  f"{row['derived_facts']:>8}  {row['target']} {'ok' if row['ok'] else 'MISSED'}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
