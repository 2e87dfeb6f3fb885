"""The metric knowledge base: built-in (rules/knowledge/*.yaml) plus an organization's own additions.

The built-in files are package data, validated against
rules/schema/knowledge.schema.json when first used; a broken built-in file is
an input error like any other. Organizations extend the catalog in the same
shape (validate.py checks their ids and references): their metrics are added,
their influence edges replace built-in edges between the same two metrics,
their formulas replace built-in formulas with the same id.
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from interlock import resources
from interlock.errors import InputError, Problem
from interlock.model.model import Formula, Influence, Location, Metric, NonConflict
from interlock.read.schema_messages import problems_at
from interlock.read.yamlsource import SourceIndex, parse_yaml, path_label

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

FILES = ("metrics", "influences", "objectives", "formulas")
GOOD = {"up": 1, "down": -1, "band": 0, "none": 0}
LAG_DAYS = {"d": 1, "w": 7, "m": 30, "q": 90, "y": 365}


def fold(text: str) -> str:
    """A metric name as compared: lower case, words joined by ``_``."""
    return "_".join(re.split(r"[^0-9a-z%]+", text.lower().replace("%", " pct "))).strip("_")


@dataclass(frozen=True)
class ObjectiveDefinition:
    """A built-in objective an organization adopts by id."""

    id: str
    name: str
    metrics: tuple[str, ...]
    direction: int
    description: str = ""
    protected_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class Knowledge:
    """Metrics, signed influences, formulas, known non-conflicts and adoptable objectives."""

    metrics: tuple[Metric, ...] = ()
    influences: tuple[Influence, ...] = ()
    formulas: tuple[Formula, ...] = ()
    non_conflicts: tuple[NonConflict, ...] = ()
    objectives: Mapping[str, ObjectiveDefinition] = field(default_factory=dict, hash=False, compare=False)

    @cached_property
    def by_id(self) -> dict[str, Metric]:
        return {m.id: m for m in self.metrics}

    @cached_property
    def names(self) -> dict[str, str]:
        """Every id and alias, to the metric id it stands for."""
        table = {alias: m.id for m in self.metrics for alias in m.aliases}
        table.update({m.id: m.id for m in self.metrics})
        return table

    @cached_property
    def _spellings(self) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
        """How metrics may be written, folded (lower case, ``_`` between words), to their ids: ids and
        aliases; names; unambiguous initials of any of them (``aht`` for average_handle_time)."""
        ids: dict[str, str] = {}
        names: dict[str, str] = {}
        initials: dict[str, set[str]] = {}
        for metric in sorted(self.metrics, key=lambda m: m.id):
            for written in (metric.id, *metric.aliases):
                ids.setdefault(fold(written), metric.id)
            names.setdefault(fold(metric.name), metric.id)
            for written in (metric.id, *metric.aliases, metric.name):
                words = [w for w in fold(written).split("_") if w and w not in ("pct", "of", "the", "and", "a")]
                if len(words) >= 2:
                    initials.setdefault("".join(w[0] for w in words), set()).add(metric.id)
        short = {k: next(iter(v)) for k, v in initials.items() if len(v) == 1}  # ambiguous ones suggest nothing
        return ids, names, short

    def suggest(self, name: str) -> str | None:
        """The metric a name that is not an id or alias probably means: an id, alias or name in another
        case or spelling, a near miss of an id or alias, an abbreviation (AHT, DSO), a near miss of a name."""
        if len(name) > 100:  # nothing that long is a typo of a short name, and difflib is quadratic
            return None
        folded = fold(name)
        ids, names, short = self._spellings
        for table, cutoff in ((ids, 1.0), (names, 1.0), (ids, 0.6), (short, 1.0), (names, 0.75)):
            if cutoff == 1.0:
                if folded in table:
                    return table[folded]
                continue
            close = difflib.get_close_matches(folded, sorted(table), n=1, cutoff=cutoff)
            if close:
                return table[close[0]]
        return None

    def canonical(self, name: str) -> str:
        """The metric id for an id or alias; other names (drivers) unchanged."""
        return self.names.get(name, name)

    def good(self, metric: str) -> int:
        found = self.by_id.get(metric)
        return found.good if found else 0

    def with_objectives(self, objectives: Iterable[ObjectiveDefinition]) -> Knowledge:
        return replace(self, objectives={o.id: o for o in sorted(objectives, key=lambda o: o.id)})

    def extended(
        self,
        metrics: Iterable[Metric] = (),
        influences: Iterable[Influence] = (),
        formulas: Iterable[Formula] = (),
        non_conflicts: Iterable[NonConflict] = (),
    ) -> Knowledge:
        """This catalog with an organization's additions; an org edge or formula replaces the built-in one."""
        edges = {(e.src, e.dst): e for e in self.influences}
        edges.update({(e.src, e.dst): e for e in influences})
        by_formula = {f.id: f for f in self.formulas}
        by_formula.update({f.id: f for f in formulas})
        pairs = {(n.a, n.b): n for n in self.non_conflicts}
        pairs.update({(n.a, n.b): n for n in non_conflicts})
        return replace(
            self,
            metrics=tuple(sorted((*self.metrics, *metrics), key=lambda m: m.id)),
            influences=tuple(edges[k] for k in sorted(edges)),
            formulas=tuple(by_formula[k] for k in sorted(by_formula)),
            non_conflicts=tuple(pairs[k] for k in sorted(pairs)),
        )


