"""Command line: click parses, the pipeline lints, render formats. Nothing else lives here.

Exit statuses (README, docs/workflow.md): 0 clean, 1 a finding at the failure
threshold, 2 bad input or usage, 3 an internal error (a bug: one line asking
for a report; the traceback with --debug) or an installation problem (the rules
engine missing or not Interlock's build: one line saying how to reinstall), 130 interrupted.

Modules are imported by the commands that need them, so that `interlock
--version`, `init` or `schema` do not load the rules engine, and `check` does
not load the report, SARIF, JUnit, what-if or baseline code it does not use. A `check` whose
inputs are byte-identical to an earlier run's loads none of the pipeline: it replays that run's
output from the results memo (engine/commands/memo.py).
"""
from __future__ import annotations

import datetime
import functools
import gc
import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from interlock import __version__
from interlock.evaluation.enginebuild import EngineInstallError
from interlock.errors import EngineError, InputError, InterlockError, Interrupted, UsageError

if TYPE_CHECKING:
    from interlock.read.config import Config
    from interlock.findings.findings import Finding
    from interlock.files import Outbox
    from interlock.evaluation.rulebook import RuleBook
    from interlock.commands.memo import Replay


#: Exit status of an internal error (a bug), distinct from bad input (2).
INTERNAL_ERROR = 3
#: The rules engine is missing or is not the build Interlock is tested with (engine/evaluation/enginebuild.py).
INSTALLATION_PROBLEM = 3
#: Exit status of a run stopped by Ctrl-C, as shells report SIGINT (128 + 2).
INTERRUPTED = 130


@dataclass
class Session:
    """What main() needs to know about the parsed command line when something goes wrong."""

    debug: bool = False


class _Interlock(click.Group):
    """click's group, but Ctrl-C becomes Interrupted before click turns it into a blank line and Abort."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise Interrupted() from None


def _set_debug(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.ensure_object(Session).debug = True


def _debug_option(hidden: bool) -> click.Option:
    """`--debug`, before or after the command: the hint says "rerun with --debug", and people append it."""
    return click.Option(["--debug"], is_flag=True, envvar="INTERLOCK_DEBUG", expose_value=False, callback=_set_debug,
                        hidden=hidden, help="On an internal error (exit 3), also print the full traceback.")


@click.group(cls=_Interlock, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="interlock")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Interlock: lint incentive plans against lead objectives and each other."""
    ctx.ensure_object(Session)


cli.params.append(_debug_option(hidden=False))


@cli.result_callback()
def _exit_status(status: int | None, **_options: object) -> int:
    """Commands return their exit status; make it the process's, under CliRunner too."""
    if status:
        raise click.exceptions.Exit(int(status))
    return 0


def fails(findings: tuple[Finding, ...] | list[Finding], fail_on: str) -> bool:
    """True when an unwaived finding is at or above the failure threshold."""
    from interlock.findings.findings import SEVERITY_ORDER

    if fail_on == "never":
        return False
    limit = SEVERITY_ORDER[fail_on]
    return any(f.waiver is None and SEVERITY_ORDER[f.severity] <= limit for f in findings)


def _selection_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Which rules run: extra packs, select and ignore (shared by check, report, simulate, config)."""
    for option in reversed([
        click.option("--rules", "rule_packs", multiple=True, type=click.Path(path_type=Path, file_okay=False),
                     help="An extra rule pack folder (repeatable)."),
        click.option("--select", multiple=True, help="Only these rules (id, name or family; repeatable)."),
        click.option("--ignore", multiple=True, help="Skip these rules (id, name or family; repeatable)."),
    ]):
        command = option(command)
    return command


def _cache_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """`--no-cache` (or INTERLOCK_NO_CACHE=1): neither read nor write the cache (README, docs/workflow.md)."""
    command = click.option("--follow-links", "follow_links", is_flag=True,
                           help="Read links in the checked folders that lead to files outside them.")(command)
    return click.option("--no-cache", "no_cache", is_flag=True,
                        help="Do not read or write the cache of the parsed rules, knowledge base and causal paths, "
                             "nor the results memo of `check` (an unchanged run replayed).")(command)


def _workflow_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The configuration file, waivers, baseline and the injected clock (shared by check and config)."""
    for option in reversed([
        click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
                     help="The configuration file (default: the nearest interlock.yml above the first path)."),
        click.option("--waivers", type=click.Path(path_type=Path, dir_okay=False),
                     help="The waiver file (default: the configuration's `waivers`)."),
        click.option("--baseline", type=click.Path(path_type=Path, dir_okay=False),
                     help="Fail only on findings not in this baseline (default: the configuration's `baseline`)."),
        # The clock is injected so that waiver expiry is testable; not for everyday use.
        click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), envvar="INTERLOCK_TODAY", hidden=True),
    ]):
        command = option(command)
    return command


