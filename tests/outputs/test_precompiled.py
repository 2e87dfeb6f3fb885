"""The built-in templates shipped precompiled (engine/outputs/precompiled/) are current, and used.

A stale module is never used (render.builtin_template compares its template's digest and Jinja's
version), so a stale one only costs time; this test keeps them current.
`INTERLOCK_REFRESH_GOLD=1 python -m pytest tests/outputs/test_precompiled.py` (or `make gold`) rewrites them.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from interlock.outputs import render

PRECOMPILED = Path(render.__file__).resolve().parent / "precompiled"


@pytest.mark.parametrize("name", sorted(render.PRECOMPILED))
def test_precompiled_template_is_current(name: str) -> None:
    path = PRECOMPILED / f"{render.PRECOMPILED[name]}.py"
    expected = render.precompiled_source(name)
    if os.environ.get("INTERLOCK_REFRESH_GOLD") == "1":
        path.write_text(expected, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == expected, (
        f"{path} is stale: run `make gold` (INTERLOCK_REFRESH_GOLD=1) to compile reports/{name} again")


@pytest.mark.parametrize("name", sorted(render.PRECOMPILED))
def test_the_precompiled_module_is_used(name: str) -> None:
    """tests/outputs/test_gold.py then checks what it renders, byte for byte."""
    assert render.builtin_template(name).filename.endswith(f"{render.PRECOMPILED[name]}.py")


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
