"""The results memo of `interlock check`: an unchanged run prints what it printed last time (issue 22).

Linters that run on every save or commit skip input they have seen (ESLint's and Ruff's caches).
So does `interlock check`: when everything a run's output depends on is byte-identical to an
earlier run's, it prints that run's standard output and standard error again and exits with its
status, without importing the model, the rules engine or the outputs. What it depends on, all in
the entry's key (engine/read/cache.py's ``key``, which adds ``build()``):

* each policy file the run reads, found by the loader's own walk (``loader.policy_files``): its
  path as shown and its bytes;
* the configuration file, the waiver and baseline files it or the flags name, and every file in
  every rule pack, by content;
* the command line (each option as parsed, the paths as typed, the working folder), today's date,
  ``SOURCE_DATE_EPOCH``, ``NO_COLOR``, whether standard output and error are terminals, the
  terminal's width and standard output's encoding;
* Interlock itself: every file of its code, built-in rules, knowledge base and templates by name,
  size and modification time, and the installed distributions beside its dependencies (their
  names carry versions).

Only a run that prints and nothing else is kept: none that writes a file (``-o``,
``--write-baseline``), renders a user's template, reads standard input, stops on bad input or a bug
(exit 2 or 3), or whose files or configuration could not be found or read (the normal run then
reports that). An entry is stored only if the key is the same after the run as before it (no file
changed meanwhile). Entries live in the cache's folder, as JSON, pruned like every namespace;
any failure is a silent miss. ``--no-cache`` or ``INTERLOCK_NO_CACHE=1`` turn it off with the
rest of the cache; ``INTERLOCK_NO_MEMO=1`` turns off only the memo (the benchmark measures the
work this way, the other caches warm).
"""
from __future__ import annotations

import datetime
import hashlib
import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from interlock.read.cache import Store, key, switched_on

if TYPE_CHECKING:
    from interlock.read.config import Config

NAMESPACE = "memo"
#: The memo's own switch: ``INTERLOCK_NO_MEMO=1`` turns it off, the other caches stay on.
SWITCH = "INTERLOCK_NO_MEMO"
#: Folders of Interlock's package that are not what it runs: bytecode, and the prebuilt cache entries
#: (computed from the files hashed here).
_NOT_CODE = frozenset({"__pycache__", "prebuilt"})


def enabled() -> bool:
    """Whether ``INTERLOCK_NO_MEMO`` leaves the memo on."""
    return not switched_on(SWITCH)


@dataclass(frozen=True)
class Replay:
    """What a run printed: replayed as it was written (``color`` as the run decided it)."""

    stdout: str
    stderr: tuple[str, ...]
    color: bool
    status: int

    def to_json(self) -> dict[str, Any]:
        return {"stdout": self.stdout, "stderr": list(self.stderr), "color": self.color, "status": self.status}

    @staticmethod
    def from_json(data: Any) -> Replay:
        if not (isinstance(data["stdout"], str) and isinstance(data["color"], bool)
                and data["status"] in (0, 1) and all(isinstance(line, str) for line in data["stderr"])):
            raise ValueError("not a memo entry")
        return Replay(data["stdout"], tuple(data["stderr"]), data["color"], data["status"])


@dataclass(frozen=True)
class Memo:
    """The entry of one run: its key, computed before the run, and how to compute it again."""

    store: Store
    key: str
    recompute: Callable[[], str | None]

    def lookup(self) -> Replay | None:
        return self.store.load(NAMESPACE, self.key, Replay.from_json)

    def keep(self, replay: Replay) -> None:
        """Store what the run printed, unless an input changed while it ran (or it exited 2 or 3)."""
        if replay.status not in (0, 1) or self.recompute() != self.key:
            return
        self.store.save(NAMESPACE, self.key, replay.to_json())


def memo_for(targets: Sequence[Path], arguments: Mapping[str, Any], config: Callable[[], Config]) -> Memo | None:
    """The memo of a `check` of ``targets`` with ``arguments`` (its options as parsed), or None: the
    memo or the cache is off, the cache lies in a checked folder, or an input cannot be read.

    ``config`` resolves the run's configuration as the run itself does; if it fails, there is no memo
    (the run reports the failure).
    """
    if not enabled():
        return None
    store = Store.open().outside(targets)
    if not store.enabled:
        return None

    def compute() -> str | None:
        try:
            return _key(targets, arguments, config())
        except Exception:  # unreadable, vanished or bad input: no memo; the run itself says what is wrong
            return None

    found = compute()
    return Memo(store, found, compute) if found is not None else None