def _today(option: datetime.datetime | None) -> datetime.date:
    return option.date() if option is not None else datetime.date.today()


def _triage(found: Sequence[Finding], config: Config, book: RuleBook, today: datetime.date,
            write_to: Path | None, outbox: Outbox | None = None) -> tuple[list[Finding], list[str]]:
    """Waivers mark findings (still shown), then a baseline hides the known ones.

    Returns the findings and the notes for standard error. A baseline to write
    is staged in ``outbox``, so it is written only if the whole run succeeds.
    """
    from interlock.findings.findings import Finding

    findings = list(found)
    notes: list[str] = []
    if config.waivers is not None:
        from interlock.findings.waivers import apply_waivers, load_waivers

        entries = load_waivers(config.waivers, config.waivers.as_posix(), book)
        non_waivable = {r.id for r in book.rules if not r.waivable}
        findings, waiver_notes = apply_waivers(findings, entries, today, non_waivable=non_waivable,
                                               evaluated=config.selected(book))
        findings = sorted([*findings, *waiver_notes], key=Finding.sort_key)
    if write_to is None and config.baseline is None:
        return findings, notes
    from interlock.findings.baseline import (Baseline, apply_baseline, entries_for, load_baseline, vanished_findings,
                                    write_baseline)

    if write_to is not None:
        count = write_baseline(findings, write_to, outbox)
        notes.append(f"interlock: wrote {count} finding{'s' if count != 1 else ''} to baseline {write_to.as_posix()}")
        baseline = Baseline(write_to.as_posix(), tuple(entries_for(findings)))  # what was just staged
    else:
        assert config.baseline is not None
        baseline = load_baseline(config.baseline, config.baseline.as_posix())
    new, known, vanished = apply_baseline(findings, baseline)
    if known:
        notes.append(f"interlock: {len(known)} finding{'s' if len(known) != 1 else ''} in baseline "
                     f"{baseline.file} not shown")
    return sorted([*new, *vanished_findings(vanished)], key=Finding.sort_key), notes


def _refuse_inputs(outputs: Iterable[Path], inputs: Iterable[str | Path | None]) -> None:
    """An output that names a file the run reads (a plan, the configuration, the waivers) is a usage error."""
    read = {Path(p).resolve() for p in inputs if p is not None}
    for output in outputs:
        if output.resolve() in read:
            raise UsageError(f"{output.as_posix()}: this run reads that file (a policy, configuration or waiver "
                             "file); refusing to overwrite it")


def _targets(paths: tuple[Path, ...]) -> list[Path]:
    """The paths to lint; a missing one is a usage error. Default: the organization of the nearest
    interlock.yml, else the current folder when it holds an organization file, else policies/."""
    from interlock.read.config import default_target

    targets = list(paths) or [default_target(Path.cwd())]
    for target in targets:
        if not target.exists():
            raise UsageError(f"{target}: no such file or directory")
    return targets


def use_color(option: bool | None) -> bool:
    if option is not None:
        return option
    return "NO_COLOR" not in os.environ and sys.stdout.isatty()


def _output_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Where results go besides standard output (shared by check and report; see docs/reports.md)."""
    for option in reversed([
        click.option("--output", "-o", "outputs", multiple=True, metavar="[FORMAT=]FILE",
                     help="Also write FILE, in the format its extension names (.json .sarif .xml .md .html .txt "
                          ".xlsx) or in FORMAT (sarif=results.json). Repeatable."),
        click.option("--template", type=click.Path(path_type=Path, dir_okay=False),
                     help="Render your own Jinja template (sandboxed) instead of a built-in format."),
        click.option("--quiet", "-q", is_flag=True,
                     help="Show only findings that fail the run (text and github); print nothing when clean."),
    ]):
        command = option(command)
    return command


def terminal_width() -> int:
    """The terminal's columns for the text view; 80 when standard output is not a terminal (issue 21)."""
    from interlock.outputs.terminal import DEFAULT_WIDTH

    if not sys.stdout.isatty():
        return DEFAULT_WIDTH
    import shutil

    return shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns


