"""Build a durable-rules 2.0.28 wheel that imports on every supported Python.

durable-rules ships only an sdist (last release 2020). Two patches, each a
change of one line (or one constant) in the released source:

1. Python 3.13: the C extension fails at import with ``undefined symbol:
   PyEval_CallObject`` because CPython 3.13 removed that deprecated alias.
   Upstream fixed it in PR #403 (merged 2025-07) but never released. The same
   fix (``PyEval_CallObject`` -> ``PyObject_CallObject``, identical semantics
   for a tuple of positional arguments) is applied here.
2. Speed: every index (facts, and partial matches left and right of each join)
   has a fixed 512 hash buckets, so chains grow with the facts stored and the
   cost turns quadratic past ~1e5 facts; the buckets are raised to 4,096.

Not patched: the per-fact property table (``MAX_OBJECT_PROPERTIES``, 255 slots,
~6.8 KB per stored fact). Cut to 63 slots it crashed ~30% of `interlock
test-rules` runs (memory corruption, address-layout dependent), so it stays
stock; the adapter refuses facts wider than the table instead.

The wheel gets the local version ``2.0.28+interlock.4`` (it still satisfies
``durable-rules==2.0.28``), so a wheel built before a patch changed is never
reused. It is built with the *running* interpreter, on every Python version
alike, so ``pip install --find-links DEST durable-rules`` then needs no
compiler and no network.

Usage: python .ci/build_durable_wheel.py DEST_DIR
Stdlib only: it runs before anything else is installed.
"""
from __future__ import annotations

import glob
import os
import subprocess
import sys
import tarfile
import tempfile

VERSION = "2.0.28"
LOCAL_VERSION = f"{VERSION}+interlock.4"
SDIST = f"durable_rules-{VERSION}.tar.gz"
OLD_CALL = "PyEval_CallObject("
NEW_CALL = "PyObject_CallObject("
PATCHED_FILE = os.path.join("src", "rulespy", "rules.c")
PROPERTIES_FILE = os.path.join("src", "rules", "state.h")
#: Hash buckets per index (stock: 512, so chains grow as facts / 512 and cost turns quadratic
#: past ~1e5 stored facts; 4,096 made a 3,000-department run's engine phase 2.2x faster for
#: ~13 MB more per session).
INDEX_BUCKETS = 4096
INDEXES = ("MAX_MESSAGE_INDEX_LENGTH", "MAX_LEFT_FRAME_INDEX_LENGTH", "MAX_RIGHT_FRAME_INDEX_LENGTH")
#: (file, old text, new text): every patch must apply at least once.
PATCHES = (
    (PATCHED_FILE, OLD_CALL, NEW_CALL),
    *((PROPERTIES_FILE, f"#define {name} 512", f"#define {name} {INDEX_BUCKETS}") for name in INDEXES),
    ("setup.py", f"version = '{VERSION}'", f"version = '{LOCAL_VERSION}'"),
)


def patch_source(text: str, old: str = OLD_CALL, new: str = NEW_CALL) -> tuple[str, int]:
    """Return the patched source and how many places were replaced."""
    return text.replace(old, new), text.count(old)


def _pip(*args: str) -> None:
    # pip's own output goes to stderr: stdout carries only the wheel's path (the Makefile reads it).
    subprocess.run([sys.executable, "-m", "pip", *args, "--disable-pip-version-check", "-q"], check=True, stdout=sys.stderr)


def existing_wheel(dest: str) -> str | None:
    tag = f"cp{sys.version_info.major}{sys.version_info.minor}"
    found = sorted(glob.glob(os.path.join(dest, f"durable_rules-{LOCAL_VERSION}-{tag}-*.whl")))
    return found[0] if found else None


def build(dest: str) -> str:
    """Download the sdist, patch it, build a wheel into ``dest``; return its path."""
    os.makedirs(dest, exist_ok=True)
    cached = existing_wheel(dest)
    if cached:
        return cached
    with tempfile.TemporaryDirectory() as work:
        _pip("download", "--no-deps", "--no-binary", ":all:", f"durable-rules=={VERSION}", "-d", work)
        with tarfile.open(os.path.join(work, SDIST)) as archive:
            archive.extractall(work, filter="data") if hasattr(tarfile, "data_filter") else archive.extractall(work)
        root = os.path.join(work, f"durable_rules-{VERSION}")
        for relative, old, new in PATCHES:
            path = os.path.join(root, relative)
            with open(path, encoding="utf-8") as f:
                patched, count = patch_source(f.read(), old, new)
            if count == 0:
                raise SystemExit(f"error: {relative} has no {old!r}; is this really durable-rules {VERSION}?")
            with open(path, "w", encoding="utf-8") as f:
                f.write(patched)
        _pip("wheel", "--no-deps", "--no-build-isolation" if _has_setuptools() else "--use-pep517", root, "-w", dest)
    wheel = existing_wheel(dest)
    if not wheel:
        raise SystemExit("error: the durable-rules wheel was not built")
    return wheel


def _has_setuptools() -> bool:
    try:
        import setuptools  # noqa: F401
    except ImportError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: build_durable_wheel.py DEST_DIR", file=sys.stderr)
        return 2
    print(build(args[0]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
