"""Interlock runs only on the engine build it is tested with, and builds that engine itself.

The rules engine (durable-rules 2.0.28, patched) is compiled by Interlock's own build from the
sdist vendored in .durable/; the extension carries ``INTERLOCK_BUILD``. Any other engine (missing,
the stock release, an older build) is refused in one line, exit 3, as an installation problem.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

import pytest

from interlock import __version__
from interlock.evaluation.enginebuild import EXPECTED_BUILD, EngineInstallError, check_build
from test_adapter import _build_script
from paths import ROOT_DIR

ROOT = ROOT_DIR


def test_the_loaded_engine_is_interlocks_build() -> None:
    import durable_rules_engine

    assert durable_rules_engine.INTERLOCK_BUILD == EXPECTED_BUILD
    check_build(durable_rules_engine)


def test_the_build_makes_the_engine_interlock_expects() -> None:
    """Bump both together when a patch changes: an engine built before is then refused."""
    assert _build_script().BUILD == EXPECTED_BUILD


def test_the_vendored_sdist_is_the_release() -> None:
    script = _build_script()
    script.verify_sdist()
    assert (ROOT / ".durable" / "LICENSE").read_text(encoding="utf-8").startswith("The MIT License")


def test_another_build_is_refused() -> None:
    class Stock:
        __file__ = "/site-packages/durable_rules_engine.so"

    with pytest.raises(EngineInstallError, match="carries no build mark, like the stock durable-rules"):
        check_build(Stock)  # type: ignore[arg-type]
    Stock.INTERLOCK_BUILD = "2.0.28+interlock.12"  # type: ignore[attr-defined]
    with pytest.raises(EngineInstallError, match=r"\(it is build 2\.0\.28\+interlock\.12\); uninstall durable-rules"):
        check_build(Stock)  # type: ignore[arg-type]


def test_pyproject_does_not_pull_the_stock_engine() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert not [d for d in project["dependencies"] if d.lower().replace("_", "-").startswith("durable")]
    assert ".durable/LICENSE" in project["license-files"]


def _with_engine(tmp_path: Path, source: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `interlock ARGS` in a child whose `durable_rules_engine` is a module made of ``source``."""
    fake = tmp_path / "fake-engine"
    fake.mkdir()
    (fake / "durable_rules_engine.py").write_text(source, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(fake), *sys.path]), "INTERLOCK_NO_CACHE": "1"}
    env.pop("INTERLOCK_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "interlock", *args], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=120)


@pytest.mark.parametrize("source, problem", [
    ("error = Exception\n", "(it carries no build mark, like the stock durable-rules from PyPI)"),
    ("INTERLOCK_BUILD = '2.0.28+interlock.12'\n", "(it is build 2.0.28+interlock.12)"),
    ("raise ImportError('durable_rules_engine.so: undefined symbol: PyEval_CallObject')\n",
     "cannot load the rules engine durable-rules (durable_rules_engine.so: undefined symbol: PyEval_CallObject)"),
])
def test_a_process_on_another_engine_exits_3_with_one_line(tmp_path: Path, source: str, problem: str) -> None:
    for args in (["check", str(ROOT / "policies")], ["test-rules"]):
        done = _with_engine(tmp_path, source, *args)
        assert (done.returncode, done.stdout) == (3, ""), (args, done.stderr)
        assert done.stderr.startswith(f"interlock {__version__}: installation problem: ")
        assert problem in done.stderr and "reinstall Interlock (`make setup` in its checkout" in done.stderr
        assert len(done.stderr.splitlines()) == 1 and "bug" not in done.stderr
        shutil.rmtree(tmp_path / "fake-engine")


def _project_copy(tmp_path: Path) -> Path:
    """What the build reads: the checkout without tests, docs, virtual environments or earlier builds."""
    copy = tmp_path / "project"
    skip = shutil.ignore_patterns(".git", ".venv*", ".cache", "build", "dist", "tests", "docs", "policies",
                                  "__pycache__", "*.egg-info", ".pytest_cache", ".hypothesis")
    shutil.copytree(ROOT, copy, ignore=skip)
    return copy


def test_the_sdist_holds_everything_the_build_needs(tmp_path: Path) -> None:
    """Interlock's sdist carries the vendored engine, its licence and the build code, not build output."""
    pytest.importorskip("setuptools")
    project = _project_copy(tmp_path)
    code = "import sys; sys.path.insert(0, '.durable'); import interlock_backend as b; print(b.build_sdist(sys.argv[1]))"
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "dist")], cwd=project, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    name = done.stdout.strip().splitlines()[-1]
    with tarfile.open(tmp_path / "dist" / name) as archive:
        files = {member.name.split("/", 1)[1] for member in archive.getmembers() if member.isfile()}
    assert {".durable/durable_rules-2.0.28.tar.gz", ".durable/LICENSE", ".durable/README.md",
            ".durable/durable_patches.py", ".durable/interlock_backend.py", "pyproject.toml", "README.md",
            "engine/evaluation/enginebuild.py", "engine/evaluation/adapter.py", "rules/catalog/V03.yaml", "reports/report.html.j2"} <= files
    assert not [f for f in files if f.startswith("build/") or f.endswith((".so", ".o"))]


@pytest.mark.slow
def test_a_failing_c_build_stops_the_install_with_one_clear_line(tmp_path: Path) -> None:
    """No compiler: pip fails (non-zero) and says what is missing; no engine is installed from elsewhere."""
    pytest.importorskip("setuptools")
    project = _project_copy(tmp_path)
    env = {**os.environ, "CC": "false-cc-that-does-not-exist"}
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                           "-w", str(tmp_path / "wheels"), "."], cwd=project, capture_output=True, text=True,
                          env=env, timeout=600)
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert "error: cannot build the rules engine (2.0.28+interlock.18)" in output, output
    assert "it needs a C compiler (gcc or clang) and the headers of this Python" in output
    assert not list((tmp_path / "wheels").glob("*.whl")) if (tmp_path / "wheels").exists() else True