def _render_options(config: Config, color: bool | None, quiet: bool, template: Path | None,
                    today: datetime.datetime | None, previous: Any = None, statistics: bool = False,
                    targets: Sequence[Path] = ()) -> Any:
    from interlock.outputs.render import RenderOptions

    return RenderOptions(color=use_color(color), fail_on=config.fail_on, quiet=quiet, previous=previous,
                         generated=today.date() if today is not None else None, template=template,
                         width=terminal_width(), statistics=statistics,
                         targets=tuple(t.as_posix() for t in targets))


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "json", "sarif", "junit", "github", "markdown",
                                                          "html"]),
              default="text", show_default=True, help="Format of the standard output.")
@_output_options
@_selection_options
@click.option("--fail-on", type=click.Choice(["error", "warning", "info", "never"]), default=None,
              help="Lowest severity that makes the exit status 1 (default: the configuration's, else error).")
@click.option("--color/--no-color", default=None,
              help="Colour the terminal output; --color also when piped (default: on a TTY, unless NO_COLOR).")
@click.option("--statistics", is_flag=True, help="End the text output with the number of findings per rule.")
@_workflow_options
@click.option("--write-baseline", type=click.Path(path_type=Path, dir_okay=False),
              help="Record the current findings in FILE as the baseline, then compare against it.")
@_cache_option
def check(paths: tuple[Path, ...], fmt: str, rule_packs: tuple[Path, ...], select: tuple[str, ...],
          ignore: tuple[str, ...], fail_on: str | None, color: bool | None, config_file: Path | None,
          waivers: Path | None, baseline: Path | None, today: datetime.datetime | None,
          write_baseline: Path | None, outputs: tuple[str, ...], template: Path | None, quiet: bool,
          no_cache: bool, statistics: bool, follow_links: bool) -> int:
    """Lint the policy files in PATHS (default: the folder of the nearest interlock.yml, else the current folder
    when it holds an organization file, else policies/)."""
    from interlock.read.config import resolve

    targets = _targets(paths)

    @functools.cache  # resolved once, for the memo's key and for the run (a failure is not cached: the run reports it)
    def configuration() -> Config:
        return resolve(targets, config_file=config_file, select=select, ignore=ignore, rule_packs=rule_packs,
                       fail_on=fail_on, waivers=waivers, baseline=baseline, cache=not no_cache,
                       follow_links=follow_links)

    memo = None
    if not (no_cache or outputs or template or write_baseline):  # a run that only prints (engine/commands/memo.py)
        from interlock.commands.memo import memo_for

        # Every option as click parsed it, so an option added later is in the key without a word here.
        memo = memo_for(targets, click.get_current_context().params, configuration)
        replay = memo.lookup() if memo is not None else None
        if replay is not None:
            return _replay(replay)
    from dataclasses import replace

    from interlock.lint import lint
    from interlock.files import Outbox
    from interlock.outputs.progress import progress
    from interlock.outputs.render import TEMPLATE, Output, parse_output, produce

    wanted = [Output(TEMPLATE if template else fmt), *(parse_output(spec) for spec in outputs)]
    try:
        config = configuration()
        with progress(f"interlock: checking {' '.join(t.as_posix() for t in targets)}"):
            # Derived facts (the causal paths behind the coverage table) are built only for a report.
            result = lint(targets, config, derived=any(o.fmt not in ("text", "json", "sarif", "junit", "github")
                                                       for o in wanted))
        files = [o.path for o in wanted if o.path is not None] + ([write_baseline] if write_baseline else [])
        _refuse_inputs(files, [*result.files, config.source, config.waivers])
        with Outbox() as outbox:
            findings, notes = _triage(result.findings, config, result.book, _today(today), write_baseline, outbox)
            options = _render_options(config, color, quiet, template, today, statistics=statistics, targets=targets)
            text = produce(replace(result, findings=tuple(findings)), wanted, options, outbox)
            outbox.commit()
    except InputError as exc:
        _report_input_errors(wanted, exc, [*targets, config_file, waivers, baseline])
        raise
    from interlock.commands.memo import Replay

    printed = Replay(text, tuple([*_read_notes(result), *notes]), bool(options.color),
                     1 if fails(findings, config.fail_on) else 0)
    if memo is not None and isinstance(text, str):
        memo.keep(printed)
    return _replay(printed)


