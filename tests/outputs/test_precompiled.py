"""The built-in templates shipped precompiled (engine/outputs/precompiled/) are current, and used.

A stale module is never used (render.builtin_template compares its template's digest and Jinja's
version), so a stale one only costs time; this test keeps them current.
`INTERLOCK_REFRESH_GOLD=1 python -m pytest tests/outputs/test_precompiled.py` (or `make gold`) rewrites them.
"""
from __future__ import annotations

import hashlib
import os
from importlib import import_module
from pathlib import Path
from types import ModuleType

import jinja2
import pytest

from interlock import resources
from interlock.outputs import render

PRECOMPILED = Path(render.__file__).resolve().parent / "precompiled"


def _module(name: str) -> ModuleType:
    return import_module(f"interlock.outputs.precompiled.{render.PRECOMPILED[name]}")


@pytest.mark.parametrize("name", sorted(render.PRECOMPILED))
def test_precompiled_template_is_current(name: str) -> None:
    """Compiled from today's template; byte for byte what this Jinja compiles when it is the Jinja that did.

    A newer Jinja than the one the module was compiled with (CI's run with the newest versions) only
    means the module is not used (next test); the template it was compiled from must be today's all the same.
    """
    path = PRECOMPILED / f"{render.PRECOMPILED[name]}.py"
    expected = render.precompiled_source(name)
    if os.environ.get("INTERLOCK_REFRESH_GOLD") == "1":
        path.write_text(expected, encoding="utf-8")
    template = (resources.reports_dir() / name).read_text(encoding="utf-8")
    stale = f"{path} is stale: run `make gold` (INTERLOCK_REFRESH_GOLD=1) to compile reports/{name} again"
    assert _module(name).SOURCE_SHA256 == hashlib.sha256(template.encode("utf-8")).hexdigest(), stale
    if _module(name).JINJA_VERSION == jinja2.__version__:
        assert path.read_text(encoding="utf-8") == expected, stale


@pytest.mark.parametrize("name", sorted(render.PRECOMPILED))
def test_the_precompiled_module_is_used_only_with_the_jinja_that_compiled_it(name: str) -> None:
    """tests/outputs/test_gold.py then checks what it renders, byte for byte, either way."""
    render.builtin_template.cache_clear()
    filename = render.builtin_template(name).filename or ""
    assert filename.endswith(f"{render.PRECOMPILED[name]}.py") == (_module(name).JINJA_VERSION == jinja2.__version__)


@pytest.mark.parametrize("name", sorted(render.PRECOMPILED))
def test_a_module_compiled_by_another_jinja_is_ignored(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    render.builtin_template.cache_clear()
    monkeypatch.setattr(_module(name), "JINJA_VERSION", "0.0-not-this-one")
    try:
        assert not (render.builtin_template(name).filename or "").endswith(".py")
    finally:
        render.builtin_template.cache_clear()


def test_a_stale_module_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    from interlock.outputs.precompiled import text_txt

    render.builtin_template.cache_clear()
    monkeypatch.setattr(text_txt, "SOURCE_SHA256", "0" * 64)
    try:
        template = render.builtin_template("text.txt.j2")
        assert not (template.filename or "").endswith(".py")  # compiled from reports/text.txt.j2
        assert "No findings in 2 files." in template.render(
            findings=[], groups=[], summary=render.summarize([]), causes=0, waived=0, files=2, color=False,
            quiet=False, width=80, statistics=None, explain="", report_command="")
    finally:
        render.builtin_template.cache_clear()