# --- reading entries (shared by the built-in files and policy files) ------------------------------


def metric_from(data: Mapping[str, Any], at: Location | None = None) -> Metric:
    return Metric(
        id=data["id"],
        name=data.get("name") or data["id"],
        unit=data.get("unit", ""),
        good=GOOD.get(data.get("good", "none"), 0),
        kind=data.get("kind", ""),
        function=data.get("function", ""),
        aliases=tuple(data.get("aliases") or ()),
        companions=tuple(data.get("quality_pair") or ()),
        definition=data.get("definition", ""),
        band=_band(data.get("band")),
        at=at,
    )


def influence_from(
    data: Mapping[str, Any], at: Location | None = None, canonical: Callable[[str], str] = str
) -> Influence:
    name = canonical
    return Influence(
        src=name(data["from"]),
        dst=name(data["to"]),
        sign=-1 if str(data.get("sign")) in ("-", "-1") else 1,
        conf=float(data.get("confidence", 0.5)),
        lag_days=lag_days(data.get("lag", 0)),
        basis=data.get("basis", "heuristic"),
        rationale=data.get("rationale", ""),
        source=data.get("source", ""),
        at=at,
    )


def formula_from(data: Mapping[str, Any], at: Location | None = None) -> Formula:
    return Formula(data["id"], data["output"], data["expression"], data.get("rationale", ""), at)


def non_conflict_from(
    data: Mapping[str, Any], at: Location | None = None, canonical: Callable[[str], str] = str
) -> NonConflict:
    name = canonical
    a, b = sorted(name(m) for m in data["metrics"])
    return NonConflict(a, b, data.get("rationale", ""), at)


def lag_days(lag: object) -> int:
    """``0``, ``14d``, ``2w``, ``1m``, ``1q``, ``1y`` in days (a month is 30 days, a quarter 90)."""
    if isinstance(lag, (int, float)) and not isinstance(lag, bool):
        return int(lag)
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([dwmqy])\s*", str(lag))
    if not match:
        return 0
    return round(float(match.group(1)) * LAG_DAYS[match.group(2)])


def _band(value: object) -> tuple[float, float] | None:
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, (int, float)) for v in value):
        return float(value[0]), float(value[1])
    return None


# --- the built-in knowledge base ------------------------------------------------------------------


def builtin(cache: bool = True) -> Knowledge:
    """The knowledge base shipped in rules/knowledge/, checked once per process.

    Once checked, its entries are kept in the on-disk cache (engine/read/cache.py) under the digest of
    its files and schema, so later processes skip parsing and validating them; ``cache=False``
    neither reads nor writes that cache. Either way the result is the same, kept for the process.
    """
    if not _LOADED:
        _LOADED.append(_load_builtin(cache))
    return _LOADED[0]


#: The built-in knowledge base once loaded in this process (package data does not change under a run).
_LOADED: list[Knowledge] = []


def _load_builtin(cache: bool) -> Knowledge:
    from interlock.read.cache import Store, Unstorable, file_parts, key, to_json

    directory = resources.rules_dir() / "knowledge"
    files = [(f"rules/knowledge/{name}.yaml", directory / f"{name}.yaml") for name in FILES]
    files = [(display, file) for display, file in files if file.is_file()]
    store = Store.open(cache)
    entry_key: str | None = None
    if store.enabled:
        try:
            schema_text = (resources.rules_dir() / "schema" / "knowledge.schema.json").read_bytes()
            entry_key = key("knowledge", schema_text, *file_parts(files))
        except OSError:  # unreadable: reported below by the parse, never cached
            entry_key = None
        if entry_key is not None:
            cached = store.load("knowledge", entry_key, _sections_from_json, tagged=True)
            if cached is not None:
                return _from_sections(cached)
    sections = _checked_sections(files)
    if entry_key is not None:
        try:
            store.save("knowledge", entry_key, to_json(sections))
        except Unstorable:  # a value JSON cannot hold exactly: parse the files each time
            pass
    return _from_sections(sections)