def _replay(printed: Replay) -> int:
    """Print a run's notes on standard error, then its output (also what an identical earlier run printed)."""
    for note in printed.stderr:
        click.echo(note, err=True)
    # click.echo strips colour codes when standard output is not a terminal; --color means keep them.
    click.echo(printed.stdout, nl=False, color=True if printed.color else None)
    return printed.status


def _read_notes(result: Any) -> list[str]:
    """Read-time warnings (W005: a value YAML 1.1 and 1.2 read differently), for standard error."""
    from interlock.lint import note_lines

    return note_lines(getattr(result, "notes", ()))


def _report_input_errors(wanted: Sequence[Any], exc: InputError, inputs: Sequence[Path | None]) -> None:
    """Bad input stops the run (exit 2, the problems on standard error); CI formats get them too, at
    their places, and every `-o` file is written (issue 21, docs/workflow.md#exit-status).

    The run never got to list the files it reads, so every YAML file under the paths counts as one:
    an output naming any of them is refused as in a run that succeeds.
    """
    from interlock.outputs.problems import write_problems

    read: list[Path | None] = []
    for item in inputs:
        if item is not None and item.is_dir():  # links are not followed: a link loop must not stop the report
            read += [p for p in item.rglob("*") if p.suffix.lower() in (".yml", ".yaml") and not p.is_symlink()]
        else:
            read.append(item)
    _refuse_inputs([o.path for o in wanted if o.path is not None], read)
    click.echo(write_problems(wanted, exc.problems), nl=False)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--output", "-o", "outputs", multiple=True, metavar="[FORMAT=]FILE",
              help="Write the report to FILE (.html, .md, or FORMAT=FILE); repeatable. Default: standard output.")
@click.option("--format", "-f", "fmt", type=click.Choice(["html", "markdown", "text", "json", "sarif", "junit",
                                                          "github"]),
              default=None, help="Format for outputs whose name does not say (default: from the extension; "
                                 "markdown on standard output).")
@click.option("--previous", type=click.Path(path_type=Path),
              help="An earlier policies folder or JSON result: adds new, resolved and persisting conflicts.")
@click.option("--template", type=click.Path(path_type=Path, dir_okay=False),
              help="Render your own Jinja template (sandboxed) instead of the built-in report.")
@_selection_options
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
              help="The configuration file (default: the nearest interlock.yml above the first path).")
@click.option("--waivers", type=click.Path(path_type=Path, dir_okay=False),
              help="The waiver file (default: the configuration's `waivers`).")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), envvar="INTERLOCK_TODAY", hidden=True)
@_cache_option
def report(paths: tuple[Path, ...], outputs: tuple[str, ...], fmt: str | None, previous: Path | None,
           template: Path | None, rule_packs: tuple[Path, ...], select: tuple[str, ...], ignore: tuple[str, ...],
           config_file: Path | None, waivers: Path | None, today: datetime.datetime | None, no_cache: bool,
           follow_links: bool) -> int:
    """Write the conflict report for leadership on the policy files in PATHS (default: policies/).

    Waivers apply (waived conflicts are listed with their justification); a
    baseline does not: the report shows every conflict. Exits 0 when written.
    """
    from dataclasses import replace

    from interlock.read.config import resolve
    from interlock.lint import lint
    from interlock.outputs.progress import progress
    from interlock.outputs.render import TEMPLATE, Output, parse_output, produce

    targets = _targets(paths)
    config = replace(resolve(targets, config_file=config_file, select=select, ignore=ignore, rule_packs=rule_packs,
                             waivers=waivers, cache=not no_cache, follow_links=follow_links), baseline=None)
    default = TEMPLATE if template else fmt
    wanted = [parse_output(spec, default) for spec in outputs] or [Output(default or "markdown")]
    with progress(f"interlock: reading {' '.join(t.as_posix() for t in targets)} for the report"):
        result = lint(targets, config)
    _refuse_inputs([o.path for o in wanted if o.path is not None], [*result.files, config.source, config.waivers])
    findings, notes = _triage(result.findings, config, result.book, _today(today), None)
    comparison = None
    if previous is not None:
        from interlock.findings.yoy import compare, load_previous

        before = load_previous(previous, lambda folder: lint([folder], config).findings)
        comparison = compare(findings, before, previous.as_posix())
    options = _render_options(config, None, False, template, today, comparison)
    text = produce(replace(result, findings=tuple(findings)), wanted, options)
    for note in [*_read_notes(result), *notes]:
        click.echo(note, err=True)
    click.echo(text, nl=False)
    for output in wanted:
        if output.path is not None:
            click.echo(f"interlock: wrote {output.fmt} report to {output.path.as_posix()}", err=True)
    return 0


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--slip", "slips", multiple=True, metavar="MILESTONE=SHIFT",
              help="Move a milestone's forecast: +1q, -3q, +2m, +3w, +10d, +1y or a date YYYY-MM-DD (repeatable).")