def _key(targets: Sequence[Path], arguments: Mapping[str, Any], config: Config) -> str | None:
    from interlock.read.loader import policy_files

    found = policy_files(targets, excluded=config.excluded if config.exclude else None,
                         follow_links=config.follow_links)
    if any(trouble is not None for _file, _display, trouble in found):
        return None  # a problem to report (exit 2): never memoed
    stdout = sys.stdout
    setting = {
        "arguments": arguments,
        "targets": [t.as_posix() for t in targets],
        "cwd": os.getcwd(),
        "today": datetime.date.today().isoformat(),
        "environment": {name: os.environ.get(name) for name in ("SOURCE_DATE_EPOCH", "NO_COLOR")},
        "terminal": [stdout.isatty(), sys.stderr.isatty(), _columns() if stdout.isatty() else None,
                     getattr(stdout, "encoding", None), getattr(stdout, "errors", None)],
        "configuration": config.source,
        "interlock": installation(),
    }
    parts: list[str | bytes] = [json.dumps(setting, sort_keys=True, default=str)]
    if config.source is not None:
        parts += ["configuration", Path(config.source).read_bytes()]
    for name, file in (("waivers", config.waivers), ("baseline", config.baseline)):
        if file is not None:
            parts += [name, file.as_posix(), file.read_bytes() if file.is_file() else b"(none)"]
    for pack in config.rule_packs:
        parts += ["rule pack", pack.as_posix()]
        for relative, file in _files_below(pack):
            parts += [relative, file.read_bytes()]
    for file, display, _trouble in found:
        parts += ["policy", display, file.read_bytes()]
    return key(*parts)


def _columns() -> int:
    import shutil

    return shutil.get_terminal_size((80, 24)).columns


def _files_below(folder: Path) -> Iterator[tuple[str, Path]]:
    """Every file below ``folder`` (links to folders not followed), by relative path, sorted."""
    found = []
    for root, folders, files in os.walk(folder):
        folders.sort()
        found += [(Path(root, f).relative_to(folder).as_posix(), Path(root, f)) for f in files]
    return iter(sorted(found))


@cache
def installation() -> str:
    """SHA-256 of Interlock as installed: each file of its code, built-in rules, knowledge base and
    templates by name, size and modification time in nanoseconds (as Python checks bytecode against
    its source, but finer: ~4 ms, where reading them all costs ~13 ms of a ~75 ms replay; the
    ``read`` package is also hashed by content in ``cache.build()``), and the names of the
    distributions installed beside its dependencies (with versions)."""
    from importlib.util import find_spec

    from interlock import resources

    digest = hashlib.sha256()
    spec = find_spec("interlock")
    folders = [Path(p) for p in (spec.submodule_search_locations or ())] if spec else []
    folders += [f for f in (resources.rules_dir(), resources.reports_dir()) if isinstance(f, Path)]
    seen: set[Path] = set()
    for folder in folders:
        folder = folder.resolve()
        if folder in seen or any(parent in seen for parent in folder.parents):
            continue
        seen.add(folder)
        digest.update(b"\0folder\0" + str(folder).encode("utf-8", "surrogatepass"))
        for root, names, files in os.walk(folder):
            names[:] = sorted(n for n in names if n not in _NOT_CODE and not n.startswith("."))
            for name in sorted(files):
                if name.endswith((".pyc", ".pyo")) or name.startswith("."):
                    continue
                path = Path(root, name)
                info = path.stat()  # as Python's bytecode is checked against its source: size and time
                digest.update(b"\0file\0" + path.relative_to(folder).as_posix().encode("utf-8", "surrogatepass"))
                digest.update(f"{info.st_size} {info.st_mtime_ns}".encode())
    sites = set()
    for dependency in ("jinja2", "yaml", "jsonschema", "click"):
        found = find_spec(dependency)
        if found is not None and found.origin:
            sites.add(Path(found.origin).parent.parent)
    for site in sorted(sites):
        digest.update(b"\0site\0" + "\n".join(sorted(n for n in os.listdir(site) if n.endswith(".dist-info"))).encode())
    return digest.hexdigest()
