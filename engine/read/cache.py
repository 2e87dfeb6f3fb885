"""A content-keyed cache on disk for work that depends only on files that rarely change.

A run of `interlock check` on a small organization spends most of its time on
work whose inputs are shipped with Interlock: parsing and validating the rule
catalog, parsing the knowledge base, and deriving the causal paths of the
metric graph (issue 9). Each such result is stored as JSON (never pickle: a
cache file is data, not code) under a key that is the SHA-256 of everything
the result depends on: the input files' or facts' content, Interlock's own
code, the Python and durable-rules builds. Changed inputs give a new key, so an
entry is never invalidated, only left unused; the oldest are pruned.

The cache is an optimization and nothing else: a missing, corrupt, unreadable
or unwritable cache is a silent miss, never an error. It lives in
``$INTERLOCK_CACHE_DIR``, else ``$XDG_CACHE_HOME/interlock``, else
``~/.cache/interlock``; ``INTERLOCK_NO_CACHE=1`` or ``--no-cache`` turn it off.
"""
from __future__ import annotations

import datetime
import hashlib
import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any, Protocol, TypeVar

from interlock import __version__

#: Bumped when the layout of an entry changes.
FORMAT = 1
#: Entries kept per namespace; older ones are removed when a new one is written.
KEPT_PER_NAMESPACE = 8
_OFF_VALUES = ("", "0", "false", "no", "off")

T = TypeVar("T")

#: Entries computed when Interlock is installed (`make setup`, or `python -m interlock.commands.prebuild`
#: after any install): the built-in rule catalog and knowledge base, and the causal paths of the
#: knowledge base alone. Read, never written, by a run whose own cache misses (a first run, a cold
#: cache); keyed like any entry, so an entry another build computed is never used. Not with --no-cache.
SHIPPED = Path(__file__).resolve().parent.parent / "prebuilt"