@click.option("--set", "sets", multiple=True, metavar="PATH=VALUE",
              help="Change a number: DEPT.METRIC (its target), TARGET_ID, DEPT.PLAN.FIELD, DEPT.PLAN.METRIC.FIELD "
                   "or organization.FIELD (repeatable).")
@click.option("--assume", "assumes", multiple=True, metavar="DEPT.NAME=VALUE",
              help="Change or add a department's assumption: a number, a percentage or a date (repeatable).")
@click.option("--attainment", "attainments", multiple=True, metavar="DEPT=PERCENT",
              help="Price the plans of a department (or one plan) at this attainment, e.g. sales=80% (repeatable).")
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "json", "markdown", "html", "sarif", "junit",
                                                          "github"]),
              default="text", show_default=True, help="Format of the standard output.")
@click.option("--output", "-o", "outputs", multiple=True, metavar="[FORMAT=]FILE",
              help="Also write FILE, in the format its extension names or in FORMAT (repeatable).")
@_selection_options
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
              help="The configuration file (default: the nearest interlock.yml above the first path).")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info", "never"]), default=None,
              help="Exit 1 when the what-if adds (or changes into) a finding at or above this severity.")
@click.option("--color/--no-color", default=None, help="Colour the terminal output (default: on a TTY, unless NO_COLOR).")
@_cache_option
def simulate(paths: tuple[Path, ...], slips: tuple[str, ...], sets: tuple[str, ...], assumes: tuple[str, ...],
             attainments: tuple[str, ...], fmt: str, outputs: tuple[str, ...], rule_packs: tuple[Path, ...],
             select: tuple[str, ...], ignore: tuple[str, ...], config_file: Path | None, fail_on: str | None,
             color: bool | None, no_cache: bool, follow_links: bool) -> int:
    """What if a date moves or a number changes? Lint PATHS (default: policies/) before and after, show the ripple.

    Nothing is written to the policy files: the changes apply to the organization in memory. The output lists
    the findings the change adds, resolves and changes, and the numbers that move (docs/quantitative.md).
    """
    from interlock.model import knowledge_base as knowledge
    from interlock.read.config import resolve
    from interlock.files import Outbox
    from interlock.outputs.render import parse_output
    from interlock.evaluation.rulebook import load_rulebook
    from interlock.commands.simulate import WhatIf, fails as ripple_fails, render_simulation, simulate as run_simulation

    targets = _targets(paths)
    config = resolve(targets, config_file=config_file, select=select, ignore=ignore, rule_packs=rule_packs,
                     fail_on=fail_on, cache=not no_cache, follow_links=follow_links)
    wanted = [parse_output(spec) for spec in outputs]
    whatif = WhatIf(slips, sets, assumes, attainments)
    book = None
    if not whatif.empty:  # loaded here so that they obey --no-cache too (the knowledge base is kept per process)
        book = load_rulebook(config.rule_packs, cache=config.cache)
        knowledge.builtin(config.cache)
    sim = run_simulation(targets, config, whatif, book)
    _refuse_inputs([o.path for o in wanted if o.path is not None], [*sim.baseline.files, config.source])
    rendered = [(o, render_simulation(o.fmt, sim, fail_on=config.fail_on)) for o in wanted]
    text = render_simulation(fmt, sim, color=use_color(color), fail_on=config.fail_on)
    with Outbox() as outbox:
        for output, body in rendered:
            if output.path is not None:
                outbox.stage(output.path, body)
        outbox.commit()
    click.echo(text, nl=False)
    return 1 if ripple_fails(sim, config.fail_on) else 0


