"""Build a durable-rules 2.0.28 wheel that imports on every supported Python.

durable-rules ships only an sdist (last release 2020). On Python 3.13+ its C
extension fails at import with ``undefined symbol: PyEval_CallObject`` because
CPython 3.13 removed that deprecated alias. Upstream fixed it in PR #403
(merged 2025-07) but never released. This script applies the same one-line fix
(``PyEval_CallObject`` -> ``PyObject_CallObject``, identical semantics for a
tuple of positional arguments) to the released sdist and builds a wheel with
the *running* interpreter, so ``pip install --find-links DEST durable-rules``
then needs no compiler and no network.

The patch is applied on every Python version: the replacement call exists on
all of them, so one build path serves 3.11, 3.12 and 3.13 alike.

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
SDIST = f"durable_rules-{VERSION}.tar.gz"
OLD_CALL = "PyEval_CallObject("
NEW_CALL = "PyObject_CallObject("
PATCHED_FILE = os.path.join("src", "rulespy", "rules.c")


def patch_source(text: str) -> tuple[str, int]:
    """Return the patched C source and how many call sites were replaced."""
    return text.replace(OLD_CALL, NEW_CALL), text.count(OLD_CALL)


def _pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", *args, "--disable-pip-version-check", "-q"], check=True)


def existing_wheel(dest: str) -> str | None:
    tag = f"cp{sys.version_info.major}{sys.version_info.minor}"
    found = sorted(glob.glob(os.path.join(dest, f"durable_rules-{VERSION}-{tag}-*.whl")))
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
        path = os.path.join(root, PATCHED_FILE)
        with open(path, encoding="utf-8") as f:
            patched, count = patch_source(f.read())
        if count == 0:
            raise SystemExit(f"error: {PATCHED_FILE} has no {OLD_CALL!r}; is this really durable-rules {VERSION}?")
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
