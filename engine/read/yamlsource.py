"""Read one YAML file into plain data plus a map from each path to its line and column.

PyYAML's loaders drop positions and keep the last of two duplicate keys, so we
compose the node tree (libyaml when available: performance-notes.md) and build
the values ourselves. Keys are always taken as written (``on:`` is the text
"on", not YAML 1.1's ``true``), dates become ``datetime.date``, and every
problem is a :class:`~interlock.errors.Problem`, never a traceback.

Hostile files are bounded before they cost anything (docs/hardening.md): a file
over MAX_FILE_BYTES is refused from its size, nesting deeper than MAX_DEPTH and
more than MAX_NODES values (billion laughs) are refused before the values are
built, and text may not hold control or bidirectional-override characters.
"""
from __future__ import annotations

import datetime
import gc
import os
import re
import stat
import sys
import unicodedata
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, ScalarEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from interlock.errors import InputError, Problem
from interlock.read import yaml12

#: A JSON-pointer-like path: mapping keys and list indexes from the top.
DataPath = tuple["str | int", ...]

_Loader: Any = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_TAG}{name}" for name in ("str", "int", "float", "bool", "null", "timestamp")}
#: The largest file read, checked from its size before reading: the example organization is 34 KB
#: in ten files, so a hundred times it fits in one file.
MAX_FILE_BYTES = 5 * 1024 * 1024
#: Values a file may hold, counting every expansion of an alias (billion laughs): the example
#: organization holds 1,700. Building 250,000 takes about a second.
MAX_NODES = 250_000
#: Lists and mappings inside each other: a policy nests about 6 levels, a rule file about 12.
MAX_DEPTH = 50
#: libyaml's composer recurses in C and crashes the process (no exception) somewhere between 20,000
#: and 40,000 levels (measured, 8 MB stack); a file that could nest deeper than this is checked
#: event by event before it is composed. Every level needs one of the characters in _NESTERS.
_C_SAFE_DEPTH = 5_000
_NESTERS = "[{-:?"
#: Characters refused in any text: C0 controls but tab and newline, DEL, C1 controls, line and
#: paragraph separators and the bidirectional embeddings, overrides and isolates ("Trojan Source").
_FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
#: The forbidden characters the YAML reader lets through as they are; the others come only from escapes.
_RAW_FORBIDDEN = ("\x85", "\u2028", "\u2029", *map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A)))
_MB = 1024 * 1024
#: Keys and short texts are shared (``sys.intern``) across files: an organization repeats the same
#: few hundred names (keys, metric ids, periods) in every file, one object each per occurrence.
_SHARED_TEXT = 64


#: One non-empty list or mapping: a mapping's keys (the data's own str objects) or a list's length;
#: where its positions start in the file's array (a list's items, or a mapping's key, value, key,
#: value...); and each item's own entry where it is a non-empty list or mapping (None when none is).
#: Tuples of ints, strs and tuples leave the cyclic GC's lists; instances and arrays never do.
_Entry: TypeAlias = "tuple[tuple[str, ...] | int, int, tuple[_Entry | None, ...] | None]"

#: Mappings this small are searched in their keys; bigger ones get a dict on their first lookup.
_SCANNED_KEYS = 16


