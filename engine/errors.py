"""Failures the CLI turns into an exit status and one line per problem, never a traceback.

Expected failures (bad input, bad rules, bad usage) exit 2. An engine failure
is Interlock's own fault and exits 3 like any other internal error; an
interrupted run exits 130, as a shell reports a process stopped by Ctrl-C.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input file, at a place a person can open."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class InterlockError(Exception):
    """Base of every failure the CLI reports in its own words; exit 2 unless a subclass says otherwise."""

    exit_code = 2

    def lines(self) -> list[str]:
        return [str(self)]


class InputError(InterlockError):
    """One or more problems in policy, rule, knowledge or configuration files."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]


class UsageError(InterlockError):
    """A command-line argument that cannot work."""


class OutputError(InterlockError, OSError):
    """An output file that cannot be written (no permission, a file where a folder should be): exit 2.

    Also an OSError, so callers of the low-level writers may keep catching what the system raised.
    """


class EngineError(InterlockError):
    """The rules engine failed; durable-rules would otherwise hide it. A bug, not the user's input: exit 3."""

    exit_code = 3


class Interrupted(InterlockError):
    """The user pressed Ctrl-C (SIGINT); exit 130 like any interrupted command."""

    exit_code = 130

    def __init__(self) -> None:
        super().__init__("interrupted")
