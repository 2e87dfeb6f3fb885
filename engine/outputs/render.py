"""Render findings: human formats through Jinja templates in reports/, machine formats as data.

One Environment for every built-in template (autoescape on for HTML only,
StrictUndefined so a typo fails loudly instead of printing nothing). User
templates (``--template FILE``) get their own sandboxed Environment with the
same filters and the same typed context (engine/outputs/report.py, docs/reports.md).

Every format is a function of the lint run and the render options alone, so
the same input renders byte-identical output; the only date in any output is
the report's "generated" date, which honours SOURCE_DATE_EPOCH.
"""
from __future__ import annotations

import datetime
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from interlock import __version__, resources
from interlock.errors import Problem, UsageError
from interlock.findings.run import LintRun, Summary, cause_key, failing, summarize
from interlock.files import Outbox
from interlock.outputs.terminal import DEFAULT_WIDTH, Cause, RuleCount, causes, fold, paragraph, statistics

# Jinja, YAML and the findings model are imported where they are used: the
# writers below serve `init` and baselines too, which need none of them.
if TYPE_CHECKING:
    from jinja2 import Environment

    from interlock.findings.findings import Finding
    from interlock.findings.yoy import Comparison

#: Every output format, in the order `--help` lists them.
FORMATS = ("text", "json", "sarif", "junit", "github", "markdown", "html")
#: Formats that are only ever files, never standard output: the findings workbook (binary).
FILE_FORMATS = ("xlsx",)
#: A file's extension picks its format when `-o FILE` names none (`-o sarif=out.json` does).
EXTENSIONS = {
    ".txt": "text", ".json": "json", ".sarif": "sarif", ".xml": "junit", ".md": "markdown",
    ".markdown": "markdown", ".html": "html", ".htm": "html", ".xlsx": "xlsx",
}
#: `-o template=FILE` renders the user's `--template` into FILE.
TEMPLATE = "template"


@dataclass(frozen=True)
class RenderOptions:
    """Everything besides the lint run that changes an output."""

    color: bool = False
    #: Findings at or above this severity (and not waived) fail the run: JUnit failures, --quiet.
    fail_on: str = "error"
    #: Terminal formats (text, github) show only failing findings, and text prints nothing when clean.
    quiet: bool = False
    previous: Comparison | None = None
    generated: datetime.date | None = None
    template: Path | None = None
    #: Columns of the terminal view (80 when standard output is not a terminal).
    width: int = 80
    #: The text view ends with the rule count per rule (`check --statistics`).
    statistics: bool = False
    #: The paths as given on the command line, for the summary's next steps ("interlock report PATHS").
    targets: tuple[str, ...] = ()


class TextContext(TypedDict):
    """What reports/text.txt.j2 sees."""

    findings: Sequence[Finding]
    groups: Sequence[tuple[str, Sequence[Cause]]]
    summary: Summary
    causes: int
    waived: int
    files: int
    color: bool
    quiet: bool
    width: int
    statistics: Sequence[RuleCount] | None
    #: The rule to `interlock explain` first: the most frequent among the most severe.
    explain: str
    #: `interlock report ...` for these paths.
    report_command: str


def _load(name: str) -> str:
    return (resources.reports_dir() / name).read_text(encoding="utf-8")


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<|~]|&(?=#?\w+;))")
_MD_BLOCK = re.compile(r"^([#>+\-=])")
_MD_ORDERED = re.compile(r"^(\d+)([.)])")


def md_escape(value: object) -> str:
    """Escape Markdown specials so data (a department named `<b>`, a `|` in a message) stays text.

    CommonMark lets a backslash escape any ASCII punctuation; we escape only
    what could start markup inline (emphasis, code, links, HTML tags and
    entities) or break a table cell, plus block markers at the start, so the
    source stays readable: `a -> b` and `R&D` are left alone.
    """
    text = " ".join(str(value).split())
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return _MD_ORDERED.sub(r"\1\\\2", _MD_BLOCK.sub(r"\\\1", text))


def percent(value: float, digits: int = 0) -> str:
    return f"{value * 100:.{digits}f}%"


def number(value: float) -> str:
    """SVG coordinates: at most one decimal, no trailing zeros, the same on every platform."""
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _to_yaml(data: Any) -> str:
    import yaml

    return str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True)).rstrip()


def _install(env: Environment) -> Environment:
    env.filters["paint"] = paint
    env.filters["to_yaml"] = _to_yaml
    env.filters["md"] = md_escape
    env.filters["percent"] = percent
    env.filters["plural"] = plural
    env.filters["n"] = number
    env.filters["fold"] = fold
    env.filters["paragraph"] = paragraph
    return env


@cache
def environment() -> Environment:
    from jinja2 import Environment, FunctionLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=FunctionLoader(_load),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return _install(env)