@dataclass
class SourceIndex:
    """Where each value (and each mapping key) of a file starts, 1-based.

    Positions are stored per container (nested entries like the data, over one array per file), not
    per path: a loaded organization keeps every file's index until validation ends, and a path tuple,
    two dict entries and two ints per value were most of the documents' memory at 10,000 files.
    """

    file: str
    #: The top mapping's packed position (0: nothing recorded), its entry, and every packed position.
    _root: int = field(default=0, init=False, repr=False)
    _top: _Entry | None = field(default=None, init=False, repr=False)
    _positions: array[int] = field(default_factory=lambda: array("Q"), init=False, repr=False)
    #: Key -> order for big mappings, by id of their keys tuple, made as they are first searched.
    _lookups: dict[int, dict[str, int]] | None = field(default=None, init=False, repr=False, compare=False)
    #: Plain values and keys YAML 1.1 (how Interlock reads) and YAML 1.2 (how editors read) take
    #: differently: `interlock check` warns about each (W005, engine/read/yaml12.py).
    notes: tuple[Problem, ...] = field(default=(), init=False, repr=False, compare=False)

    def locate(self, path: DataPath) -> tuple[int, int]:
        """The value at ``path``, or its nearest recorded ancestor (an error may name a missing key)."""
        positions = self._positions
        found, entry = self._root, self._top
        for part in path:  # inlined: validation locates every value it makes a location for
            if entry is None:
                break
            keys, at, children = entry
            if isinstance(keys, int):
                if not isinstance(part, int) or not 0 <= part < keys:
                    break
                i = part
                found = positions[at + i]
            else:
                if len(keys) > _SCANNED_KEYS:
                    i = self._slot(entry, part)
                    if i < 0:
                        break
                elif part in keys:
                    i = keys.index(part)
                else:
                    break
                found = positions[at + 2 * i + 1]
            entry = None if children is None else children[i]
        return _unpacked(found) if found else (1, 1)

    def locate_key(self, path: DataPath) -> tuple[int, int]:
        """The key that introduces ``path`` (for unknown or duplicate keys), else its value."""
        path = tuple(path)
        entry = self._top
        for part in path[:-1]:
            i = -1 if entry is None else self._slot(entry, part)
            if i < 0:
                return self.locate(path)
            assert entry is not None
            entry = None if entry[2] is None else entry[2][i]
        if path and entry is not None and not isinstance(entry[0], int):
            i = self._slot(entry, path[-1])
            if i >= 0:
                return _unpacked(self._positions[entry[1] + 2 * i])
        return self.locate(path)

    def _slot(self, entry: _Entry, part: str | int) -> int:
        """The order of the item at ``part`` in ``entry``, or -1."""
        keys = entry[0]
        if isinstance(keys, int):
            return part if isinstance(part, int) and 0 <= part < keys else -1
        if len(keys) <= _SCANNED_KEYS:
            return keys.index(part) if part in keys else -1
        if self._lookups is None:
            self._lookups = {}
        lookup = self._lookups.get(id(keys))  # the index holds the tuple, so its id stays its own
        if lookup is None:  # many errors in one huge mapping must not cost a scan each
            lookup = self._lookups[id(keys)] = {key: i for i, key in enumerate(keys)}
        return lookup.get(part, -1) if isinstance(part, str) else -1

    def where(self, path: DataPath) -> str:
        """``file:line:col`` of the value at ``path``."""
        line, col = self.locate(path)
        return f"{self.file}:{line}:{col}"


def path_label(path: DataPath) -> str:
    """``plans[0].measures[1].weight``: a path as a person reads it in messages."""
    label = ""
    for part in path:
        label += f"[{part}]" if isinstance(part, int) else f".{_key_label(part)}" if label else _key_label(part)
    return label


def _key_label(key: str) -> str:
    """A key as written when it reads on one line, else quoted with escapes (a key may hold a newline)."""
    return key if key.isprintable() and 0 < len(key) <= 60 and "." not in key else repr(clip(key))


def clip(text: str, limit: int = 60) -> str:
    """Text short enough for a one-line message: a hostile file may hold a megabyte-long key."""
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"


