"""docs/policy-language.md: every example is a valid policy, and every construct has an example."""
from __future__ import annotations

import re
from typing import Any

import pytest

from interlock import resources
from interlock.errors import InputError
from interlock.read.loader import Document
from interlock.model.validate import validate
from interlock.read.yamlsource import parse_yaml
from paths import ROOT_DIR

DOC = ROOT_DIR / "docs" / "policy-language.md"
TEXT = DOC.read_text(encoding="utf-8")
BLOCKS = [(TEXT[: m.start()].count("\n") + 2, m.group(1)) for m in re.finditer(r"```yaml\n(.*?)```", TEXT, re.S)]


def test_the_page_has_examples() -> None:
    assert len(BLOCKS) >= 12


@pytest.mark.parametrize(("line", "block"), BLOCKS, ids=[f"line{line}" for line, _ in BLOCKS])
def test_example_is_a_valid_policy_file(line: int, block: str) -> None:
    display = f"docs/policy-language.md@{line}"
    try:
        data, index = parse_yaml(block, display)
        validate([Document(display, data, index)])
    except InputError as exc:
        pytest.fail("\n".join(exc.lines()))


def _key_paths(value: Any, path: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Key paths with list indexes dropped: ('plans', 'measures', 'weight')."""
    found: set[tuple[str, ...]] = set()
    if isinstance(value, dict):
        for key, child in value.items():
            found.add((*path, key))
            found |= _key_paths(child, (*path, key))
    elif isinstance(value, list):
        for child in value:
            found |= _key_paths(child, path)
    return found


def _schema_paths(schema: dict[str, Any], node: Any, path: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    if not isinstance(node, dict):
        return set()
    if "$ref" in node:
        node = {**schema["$defs"][node["$ref"].removeprefix("#/$defs/")], **{k: v for k, v in node.items() if k != "$ref"}}
    found: set[tuple[str, ...]] = set()
    for key, child in node.get("properties", {}).items():
        if isinstance(child, dict) and child.get("deprecated"):  # a former name, still read, never shown
            continue
        found.add((*path, key))
        found |= _schema_paths(schema, child, (*path, key))
    if "items" in node:
        found |= _schema_paths(schema, node["items"], path)
    return found


def test_every_key_of_the_language_has_an_example() -> None:
    schema = resources.schema("policy")
    used: set[tuple[str, ...]] = set()
    for line, block in BLOCKS:
        used |= _key_paths(parse_yaml(block, f"doc@{line}")[0])
    missing = sorted(".".join(p) for p in _schema_paths(schema, schema) - used)
    assert missing == []


def test_every_listed_value_is_documented() -> None:
    schema = resources.schema("policy")
    values: set[str] = set()

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            values.update(str(v) for v in node.get("enum", []))
            for child in node.values():
                collect(child)
        elif isinstance(node, list):
            for child in node:
                collect(child)

    collect(schema)
    assert sorted(v for v in values if v not in TEXT) == []