#: Built-in templates shipped also as Jinja's compiled Python (engine/outputs/precompiled/), so a run
#: skips Jinja's lexer, parser and code generator (~40 ms for text.txt.j2). Each module names the
#: digest of the template it was compiled from and the Jinja that compiled it; a module that does not
#: match both is ignored (the template is compiled as usual). tests/outputs/test_precompiled.py keeps
#: them current (INTERLOCK_REFRESH_GOLD=1 rewrites them).
PRECOMPILED = {"text.txt.j2": "text_txt"}


def precompiled_source(name: str) -> str:
    """The module engine/outputs/precompiled/ holds for the built-in template ``name``."""
    import hashlib

    import jinja2

    source = _load(name)
    code = environment().compile(source, name, name, raw=True, defer_init=True)
    digest = hashlib.sha256(source.encode("utf-8")).hexdigest()
    return (f"# Generated from reports/{name} by Jinja {jinja2.__version__} (render.precompiled_source): do not edit.\n"
            f"# flake8: noqa\n# type: ignore\n"
            f"SOURCE_SHA256 = {digest!r}\nJINJA_VERSION = {jinja2.__version__!r}\n{code}")


@cache
def builtin_template(name: str) -> Any:
    """The built-in template ``name``: from its precompiled module when that is current, else compiled."""
    env = environment()
    module_name = PRECOMPILED.get(name)
    if module_name is not None:
        import hashlib
        from importlib import import_module

        import jinja2

        try:
            module = import_module(f"interlock.outputs.precompiled.{module_name}")
            current = (module.SOURCE_SHA256 == hashlib.sha256(_load(name).encode("utf-8")).hexdigest()
                       and module.JINJA_VERSION == jinja2.__version__)
        except (ImportError, AttributeError, SyntaxError):
            current = False
        if current:
            return env.template_class.from_module_dict(env, vars(module), env.make_globals(None))
    return env.get_template(name)