def _checked_sections(files: Sequence[tuple[str, Traversable]]) -> dict[str, list[dict[str, Any]]]:
    """Every entry of the built-in files, by section; InputError with every problem at file:line."""
    problems: list[Problem] = []
    entries: dict[str, list[tuple[dict[str, Any], str, SourceIndex, tuple[str | int, ...]]]] = {}
    validator = _knowledge_validator()
    for display, file in files:
        try:
            data, index = parse_yaml(file.read_text(encoding="utf-8"), display)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        if validator is not None:
            problems.extend(_schema_problems(validator, data, index, display))
        for key, value in data.items():
            for i, item in enumerate(value if isinstance(value, list) else []):
                if isinstance(item, dict):
                    entries.setdefault(key, []).append((item, display, index, (key, i)))
    if problems:
        raise InputError(problems)
    base = Knowledge(metrics=tuple(metric_from(m) for m, *_ in entries.get("metrics", [])))
    problems.extend(_unknown_metrics(base, entries))
    if problems:
        raise InputError(problems)
    return {section: [item for item, *_ in found] for section, found in entries.items()}


def _sections_from_json(sections: Any) -> dict[str, list[dict[str, Any]]]:
    """Stored sections (already untagged), refused unless each is a list of mappings."""
    if not isinstance(sections, dict) or not all(
            isinstance(v, list) and all(isinstance(item, dict) for item in v) for v in sections.values()):
        raise ValueError("not a knowledge base")
    return sections


def _from_sections(sections: Mapping[str, list[dict[str, Any]]]) -> Knowledge:
    """The knowledge base that checked entries describe."""
    metrics = tuple(sorted((metric_from(m) for m in sections.get("metrics", [])), key=lambda m: m.id))
    base = Knowledge(metrics=metrics)
    return base.extended(
        influences=[influence_from(e, canonical=base.canonical) for e in sections.get("influences", [])],
        formulas=[formula_from(f) for f in sections.get("formulas", [])],
        non_conflicts=[non_conflict_from(n, canonical=base.canonical) for n in sections.get("non_conflicts", [])],
    ).with_objectives(_objective(o, base) for o in sections.get("objectives", []))


def _unknown_metrics(
    base: Knowledge, entries: Mapping[str, list[tuple[dict[str, Any], str, SourceIndex, tuple[str | int, ...]]]]
) -> list[Problem]:
    """Built-in edges, pairs, objectives and quality pairs may only name built-in metrics."""
    fields = {
        "influences": ("from", "to"),
        "non_conflicts": ("metrics",),
        "objectives": ("metrics",),
        "metrics": ("quality_pair",),
    }
    problems = []
    for section, keys in fields.items():
        for item, display, index, path in entries.get(section, []):
            for key in keys:
                value = item.get(key)
                for i, name in enumerate(value if isinstance(value, list) else [value]):
                    if isinstance(name, str) and name not in base.names:
                        at = (*path, key, i) if isinstance(value, list) else (*path, key)
                        problems.append(Problem(display, *index.locate(at), f"{path_label(at)}: unknown metric {name!r}"))
    return problems


def _objective(data: Mapping[str, Any], base: Knowledge) -> ObjectiveDefinition:
    return ObjectiveDefinition(
        id=data["id"],
        name=data.get("name") or data["id"],
        metrics=tuple(base.canonical(m) for m in data.get("metrics", ())),
        direction=1 if data.get("direction", "up") == "up" else -1,
        description=data.get("description", ""),
        protected_by=tuple(data.get("protected_by") or ()),
    )


def _knowledge_validator() -> resources.SchemaCheck | None:
    """The knowledge schema's check, built once per process (None if the schema is not shipped)."""
    try:
        return resources.schema_check("knowledge", formats=True)
    except FileNotFoundError:
        return None


def _schema_problems(validator: resources.SchemaCheck, data: Any, index: SourceIndex, display: str) -> list[Problem]:
    return problems_at(validator.iter_errors(data), index, display)