class Store:
    """One cache directory, or none (the cache is off); every failure reads as a miss."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory

    @classmethod
    def open(cls, enabled: bool = True) -> Store:
        """The store the environment names (off with ``enabled=False`` or ``INTERLOCK_NO_CACHE``)."""
        if not enabled or switched_on("INTERLOCK_NO_CACHE"):
            return cls(None)
        return cls(default_directory())

    @property
    def enabled(self) -> bool:
        return self.directory is not None

    def outside(self, paths: Iterable[Path]) -> Store:
        """This store, or none if its directory lies inside a linted folder: nothing is written there."""
        if self.directory is None:
            return self
        try:
            home = self.directory.resolve()
            for path in paths:
                given = Path(path).resolve()
                if home == given or given in home.parents:
                    return Store(None)
        except (OSError, RuntimeError):
            return Store(None)
        return self

    def load(self, namespace: str, key: str, decode: Callable[[Any], T], *, tagged: bool = False) -> T | None:
        """The entry ``namespace``/``key`` passed through ``decode``, or None on any failure.

        ``tagged``: the entry was written with ``to_json`` (dates tagged), and is read back with ``from_json``.
        """
        if self.directory is None:
            return None
        path = self.directory / _name(namespace, key)
        found, value = _read(path, namespace, key, decode, tagged)
        if not found:  # the entries computed when Interlock was installed, if any
            return _read(SHIPPED / _name(namespace, key), namespace, key, decode, tagged)[1]
        try:
            os.utime(path)  # recently used: pruned last
        except OSError:
            pass
        return value

    def save(self, namespace: str, key: str, value: Any) -> None:
        """Write the entry atomically (a temporary file renamed into place); failures are ignored."""
        if self.directory is None:
            return
        import tempfile  # only a miss writes: a run that hits never pays for the import

        try:
            text = json.dumps({"format": FORMAT, "namespace": namespace, "key": key, "value": value},
                              ensure_ascii=False, separators=(",", ":"))
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            handle, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=self.directory)
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as stream:
                    stream.write(text)
                os.replace(temporary, self.directory / _name(namespace, key))
            except BaseException:
                _remove(Path(temporary))
                raise
            self._prune(namespace)
        except Exception:  # read-only, full or missing: the run goes on without a cache
            return

    def _prune(self, namespace: str) -> None:
        """Keep the most recently used entries of ``namespace``."""
        assert self.directory is not None
        entries = []
        for path in self.directory.glob(f"{namespace}-*.json"):
            try:
                entries.append((path.stat().st_mtime_ns, path.name, path))
            except OSError:
                continue
        for _mtime, _name_, path in sorted(entries, reverse=True)[KEPT_PER_NAMESPACE:]:
            _remove(path)


def _read(path: Path, namespace: str, key: str, decode: Callable[[Any], T], tagged: bool) -> tuple[bool, T | None]:
    """(True, the decoded value) of the entry at ``path``, or (False, None) on any failure."""
    try:
        with open(path, encoding="utf-8") as stream:
            entry = json.load(stream, object_hook=_untag if tagged else None)
        if not (isinstance(entry, dict) and entry.get("format") == FORMAT and entry.get("key") == key
                and entry.get("namespace") == namespace):
            return False, None
        return True, decode(entry["value"])
    except Exception:  # a corrupt or unreadable entry (any shape at all) is a miss
        return False, None


def _name(namespace: str, key: str) -> str:
    return f"{namespace}-{key}.json"


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


def switched_on(variable: str) -> bool:
    """Whether an environment switch (``INTERLOCK_NO_CACHE``, ``INTERLOCK_NO_MEMO``) is set: any value but
    empty, 0, false, no or off."""
    return os.environ.get(variable, "").strip().lower() not in _OFF_VALUES


def default_directory() -> Path | None:
    """``$INTERLOCK_CACHE_DIR``, else ``$XDG_CACHE_HOME/interlock``, else ``~/.cache/interlock``."""
    named = os.environ.get("INTERLOCK_CACHE_DIR", "")
    if named:
        return Path(named)
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if xdg and os.path.isabs(xdg):  # the XDG specification ignores relative paths
        return Path(xdg) / "interlock"
    try:
        return Path.home() / ".cache" / "interlock"
    except (RuntimeError, KeyError, OSError):  # no home directory to speak of: no cache
        return None


# --- keys ----------------------------------------------------------------------------------------


def key(*parts: str | bytes) -> str:
    """SHA-256 of ``parts`` (each length-prefixed, so no two sequences collide) and of the build."""
    digest = hashlib.sha256()
    for part in (build(), *parts):
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


class Readable(Protocol):
    """A file as a path or an importlib.resources Traversable: something whose bytes can be read."""

    def read_bytes(self) -> bytes: ...


def file_parts(files: Sequence[tuple[str, Readable]]) -> list[bytes]:
    """Each (name, file) as its name and content, for a key; raises OSError if one cannot be read."""
    parts: list[bytes] = []
    for name, path in files:
        parts.append(name.encode("utf-8", "surrogatepass"))
        parts.append(path.read_bytes())
    return parts


@cache
def build() -> str:
    """What every cached result also depends on: Interlock's code, the Python and durable-rules builds.

    Interlock's own source is hashed, not only its version, so an edited checkout (an editable
    install) never reuses what other code computed.
    """
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for path in sorted(package.glob("*.py")):
        digest.update(path.name.encode())
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"?")
    return json.dumps([FORMAT, __version__, sys.version, sys.implementation.cache_tag, _durable_build(),
                       digest.hexdigest()])


def _durable_build() -> list[Any]:
    """durable-rules' installed version (its dist-info name) and its engine library's size and date,
    found without importing it (importlib.metadata alone costs ~20 ms)."""
    from importlib.util import find_spec

    found: list[Any] = []
    try:
        spec = find_spec("durable_rules_engine")
        if spec is not None and spec.origin:
            library = Path(spec.origin)
            info = library.stat()
            found += [library.name, info.st_size, info.st_mtime_ns]
            found += sorted(n for n in os.listdir(library.parent)
                            if n.lower().startswith(("durable_rules-", "durable-rules-")))
    except (OSError, ImportError, ValueError):
        found.append("unknown")
    return found


# --- values: JSON with dates ---------------------------------------------------------------------


class Unstorable(TypeError):
    """A value JSON cannot hold exactly: it is not cached."""


def to_json(value: Any) -> Any:
    """Parsed YAML as exact JSON: dates tagged; a mapping that could be read as a tag is wrapped."""
    if value is None or type(value) in (str, int, float, bool):
        return value
    if type(value) is list:
        return [to_json(v) for v in value]
    if type(value) is dict:
        if not all(type(k) is str for k in value):
            raise Unstorable("a mapping with keys that are not text")
        if len(value) == 1 and next(iter(value)) in ("$date", "$map"):
            return {"$map": [[k, to_json(v)] for k, v in value.items()]}
        return {k: to_json(v) for k, v in value.items()}
    if type(value) is datetime.date:
        return {"$date": value.isoformat()}
    raise Unstorable(f"cannot store a {type(value).__name__}")


def from_json(value: Any) -> Any:
    """The inverse of ``to_json``."""
    return json.loads(json.dumps(value), object_hook=_untag)


def _untag(mapping: dict[str, Any]) -> Any:
    """One mapping as ``json.load`` builds it (innermost first): a tag becomes its value."""
    if len(mapping) == 1:
        ((tag, inner),) = mapping.items()
        if tag == "$date" and type(inner) is str:
            return datetime.date.fromisoformat(inner)
        if tag == "$map" and type(inner) is list:
            return {k: v for k, v in inner}
    return mapping
