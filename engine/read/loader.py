"""Find the policy files under the paths given on the command line and read each one.

Paths are shown as the user reached them (``policies/sales.yml``), so that
messages can be opened from a terminal. Files are read in sorted order: the
result never depends on the order the file system lists a directory in.

Folders are walked without following links to folders, so a link loop cannot
hang a run; hidden folders (``.git``) are not entered at all. A policy file
that cannot be read (a dangling link, a link loop, a pipe, no permission) is
a problem at ``file:1:1``, never silently skipped (docs/hardening.md).
"""
from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from interlock.errors import InputError, Problem, UsageError
from interlock.read.yamlsource import SourceIndex, read_yaml

SUFFIXES = (".yml", ".yaml")
#: Workbooks, and sheets kept as CSV files, are read too (engine/read/workbook.py, docs/spreadsheets.md).
SHEET_SUFFIXES = (".xlsx", ".xlsm", ".csv")
#: Given by name, these are spreadsheets too: the workbook reader reads them or says what to save them as.
_SPREADSHEETS = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".numbers")
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


def load_documents(paths: Sequence[Path], root_display: Path | None = None,
                   excluded: Callable[[Path], bool] | None = None, *, follow_links: bool = False) -> list[Document]:
    """Read every policy file under ``paths``, sorted by display path.

    A directory stands for every ``*.yml``/``*.yaml`` below it, except hidden
    files, ``interlock.y(a)ml`` configuration and ``*waivers*``/``*baseline*``
    files. A file that cannot be parsed is returned with its problems (and no
    data) so that validation can report them together with everyone else's.
    With ``root_display``, files under it are shown relative to it. ``excluded`` (the
    configuration's ``exclude`` globs) drops files found in a folder, never a file named outright.

    A link found in a folder that leads to a file outside every folder given is not read (its
    content could be anything on the machine, quoted into a CI log) unless ``follow_links``
    (``--follow-links``). Department files (``department:``) without an ``organization:`` section
    anywhere are a problem: the organization file is missing.
    """
    documents = []
    sheets: dict[str, list[tuple[Path, str]]] = {}  # folder -> its CSV sheets: one workbook per folder
    for file, display, trouble in policy_files(paths, root_display, excluded, follow_links=follow_links):
        if trouble is not None:
            documents.append(Document(display, {}, SourceIndex(display), (Problem(display, 1, 1, trouble),)))
            continue
        if file.suffix.lower() == ".csv":
            folder, _, name = display.rpartition("/")
            sheets.setdefault(folder or ".", []).append((file, name))
            continue
        documents.append(_document(display, lambda: _read(file, display)))
    if sheets:
        from interlock.read.workbook import read_csv_sheets

        for folder, files in sheets.items():
            documents.append(_document(folder, lambda: read_csv_sheets(files, folder)))
        documents.sort(key=lambda doc: doc.path)
    if any(Path(p).is_dir() for p in paths):
        return _missing_organization(documents, paths)
    return documents


#: One policy file found: where it is, how messages show it, and why it cannot be read (or None).
Found = tuple[Path, str, str | None]


def policy_files(paths: Sequence[Path], root_display: Path | None = None,
                 excluded: Callable[[Path], bool] | None = None, *, follow_links: bool = False) -> list[Found]:
    """The policy files under ``paths`` as ``load_documents`` reads them, sorted by display path: each
    file once however it was reached. The one walk of the folders, shared with the results memo of
    `interlock check` (engine/commands/memo.py), so that both see exactly the same files.

    Raises UsageError for a path that is neither a file nor a folder, or a folder without policy files.
    """
    found: dict[str, Found] = {}
    folders = () if follow_links else tuple(_resolved(Path(p)) for p in paths if Path(p).is_dir())
    for given in paths:
        for file, display, trouble in _expand(Path(given), root_display, folders, excluded):
            found.setdefault(_identity(file), (file, display, trouble))
    return sorted(found.values(), key=lambda item: item[1])


def _read(file: Path, display: str) -> tuple[dict[str, Any], Any]:
    """A policy file: YAML, or a workbook (.xlsx) read into the same sections."""
    if file.suffix.lower() in _SPREADSHEETS:
        from interlock.read.workbook import read_workbook

        return read_workbook(file, display)
    return read_yaml(file, display)


def _document(display: str, read: Any) -> Document:
    try:
        data, index = read()
    except InputError as exc:
        return Document(display, {}, SourceIndex(display), tuple(exc.problems))
    return Document(display, data, index)


def _missing_organization(documents: list[Document], paths: Sequence[Path]) -> list[Document]:
    """The documents; the first department file carries a problem when no file has the organization."""
    if any(doc.problems for doc in documents) or any("organization" in doc.data for doc in documents):
        return documents
    departments = [i for i, doc in enumerate(documents) if "department" in doc.data]
    if not departments:
        return documents
    first = documents[departments[0]]
    folder = _shown(Path(paths[0]).as_posix()).rstrip("/")
    others = f" and {len(departments) - 1} more department files" if len(departments) > 1 else ""
    problem = Problem(first.path, *first.index.locate(("department",)),
                      f"no organization file: this{others} belong to an organization, but no file in {folder} has an "
                      f"`organization:` section; add {folder}/organization.yml with `organization: {{name: ...}}`, "
                      "its objectives and the milestones and departments the department files name "
                      "(docs/policy-language.md#organization)")
    return [*documents[:departments[0]], Document(first.path, first.data, first.index, (problem,)),
            *documents[departments[0] + 1:]]


