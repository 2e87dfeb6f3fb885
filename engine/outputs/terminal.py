"""The terminal view's layout: findings grouped by cause, folded to the terminal's width.

reports/text.txt.j2 draws the view; this module only decides what goes together
(findings sharing a root cause, findings.run.cause_key) and where lines break, so
that every line fits the width (80 when standard output is not a terminal, issue 21):
the location first, the message folded under it, each step of a causal chain
(``a falls -> b rises``) on its own indented line.
"""
from __future__ import annotations

import textwrap
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from interlock.findings.run import cause_key

if TYPE_CHECKING:
    from interlock.findings.findings import Finding

#: The width when standard output is not a terminal (pipes, CI logs, files).
DEFAULT_WIDTH = 80
#: The narrowest layout we draw; below it lines still break, but indentation would leave no room.
MIN_WIDTH = 40
#: Fewer columns than this after the location, and the message starts on the next line.
MIN_ROOM = 20
#: How a causal chain's steps are joined in rule messages (rules/catalog, `path` filter).
ARROW = " -> "


@dataclass(frozen=True)
class Consequence:
    """One finding under its cause; ``message`` without the cause's words when the header says them."""

    finding: Finding
    message: str


@dataclass(frozen=True)
class Cause:
    """Findings sharing one root cause, in the order of their locations."""

    key: str
    #: What the findings' messages share before their first ": " (the cause in words), or "".
    head: str
    consequences: tuple[Consequence, ...]

    @property
    def first(self) -> Finding:
        return self.consequences[0].finding

    @property
    def tally(self) -> str:
        """"11 findings (5 errors, 6 warnings)": how many, and how severe the unwaived ones are."""
        found = Counter(c.finding.severity for c in self.consequences if c.finding.waiver is None)
        words = {"error": ("error", "errors"), "warning": ("warning", "warnings"), "info": ("info", "info")}
        parts = [f"{found[sev]} {words[sev][found[sev] != 1]}" for sev in ("error", "warning", "info") if found[sev]]
        total = len(self.consequences)
        return f"{total} finding{'s' if total != 1 else ''}" + (f" ({', '.join(parts)})" if parts else "")


def causes(findings: Sequence[Finding]) -> list[Cause]:
    """Group findings by cause_key, keeping the first finding's place in the (sorted) list."""
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(cause_key(finding), []).append(finding)
    result = []
    for key, members in groups.items():
        head = _shared_head([f.message for f in members]) if len(members) > 1 else ""
        shown = tuple(Consequence(f, _without(f.message, head)) for f in members)
        result.append(Cause(key, head, shown))
    return result


def _shared_head(messages: Sequence[str]) -> str:
    """The words before ": " that most of the messages start with (at least two of them)."""
    heads = Counter(m.split(": ", 1)[0] for m in messages if ": " in m)
    if not heads:
        return ""
    head, count = heads.most_common(1)[0]
    return head if count >= 2 else ""


def _without(message: str, head: str) -> str:
    prefix = head + ": "
    return message[len(prefix):] if head and message.startswith(prefix) else message


def fold(text: str, width: int, first: int, indent: int) -> list[str]:
    """Break ``text`` into lines for a terminal ``width`` columns wide.

    The first line follows ``first`` columns already printed (the location and
    rule); the others are indented by ``indent``. A causal chain's steps start
    their own line, two columns further in, with the arrow first. Returned lines
    after the first carry their indentation.
    """
    width = max(width, MIN_WIDTH)
    steps = text.split(ARROW)
    if width - first < MIN_ROOM:  # a long location leaves no room: start the message on the next line
        lines = ["", *_wrap(steps[0], width - indent, width - indent, " " * indent, lead=" " * indent)]
    else:
        lines = _wrap(steps[0], width - first, width - indent, " " * indent)
    step_indent = " " * (indent + 2)
    for step in steps[1:]:
        lines += _wrap("-> " + step, width - len(step_indent), width - len(step_indent) - 3,
                       step_indent + "   ", lead=step_indent)
    return lines


class _Wrapper(textwrap.TextWrapper):
    """textwrap's wrapper, except that a word too long for what is left of a line starts the next line
    (textwrap would fill the rest of this one with its first letters); only a word longer than a whole
    line is broken."""

    def _handle_long_word(self, reversed_chunks: list[str], cur_line: list[str], cur_len: int, width: int) -> None:
        if not cur_line:
            super()._handle_long_word(reversed_chunks, cur_line, cur_len, width)


def _wrap(text: str, first_room: int, room: int, pad: str, lead: str | None = None) -> list[str]:
    """``text`` in lines of ``first_room`` columns, then ``room``: textwrap, the first line's room set by
    the difference of two indents (stripped again: the caller's indentation is ``lead`` and ``pad``)."""
    first_room, room = max(first_room, 1), max(room, 1)
    text = " ".join(text.split())
    first_word = text.split(" ", 1)[0]
    if first_room < len(first_word) <= room:
        # The first word fits a whole line but not what is left of the first: start below.
        return [lead or "", *(pad + line for line in _lines(text, room, room))]
    lines = _lines(text, first_room, room)
    return [(lead or "") + lines[0], *(pad + line for line in lines[1:])]


def _lines(text: str, first_room: int, room: int) -> list[str]:
    widest = max(first_room, room)
    initial, subsequent = " " * (widest - first_room), " " * (widest - room)
    wrapper = _Wrapper(widest, initial_indent=initial, subsequent_indent=subsequent, break_long_words=True,
                       break_on_hyphens=False)
    lines = wrapper.wrap(text) or [initial]
    return [lines[0][len(initial):], *(line[len(subsequent):] for line in lines[1:])]


def paragraph(text: str, width: int, indent: int = 0) -> list[str]:
    """Plain text folded to ``width`` with every line indented (the summary, notes)."""
    pad = " " * indent
    return textwrap.wrap(" ".join(text.split()), max(width, MIN_WIDTH), initial_indent=pad, subsequent_indent=pad,
                         break_long_words=True, break_on_hyphens=False) or [""]


@dataclass(frozen=True)
class RuleCount:
    """One row of `--statistics`."""

    rule: str
    name: str
    severity: str
    count: int


def statistics(findings: Sequence[Finding]) -> list[RuleCount]:
    """Unwaived findings per rule, most first (ruff's and flake8's `--statistics`)."""
    counts = Counter(f.rule for f in findings if f.waiver is None)
    first = {}
    for finding in findings:
        first.setdefault(finding.rule, finding)
    rows = [RuleCount(rule, first[rule].name, first[rule].severity, n) for rule, n in counts.items()]
    return sorted(rows, key=lambda r: (-r.count, r.rule))
