"""Find the policy files under the paths given on the command line and read each one.

Paths are shown as the user reached them (``policies/sales.yml``), so that
messages can be opened from a terminal. Files are read in sorted order: the
result never depends on the order the file system lists a directory in.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from interlock.errors import InputError, Problem, UsageError
from interlock.yamlsource import SourceIndex, read_yaml

SUFFIXES = (".yml", ".yaml")
#: Configuration files belong to the configuration loader, not to the organization.
CONFIG_NAMES = frozenset({"interlock.yml", "interlock.yaml"})
SKIPPED_WORDS = ("waivers", "baseline")


@dataclass(frozen=True)
class Document:
    """One policy file: its data, where each value sits, and why it could not be read (if so)."""

    path: str
    data: dict[str, Any]
    index: SourceIndex
    problems: tuple[Problem, ...] = field(default=())


def load_documents(paths: Sequence[Path], root_display: Path | None = None) -> list[Document]:
    """Read every policy file under ``paths``, sorted by display path.

    A directory stands for every ``*.yml``/``*.yaml`` below it, except hidden
    files, ``interlock.y(a)ml`` configuration and ``*waivers*``/``*baseline*``
    files. A file that cannot be parsed is returned with its problems (and no
    data) so that validation can report them together with everyone else's.
    With ``root_display``, files under it are shown relative to it.
    """
    found: dict[Path, str] = {}
    for given in paths:
        for file, display in _expand(Path(given), root_display):
            found.setdefault(file.resolve(), display)
    documents = []
    for file, display in sorted(found.items(), key=lambda item: item[1]):
        try:
            data, index = read_yaml(file, display)
        except InputError as exc:
            documents.append(Document(display, {}, SourceIndex(display), tuple(exc.problems)))
        else:
            documents.append(Document(display, data, index))
    return documents


def is_policy_file(relative: PurePath) -> bool:
    """Whether a file found in a directory is part of the organization."""
    name = relative.name.lower()
    if any(part.startswith(".") for part in relative.parts):
        return False
    if not name.endswith(SUFFIXES) or name in CONFIG_NAMES:
        return False
    return not any(word in name for word in SKIPPED_WORDS)


def _expand(given: Path, root_display: Path | None) -> list[tuple[Path, str]]:
    if given.is_file():
        return [(given, _display(given, PurePath(), root_display))]
    if not given.is_dir():
        raise UsageError(f"{given.as_posix()}: no such file or directory")
    files = [
        (file, _display(given, file.relative_to(given), root_display))
        for file in given.rglob("*")
        if file.is_file() and is_policy_file(file.relative_to(given))
    ]
    if not files:
        raise UsageError(f"{given.as_posix()}: no policy files (*.yml, *.yaml) in this directory")
    return files


def _display(given: Path, relative: PurePath, root_display: Path | None) -> str:
    path = given / relative if relative.parts else given
    if root_display is not None:
        try:
            return path.resolve().relative_to(root_display.resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()
