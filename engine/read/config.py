"""The resolved configuration of one run: which rules, at what severity, with which options.

The CLI builds exactly one Config; each rule sees only its own resolved
options. Nothing here is global.

Precedence, lowest first: rule defaults, then the configuration file
(``interlock.yml``, found by walking up from the checked path, or named with
``--config``), then command-line flags. The file is validated against the
published schema ``rules/schema/config.schema.json`` and every problem is
reported at its ``file:line:col`` (linting-conventions.md, lesson 3).
"""
from __future__ import annotations

import fnmatch
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from interlock import resources
from interlock.errors import InputError, Problem, UsageError

# JSON Schema and YAML are imported where they are used, so that
# importing this module (every command does) costs nothing a command does not need.
if TYPE_CHECKING:

    from interlock.read.yamlsource import DataPath, SourceIndex

FAIL_ON = ("error", "warning", "info", "never")
#: The words a configuration and a rule file share: rule families and severities.
FAMILIES = ("vertical", "cross-functional", "temporal", "quantitative", "hygiene")
SEVERITIES = ("error", "warning", "info")


class RuleEntry(Protocol):
    """What the configuration needs to know of one rule (evaluation.rulebook.Rule)."""

    id: str
    name: str
    family: str
    severity: str
    options: Mapping[str, Any]


class RuleCatalog(Protocol):
    """What the configuration needs to know of the rule book, so that reading it needs no rules engine."""

    @property
    def checks(self) -> Sequence[RuleEntry]: ...

    def get(self, ident: str) -> RuleEntry: ...

    def find(self, ident: str) -> RuleEntry | None: ...
#: Looked for in this order in each directory, from the checked path up to the root.
CONFIG_NAMES = ("interlock.yml", "interlock.yaml", ".interlock.yml")
#: Keys of a configuration file, in the order `config --show` prints them.
KEYS = ("select", "ignore", "severity", "options", "rule-packs", "fail-on", "waivers", "baseline", "exclude")
DEFAULT = "default"
COMMAND_LINE = "command line"


