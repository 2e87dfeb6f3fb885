"""`interlock import WORKBOOK -o DIR`: the policy YAML a workbook stands for.

The files follow the layout the documentation recommends (docs/policy-language.md, Files and layout):
``organization.yml`` with the organization, the objectives and what the company owns;
``knowledge.yml`` with the organization's own metrics, influences, non-conflicts and formulas; and one
file per top-level department, which starts with `department:` and holds its sub-departments and
everything they own (the file's own department is left out of its items, as a person writes them).
Every file starts with the schema modeline the bundled policies use, so that an editor checks it.

Values are written as a person writes them: percentages as ``40%`` (weights, pay mix, and the
targets of percent metrics), dates as YYYY-MM-DD, lists of ids in brackets, payout-curve points on
one line each. The workbook is validated first, so the YAML is known to pass `interlock check`.
"""
from __future__ import annotations

import datetime
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from interlock.read.workbook_layout import (
    BY_NAME,
    CAP,
    OWNER_KEYS,
    PERCENT,
    QUANTITY,
    SECTIONS,
    SHEETS,
    Sheet,
    children,
)
from interlock.outputs.workbook_write import percent_value

if TYPE_CHECKING:
    from interlock.read.loader import Document
    from interlock.model.model import Organization

ORGANIZATION_FILE = "organization.yml"
KNOWLEDGE_FILE = "knowledge.yml"
KNOWLEDGE_SECTIONS = ("metrics", "influences", "non_conflicts", "formulas")
#: Sections whose quantities are in the unit of the metric the item names (by this key).
_METRIC_OF = {"Targets": "metric", "Measures": "metric", "Gates": "metric", "Assumptions": "name",
              "Dependencies": "metric"}


def modeline(folder: Path) -> str:
    """``# yaml-language-server: $schema=...``, the path relative to ``folder`` (as in policies/)."""
    from interlock import resources

    schema = Path(str(resources.rules_dir() / "schema" / "policy.schema.json"))
    try:
        target = os.path.relpath(schema.resolve(), folder.resolve())
    except ValueError:  # another drive (Windows): an absolute path still works
        target = str(schema.resolve())
    return f"# yaml-language-server: $schema={Path(target).as_posix()}"


def policy_files(documents: Sequence[Document], organization: Organization, folder: Path,
                 source: str) -> dict[str, str]:
    """File name -> YAML text of the organization the documents describe (already validated)."""
    units = _units(organization)
    merged: dict[str, list[dict[str, Any]]] = {section: [] for section in SECTIONS if section != "organization"}
    info: dict[str, Any] | None = None
    for doc in sorted(documents, key=lambda d: d.path):
        data = doc.data
        home = data.get("department")
        default = home.get("id") if isinstance(home, dict) else None
        if isinstance(data.get("organization"), dict) and info is None:
            info = data["organization"]
        if isinstance(home, dict):
            merged["departments"].append(home)
        for section in merged:
            for item in data.get(section) or []:
                if isinstance(item, dict):
                    owner = OWNER_KEYS.get(section)
                    merged[section].append({**item, owner: default} if owner and owner not in item and default
                                           else dict(item))
    parents = {str(d.get("id")): d.get("parent") for d in merged["departments"]}

    def top(department: Any) -> str | None:
        seen: set[str] = set()
        current = str(department) if department is not None else None
        while current in parents and parents[current] is not None and current not in seen:
            seen.add(current)
            current = str(parents[current])
        return current if current in parents else None

    files: dict[str, dict[str, Any]] = {ORGANIZATION_FILE: {}}
    if info is not None:
        files[ORGANIZATION_FILE]["organization"] = _ordered(BY_NAME["Organization"], info, units)
    names = {str(d["id"]): _file_name(str(d["id"])) for d in merged["departments"]
             if d.get("parent") is None and isinstance(d.get("id"), str)}
    for department in merged["departments"]:
        ident = str(department.get("id"))
        entry = _ordered(BY_NAME["Departments"], department, units)
        if ident in names:  # a top-level department: its own file, under `department:`
            files.setdefault(names[ident], {})["department"] = entry
        else:
            home_id = top(ident)
            name = names[home_id] if home_id in names else ORGANIZATION_FILE
            files.setdefault(name, {}).setdefault("departments", []).append(entry)
    for section in SECTIONS:
        if section in ("organization", "departments"):
            continue
        sheet = next(s for s in SHEETS if s.section == section and s.parent is None)
        owner = OWNER_KEYS.get(section)
        for item in merged[section]:
            home_id = top(item.get(owner)) if owner else None
            if section in KNOWLEDGE_SECTIONS:
                name = KNOWLEDGE_FILE
            elif home_id in names:
                name = names[str(home_id)]
            else:
                name = ORGANIZATION_FILE
            entry = _ordered(sheet, item, units)
            if owner and name != ORGANIZATION_FILE and entry.get(owner) == home_id:
                del entry[owner]  # the file's own department: the default
            files.setdefault(name, {}).setdefault(section, []).append(entry)
    keys = ("organization", "department", "departments", *SECTIONS)
    files = {name: {key: body[key] for key in sorted(body, key=keys.index)} for name, body in files.items()}
    header = [modeline(folder), "#", f"# Imported from {source} by `interlock import`: the workbook's sheets, one "
                                     "section each (docs/spreadsheets.md)."]
    return {name: _dump(header, body) for name, body in sorted(files.items(), key=lambda kv: _order(kv[0]))
            if body}


