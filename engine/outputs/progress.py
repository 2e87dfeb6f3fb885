"""A progress indicator on standard error for runs that take more than a second (issue 21).

Shown only when standard error is a terminal: pipes, CI logs and files never see
it. Nothing appears during the first second, so a quick `check` prints exactly
what it printed before; after that one line, rewritten in place, says what is
being done and for how long, and is erased when the work ends (or fails).

No escape code is written: the line is kept shorter than the terminal (so it never wraps), redrawn
after a carriage return and padded over what it replaces, and erased by writing blanks over it, as
click's own progress bar redraws itself. Every terminal, Windows' console included, does this alike.
"""
from __future__ import annotations

import shutil
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

#: Seconds of quiet before the indicator appears.
DELAY = 1.0
#: Seconds between redraws.
TICK = 0.1
_FRAMES = "|/-\\"


@contextmanager
def progress(label: str, stream: TextIO | None = None, delay: float = DELAY) -> Iterator[None]:
    """Show ``label`` with a spinner and the elapsed seconds while the block runs longer than ``delay``."""
    out = stream if stream is not None else sys.stderr
    if not _is_terminal(out):
        yield
        return
    done = threading.Event()
    drawn = threading.Event()
    start = time.monotonic()

    shown = 0  # columns the indicator covers now

    def draw() -> None:
        nonlocal shown
        if done.wait(delay):
            return
        frame = 0
        room = max(shutil.get_terminal_size().columns - 1, 1)  # the last column would wrap on some terminals
        while not done.is_set():
            elapsed = time.monotonic() - start
            line = f"{_FRAMES[frame % len(_FRAMES)]} {label} {elapsed:.0f}s"[:room]
            out.write("\r" + line.ljust(shown))
            out.flush()
            shown = max(shown, len(line))
            drawn.set()
            frame += 1
            done.wait(TICK)

    thread = threading.Thread(target=draw, name="interlock-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        if drawn.is_set():
            out.write("\r" + " " * shown + "\r")  # blank the indicator's line before anything else is printed
            out.flush()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream: no indicator
        return False