def parse_yaml(text: str, display: str) -> tuple[dict[str, Any], SourceIndex]:
    """Parse one YAML document that must be a mapping; raise InputError with every problem found."""
    if len(text) > MAX_FILE_BYTES:
        raise InputError([_too_large(display, len(text.encode("utf-8", "surrogatepass")))])
    try:
        with _gc_paused():
            if _may_exceed_limits(text):
                _scan(text, display)
            node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        # libyaml 0.2.5+ (PyYAML 6.0.4) stops deep nesting with its own error, thrown while its
        # scanner looks ahead, before the event scan reaches our limit: find our own location.
        if _nesters(text) > MAX_DEPTH:
            try:
                _scan(text, display, yaml.SafeLoader)
            except yaml.YAMLError:
                pass  # not too deep: the syntax error itself is the problem
        raise InputError([_syntax_problem(exc, text, display)]) from None
    except RecursionError:
        raise InputError([Problem(display, 1, 1, _too_deep())]) from None
    if node is None or (isinstance(node, ScalarNode) and node.tag == f"{_TAG}null" and not node.value):
        raise InputError([Problem(display, 1, 1, "the file is empty: expected a mapping of sections")])
    if not isinstance(node, MappingNode):
        line, col = _pos(node)
        raise InputError([Problem(display, line, col, f"expected a mapping of sections at the top, got {_kind(node)}")])
    if _may_expand(text):
        bomb = _expansion_problem(node, display)
        if bomb is not None:
            raise InputError([bomb])
    builder = _Builder(display, check_text=_may_hold_forbidden(text))
    try:
        data = builder.build(node, ())
    except RecursionError:
        raise InputError([Problem(display, 1, 1, _too_deep())]) from None
    if builder.problems:
        raise InputError(builder.problems)
    assert isinstance(data, dict)
    index = SourceIndex(display)
    index._root, index._top, index._positions = _packed(node), builder.made, array("Q", builder.positions)
    index.notes = tuple(builder.notes)
    return data, index


def read_yaml(path: Path, display: str) -> tuple[dict[str, Any], SourceIndex]:
    """Read and parse a file; unreadable, oversized, non-regular or non-UTF-8 files are problems too."""
    raw = read_bounded(path, display)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise InputError([Problem(display, 1, 1, "the file is UTF-16 text: save it as UTF-8")]) from None
        raise InputError([Problem(display, line, col, "the file is not UTF-8 text")]) from None
    return parse_yaml(text, display)


