"""Command line: click parses, the pipeline lints, render formats. Nothing else lives here."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from interlock import __version__
from interlock.config import Config
from interlock.errors import InterlockError, UsageError
from interlock.findings import SEVERITY_ORDER, Finding
from interlock.rulebook import RuleBook


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="interlock")
def cli() -> None:
    """Interlock: lint incentive plans against lead objectives and each other."""


def fails(findings: tuple[Finding, ...] | list[Finding], fail_on: str) -> bool:
    """True when an unwaived finding is at or above the failure threshold."""
    if fail_on == "never":
        return False
    limit = SEVERITY_ORDER[fail_on]
    return any(f.waiver is None and SEVERITY_ORDER[f.severity] <= limit for f in findings)


def use_color(option: bool | None) -> bool:
    if option is not None:
        return option
    return "NO_COLOR" not in os.environ and sys.stdout.isatty()


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format.")
@click.option("--rules", "rule_packs", multiple=True, type=click.Path(path_type=Path, file_okay=False),
              help="An extra rule pack folder (repeatable).")
@click.option("--select", multiple=True, help="Only these rules (id, name or family; repeatable).")
@click.option("--ignore", multiple=True, help="Skip these rules (id, name or family; repeatable).")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info", "never"]), default="error",
              show_default=True, help="Lowest severity that makes the exit status 1.")
@click.option("--color/--no-color", default=None, help="Colour the terminal output (default: on a TTY, unless NO_COLOR).")
def check(paths: tuple[Path, ...], fmt: str, rule_packs: tuple[Path, ...], select: tuple[str, ...],
          ignore: tuple[str, ...], fail_on: str, color: bool | None) -> int:
    """Lint the policy files in PATHS (default: policies/)."""
    from interlock.lint import lint
    from interlock.render import RENDERERS

    targets = list(paths) or [Path("policies")]
    for target in targets:
        if not target.exists():
            raise UsageError(f"{target}: no such file or directory")
    config = Config(select=select, ignore=ignore, rule_packs=rule_packs, fail_on=fail_on)
    result = lint(targets, config)
    click.echo(RENDERERS[fmt](list(result.findings), len(result.files), color=use_color(color)), nl=False)
    return 1 if fails(result.findings, config.fail_on) else 0


def _book(rule_packs: tuple[Path, ...]) -> RuleBook:
    from interlock.rulebook import load_rulebook

    return load_rulebook(rule_packs)


@cli.command("rules")
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--rules", "rule_packs", multiple=True, type=click.Path(path_type=Path, file_okay=False),
              help="An extra rule pack folder (repeatable).")
def list_rules(fmt: str, rule_packs: tuple[Path, ...]) -> int:
    """List the check rules: id, name, family, severity and title."""
    from interlock.render import render_template

    book = _book(rule_packs)
    if fmt == "json":
        rows = [{"id": r.id, "name": r.name, "family": r.family, "severity": r.severity, "title": r.title,
                 "summary": r.summary, "file": r.file, "waivable": r.waivable,
                 "options": {n: o.default for n, o in sorted(r.options.items())}} for r in book.checks]
        click.echo(json.dumps({"rules": rows}, indent=2, ensure_ascii=False))
    else:
        click.echo(render_template("rules.txt.j2", rules=book.checks), nl=False)
    return 0


@cli.command()
@click.argument("rule")
@click.option("--rules", "rule_packs", multiple=True, type=click.Path(path_type=Path, file_okay=False),
              help="An extra rule pack folder (repeatable).")
def explain(rule: str, rule_packs: tuple[Path, ...]) -> int:
    """Explain RULE (id or name): why it matters, examples, how to fix it."""
    from interlock.render import render_template

    click.echo(render_template("explain.txt.j2", rule=_book(rule_packs).get(rule)), nl=False)
    return 0


@cli.command("test-rules")
@click.argument("folders", nargs=-1, type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--builtin/--no-builtin", default=None,
              help="Also test the built-in rules (default: only when no folder is given).")
def test_rules(folders: tuple[Path, ...], builtin: bool | None) -> int:
    """Run every rule's fail and pass examples (FOLDERS: rule packs; default: the built-in rules)."""
    from interlock.rulebook import load_rulebook
    from interlock.selftest import missing_examples, run_all

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


def main(argv: list[str] | None = None) -> int:
    """Console entry point: 0 clean, 1 findings at the failure threshold, 2 bad input or usage."""
    try:
        result = cli.main(args=argv, prog_name="interlock", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return 2
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 2
    except InterlockError as exc:
        for line in exc.lines():
            click.echo(f"interlock: {line}" if not line[:1].isalnum() or ":" not in line else line, err=True)
        return exc.exit_code
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
