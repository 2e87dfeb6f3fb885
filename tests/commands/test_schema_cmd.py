"""`interlock schema`: the JSON Schema editors use, and the policy files it must accept."""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from interlock import resources
from interlock.commands.cli import cli, main
from interlock.read.policy_schema import json_view
from interlock.read.yamlsource import read_yaml
from paths import ROOT_DIR

ROOT = ROOT_DIR
FIXTURE = ROOT / "tests" / "fixtures" / "policy_minimal"
POLICY_FILES = sorted(FIXTURE.glob("*.yml")) + sorted((ROOT / "policies").rglob("*.y*ml"))
MODELINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$")


@pytest.fixture(scope="module")
def printed() -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["schema"])
    assert result.exit_code == 0, result.output
    loaded: dict[str, Any] = json.loads(result.output)
    return loaded


def test_prints_the_policy_schema_with_sorted_keys(printed: dict[str, Any]) -> None:
    assert printed == resources.schema("policy")
    text = CliRunner().invoke(cli, ["schema"]).output
    assert text == json.dumps(printed, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    Draft202012Validator.check_schema(printed)
    assert printed["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_output_is_the_shipped_file_byte_for_byte() -> None:
    """`interlock schema > policy.schema.json` reproduces the file the modelines point to."""
    shipped = (ROOT / "rules" / "schema" / "policy.schema.json").read_text(encoding="utf-8")
    assert CliRunner().invoke(cli, ["schema"]).output == shipped


def test_console_entry_point_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "Interlock policy file"


@pytest.mark.parametrize("path", POLICY_FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_policy_files_validate_against_the_printed_schema(printed: dict[str, Any], path: Path) -> None:
    data, _ = read_yaml(path, path.name)
    # An editor's YAML 1.2 parser reads dates as text: validate what it sees.
    errors = [e.message for e in Draft202012Validator(printed, format_checker=Draft202012Validator.FORMAT_CHECKER).iter_errors(json_view(data))]
    assert errors == []


@pytest.mark.parametrize("path", POLICY_FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_policy_files_point_editors_at_the_schema(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    match = MODELINE.match(first)
    assert match, f"{path.name} should start with '# yaml-language-server: $schema=<relative path>'"
    assert (path.parent / match.group(1)).resolve() == ROOT / "rules" / "schema" / "policy.schema.json"


def test_schema_rejects_what_validation_rejects(printed: dict[str, Any]) -> None:
    validator = Draft202012Validator(printed, format_checker=Draft202012Validator.FORMAT_CHECKER)
    bad = {
        "plans": [{"id": "p", "measures": [{"metric": "bookings", "weight": -0.2}], "wieght": 1}],
        "milestones": [{"id": "m", "planned": "2027-02-30"}],
        "departments": [{"id": "Sales AE"}],
    }
    assert sorted(e.json_path for e in validator.iter_errors(bad)) == [
        "$.departments[0].id",
        "$.milestones[0].planned",
        "$.plans[0]",
        "$.plans[0].measures[0].weight",
    ]
    good = {"plans": [{"id": "p", "measures": [{"metric": "bookings", "weight": "40%"}, {"metric": "csat", "weight": 0.6}]}]}
    assert list(validator.iter_errors(good)) == []


def _objects(schema: dict[str, Any], node: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every object schema reachable from ``node`` (following $ref into $defs once)."""
    if isinstance(node, dict):
        if "$ref" in node:
            name = node["$ref"].removeprefix("#/$defs/")
            yield from _objects(schema, schema["$defs"][name], f"{path}->{name}") if "->" + name not in path else iter(())
        if node.get("type") == "object":
            yield path, node
        for key, child in node.items():
            if key in ("properties",):
                for prop, sub in child.items():
                    yield from _objects(schema, sub, f"{path}.{prop}")
            elif key in ("items", "then", "if"):
                yield from _objects(schema, child, f"{path}[]")


def test_every_object_is_closed_and_every_property_documented(printed: dict[str, Any]) -> None:
    objects = list(_objects(printed, printed, "$"))
    assert len(objects) > 20
    for path, node in objects:
        assert node.get("additionalProperties") is False, path
        for prop, sub in node.get("properties", {}).items():
            assert sub.get("description"), f"{path}.{prop} has no description"


def _strip(node: Any) -> Any:
    """A schema without annotations or the kb_ prefix our copy adds."""
    if isinstance(node, dict):
        return {
            k: ("#/$defs/" + v.removeprefix("#/$defs/").removeprefix("kb_") if k == "$ref" else _strip(v))
            for k, v in node.items()
            if k not in ("description", "title")
        }
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


@pytest.mark.parametrize("name", ["metric", "influence", "non_conflict", "formula", "metric_id", "objective_id", "source_id", "text"])
def test_knowledge_sections_have_the_knowledge_files_shape(printed: dict[str, Any], name: str) -> None:
    """Organizations extend the catalog 'in the same shape': our copy must follow knowledge.schema.json."""
    assert _strip(printed["$defs"][f"kb_{name}"]) == _strip(resources.schema("knowledge")["$defs"][name])