def _resolved(path: Path) -> Path:
    try:
        return path.resolve(strict=True)
    except (OSError, RuntimeError):
        return Path(os.path.abspath(path))


def is_policy_file(relative: PurePath) -> bool:
    """Whether a file found in a directory is part of the organization."""
    name = relative.name.lower()
    if any(part.startswith(".") for part in relative.parts):
        return False
    if name.endswith(SHEET_SUFFIXES):
        return not name.startswith("~$")  # Excel's lock file beside an open workbook
    if not name.endswith(SUFFIXES) or name in CONFIG_NAMES:
        return False
    return not any(word in name for word in SKIPPED_WORDS)


def _identity(file: Path) -> str:
    """One key per file however it was reached (a file given twice is read once); a broken link keys by its own path."""
    try:
        return str(file.resolve(strict=True))
    except (OSError, RuntimeError):  # RuntimeError: a link loop on Python < 3.13
        return os.path.abspath(file)


def _expand(given: Path, root_display: Path | None,
            folders: tuple[Path, ...], excluded: Callable[[Path], bool] | None = None,
            ) -> list[tuple[Path, str, str | None]]:
    """(file, display, why it cannot be read or None) for a path given on the command line."""
    if given.is_file():
        return [(given, _display(given, PurePath(), root_display), None)]
    if not given.is_dir():
        raise UsageError(f"{_shown(given.as_posix())}: {_missing(given)}")
    files = [(file, _display(given, relative, root_display), trouble or _leaves(file, folders))
             for file, relative, trouble in _walk(given) if excluded is None or not excluded(file)]
    if not files:
        raise UsageError(f"{_shown(given.as_posix())}: no policy files (*.yml, *.yaml, *.xlsx, *.csv) in this directory")
    return files


def _leaves(file: Path, folders: tuple[Path, ...]) -> str | None:
    """Why a linked file found in a folder is not read: it lies outside every checked folder (None: it does
    not, or ``folders`` is empty because links may be followed)."""
    if not folders or not file.is_symlink():
        return None
    target = _resolved(file)
    if any(target.is_relative_to(folder) for folder in folders):
        return None
    return ("not read: a symbolic link to a file outside the checked folders (its content is not shown; "
            "--follow-links reads such links)")


def _missing(given: Path) -> str:
    """Why a path given on the command line is neither a file nor a folder."""
    try:
        given.stat()
    except OSError as exc:
        return _link_trouble(exc) if given.is_symlink() else "no such file or directory"
    return "not a regular file or folder (a pipe, socket or device)"


def _walk(root: Path) -> Iterator[tuple[Path, PurePath, str | None]]:
    """Policy files below ``root``: (path, path relative to root, why it cannot be read or None).

    Hidden entries are skipped before they are entered and links to folders
    are not followed, so the walk ends even on a folder that links to itself.
    """
    pending = [PurePath()]
    while pending:
        relative = pending.pop()
        try:
            with os.scandir(root / relative) as listing:
                entries = list(listing)
        except OSError as exc:
            if not relative.parts:
                raise UsageError(f"{_shown(root.as_posix())}: cannot read the folder: {exc.strerror or exc}") from None
            yield root / relative, relative, f"cannot read the folder: {exc.strerror or exc}"
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            child = relative / entry.name
            if _is_real_dir(entry):
                pending.append(child)
            elif is_policy_file(child):
                trouble = _unreadable(entry)
                if trouble != _FOLDER:
                    yield root / child, child, trouble


_FOLDER = "a folder"


def _is_real_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _unreadable(entry: os.DirEntry[str]) -> str | None:
    """None for a regular file (or a link to one); _FOLDER for a link to a folder; else why it cannot be read."""
    try:
        if entry.is_file(follow_symlinks=False):  # the common case, from the listing itself: no system call
            return None
        mode = entry.stat().st_mode  # follows links: a loop or a dangling link raises
    except OSError as exc:
        return f"cannot read the file: {_link_trouble(exc) if entry.is_symlink() else exc.strerror or exc}"
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return _FOLDER  # a link to a folder, named like a file: links to folders are not followed
    return "cannot read the file: not a regular file (a pipe, socket or device)"


def _link_trouble(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "a loop of symbolic links"
    return f"a symbolic link to nothing ({exc.strerror or 'broken'})"


def _shown(text: str) -> str:
    """A path as it may be printed on one line: control characters in a file name are escaped."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _display(given: Path, relative: PurePath, root_display: Path | None) -> str:
    path = given / relative if relative.parts else given
    if root_display is not None:
        try:
            return _shown(path.resolve().relative_to(root_display.resolve()).as_posix())
        except (ValueError, OSError, RuntimeError):
            pass
    return _shown(path.as_posix())