def _book(rule_packs: tuple[Path, ...]) -> RuleBook:
    from interlock.evaluation.rulebook import load_rulebook

    return load_rulebook(rule_packs)


@cli.command("rules")
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text",
              show_default=True, help="markdown: the full catalog with rationale and examples (docs/rules.md).")
@click.option("--rules", "rule_packs", multiple=True, type=click.Path(path_type=Path, file_okay=False),
              help="An extra rule pack folder (repeatable).")
def list_rules(fmt: str, rule_packs: tuple[Path, ...]) -> int:
    """List the check rules: id, name, family, severity and title."""
    from interlock.outputs.render import render_template

    book = _book(rule_packs)
    if fmt == "json":
        rows = [{"id": r.id, "name": r.name, "family": r.family, "severity": r.severity, "title": r.title,
                 "summary": r.summary, "file": r.file, "waivable": r.waivable,
                 "options": {n: o.default for n, o in sorted(r.options.items())}} for r in book.checks]
        click.echo(json.dumps({"rules": rows}, indent=2, ensure_ascii=False))
    elif fmt == "markdown":
        click.echo(render_template("rules.md.j2", rules=book.checks), nl=False)
    else:
        click.echo(render_template("rules.txt.j2", rules=book.checks), nl=False)
    return 0


@cli.command()
@click.argument("rule")
@click.option("--rules", "rule_packs", multiple=True, type=click.Path(path_type=Path, file_okay=False),
              help="An extra rule pack folder (repeatable).")
def explain(rule: str, rule_packs: tuple[Path, ...]) -> int:
    """Explain RULE (id or name): why it matters, examples, how to fix it."""
    from interlock.outputs.render import render_template

    click.echo(render_template("explain.txt.j2", rule=_book(rule_packs).get(rule)), nl=False)
    return 0


@cli.command("metrics")
@click.argument("text", required=False)
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def metrics(text: str | None, fmt: str) -> int:
    """List the knowledge base's metrics, or search them for TEXT (id, alias, name, function, abbreviation)."""
    from interlock.commands.metrics import render_json, render_text, search
    from interlock.model import knowledge_base

    kb = knowledge_base.builtin()
    entries = search(kb, text)
    click.echo(render_json(entries) if fmt == "json" else render_text(entries, text, kb), nl=False)
    return 0


@cli.command("facts")
def facts_reference() -> int:
    """Print the fact kinds and fields rules can use (Markdown; docs/facts.md)."""
    from interlock.knowledge.factkinds import KINDS
    from interlock.outputs.render import render_template

    click.echo(render_template("facts.md.j2", kinds=KINDS), nl=False)
    return 0


@cli.command("test-rules")
@click.argument("folders", nargs=-1, type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--builtin/--no-builtin", default=None,
              help="Also test the built-in rules (default: only when no folder is given).")
def test_rules(folders: tuple[Path, ...], builtin: bool | None) -> int:
    """Run every rule's fail and pass examples (FOLDERS: rule packs; default: the built-in rules)."""
    from interlock.evaluation.rulebook import load_rulebook
    from interlock.commands.selftest import missing_examples, run_all

    with_builtin = not folders if builtin is None else builtin
    book = load_rulebook(folders, builtin=True)
    wanted = [r for r in book.checks if with_builtin or not r.file.startswith("rules/catalog/")]
    results = run_all(book, wanted)
    failed = [r for r in results if not r.ok]
    for result in failed:
        click.echo(f"FAIL {result.label}: {result.description}: {result.detail}")
    missing = [rid for rid in missing_examples(book) if rid in {r.id for r in wanted}]
    for rid in missing:
        click.echo(f"MISSING {rid}: needs at least one fail and one pass example")
    click.echo(f"{len(results) - len(failed)} passed, {len(failed)} failed ({len(wanted)} rules)")
    return 1 if failed or missing else 0