def read_bounded(path: Path, display: str) -> bytes:
    """The bytes of a regular file of at most MAX_FILE_BYTES, judged from its size before reading.

    Opened without blocking, so that a named pipe called ``x.yml`` is refused instead of waiting forever.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        handle = os.open(path, flags)
    except OSError as exc:
        raise InputError([Problem(display, 1, 1, f"cannot read the file: {_reason(exc)}")]) from None
    try:
        info = os.fstat(handle)
        if stat.S_ISDIR(info.st_mode):
            raise InputError([Problem(display, 1, 1, "cannot read the file: it is a folder")])
        if not stat.S_ISREG(info.st_mode):
            raise InputError([Problem(display, 1, 1, "cannot read the file: not a regular file (a pipe, socket or device)")])
        if info.st_size > MAX_FILE_BYTES:
            raise InputError([_too_large(display, info.st_size)])
        with open(handle, "rb", buffering=0, closefd=False) as stream:
            raw = stream.read()
    except OSError as exc:
        raise InputError([Problem(display, 1, 1, f"cannot read the file: {_reason(exc)}")]) from None
    finally:
        os.close(handle)
    if len(raw) > MAX_FILE_BYTES:  # it grew while we read it
        raise InputError([_too_large(display, len(raw))])
    return raw


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def _too_large(display: str, size: int) -> Problem:
    message = (f"the file is {size:,} bytes, over the limit of {MAX_FILE_BYTES:,} bytes"
               f" ({MAX_FILE_BYTES // _MB} MB) per file")
    return Problem(display, 1, 1, message)


def _too_many() -> str:
    return f"the file expands to more than {MAX_NODES:,} values through aliases (a billion-laughs file?)"


def _too_deep() -> str:
    return f"lists and mappings nest more than {MAX_DEPTH} levels deep"


def _may_exceed_limits(text: str) -> bool:
    """Whether the text could nest deeper than libyaml survives or hold more than MAX_NODES values.

    Cheap and conservative: each level of nesting needs one of _NESTERS, each value at least one
    character. Real files are far below both bounds and skip the event scan.
    """
    if len(text) <= _C_SAFE_DEPTH:
        return False
    if len(text) > MAX_NODES:
        return True
    return _nesters(text) > _C_SAFE_DEPTH


def _nesters(text: str) -> int:
    """An upper bound on how deep the text can nest."""
    return sum(text.count(c) for c in _NESTERS)


def _scan(text: str, display: str, loader_class: Any = None) -> None:
    """Walk the parser's events (a flat stream) and stop at the first value too deep or too many.

    The pure-Python loader has no nesting limit of its own and looks ahead at most a simple key's
    1,024 characters, so it always reaches MAX_DEPTH before anything else stops it.
    """
    loader = (loader_class or _Loader)(text)
    depth = count = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, CollectionStartEvent):
                depth += 1
                count += 1
                if depth > MAX_DEPTH:
                    mark = event.start_mark
                    raise InputError([Problem(display, mark.line + 1, mark.column + 1, _too_deep())])
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
            elif isinstance(event, (ScalarEvent, AliasEvent)):
                count += 1
            if count > MAX_NODES:
                mark = event.start_mark
                message = f"the file holds more than {MAX_NODES:,} values"
                raise InputError([Problem(display, mark.line + 1, mark.column + 1, message)])
    finally:
        loader.dispose()


def _may_expand(text: str) -> bool:
    """Whether aliases could expand the file beyond MAX_NODES values.

    A file of N values with A aliases expands to at most N * 2**A (an expanded value is a path that
    follows each alias at most once, in the one order the anchors allow). N is at most about the
    length of the text and A at most its count of '*', so real files, which use an anchor or two
    for a shared payout curve, skip the walk. The builder's own count stays as the backstop.
    """
    if "&" not in text:
        return False
    aliases = text.count("*")
    return aliases > 0 and (len(text) + 2) << min(aliases, 64) > MAX_NODES


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _expansion_problem(root: Node, display: str) -> Problem | None:
    """The first structure that expands to more than MAX_NODES values through aliases (billion laughs).

    Sizes are memoized per node, so this costs one visit per node as written, however far aliases
    would expand it. A node that contains itself counts once (the builder reports it).
    """
    sizes: dict[int, int] = {}
    open_: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            open_.discard(key)
            sizes[key] = 1 + sum(sizes.get(id(child), 1) for child in _children(node))
            if sizes[key] > MAX_NODES:
                return Problem(display, *_pos(node), _too_many())
        elif key not in sizes and key not in open_:
            if isinstance(node, ScalarNode):
                sizes[key] = 1
                continue
            open_.add(key)
            stack.append((node, True))
            stack.extend((child, False) for child in _children(node))
    return None


def _may_hold_forbidden(text: str) -> bool:
    """Whether any value could hold a forbidden character: the reader refuses raw controls, so only
    escapes (a backslash) and the few characters in _RAW_FORBIDDEN can bring one in."""
    return "\\" in text or (not text.isascii() and any(c in text for c in _RAW_FORBIDDEN))


def forbidden_character(text: str) -> str | None:
    """The first control or bidirectional-override character in ``text``, described, or None."""
    match = _FORBIDDEN.search(text)
    if match is None:
        return None
    char = match.group()
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X} ({name})" if name else f"U+{ord(char):04X}"


def _syntax_problem(exc: yaml.YAMLError, text: str, display: str) -> Problem:
    """One problem at the place the parser stopped, worded without parser internals where we can."""
    if isinstance(exc, yaml.reader.ReaderError):
        before = text[: max(exc.position, 0)]
        line, col = before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1
        return Problem(display, line, col, f"YAML syntax error: the character #x{exc.character:04x} is not allowed in YAML text")
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        if isinstance(exc, yaml.composer.ComposerError) and "another document" in str(exc.problem):
            message = "YAML syntax error: a policy file holds one YAML document (found a second '---')"
            return Problem(display, line, col, message)
        detail = exc.problem or exc.context
        if exc.problem and exc.context:
            detail = f"{exc.problem} ({exc.context})"
        return Problem(display, line, col, f"YAML syntax error: {detail}")
    return Problem(display, 1, 1, f"YAML syntax error: {exc}")


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Node trees are many small objects; the cyclic GC only slows building them (performance-notes.md)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _graft(built: dict[str, Any], source: _Entry, positions: list[int], result: dict[str, Any],
           keys: list[str], places: list[int], children: list[_Entry | None]) -> None:
    """Add a merged mapping's keys missing from ``result``, located where they were written (inside the anchor)."""
    merged, at, entries = source
    assert not isinstance(merged, int)
    for i, key in enumerate(merged):
        if key not in result:
            result[key] = built[key]
            keys.append(key)
            places += positions[at + 2 * i: at + 2 * i + 2]
            children.append(None if entries is None else entries[i])