@dataclass(frozen=True)
class Config:
    """Rule selection, severities, options and the failure threshold."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    rule_packs: tuple[Path, ...] = ()
    fail_on: str = "error"
    #: The configuration file this came from (as displayed), or None.
    source: str | None = None
    #: The waiver file to apply (``waivers:`` in the file, or ``--waivers``).
    waivers: Path | None = None
    #: The baseline to compare against (``baseline:`` in the file, or ``--baseline``).
    baseline: Path | None = None
    #: Where each key's value came from: "default", the file, or "command line".
    origins: Mapping[str, str] = field(default_factory=dict, compare=False)
    #: Positions in the configuration file, so that rule-level problems point at their line.
    index: SourceIndex | None = field(default=None, compare=False, repr=False)
    #: Whether the run may use the on-disk cache (engine/read/cache.py); ``--no-cache`` turns it off.
    cache: bool = True
    #: Whether links found in a checked folder may lead to files outside it (``--follow-links``).
    follow_links: bool = False
    #: Globs of files that are not part of the organization (``exclude:``), relative to ``root``.
    exclude: tuple[str, ...] = ()
    #: The configuration file's folder: where ``exclude`` globs start, and the organization
    #: `interlock check` checks when given no path.
    root: Path | None = field(default=None, compare=False)

    def excluded(self, file: Path) -> bool:
        """Whether a file found in a folder is kept out of the organization by ``exclude``."""
        if not self.exclude or self.root is None:
            return False
        try:
            relative = file.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:  # outside the configuration's folder: its globs do not reach it
            return False
        return any(fnmatch.fnmatchcase(relative, glob) or fnmatch.fnmatchcase(relative, glob.rstrip("/") + "/*")
                   for glob in self.exclude)

    def selected(self, book: RuleCatalog) -> set[str]:
        """Ids of the check rules this run evaluates (select by id, name or family, then ignore)."""
        chosen = {r.id for r in book.checks if not self.select or self._hits(r.id, self.select, book)}
        return {rid for rid in chosen if not self._hits(rid, self.ignore, book)}

    def severities(self, book: RuleCatalog) -> dict[str, str]:
        result = {r.id: r.severity for r in book.checks}
        for ident, severity in self.severity.items():
            result[book.get(ident).id] = severity
        return result

    def rule_options(self, book: RuleCatalog) -> dict[str, dict[str, Any]]:
        """Options per rule id, validated against each rule's declared options."""
        resolved: dict[str, dict[str, Any]] = {}
        for ident, values in self.options.items():
            rule = book.get(ident)
            for name, value in values.items():
                spec = rule.options.get(name)
                if spec is None:
                    known = ", ".join(sorted(rule.options)) or "none"
                    raise UsageError(f'unknown option "{name}" for rule {rule.id} (its options: {known})')
                problem = spec.problem(value)
                if problem:
                    raise UsageError(f"rule {rule.id}: {problem}")
            resolved[rule.id] = dict(values)
        return _share(resolved, book)

    def validate(self, book: RuleCatalog) -> None:
        """Unknown rule ids, families or severities are usage errors, not silent no-ops.

        Problems in values that came from the configuration file are reported
        together, each at its file:line:col; a bad command-line value is a
        usage error on its own.
        """
        problems: list[Problem] = []

        def report(key: str, path: DataPath, message: str, at_key: bool = False) -> None:
            if self.index is not None and self.source is not None and self.origins.get(key) == self.source:
                where = self.index.locate_key(path) if at_key else self.index.locate(path)
                problems.append(Problem(self.source, *where, message))
            else:
                raise UsageError(message)

        for key, idents in (("select", self.select), ("ignore", self.ignore)):
            for i, ident in enumerate(idents):
                if ident not in FAMILIES and book.find(ident) is None:
                    report(key, (key, i), f"{key}: unknown rule or family {ident!r} (see `interlock rules`)")
        for ident, severity in self.severity.items():
            if book.find(ident) is None:
                report("severity", ("severity", ident), f"severity: unknown rule {ident!r} (see `interlock rules`)",
                       at_key=True)
            if severity not in SEVERITIES:
                report("severity", ("severity", ident),
                       f"severity for {ident} must be one of {', '.join(SEVERITIES)}, not {severity!r}")
        for ident, values in self.options.items():
            rule = book.find(ident)
            if rule is None:
                report("options", ("options", ident), f"options: unknown rule {ident!r} (see `interlock rules`)",
                       at_key=True)
                continue
            for name, value in values.items():
                spec = rule.options.get(name)
                if spec is None:
                    known = ", ".join(sorted(rule.options)) or "none"
                    report("options", ("options", ident, name),
                           f'unknown option "{name}" for rule {rule.id} (its options: {known})', at_key=True)
                elif issue := spec.problem(value):
                    report("options", ("options", ident, name), f"rule {rule.id}: {issue}")
        if self.fail_on not in FAIL_ON:
            report("fail-on", ("fail-on",), f"fail-on must be one of {', '.join(FAIL_ON)}, not {self.fail_on!r}")
        if problems:
            raise InputError(problems)

    def layered(self, *, select: Sequence[str] = (), ignore: Sequence[str] = (), rule_packs: Sequence[Path] = (),
                fail_on: str | None = None, waivers: Path | None = None, baseline: Path | None = None) -> Config:
        """This configuration with command-line flags on top.

        --select/--ignore replace the file's lists when given; --rules adds
        packs (they are additive by nature); the rest override.
        """
        changes: dict[str, Any] = {}
        origins = dict(self.origins)
        for key, attr, value in (("select", "select", tuple(select)), ("ignore", "ignore", tuple(ignore)),
                                 ("fail-on", "fail_on", fail_on), ("waivers", "waivers", waivers),
                                 ("baseline", "baseline", baseline)):
            if value:
                changes[attr] = value
                origins[key] = COMMAND_LINE
        if rule_packs:
            changes["rule_packs"] = (*self.rule_packs, *rule_packs)
            origins["rule-packs"] = COMMAND_LINE if not self.rule_packs else f"{origins['rule-packs']} + {COMMAND_LINE}"
        return replace(self, origins=origins, **changes)

    def to_data(self) -> dict[str, Any]:
        """The configuration as a file would spell it (paths as displayed)."""
        return {
            "select": list(self.select),
            "ignore": list(self.ignore),
            "severity": dict(self.severity),
            "options": {k: dict(v) for k, v in self.options.items()},
            "rule-packs": [p.as_posix() for p in self.rule_packs],
            "fail-on": self.fail_on,
            "waivers": self.waivers.as_posix() if self.waivers else None,
            "baseline": self.baseline.as_posix() if self.baseline else None,
            "exclude": list(self.exclude),
        }

    @staticmethod
    def _hits(rule_id: str, selectors: tuple[str, ...], book: RuleCatalog) -> bool:
        rule = book.get(rule_id)
        return any(s in (rule.family, rule.id, rule.name) or s.upper() == rule.id for s in selectors)


def file_schema(name: str) -> dict[str, Any]:
    """The schema of a companion file (``waivers-file``, ``baseline-file``), published in config.schema.json's $defs."""
    full = resources.schema("config")
    return {"$schema": full["$schema"], "$id": full["$id"], "$defs": full["$defs"], "$ref": f"#/$defs/{name}"}


def discover(start: Path) -> Path | None:
    """The nearest configuration file, walking up from ``start`` (a file or directory) to the root."""
    here = start.resolve()
    if not here.is_dir():
        here = here.parent
    for folder in (here, *here.parents):
        for name in CONFIG_NAMES:
            candidate = folder / name
            if candidate.is_file():
                return candidate
    return None


