"""Expected failures: bad input, bad rules, bad usage. They exit 2, never with a traceback."""
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
    """Base of every expected failure; the CLI prints it and exits 2."""

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


class EngineError(InterlockError):
    """The rules engine failed; durable-rules would otherwise hide it."""