def _some(children: list[_Entry | None]) -> tuple[_Entry | None, ...] | None:
    """The items' entries, or None when every item is a scalar (most lists and many mappings)."""
    return tuple(children) if any(child is not None for child in children) else None


def _where(path: DataPath) -> str:
    return f"{path_label(path)}: " if path else ""


def _pos(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


_COLUMN_BITS = 24  # columns below 16,777,216: a file is at most 5 MB


def _packed(node: Node) -> int:
    return (node.start_mark.line + 1) << _COLUMN_BITS | (node.start_mark.column + 1)


def _unpacked(position: int) -> tuple[int, int]:
    return position >> _COLUMN_BITS, position & ((1 << _COLUMN_BITS) - 1)


def _tag(node: Node) -> str:
    return str(node.tag).replace(_TAG, "!!", 1)


def _kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return f"the value {clip(str(node.value))!r}"


class _Builder:
    """Turn a node tree into dicts, lists and scalars, recording positions and problems."""

    def __init__(self, display: str, *, check_text: bool = False) -> None:
        self.file = display
        #: The entry of the list or mapping ``build`` just returned (None for a scalar, an empty or a refused one).
        self.made: _Entry | None = None
        #: Every container's positions, block after block: the index keeps them as one array.
        self.positions: list[int] = []
        self.problems: list[Problem] = []
        #: Forms YAML 1.1 and 1.2 read differently (engine/read/yaml12.py): warnings, not problems.
        self.notes: list[Problem] = []
        self._scalars = SafeConstructor()
        self._active: set[int] = set()
        self._count = 0
        self._depth = 0
        self._too_deep = False
        self._check_text = check_text  # only when the file could hold a forbidden character at all

    def problem(self, node: Node, message: str) -> None:
        self.problems.append(Problem(self.file, *_pos(node), message))

    def build(self, node: Node, path: DataPath) -> Any:
        """The value of ``node``; its position is recorded by the caller, its items' in ``self.made``."""
        self.made = None
        self._count += 1
        if self._count > MAX_NODES:
            if self._count == MAX_NODES + 1:
                self.problem(node, _too_many())
            return None
        if id(node) in self._active:
            self.problem(node, "an alias refers to the structure that contains it")
            return None
        if isinstance(node, ScalarNode):
            return self._scalar(node, path)
        if self._depth >= MAX_DEPTH:  # deeper through merges and aliases than the text itself nests
            if not self._too_deep:
                self.problem(node, _too_deep())
                self._too_deep = True
            return None
        self._active.add(id(node))
        self._depth += 1
        try:
            if isinstance(node, SequenceNode):
                if node.tag != f"{_TAG}seq":
                    self.problem(node, f"unsupported YAML tag {_tag(node)!r}")
                return self._list(node.value, path)
            assert isinstance(node, MappingNode)
            if node.tag != f"{_TAG}map":
                self.problem(node, f"unsupported YAML tag {_tag(node)!r}")
            return self._mapping(node, path)
        finally:
            self._active.discard(id(node))
            self._depth -= 1

    def _list(self, items: list[Node], path: DataPath) -> list[Any]:
        result = []
        children: list[_Entry | None] = []
        for i, item in enumerate(items):
            result.append(self.build(item, (*path, i)))
            children.append(self.made)
        self.made = None
        if items:
            self.made = len(items), len(self.positions), _some(children)
            self.positions += map(_packed, items)
        return result

    def _mapping(self, node: MappingNode, path: DataPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        keys: list[str] = []
        places: list[int] = []  # key, value, key, value...
        children: list[_Entry | None] = []
        first: dict[str, int] | None = None  # key -> its position, made at the first duplicate
        merged: list[Node] = []
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.tag == f"{_TAG}merge":
                merged.append(value_node)
                continue
            if not isinstance(key_node, ScalarNode):
                self.problem(key_node, f"a key must be plain text, got {_kind(key_node)}")
                continue
            key = sys.intern(str(key_node.value))  # see _SHARED_TEXT
            if not key_node.style and key in yaml12.BOOLEAN_WORDS:  # plain: libyaml says "", PyYAML None
                self.notes.append(Problem(self.file, *_pos(key_node), yaml12.key_note(_where(path), key, bool(path) and path[-1] == "clawback")))
            if self._check_text and self._refused(key_node, key, f"{_where(path)}the key {clip(key)!r}"):
                continue
            if key in result:
                if first is None:
                    first = {k: places[2 * i] for i, k in enumerate(keys)}
                line, col = _unpacked(first[key])
                self.problem(key_node, f"{_where(path)}duplicate key {clip(key)!r} (first defined at {self.file}:{line}:{col})")
                continue
            keys.append(key)
            places += (_packed(key_node), _packed(value_node))
            if first is not None:
                first[key] = places[-2]
            result[key] = self.build(value_node, (*path, key))
            children.append(self.made)
        for source in merged:  # YAML merge keys (`<<: *defaults`): explicit keys, then earlier sources, win
            for item in source.value if isinstance(source, SequenceNode) else [source]:
                if not isinstance(item, MappingNode):
                    self.problem(item, f"a merge (<<) needs a mapping, got {_kind(item)}")
                    continue
                built = self.build(item, ())
                if isinstance(built, dict) and self.made is not None:
                    _graft(built, self.made, self.positions, result, keys, places, children)
        self.made = None
        if keys:
            self.made = tuple(keys), len(self.positions), _some(children)
            self.positions += places
        return result

    def _refused(self, node: Node, text: str, what: str) -> bool:
        """Report a control or bidirectional-override character in ``text``: it can hide or reorder what a reviewer reads."""
        found = forbidden_character(text)
        if found is not None:
            self.problem(node, f"{what} contains {found}, a control or bidirectional-override character"
                               " that can hide or reorder text; remove it")
        return found is not None

    def _scalar(self, node: ScalarNode, path: DataPath) -> Any:
        if self._check_text and self._refused(node, str(node.value), f"{path_label(path)}: the text"):
            return None
        if node.tag not in _SCALAR_TAGS:
            self.problem(node, f"unsupported YAML tag {_tag(node)!r}")
            return None
        if not node.style:  # a plain scalar (quoted ones are text everywhere)
            note = yaml12.value_note(_where(path), str(node.value), node.tag)
            if note is not None:
                self.notes.append(Problem(self.file, *_pos(node), note))
        try:
            value = self._scalars.construct_object(node)
        except (ConstructorError, ValueError, OverflowError):
            # An impossible timestamp such as 2027-02-30: keep the text; the schema reports it.
            return str(node.value)
        if isinstance(value, datetime.datetime):
            return str(node.value)  # a date with a time of day: left as text for the date checks
        if isinstance(value, str) and len(value) <= _SHARED_TEXT:
            return sys.intern(value)  # ids, metric names, periods: one object however many files repeat them
        return value
