"""Failures the CLI turns into an exit status and one line per problem, never a traceback.

Expected failures (bad input, bad rules, bad usage) exit 2. An engine failure
is Interlock's own fault and exits 3 like any other internal error; an
interrupted run exits 130, as a shell reports a process stopped by Ctrl-C.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from interlock.places import cell_text


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, at a place a person can open.

    A problem in a workbook has a ``sheet``: ``line`` and ``column`` are then the cell's row and
    column, and it reads ``plans.xlsx:Measures!D7: message`` (see model.Location). Line 0 is about
    the whole file (``plans.xlsx: message``) or the whole sheet (``plans.xlsx:Measures: message``).
    """

    file: str
    line: int
    column: int
    message: str
    sheet: str = ""

    def __str__(self) -> str:
        if self.sheet:
            return f"{cell_text(self.file, self.sheet, self.line, self.column)}: {self.message}"
        if self.line <= 0:  # the whole file (a workbook refused before any cell is read)
            return f"{self.file}: {self.message}"
        return f"{self.file}:{self.line}:{self.column}: {self.message}"

    @classmethod
    def at(cls, where: Any, message: str) -> Problem:
        """A problem at a model.Location (a line of a file or a cell of a workbook)."""
        return cls(where.file, where.line, where.column, message, getattr(where, "sheet", ""))

    def _key(self) -> tuple[str, str, int, int, str]:
        return (self.file, self.sheet, self.line, self.column, self.message)

    def __lt__(self, other: Problem) -> bool:
        return self._key() < other._key()

    def __le__(self, other: Problem) -> bool:
        return self._key() <= other._key()

    def __gt__(self, other: Problem) -> bool:
        return self._key() > other._key()

    def __ge__(self, other: Problem) -> bool:
        return self._key() >= other._key()


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