def default_target(start: Path) -> Path:
    """What `interlock check` checks when given no path (issue 21), as shown in messages.

    The folder of the nearest configuration file (``exclude`` keeps unrelated YAML out of
    it); else ``start`` itself when it holds an organization file (a YAML file with a
    top-level ``organization:``, as `interlock init` writes); else ``policies/`` below it.
    """
    found = discover(start)
    if found is not None:
        return Path(shown(found.parent))
    for candidate in sorted(start.glob("*.y*ml")):
        if candidate.suffix in (".yml", ".yaml") and candidate.name not in CONFIG_NAMES and _declares_organization(candidate):
            return Path(shown(candidate.parent))
    if (start / "policies").is_dir():
        return Path(shown(start / "policies"))
    raise UsageError("no organization to check here: no interlock.yml in this folder or above it, no organization "
                     "file (a YAML file with `organization:`) in it and no policies/ folder; give the folder, "
                     "e.g. `interlock check plans/`, or start one with `interlock init DIR`")


def _declares_organization(file: Path) -> bool:
    try:
        with file.open(encoding="utf-8", errors="replace") as handle:
            return any(line.startswith("organization:") for line in handle)
    except OSError:
        return False


def load_config(path: Path) -> Config:
    """Read and validate one configuration file; paths in it are relative to the file."""
    from interlock.read.schema_messages import problems_at
    from interlock.read.yamlsource import read_yaml

    display = shown(path)
    data, index = read_yaml(path, display)
    # The fast verdict first (jsonschema-rs); jsonschema is imported only for a file with errors to word.
    problems = problems_at(resources.schema_check("config").iter_errors(data), index, display)
    if problems:
        raise InputError(problems)  # the values below are only read once their shape is right
    base = path.parent
    packs = tuple(Path(shown(base / p)) for p in data.get("rule-packs", ()))
    for i, pack in enumerate(packs):
        if not pack.is_dir():
            problems.append(Problem(display, *index.locate(("rule-packs", i)), f"rule-packs: {pack.as_posix()} is not a directory"))
    if problems:
        raise InputError(problems)
    origins = {key: display if key in data else DEFAULT for key in KEYS}
    return Config(
        select=tuple(data.get("select", ())),
        ignore=tuple(data.get("ignore", ())),
        severity=dict(data.get("severity", {})),
        options={k: dict(v) for k, v in data.get("options", {}).items()},
        rule_packs=packs,
        fail_on=data.get("fail-on", "error"),
        source=display,
        waivers=Path(shown(base / data["waivers"])) if "waivers" in data else None,
        baseline=Path(shown(base / data["baseline"])) if "baseline" in data else None,
        origins=origins,
        index=index,
        exclude=tuple(data.get("exclude", ())),
        root=path.parent,
    )


def resolve(paths: Sequence[Path], *, config_file: Path | None = None, select: Sequence[str] = (),
            ignore: Sequence[str] = (), rule_packs: Sequence[Path] = (), fail_on: str | None = None,
            waivers: Path | None = None, baseline: Path | None = None, cache: bool = True,
            follow_links: bool = False) -> Config:
    """The one Config of a run: the named or discovered file (from the first path), then the flags
    (``cache=False`` for ``--no-cache``)."""
    if config_file is not None:
        if not config_file.is_file():
            raise UsageError(f"--config {config_file.as_posix()}: no such file")
        found: Path | None = config_file
    else:
        found = discover(paths[0] if paths else Path.cwd())
    base = load_config(found) if found is not None else Config(origins={key: DEFAULT for key in KEYS})
    layered = base.layered(select=select, ignore=ignore, rule_packs=rule_packs, fail_on=fail_on,
                           waivers=waivers, baseline=baseline)
    layered = replace(layered, follow_links=follow_links) if follow_links else layered
    return layered if cache and _cache_allowed(paths) else replace(layered, cache=False)


def _cache_allowed(paths: Sequence[Path]) -> bool:
    """The cache is off (INTERLOCK_NO_CACHE), or lies inside a checked folder, where nothing is written."""
    from interlock.read.cache import Store

    return Store.open().outside(paths).enabled


def shown(path: Path) -> str:
    """A path as messages show it: relative to the working directory when inside it, else as given."""
    path = Path(os.path.normpath(path))
    if path.is_absolute():
        try:
            return path.relative_to(Path.cwd()).as_posix()
        except ValueError:
            return path.as_posix()
    return path.as_posix()


def _share(resolved: dict[str, dict[str, Any]], book: RuleCatalog) -> dict[str, dict[str, Any]]:
    """A shared threshold set for one rule holds for every rule sharing it, unless that rule sets its own."""
    values: dict[str, Any] = {}
    for ident in sorted(resolved):
        rule = book.get(ident)
        for name, value in resolved[ident].items():
            group = getattr(rule.options.get(name), "shared", None)
            if group is not None:
                values.setdefault(group, value)
    if not values:
        return resolved
    for rule in book.checks:
        for name, spec in rule.options.items():
            group = getattr(spec, "shared", None)
            if group in values and name not in resolved.get(rule.id, {}):
                resolved.setdefault(rule.id, {})[name] = values[group]
    return resolved
