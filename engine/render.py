"""Render findings: human formats through Jinja templates in reports/, machine formats as data.

One Environment for every built-in template (autoescape on for HTML only,
StrictUndefined so a typo fails loudly instead of printing nothing).
"""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, TypedDict

import yaml
from jinja2 import Environment, FunctionLoader, StrictUndefined, select_autoescape

from interlock import __version__, resources
from interlock.findings import Finding

FORMATS = ("text", "json")


class Summary(TypedDict):
    error: int
    warning: int
    info: int


class TextContext(TypedDict):
    """What reports/text.txt.j2 sees."""

    findings: Sequence[Finding]
    summary: Summary
    files: int
    color: bool


def summarize(findings: Sequence[Finding]) -> Summary:
    counts: Summary = {"error": 0, "warning": 0, "info": 0}
    for finding in findings:
        if finding.waiver is None:
            counts[finding.severity] += 1  # type: ignore[literal-required]
    return counts


def _load(name: str) -> str:
    return (resources.reports_dir() / name).read_text(encoding="utf-8")


@cache
def environment() -> Environment:
    env = Environment(
        loader=FunctionLoader(_load),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["paint"] = paint
    env.filters["to_yaml"] = lambda data: yaml.safe_dump(data, sort_keys=False, allow_unicode=True).rstrip()
    return env


_COLORS = {"error": "31;1", "warning": "33", "info": "36", "dim": "2", "bold": "1"}


def paint(text: str, style: str, enabled: bool) -> str:
    """ANSI colour for terminals; a no-op when colour is off (NO_COLOR, pipes)."""
    return f"\033[{_COLORS[style]}m{text}\033[0m" if enabled else text


def render_text(findings: Sequence[Finding], files: int, *, color: bool = False) -> str:
    context: TextContext = {"findings": findings, "summary": summarize(findings), "files": files, "color": color}
    return environment().get_template("text.txt.j2").render(**context)


def render_json(findings: Sequence[Finding], files: int, *, color: bool = False) -> str:
    """The machine contract: fields may be added later, never renamed or removed."""
    document: dict[str, Any] = {
        "tool": {"name": "interlock", "version": __version__},
        "summary": summarize(findings),
        "findings": [f.to_json() for f in findings],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render_template(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)


RENDERERS: dict[str, Callable[..., str]] = {"text": render_text, "json": render_json}
