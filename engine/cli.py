"""Command line: click parses, the pipeline lints, render formats. Nothing else lives here."""
from __future__ import annotations

import sys

import click

from interlock import __version__
from interlock.errors import InterlockError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="interlock")
def cli() -> None:
    """Interlock: lint incentive plans against lead objectives and each other."""


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