@cli.command("schema")
def schema() -> int:
    """Print the JSON Schema of policy files (for editors: see docs/policy-language.md)."""
    from interlock import resources

    click.echo(json.dumps(resources.schema("policy"), indent=2, sort_keys=True, ensure_ascii=False))
    return 0


@cli.command("config")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--show", is_flag=True, help="Print the resolved configuration as YAML, each key with where it came from.")
@click.option("--schema", "print_schema", is_flag=True, help="Print the configuration file's JSON Schema (for editors).")
@_selection_options
@click.option("--fail-on", type=click.Choice(["error", "warning", "info", "never"]), default=None,
              help="Lowest severity that makes the exit status 1.")
@_workflow_options
def config_command(paths: tuple[Path, ...], show: bool, print_schema: bool, rule_packs: tuple[Path, ...],
                   select: tuple[str, ...], ignore: tuple[str, ...], fail_on: str | None, config_file: Path | None,
                   waivers: Path | None, baseline: Path | None, today: datetime.datetime | None) -> int:
    """Check the configuration that applies to PATHS (default: policies/, else here); --show prints it."""
    from interlock import resources
    from interlock.findings.baseline import load_baseline
    from interlock.commands.config_view import show as show_config
    from interlock.read.config import resolve
    from interlock.evaluation.rulebook import load_rulebook
    from interlock.findings.waivers import load_waivers

    if print_schema:
        click.echo(json.dumps(resources.schema("config"), indent=2, ensure_ascii=False))
        return 0
    targets = list(paths) or [Path("policies") if Path("policies").is_dir() else Path(".")]
    config = resolve(targets, config_file=config_file, select=select, ignore=ignore, rule_packs=rule_packs,
                     fail_on=fail_on, waivers=waivers, baseline=baseline)
    book = load_rulebook(config.rule_packs)
    config.validate(book)
    if config.waivers is not None:
        load_waivers(config.waivers, config.waivers.as_posix(), book)
    if config.baseline is not None and config.baseline.exists():
        load_baseline(config.baseline, config.baseline.as_posix())
    if show:
        click.echo(show_config(config, book), nl=False)
    elif config.source:
        click.echo(f"{config.source}: valid ({len(config.selected(book))} of {len(book.checks)} rules selected)")
    else:
        click.echo("no configuration file found (interlock.yml); using the defaults")
    return 0


@cli.command()
@click.argument("directory", required=False, default=".", type=click.Path(path_type=Path, file_okay=False))
@click.option("--spreadsheet", is_flag=True, help="Write the example as a workbook, plans.xlsx (docs/spreadsheets.md).")
@click.option("--csv", "as_csv", is_flag=True, help="Write the example as CSV files, one per sheet of the workbook.")
def init(directory: Path, spreadsheet: bool, as_csv: bool) -> int:
    """Create a small example organization in DIRECTORY (default: the current folder) that passes
    `interlock check` and explains the format."""
    if spreadsheet or as_csv:
        from interlock.commands.workbook_commands import scaffold_workbook

        written = scaffold_workbook(directory, as_csv=as_csv)
    else:
        from interlock.commands.scaffold import scaffold

        written = scaffold(directory)
    for path in written:
        click.echo(f"created {path.as_posix()}")
    click.echo(f"next: interlock check {directory.as_posix()}")
    return 0


@cli.command("import")
@click.argument("workbook", type=click.Path(path_type=Path))
@click.option("--output", "-o", "folder", required=True, type=click.Path(path_type=Path),
              help="The folder for the policy YAML files (created if needed).")
@click.option("--force", is_flag=True, help="Replace policy files of an earlier import in the folder.")
def import_command(workbook: Path, folder: Path, force: bool) -> int:
    """Write the policy YAML a WORKBOOK (.xlsx, or a folder of CSV sheets) stands for (docs/spreadsheets.md)."""
    from interlock.commands.workbook_commands import import_workbook

    for path in import_workbook(workbook, folder, force):
        click.echo(f"wrote {path.as_posix()}")
    click.echo(f"next: interlock check {folder.as_posix()}")
    return 0


@cli.command("export")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--output", "-o", "output", required=True, type=click.Path(path_type=Path),
              help="plans.xlsx for a workbook, or a folder for CSV files (one per sheet).")
