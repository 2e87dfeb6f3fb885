"""Determinism: byte-identical output across runs, PYTHONHASHSEED values, file orders and folder names.

The installed console script runs in fresh processes (hash randomisation is
per process) on copies of policies/ whose files were created in sorted,
reversed and shuffled order, in folders with different names. Creation order
alone does not change what the OS lists on every file system (ext4 lists a
folder in hash order), so those processes also list every folder in that
order: a sitecustomize on PYTHONPATH reorders os.scandir and os.listdir.
Every output format is written in the same run (`-o`), so a few processes
cover them all. The only normalisation is the folder's name, which outputs
rightly contain.
"""
from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from paths import ROOT_DIR
from test_end_to_end import _script

ROOT = ROOT_DIR
#: The check outputs, one per format; `text` also goes to standard output.
CHECK_OUTPUTS = ("text=out/check.txt", "json=out/check.json", "sarif=out/check.sarif", "junit=out/check.xml",
                 "github=out/check.github", "markdown=out/check.md", "html=out/check.html")
SIMULATE_OUTPUTS = tuple(spec.replace("check", "simulate") for spec in CHECK_OUTPUTS)
#: (PYTHONHASHSEED, file creation order, folder name): every seed, every order, every name at least once.
#: Names have one length so that nothing laid out by width can differ once the name is normalised.
RUNS = (("0", "sorted", "plans-a"), ("1", "reversed", "plans-b"), ("4242", "shuffled", "plans-c"),
        ("0", "shuffled", "plans-d"))


#: Loaded by the interpreter at start-up (PYTHONPATH): lists folders in INTERLOCK_TEST_ORDER.
SITECUSTOMIZE = """\
import os
import random

_ORDER = os.environ.get("INTERLOCK_TEST_ORDER", "sorted")
_scandir, _listdir = os.scandir, os.listdir


def _arrange(items, key):
    items = sorted(items, key=key)
    if _ORDER == "reversed":
        items.reverse()
    elif _ORDER == "shuffled":
        random.Random(len(items)).shuffle(items)
    return items


class _Listing(list):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def close(self):
        return None


def scandir(path="."):
    with _scandir(path) as listing:
        return _Listing(_arrange(listing, lambda entry: entry.name))


def listdir(path="."):
    return _arrange(_listdir(path), str)


os.scandir, os.listdir = scandir, listdir
"""


def _copy(tmp_path: Path, order: str, name: str) -> Path:
    """policies/ copied file by file in ``order`` into tmp_path/NAME/NAME (fresh folders, so a fresh directory order)."""
    files = sorted((ROOT / "policies").iterdir())
    if order == "reversed":
        files.reverse()
    elif order == "shuffled":
        random.Random(name).shuffle(files)
    workdir = tmp_path / name
    (workdir / name).mkdir(parents=True)
    for source in files:
        shutil.copyfile(source, workdir / name / source.name)
    return workdir


def _run(workdir: Path, seed: str, order: str, args: list[str]) -> dict[str, bytes]:
    """One process; its exit status, standard streams and every file it wrote, with the folder name normalised."""
    hooks = workdir / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    env = {**os.environ, "PYTHONHASHSEED": seed, "SOURCE_DATE_EPOCH": "1800000000", "INTERLOCK_TODAY": "2027-02-01",
           "INTERLOCK_TEST_ORDER": order, "PYTHONPATH": os.pathsep.join([str(hooks), os.environ.get("PYTHONPATH", "")])}
    env.pop("NO_COLOR", None)
    done = subprocess.run([_script(), *args], cwd=workdir, env=env, capture_output=True, timeout=300)
    name = workdir.name.encode()
    outputs = {"status": str(done.returncode).encode(), "stdout": done.stdout, "stderr": done.stderr}
    outputs.update({p.name: p.read_bytes() for p in sorted((workdir / "out").iterdir())})
    return {key: value.replace(name, b"plans-x") for key, value in outputs.items()}


@pytest.fixture(scope="module")
def check_runs(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, bytes]]:
    tmp_path = tmp_path_factory.mktemp("determinism-check")
    runs = []
    for seed, order, name in RUNS:
        workdir = _copy(tmp_path, order, name)
        args = ["check", name, "--format", "text", *(a for spec in CHECK_OUTPUTS for a in ("-o", spec))]
        runs.append(_run(workdir, seed, order, args))
    return runs


def test_the_listing_order_really_changes(tmp_path: Path) -> None:
    """Guard the guard: the hook is loaded and reorders what the OS lists."""
    listings = []
    for order in ("sorted", "reversed"):
        workdir = _copy(tmp_path, order, f"plans-{order}")
        (workdir / "out").mkdir()
        code = "import os, sys; sys.stdout.write(' '.join(e.name for e in os.scandir(sys.argv[1])))"
        hooks = workdir / "hooks"
        hooks.mkdir()
        (hooks / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
        env = {**os.environ, "INTERLOCK_TEST_ORDER": order, "PYTHONPATH": str(hooks)}
        done = subprocess.run([sys.executable, "-c", code, workdir.name], cwd=workdir, env=env, capture_output=True,
                              text=True, timeout=60, check=True)
        listings.append(done.stdout.split())
    assert listings[0] == sorted(listings[0]) and listings[1] == listings[0][::-1]


def test_check_runs_found_something_in_every_format(check_runs: list[dict[str, bytes]]) -> None:
    first = check_runs[0]
    assert first["status"] == b"1" and first["stderr"] == b""
    assert sorted(first) == sorted(["status", "stdout", "stderr", *(s.split("=")[1][4:] for s in CHECK_OUTPUTS)])
    assert all(len(first[s.split("=")[1][4:]]) > 1000 for s in CHECK_OUTPUTS), "an output is nearly empty"
    assert first["stdout"] == first["check.txt"]
    assert b"plans-x/" in first["check.json"]  # the folder name is in the output, so normalising it matters


@pytest.mark.parametrize("index", range(1, len(RUNS)))
def test_check_is_byte_identical_across_seeds_orders_and_folders(check_runs: list[dict[str, bytes]],
                                                                 index: int) -> None:
    first, other = check_runs[0], check_runs[index]
    assert sorted(other) == sorted(first)
    different = [key for key in first if first[key] != other[key]]
    assert different == [], f"run {RUNS[index]} differs from {RUNS[0]} in {different}"


def test_simulate_is_byte_identical_across_seeds_orders_and_folders(tmp_path: Path) -> None:
    results = []
    for seed, order, name in (RUNS[0], RUNS[2]):
        workdir = _copy(tmp_path, order, name)
        args = ["simulate", name, "--slip", "product-launch=+1q", "--attainment", "sales=80%",
                *(a for spec in SIMULATE_OUTPUTS for a in ("-o", spec))]
        results.append(_run(workdir, seed, order, args))
    first, other = results
    assert first["stderr"] == b"" and all(len(first[s.split("=")[1][4:]]) > 500 for s in SIMULATE_OUTPUTS)
    different = [key for key in first if first[key] != other.get(key)]
    assert different == [] and sorted(first) == sorted(other)