def sandbox(template: Path) -> Environment:
    """A sandboxed Environment for a user's template: it can read the context, never call into Python."""
    from jinja2 import FileSystemLoader, StrictUndefined, select_autoescape
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(
        loader=FileSystemLoader(str(template.parent)),
        autoescape=select_autoescape(enabled_extensions=("html", "htm", "xml", "html.j2"), default_for_string=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return _install(env)


#: The terminal styles of the text view, as click.style's arguments (click writes the escape codes).
STYLES: dict[str, dict[str, Any]] = {
    "error": {"fg": "red", "bold": True}, "warning": {"fg": "yellow"}, "info": {"fg": "cyan"},
    "dim": {"dim": True}, "bold": {"bold": True}, "file": {"underline": True}, "waived": {"dim": True},
}


def paint(text: object, style: str, enabled: bool) -> str:
    """Colour for terminals (click.style); the text unchanged when colour is off (NO_COLOR, pipes), so
    ``click.unstyle`` of the coloured view is the plain view."""
    if not enabled:
        return str(text)
    import click

    return click.style(str(text), **STYLES[style])


def plural(count: int, word: str, suffix: str = "s") -> str:
    return f"{count} {word}{'' if count == 1 else suffix}"


def _by_file(findings: Sequence[Finding]) -> list[tuple[str, list[Cause]]]:
    """Findings grouped by cause under their primary file, files sorted; organization-wide findings last."""
    from interlock.findings.findings import Finding

    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(finding.primary.file if finding.primary else "", []).append(finding)
    ordered = sorted(((k, sorted(v, key=Finding.sort_key)) for k, v in groups.items()), key=lambda g: (g[0] == "", g[0]))
    return [(file, causes(members)) for file, members in ordered]


def _first_to_explain(findings: Sequence[Finding]) -> str:
    """The rule a reader should look up first: the most frequent among the most severe unwaived findings."""
    from interlock.findings.findings import SEVERITY_ORDER

    live = [f for f in findings if f.waiver is None] or list(findings)
    if not live:
        return ""
    worst = min(SEVERITY_ORDER[f.severity] for f in live)
    counts: dict[str, int] = {}
    for finding in live:
        if SEVERITY_ORDER[finding.severity] == worst:
            counts[finding.rule] = counts.get(finding.rule, 0) + 1
    return min(counts, key=lambda rule: (-counts[rule], rule))


def _shell_word(text: str) -> str:
    return text if re.fullmatch(r"[\w@%+=:,./-]+", text) else "'" + text.replace("'", "'\\''") + "'"


def render_text(findings: Sequence[Finding], files: int, *, color: bool = False, quiet: bool = False,
                fail_on: str = "error", width: int = DEFAULT_WIDTH, with_statistics: bool = False,
                targets: Sequence[str] = ()) -> str:
    """The terminal view: findings grouped by file and cause, folded to ``width``, then a summary with next steps."""
    shown = [f for f in findings if failing(f, fail_on)] if quiet else list(findings)
    groups = _by_file(shown)
    command = " ".join(["interlock report", *(_shell_word(t) for t in targets), "-o report.html"])
    context: TextContext = {
        "findings": shown, "groups": groups, "summary": summarize(shown),
        # Distinct causes: a milestone's findings in two files are one cause, printed under each file.
        "causes": len({cause_key(f) for f in shown}),
        "waived": sum(1 for f in shown if f.waiver is not None), "files": files, "color": color, "quiet": quiet,
        "width": width, "statistics": statistics(shown) if with_statistics else None,
        "explain": _first_to_explain(shown), "report_command": command,
    }
    return builtin_template("text.txt.j2").render(**context)


def json_document(findings: Sequence[Finding], comparison: Comparison | None = None,
                  notes: Sequence[Problem] = ()) -> dict[str, Any]:
    document: dict[str, Any] = {
        "tool": {"name": "interlock", "version": __version__},
        "summary": summarize(findings),
        "findings": [f.to_json() for f in findings],
    }
    if notes:  # read-time warnings (W005), only when there are some: README "JSON output"
        from interlock.outputs.notes import json_warnings

        document["warnings"] = json_warnings(notes)
    if comparison is not None:
        document["comparison"] = comparison.to_json()
    return document


def render_json(findings: Sequence[Finding], files: int, *, color: bool = False,
                comparison: Comparison | None = None, notes: Sequence[Problem] = ()) -> str:
    """The machine contract: fields may be added later, never renamed or removed."""
    return json.dumps(json_document(findings, comparison, notes), indent=2, ensure_ascii=False) + "\n"


def render_template(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)


# -- GitHub Actions workflow commands ----------------------------------------------------------

_GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def gh_data(text: str) -> str:
    # The escaping of @actions/core (toolkit packages/core/src/command.ts, escapeData).
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def gh_property(text: str) -> str:
    # escapeProperty: escapeData plus the property separators.
    return gh_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(findings: Sequence[Finding], *, quiet: bool = False, fail_on: str = "error",
                  notes: Sequence[Problem] = ()) -> str:
    """One `::error file=..,line=..,col=..,title=..::message` line per unwaived finding, then one
    `::warning` per read-time warning (W005; not with --quiet: a warning never fails the run)."""
    lines = []
    for finding in findings:
        if finding.waiver is not None or (quiet and not failing(finding, fail_on)):
            continue
        props = []
        message = finding.message
        if finding.primary is not None and finding.primary.sheet:  # a workbook has no lines: the cell goes in the text
            props.append(f"file={gh_property(finding.primary.file)}")
            message = f"{finding.primary}: {message}"
        elif finding.primary is not None:
            props += [f"file={gh_property(finding.primary.file)}", f"line={finding.primary.line}",
                      f"col={finding.primary.column}"]
        props.append(f"title={gh_property(f'{finding.rule} {finding.name}')}")
        message += "".join(f"\nalso at {loc}" for loc in finding.locations[1:])
        lines.append(f"::{_GITHUB_LEVEL[finding.severity]} {','.join(props)}::{gh_data(message)}\n")
    if notes and not quiet:
        from interlock.outputs.notes import FORMS_NAME, forms_code

        title = gh_property(f"{forms_code()} {FORMS_NAME}")
        lines += [f"::warning file={gh_property(n.file)},line={max(n.line, 1)},col={max(n.column, 1)},"
                  f"title={title}::{gh_data(n.message)}\n" for n in notes]
    return "".join(lines)


# -- one entry point for every format ----------------------------------------------------------


def generated_date() -> datetime.date:
    """Today, or SOURCE_DATE_EPOCH's day (reproducible-builds.org) so rebuilt reports are identical."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc).date()
    return datetime.date.today()


def render(fmt: str, run: LintRun, options: RenderOptions | None = None) -> str | bytes:
    """Render one lint run in one format (one of FORMATS, or "template" for `--template`); xlsx is bytes."""
    opts = options or RenderOptions()
    findings = list(run.findings)
    if fmt == "xlsx":
        from interlock.outputs.workbook_write import findings_workbook

        return findings_workbook(findings, fail_on=opts.fail_on)
    if fmt == "text":
        return render_text(findings, len(run.files), color=opts.color, quiet=opts.quiet, fail_on=opts.fail_on,
                           width=opts.width, with_statistics=opts.statistics, targets=opts.targets)
    if fmt == "json":
        return render_json(findings, len(run.files), comparison=opts.previous, notes=_read_warnings(run))
    if fmt == "github":
        return render_github(findings, quiet=opts.quiet, fail_on=opts.fail_on, notes=_read_warnings(run))
    if fmt == "sarif":
        from interlock.outputs.sarif import render_sarif

        return render_sarif(run)
    if fmt == "junit":
        from interlock.outputs.junit import render_junit

        return render_junit(run, opts.fail_on)
    if fmt in ("markdown", "html", TEMPLATE):
        from interlock.outputs.report import build_report

        context = build_report(run, previous=opts.previous, generated=opts.generated or generated_date())
        if fmt == TEMPLATE:
            if opts.template is None:
                raise UsageError("the template format needs --template FILE")
            return render_user_template(opts.template, context.as_dict())
        name = "report.md.j2" if fmt == "markdown" else "report.html.j2"
        return environment().get_template(name).render(**context.as_dict())
    raise UsageError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")


def _read_warnings(run: LintRun) -> tuple[Problem, ...]:
    from interlock.outputs.notes import read_warnings

    return read_warnings(run)


def render_user_template(template: Path, context: Mapping[str, Any]) -> str:
    """Render `--template FILE` in Jinja's sandbox; its errors are the user's, so they exit 2.

    Whatever the template's own code raises (``1 / 0``, a macro calling itself,
    a filter applied to the wrong type) is reported at the template's line,
    not as an internal error: the context is plain data, so the template did it.
    """
    from jinja2.exceptions import SecurityError, TemplateError

    if not template.is_file():
        raise UsageError(f"{template}: no such template file")
    try:
        return sandbox(template).get_template(template.name).render(**context)
    except SecurityError as exc:
        raise UsageError(f"{template}: not allowed in a template: {_one_line(str(exc))}") from exc
    except TemplateError as exc:
        line = getattr(exc, "lineno", None)
        where = f"{template}:{line}" if line else str(template)
        raise UsageError(f"{where}: {exc.__class__.__name__}: {_one_line(str(exc))}") from exc
    except UnicodeDecodeError:
        raise UsageError(f"{template}: the template is not UTF-8 text") from None
    except Exception as exc:  # noqa: BLE001 - raised by the template's own expressions
        line = _template_line(exc, template)
        where = f"{template}:{line}" if line else str(template)
        raise UsageError(f"{where}: {exc.__class__.__name__}: {_one_line(str(exc))}") from None


def _template_line(exc: BaseException, template: Path) -> int | None:
    """The template line an error came from: Jinja rewrites tracebacks so template frames carry it."""
    wanted = os.path.realpath(template)
    line = None
    trace = exc.__traceback__
    while trace is not None:
        if os.path.realpath(trace.tb_frame.f_code.co_filename) == wanted:
            line = trace.tb_lineno
        trace = trace.tb_next
    return line


def _one_line(text: str, limit: int = 300) -> str:
    """A message for one terminal line: whitespace collapsed, control characters escaped, length bounded."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in " ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- outputs: `-o [FORMAT=]FILE`, written atomically -------------------------------------------


@dataclass(frozen=True, order=True)
class Output:
    """One requested output: a format and a file (None is standard output)."""

    fmt: str
    path: Path | None = None


def parse_output(spec: str, default: str | None = None) -> Output:
    """`sarif=out.sarif` or `out.sarif` (format from the extension, else ``default``)."""
    prefix, sep, rest = spec.partition("=")
    if sep and prefix in (*FORMATS, *FILE_FORMATS, TEMPLATE):
        if not rest:
            raise UsageError(f"--output {spec}: no file name after {prefix}=")
        return Output(prefix, Path(rest))
    path = Path(spec)
    fmt = default or EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(f"{ext} ({name})" for ext, name in EXTENSIONS.items())
        raise UsageError(f"--output {spec}: cannot tell the format from the extension (known: {known}); "
                         f"write it as FORMAT=FILE, e.g. sarif={spec}")
    return Output(fmt, path)


def produce(run: LintRun, outputs: Sequence[Output], options: RenderOptions, outbox: Outbox | None = None) -> str:
    """Render every output, then write the files; return what goes to standard output.

    Everything is rendered before anything is written, so a failing template
    leaves no output half-done. With ``outbox`` the files are only staged: the
    caller commits them together with its other files (a baseline).
    """
    files = [o.path.resolve() for o in outputs if o.path is not None]
    if len(files) != len(set(files)):
        raise UsageError("--output: the same file is named twice")
    for output in outputs:
        if output.path is None and output.fmt in FILE_FORMATS:
            raise UsageError(f"the {output.fmt} format is a file: write it with -o findings.{output.fmt}")
    rendered = [(output, render(output.fmt, run, options)) for output in outputs]
    with Outbox() as own:
        box = outbox or own
        for output, text in rendered:
            if output.path is not None:
                box.stage(output.path, text)
        own.commit()
    return "".join(text for output, text in rendered if output.path is None and isinstance(text, str))


RENDERERS: dict[str, Callable[..., str]] = {"text": render_text, "json": render_json}