@click.option("--force", is_flag=True, help="Replace the workbook (or CSV files) if it exists.")
def export_command(paths: tuple[Path, ...], output: Path, force: bool) -> int:
    """Write the organization in PATHS (default: policies/) as a workbook a designer edits (docs/spreadsheets.md)."""
    from interlock.commands.workbook_commands import export_workbook

    for path in export_workbook(_targets(paths), output, force):
        click.echo(f"wrote {path.as_posix()}")
    return 0


for _command in cli.commands.values():
    _command.params.append(_debug_option(hidden=True))


def main(argv: list[str] | None = None) -> int:
    """Console entry point: 0 clean, 1 findings at the threshold, 2 bad input or usage, 3 a bug or an
    installation problem, 130 Ctrl-C.

    Without ``argv`` (the `interlock` command itself, or ``python -m interlock``) the process ends
    right after: what the run built is frozen out of the cyclic collector's sight (``gc.freeze``),
    since the collections at interpreter shutdown would otherwise scan all of it only for the
    process to free it anyway (~25 ms of a short `interlock check`, issue 9). Callers that pass
    ``argv`` (tests, embedding) keep a collector that sees everything.
    """
    status = _main(argv)
    if argv is None:
        _before_exit()
    return status


def _before_exit() -> None:
    """The process is about to end and free everything at once: keep the collector from scanning it first."""
    gc.freeze()


def _main(argv: list[str] | None) -> int:
    session = Session()
    try:
        result = cli.main(args=argv, prog_name="interlock", standalone_mode=False, obj=session)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return 2
    except (click.exceptions.Abort, KeyboardInterrupt, Interrupted):
        return _interrupted()
    except EngineError as exc:  # durable-rules failed: Interlock's fault, not the input's
        if isinstance(exc.__cause__, KeyboardInterrupt):  # Ctrl-C during a rule action, wrapped by the adapter
            return _interrupted()
        return _internal_error(exc, session.debug, f"the rules engine failed: {exc}")
    except InputError as exc:  # one `file:line:col: message` line per problem
        for line in exc.lines():
            click.echo(line, err=True)
        return exc.exit_code
    except InterlockError as exc:
        for line in exc.lines():
            click.echo(f"interlock: {line}", err=True)
        return exc.exit_code
    except Exception as exc:  # anything else is a bug in Interlock
        return _internal_error(exc, session.debug)
    return int(result or 0)


def _interrupted() -> int:
    """One line, exit 130; on a terminal, after ending the line the `^C` echo started."""
    if sys.stderr.isatty():
        click.echo(err=True)
    click.echo("interlock: interrupted", err=True)
    return INTERRUPTED


def _internal_error(exc: BaseException, debug: bool, what: str | None = None) -> int:
    """One line that says it is a bug, what failed and where to report it; the traceback only with --debug."""
    if debug:
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    if isinstance(exc, EngineInstallError) or (isinstance(exc, EngineError)
                                                and isinstance(exc.__cause__, ImportError)):
        # Not a bug but a broken installation (the engine missing, stock or another build): say how to fix it.
        click.echo(f"interlock {__version__}: installation problem: {exc}", err=True)
        return INSTALLATION_PROBLEM
    detail = " ".join((what or f"{type(exc).__name__}: {exc}").split())
    detail = detail if len(detail) <= 300 else detail[:299] + "…"
    hint = "" if debug else "; rerun with --debug for the traceback"
    click.echo(f"interlock {__version__}: internal error: {detail} (a bug in Interlock; please report it "
               f"{_report_to()} with the command and, if you can, the input){hint}", err=True)
    return INTERNAL_ERROR


def _report_to() -> str:
    """The issue tracker from the package metadata (Project-URL), else the maintainers."""
    try:
        from importlib.metadata import metadata

        for entry in metadata("interlock").get_all("Project-URL") or []:
            label, _, url = entry.partition(",")
            if label.strip().lower() in ("issues", "bug tracker", "bugs", "tracker"):
                return f"at {url.strip()}"
    except Exception:  # the metadata is a courtesy; never fail while reporting a failure
        pass
    return "to the Interlock maintainers"


if __name__ == "__main__":
    sys.exit(main())
