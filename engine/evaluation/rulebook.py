"""Load rule files (one rule per YAML file, named by its id) and validate them all.

Every problem in every rule file is reported at once with its file:line, the
way Spectral reports a ruleset: schema errors, a file name that is not the
id, duplicate ids or names, references to aliases not bound earlier, unknown
options, Jinja syntax errors and negations that cannot be stratified.

Rule files are read like policy files (``yamlsource.read_yaml``): the same
size, nesting, encoding and character limits, and the same messages for a
file that cannot be read (docs/hardening.md). A rule pack is user input, so
its rules also keep where each expression was written: an expression that
fails when a finding is built is reported at its key (``findings.py``).
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from interlock import resources
from interlock.evaluation import expressions
from interlock.evaluation.compiler import CompiledRule, CompileError, check_vocabulary, compile_when, stratify
from interlock.errors import InputError, Problem, UsageError
from interlock.knowledge.factkinds import vocabulary
from interlock.read.schema_messages import problems_at
from interlock.read.yamlsource import DataPath, SourceIndex, read_yaml

if TYPE_CHECKING:  # jsonschema is imported only when a rule file fails the fast verdict
    pass

BUILTIN_PREFIX = "rules/catalog"
_PLAIN_KEY = re.compile(r"[\w$-]+")


@dataclass(frozen=True)
class OptionSpec:
    """A rule option: typed, with a default from practice, overridable in configuration."""

    name: str
    type: str
    default: Any
    description: str
    minimum: float | None = None
    maximum: float | None = None
    #: A threshold several rules share (``weight-that-matters``): configured once, it holds for all.
    shared: str | None = None

    def problem(self, value: Any) -> str | None:
        """What is wrong with ``value`` for this option, or None."""
        expected = {"number": (int, float), "integer": (int,), "boolean": (bool,), "string": (str,)}[self.type]
        if isinstance(value, bool) and self.type != "boolean" or not isinstance(value, expected):
            return f"option {self.name!r} must be a {self.type}, not {value!r}"
        if self.minimum is not None and value < self.minimum:
            return f"option {self.name!r} must be at least {self.minimum}, not {value!r}"
        if self.maximum is not None and value > self.maximum:
            return f"option {self.name!r} must be at most {self.maximum}, not {value!r}"
        return None


@dataclass(frozen=True)
class Rule:
    """One rule as written: documentation, patterns, message and examples."""

    id: str
    name: str
    family: str
    title: str
    summary: str
    rationale: str
    when: tuple[Mapping[str, Any], ...]
    file: str
    line: int
    severity: str = "info"
    message: str = ""
    remediation: str = ""
    sources: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    options: Mapping[str, OptionSpec] = field(default_factory=dict)
    check: str | None = None
    derive: Mapping[str, Any] | None = None
    identity: tuple[str, ...] = ()
    prefer: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()
    objectives: tuple[str, ...] = ()
    locations: tuple[str, ...] = ()
    #: Jinja expression giving the finding's root-cause key (default: ``kind:key`` of the primary location's fact).
    cause: str | None = None
    #: Jinja expression giving the certainty (0 to 1) of what a finding says; with it, severity follows
    #: certainty: the rule's severity at ``error_certainty`` or more, at most a warning from
    #: ``info_certainty``, information below (both are options of the rule).
    certainty: str | None = None
    examples: Mapping[str, Sequence[Mapping[str, Any]]] = field(default_factory=dict)
    waivable: bool = True
    #: True for the catalog shipped with Interlock: its failures are bugs (exit 3), not bad input.
    builtin: bool = False
    #: Where each expression and template was written (``("message",)``, ``("identity", 0)``...).
    places: Mapping[DataPath, tuple[int, int]] = field(default_factory=dict, compare=False)

    @property
    def is_check(self) -> bool:
        return self.derive is None

    def defaults(self) -> dict[str, Any]:
        return {name: spec.default for name, spec in self.options.items()}

    def problem(self, path: DataPath, message: str) -> Problem:
        """A problem with this rule at the key ``path`` (its id line when the key is not known)."""
        line, col = self.places.get(tuple(path), (self.line, 1))
        return Problem(self.file, line, col, f"{_where(path)}{message}")

    def compile(self, options: Mapping[str, Any] | None = None) -> CompiledRule:
        resolved = {**self.defaults(), **(options or {})}
        patterns = compile_when(self.when, resolved)
        return CompiledRule(self.id, patterns, self.derive["kind"] if self.derive else None, 0, resolved)


@dataclass(frozen=True)
class RuleBook:
    """Every loaded rule, sorted by id; lookups accept an id or a name."""

    rules: tuple[Rule, ...]

    @property
    def checks(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.is_check)

    @property
    def derivations(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if not r.is_check)

    @cached_property
    def _positions(self) -> tuple[dict[str, int], dict[str, int]]:
        """The position of the first rule with each id, and with each name: a run looks rules up hundreds of times."""
        ids: dict[str, int] = {}
        names: dict[str, int] = {}
        for position, rule in enumerate(self.rules):
            ids.setdefault(rule.id, position)
            names.setdefault(rule.name, position)
        return ids, names

    def find(self, ident: str) -> Rule | None:
        """The first rule whose id is ``ident`` in upper case or whose name is ``ident`` in lower case."""
        wanted = ident.strip()
        ids, names = self._positions
        none = len(self.rules)
        position = min(ids.get(wanted.upper(), none), names.get(wanted.lower(), none))
        return self.rules[position] if position < none else None

    def get(self, ident: str) -> Rule:
        rule = self.find(ident)
        if rule is None:
            raise UsageError(f"unknown rule {ident!r} (see `interlock rules`)")
        return rule

    def compile(self, options: Mapping[str, Mapping[str, Any]] | None = None,
                selected: Iterable[str] | None = None) -> list[tuple[Rule, CompiledRule]]:
        """Compile the selected checks (default all) plus every derivation, stratified."""
        chosen = set(selected) if selected is not None else {r.id for r in self.checks}
        rules = [r for r in self.rules if not r.is_check or r.id in chosen]
        compiled = stratify([r.compile((options or {}).get(r.id)) for r in rules], kept_kinds(rules))
        return list(zip(rules, compiled))


def kept_kinds(rules: Sequence[Rule]) -> frozenset[str]:
    """The derived kinds kept one per key (``one_per``): their readers run after them."""
    return frozenset(r.derive["kind"] for r in rules if r.derive is not None and r.derive.get("one_per"))


def builtin_rule_dir() -> Path:
    return Path(str(resources.rules_dir() / "catalog"))


def load_rulebook(extra_dirs: Sequence[Path] = (), *, builtin: bool = True, cache: bool = True) -> RuleBook:
    """Load the built-in catalog and any rule packs; raise InputError listing every problem.

    The built-in catalog, once parsed and validated, is kept in the on-disk cache (engine/read/cache.py)
    under the digest of its files, unless ``cache`` is False; rule packs are always read afresh.
    """
    sources: list[tuple[Path, str, bool]] = []
    for folder in extra_dirs:
        if not folder.is_dir():
            raise UsageError(f"rule pack {_shown(folder.as_posix())} is not a directory")
        found = [p for p in sorted(folder.glob("*.y*ml")) if p.suffix in (".yaml", ".yml")]
        if not found:  # a mistyped folder would otherwise add no rule, silently
            raise UsageError(f"rule pack {_shown(folder.as_posix())}: no rule files (*.yaml, *.yml) in this directory")
        sources += [(p, _shown(p.as_posix()), False) for p in found]
    problems: list[Problem] = []
    rules, checked = _builtin_rules(problems, cache) if builtin else ([], False)
    for path, display, shipped in sources:
        rule = _load_rule(path, display, problems, builtin=shipped)
        if rule is not None:
            rules.append(rule)
    if not (checked and not sources):  # the cached catalog alone was checked as a whole before it was stored
        problems += _vocabulary_problems(rules) if not problems else []
        problems += _book_problems(rules, stratified=not problems)
    if problems:
        raise InputError(problems)
    return RuleBook(tuple(sorted(rules, key=lambda r: r.id)))


def _vocabulary_problems(rules: Sequence[Rule]) -> list[Problem]:
    """Patterns naming a kind or field no fact has, comparing values of different types, or dividing by a
    value that may be 0 (compiler.check_vocabulary). The kinds are the fact vocabulary (engine/knowledge/
    factkinds.py) plus what the rules derive."""
    kinds: dict[str, dict[str, str]] = vocabulary()
    for rule in rules:
        if rule.derive is not None:
            fields = kinds.setdefault(rule.derive["kind"], {"kind": "text"})
            for name in rule.derive.get("fields", {}):
                fields.setdefault(name, "any")
    problems = []
    for rule in rules:
        for path, message in check_vocabulary(rule.when, rule.defaults(), kinds):
            problems.append(rule.problem(path, message))
    return problems


def _paths(node: Any, at: DataPath) -> Iterable[DataPath]:
    """Every path inside a rule's ``when``, for locating problems in it."""
    yield at
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield from _paths(value, (*at, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, (*at, i))


def _book_problems(rules: Sequence[Rule], *, stratified: bool = True) -> list[Problem]:
    """What is wrong with the rules as a set: duplicate ids or names, then (with ``stratified``, when
    nothing else is wrong) negations that cannot be stratified."""
    problems = _cross_checks(rules)
    if stratified and not problems and rules:
        try:
            stratify([r.compile() for r in rules], kept_kinds(rules))
        except CompileError as exc:
            rule = next((r for r in rules if r.id in str(exc)), rules[0])
            problems.append(Problem(rule.file, rule.line, 1, str(exc)))
    return problems


#: A valid rule file as parsed: its data, display name, id line and where each expression is.
_Parsed = tuple[Mapping[str, Any], str, int, Mapping[DataPath, tuple[int, int]]]


def _builtin_rules(problems: list[Problem], cache: bool) -> tuple[list[Rule], bool]:
    """The shipped catalog, and whether it is known valid as a whole: from the cache when its files are
    unchanged, else read, checked and stored.

    Only a catalog that is valid file by file and as a set is stored, so a broken one is reported on every run.
    """
    from interlock.read.cache import Store, file_parts, key

    base = builtin_rule_dir()
    files = [(f"{BUILTIN_PREFIX}/{p.name}", p) for p in sorted(base.glob("*.yaml"))]
    store = Store.open(cache)
    entry_key: str | None = None
    if store.enabled:
        try:
            schema_text = (resources.rules_dir() / "schema" / "rule.schema.json").read_bytes()
            # the entry holds Jinja parse trees too: they are only as good as the Jinja that parsed them
            entry_key = key("rule-catalog", schema_text, f"jinja2 {jinja2.__version__}", *file_parts(files))
        except OSError:  # an unreadable file: reported below, and nothing is cached
            entry_key = None
        if entry_key is not None:
            cached = store.load("catalog", entry_key, _rules_from_json, tagged=True)
            if cached is not None:
                return cached, True
    found = len(problems)
    written: list[_Parsed] = []
    rules = []
    for display, path in files:
        rule = _load_rule(path, display, problems, builtin=True, written=written)
        if rule is not None:
            rules.append(rule)
    if entry_key is not None and len(problems) == found and not _book_problems(rules):
        from interlock.read.cache import Unstorable

        try:
            sources = {(source, template) for parsed in written for source, template in _stored_sources(parsed[0])}
            store.save("catalog", entry_key, {"rules": [_rule_to_json(*parsed) for parsed in written],
                                              "trees": expressions.stored_trees(sorted(sources))})
        except Unstorable:  # a value JSON cannot hold exactly: read the catalog afresh each time
            pass
    return rules, False


def _rules_from_json(stored: Any) -> list[Rule]:
    """Rules rebuilt from a stored catalog (already untagged), exactly as ``_load_rule`` builds them from a
    file; the Jinja parse trees of their expressions are handed to ``expressions``, to be rebuilt when used."""
    rules = []
    for entry in stored["rules"]:
        places = {tuple(path): (int(line), int(col)) for path, line, col in entry["places"]}
        rules.append(_rule_from(entry["data"], entry["file"], int(entry["line"]), places, builtin=True))
    expressions.remember_trees(stored["trees"])
    return rules


def _rule_to_json(data: Mapping[str, Any], display: str, line: int,
                  places: Mapping[DataPath, tuple[int, int]]) -> dict[str, Any]:
    from interlock.read.cache import to_json

    return {"file": display, "line": line, "data": to_json(data),
            "places": [[list(path), at[0], at[1]] for path, at in places.items()]}


def _load_rule(path: Path, display: str, problems: list[Problem], *, builtin: bool = False,
               written: list[_Parsed] | None = None) -> Rule | None:
    """One rule file read and checked; with ``written``, a valid rule's parsed form is appended to it."""
    try:
        data, index = read_yaml(path, display)
    except InputError as exc:
        problems.extend(exc.problems)
        return None
    # built once per process; a valid file costs the compiled verdict only, an invalid one gets jsonschema's errors
    errors = sorted(resources.schema_check("rule").iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    for error in errors:
        if error.validator == "oneOf" and not error.absolute_path:  # the rule's two shapes, told apart in words
            problems.append(Problem(display, *index.locate(()), _TWO_SHAPES))
        else:
            problems.extend(problems_at([error], index, display))
    if errors:
        return None
    found = len(problems)
    rule_id = data["id"]
    if Path(display).stem != rule_id:
        problems.append(Problem(display, *index.locate(("id",)), f"rule id {rule_id!r} must match the file name {Path(display).name!r}"))
    options = {
        name: OptionSpec(name, spec["type"], spec["default"], " ".join(spec["description"].split()),
                         spec.get("minimum"), spec.get("maximum"), spec.get("shared"))
        for name, spec in data.get("options", {}).items()
    }
    for name, spec in options.items():
        issue = spec.problem(spec.default)
        if issue:
            problems.append(Problem(display, *index.locate(("options", name, "default")), issue))
    places = _check_templates(data, index, display, problems)
    places.update((path, index.locate(path)) for path in _paths(data["when"], ("when",)))
    line = index.locate(("id",))[0]
    rule = _rule_from(data, display, line, places, builtin=builtin)
    try:
        patterns = rule.compile().patterns
    except CompileError as exc:
        problems.append(Problem(display, *index.locate(exc.path), str(exc)))
        return None
    aliases = {p.alias for p in patterns if p.alias}
    for i, alias in enumerate(rule.locations):
        if alias.partition(".")[0] not in aliases:
            problems.append(Problem(display, *index.locate(("locations", i)), f"`locations` names {alias!r}, which `when` does not bind"))
    missing = [name for name in CERTAINTY_OPTIONS if "certainty" in data and name not in options]
    if missing:
        problems.append(Problem(display, *index.locate(("certainty",)),
                                f"a rule graded by `certainty` needs the option{'s' if len(missing) > 1 else ''} "
                                f"{' and '.join(missing)} (the tiers of docs/rules.md, 'Severity follows certainty')"))
    if data["family"] == "derivation" and "derive" not in data:
        problems.append(Problem(display, *index.locate(("family",)), "a derivation rule needs `derive`"))
    if len(problems) != found:
        return None
    if written is not None:
        written.append((data, display, line, places))
    return rule


def _rule_from(data: Mapping[str, Any], display: str, line: int, places: Mapping[DataPath, tuple[int, int]],
               *, builtin: bool) -> Rule:
    """The Rule a valid rule file's data describes."""
    options = {
        name: OptionSpec(name, spec["type"], spec["default"], " ".join(spec["description"].split()),
                         spec.get("minimum"), spec.get("maximum"), spec.get("shared"))
        for name, spec in data.get("options", {}).items()
    }
    return Rule(
        id=data["id"], name=data["name"], family=data["family"], title=data["title"], summary=data["summary"].strip(),
        rationale=data["rationale"].strip(), when=tuple(data["when"]), file=display, line=line,
        severity=data.get("severity", "info"), message=data.get("message", "").strip(),
        remediation=data.get("remediation", "").strip(), sources=tuple(data.get("sources", ())),
        references=tuple(data.get("references", ())), options=options, check=data.get("check"),
        derive=data.get("derive"), identity=tuple(data.get("identity", ())), prefer=tuple(data.get("prefer", ())),
        departments=tuple(data.get("departments", ())), objectives=tuple(data.get("objectives", ())),
        locations=tuple(data.get("locations", ())), cause=data.get("cause"),
        certainty=data.get("certainty"), examples=data.get("examples", {}),
        waivable=data.get("waivable", True), builtin=builtin, places=dict(places),
    )


def _check_templates(data: Mapping[str, Any], index: SourceIndex, display: str,
                     problems: list[Problem]) -> dict[DataPath, tuple[int, int]]:
    """Jinja syntax errors in any template or expression, located at their key; returns where each is.

    Each source is checked as the rule will run it (the message stripped, as Rule keeps it), so the
    parse done here is the one evaluation reuses (expressions caches it by source).
    """
    found = _jinja_sources(data)
    places: dict[DataPath, tuple[int, int]] = {("prefer",): index.locate(("prefer",))} if "prefer" in data else {}
    for path, source, is_template in found:
        places[path] = index.locate(path)
        error = expressions.syntax_error(source, template=is_template)
        if error:
            problems.append(Problem(display, *places[path], f"{_where(path)}Jinja syntax error: {error}"))
    return places


def _jinja_sources(data: Mapping[str, Any]) -> list[tuple[DataPath, str, bool]]:
    """Every expression and template of a rule file: where it is, its source as it runs, whether a template."""
    found: list[tuple[DataPath, str, bool]] = []
    if "message" in data:
        found.append((("message",), data["message"].strip(), True))
    if "check" in data:
        found.append((("check",), data["check"], False))
    if "cause" in data:
        found.append((("cause",), data["cause"], False))
    if "certainty" in data:
        found.append((("certainty",), data["certainty"], False))
    for key in ("identity", "prefer", "departments", "objectives"):
        found += [((key, i), src, False) for i, src in enumerate(data.get(key, ()))]
    for name, src in data.get("derive", {}).get("fields", {}).items():
        found.append((("derive", "fields", name), src, False))
    return found


def _stored_sources(data: Mapping[str, Any]) -> list[tuple[str, bool]]:
    """Every Jinja source a rule runs, as (source, is template): those of ``_jinja_sources`` and the
    derived fact's ``prefer`` expressions (evaluated over the fact, and checked when they run)."""
    found = [(source, template) for _path, source, template in _jinja_sources(data)]
    return found + [(source, False) for source in data.get("derive", {}).get("prefer", ())]


def _cross_checks(rules: Sequence[Rule]) -> list[Problem]:
    problems = []
    shared: dict[str, tuple[Rule, OptionSpec]] = {}
    for rule in rules:
        for spec in rule.options.values():
            if spec.shared is None:
                continue
            first = shared.setdefault(spec.shared, (rule, spec))
            if first[1].default != spec.default or first[1].type != spec.type:
                problems.append(Problem(rule.file, rule.line, 1,
                                        f"option {spec.name!r} shares {spec.shared!r} with rule {first[0].id} "
                                        f"but its default {spec.default!r} is not {first[1].default!r}"))
    seen: dict[str, Rule] = {}
    for rule in rules:
        for key in (rule.id, rule.name):
            other = seen.get(key)
            if other is not None and other is not rule:
                problems.append(Problem(rule.file, rule.line, 1, f"duplicate rule {key!r} (also in {other.file}:{other.line})"))
            seen[key] = rule
    return problems


def _where(path: Iterable[Any]) -> str:
    """``when.0.m: `` before a message; a key that is not a plain word is quoted, so a problem stays one line."""
    parts = [str(p) if isinstance(p, int) or _PLAIN_KEY.fullmatch(str(p)) else repr(p) for p in path]
    return f"{'.'.join(parts)}: " if parts else ""


def _shown(text: str) -> str:
    """A path as it may be printed on one line: control characters in a file name are escaped."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


#: The options that set the tiers of a rule graded by `certainty` (see findings.graded).
CERTAINTY_OPTIONS = ("error_certainty", "info_certainty")


_TWO_SHAPES = ("a check rule needs message, severity, remediation and examples;"
               " a derivation needs derive (and no message or severity)")
