"""Interlock's build backend: setuptools', plus the patched rules engine compiled from the vendored sdist.

pyproject.toml names this module (``build-backend``, with ``backend-path = [".durable"]``) and
its commands (``[tool.setuptools] cmdclass``). Every PEP 517 hook is setuptools' own. The
commands make the rules engine part of Interlock's own build, so ``pip install <checkout>``, a
wheel or an sdist built from the checkout, and the editable install of ``make setup`` all get
the patched engine, with no download:

* ``build_py`` first writes the patched durable-rules source tree (``durable_patches.prepare``:
  the vendored sdist, extracted and patched) into ``build/durable``; its ``libpy/durable`` is the
  package ``durable`` (see ``package-dir`` in pyproject.toml);
* ``build_ext`` compiles the extension ``durable_rules_engine`` from that tree with the flags
  of ``durable_patches.COMPILE_FLAGS``. Without a C compiler or the Python headers it stops the
  build with one line saying what is missing (pip then exits non-zero).

In an editable install setuptools copies the compiled extension into ``build/durable/libpy``
(the ``""`` entry of ``package-dir``) and points the install at it.
"""
from __future__ import annotations

import os
import sys
import sysconfig
import warnings
from pathlib import Path
from typing import Any

from setuptools.build_meta import *  # noqa: F401,F403 - the PEP 517 hooks are setuptools' own
from setuptools.build_meta import __all__  # noqa: F401
from setuptools.command.build_ext import build_ext as _build_ext
from setuptools.command.build_py import build_py as _build_py
from setuptools.command.egg_info import egg_info as _egg_info
from setuptools.errors import CCompilerError, CompileError, ExecError, LinkError, PlatformError

sys.path.insert(0, str(Path(__file__).resolve().parent))
import durable_patches  # noqa: E402 - beside this file

# pyproject.toml declares the extension in [tool.setuptools.ext-modules] (name, sources, depends:
# distutils' own Extension fields), a table setuptools still calls experimental; say it once here.
warnings.filterwarnings("ignore", message=r".*\[tool\.setuptools\.ext-modules\]")

EXTENSION = "durable_rules_engine"
HINT = ("it needs a C compiler (gcc or clang) and the headers of this Python; on Debian or Ubuntu: "
        "apt-get install gcc python3-dev (see README.md, Install)")


def _tree(command: Any) -> Path:
    """Where the patched source goes: the parent of ``libpy/durable`` in pyproject's ``package-dir``."""
    package_dir = command.distribution.package_dir or {}
    return Path(package_dir.get("durable", "build/durable/libpy/durable")).parent.parent


def _prepare(command: Any) -> Path:
    try:
        return durable_patches.prepare(_tree(command))
    except (durable_patches.BuildError, OSError) as exc:
        raise SystemExit(f"error: cannot prepare the rules engine's source (durable-rules "
                         f"{durable_patches.BUILD}): {exc}") from None


class EggInfo(_egg_info):
    """setuptools' egg_info, writing next to pyproject.toml as ever (its default is ``package-dir[""]``,
    the generated tree, which does not exist before a build)."""

    def finalize_options(self) -> None:
        if self.egg_base is None:
            self.egg_base = os.curdir
        super().finalize_options()


class BuildPy(_build_py):
    """setuptools' build_py, after writing the patched tree that holds the package ``durable``."""

    def finalize_options(self) -> None:
        _prepare(self)
        super().finalize_options()

    def run(self) -> None:
        _prepare(self)
        super().run()


class BuildExt(_build_ext):
    """setuptools' build_ext; the engine's extension is compiled from the patched tree."""

    def run(self) -> None:
        tree = _prepare(self)
        for ext in self.extensions:
            if ext.name == EXTENSION:
                ext.sources = [str(tree / source) for source in durable_patches.EXTENSION_SOURCES]
                ext.include_dirs = [str(tree / durable_patches.INCLUDE_DIR)]
                ext.depends = [*ext.depends, *(str(header) for header in sorted((tree / durable_patches.INCLUDE_DIR).glob("*.h")))]
        headers = Path(sysconfig.get_paths()["include"]) / "Python.h"
        if not headers.is_file():
            raise SystemExit(f"error: cannot build the rules engine ({durable_patches.BUILD}): {headers} "
                             f"is missing; {HINT}")
        # The released setup.py sets CFLAGS (replacing Python's own flags); the measured build does the same.
        saved = os.environ.get("CFLAGS")
        os.environ["CFLAGS"] = durable_patches.COMPILE_FLAGS
        try:
            super().run()
        except (CCompilerError, CompileError, LinkError, ExecError, PlatformError) as exc:
            raise SystemExit(f"error: cannot build the rules engine ({durable_patches.BUILD}): {exc}; "
                             f"{HINT}") from None
        finally:
            if saved is None:
                os.environ.pop("CFLAGS", None)
            else:
                os.environ["CFLAGS"] = saved