def _file_name(ident: str) -> str:
    name = f"{ident}.yml"
    return f"department-{name}" if name in (ORGANIZATION_FILE, KNOWLEDGE_FILE) else name


def _order(name: str) -> tuple[int, str]:
    return (0 if name == ORGANIZATION_FILE else 1 if name == KNOWLEDGE_FILE else 2, name)


def _units(organization: Organization) -> dict[str, str]:
    units = {name: m.unit for m in organization.metrics for name in (m.id, *m.aliases)}
    for objective in organization.objectives:
        if objective.metrics and objective.metrics[0] in units:
            units[f"objective:{objective.id}"] = units[objective.metrics[0]]
    return units


def _ordered(sheet: Sheet, item: Mapping[str, Any], units: Mapping[str, str]) -> dict[str, Any]:
    """The item's keys in the layout's order, values as a person writes them, nested lists after."""
    metric = item.get(_METRIC_OF.get(sheet.name, ""), "")
    if sheet.name == "Objectives":
        metrics = item.get("metrics")
        metric = metrics[0] if isinstance(metrics, list) and metrics else f"objective:{item.get('id') or item.get('adopt')}"
    unit = units.get(str(metric), "")
    out: dict[str, Any] = {}
    columns = {c.key[0]: c for c in sheet.values}
    for key, column in columns.items():
        if key not in item:
            continue
        value = item[key]
        if len(column.key) > 1 and isinstance(value, dict):
            inner = {c.key[1]: c for c in sheet.values if c.key[0] == key}
            value = {k: _Flow(v) if isinstance(v, list) else _written(inner[k].kind, v, unit) if k in inner else v
                     for k, v in value.items()}
            if key == "effective":
                value = _FlowMap(value)
        elif len(column.key) > 1 and isinstance(value, list):
            kinds = {c.key[1]: c.kind for c in sheet.values if c.key[0] == key}
            value = _Flow([_written(kinds.get(i, ""), v, unit) for i, v in enumerate(value)])
        elif isinstance(value, list):
            value = _Flow(value)
        else:
            value = _written(column.kind, value, unit)
        out[str(key)] = value
    for child in children(sheet):
        entries = item.get(child.section)
        if isinstance(entries, list):
            written = [_ordered(child, e, units) if isinstance(e, dict) else e for e in entries]
            if child.name == "Curves":
                written = [_FlowMap(e) if isinstance(e, dict) else e for e in written]
            out[child.section] = written
    for key, value in item.items():  # keys the layout does not know (none in a valid item): kept as they are
        if key not in out and key not in {c.section for c in children(sheet)}:
            out[key] = value
    return out


def _written(kind: str, value: Any, unit: str) -> Any:
    """A value as the policy files write it: ``40%`` for percentages, whole numbers without ``.0``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    if kind == PERCENT or (kind in (QUANTITY, CAP) and unit == "percent"):
        number = percent_value(value)
        if number is not None:
            text = f"{number * 100:.10g}"
            if "e" not in text:
                return f"{text}%"
    if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53:
        return int(value)
    return value


class _Flow(list):  # type: ignore[type-arg]
    """A list written on one line: ``[price, scope]``."""


class _FlowMap(dict):  # type: ignore[type-arg]
    """A mapping written on one line: ``{attainment: 60%, payout: 30%}``."""


class _Dumper(yaml.SafeDumper):
    """Block style with list items indented under their key, flow for short lists and curve points,
    never an &anchor."""

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


_Dumper.add_representer(_Flow, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))
_Dumper.add_representer(_FlowMap, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v, flow_style=True))
_Dumper.add_representer(datetime.date, lambda d, v: d.represent_scalar("tag:yaml.org,2002:timestamp", v.isoformat()))


def _dump(header: Sequence[str], body: Mapping[str, Any]) -> str:
    parts = []
    for section, value in body.items():
        text = yaml.dump({section: value}, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                         default_flow_style=False, width=100)
        parts.append(text)
    return "\n".join(header) + "\n\n" + "\n".join(parts)
