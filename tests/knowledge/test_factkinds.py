"""The fact vocabulary is the contract between Python and the rules: keep both sides to it."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from interlock.commands.cli import cli
from interlock.evaluation.compiler import Ref
from interlock.read.config import Config
from interlock.knowledge.factkinds import KINDS, undeclared_fields
from interlock.lint import evaluator, facts_of
from interlock.read.loader import load_documents
from interlock.evaluation.rulebook import load_rulebook
from interlock.model.validate import validate
from orggen import random_org, write_org
from paths import ROOT_DIR

ROOT = ROOT_DIR
TYPES: dict[str, tuple[type, ...]] = {"str": (str,), "int": (int,), "float": (int, float), "bool": (bool,),
                                      "day": (int,), "dir": (int,), "list": (list,)}


def test_docs_page_is_generated_from_the_registry() -> None:
    result = CliRunner().invoke(cli, ["facts"])
    assert result.exit_code == 0
    assert (ROOT / "docs" / "facts.md").read_text(encoding="utf-8") == result.output, (
        "docs/facts.md is stale: run `interlock facts > docs/facts.md`")


def _check(fact: dict[str, Any]) -> None:
    assert undeclared_fields(fact) == [], fact
    kind = KINDS[fact["kind"]]
    for name, doc in kind.fields.items():
        if name not in fact:
            assert doc.optional, f"{fact['kind']} fact lacks required field {name!r}: {fact}"
            continue
        value = fact[name]
        assert isinstance(value, TYPES[doc.type]), f"{fact['kind']}.{name} should be {doc.type}: {value!r}"
        if doc.type in ("int", "day", "dir"):
            assert not isinstance(value, bool), f"{fact['kind']}.{name} should be {doc.type}: {value!r}"
        if doc.type == "dir" and (fact["kind"], name) == ("measure", "dir"):
            assert value in (1, -1, 0)  # 0: a band target, paid to hold the metric within the band
        elif doc.type == "dir":
            assert value in (1, -1), f"{fact['kind']}.{name}: {value!r}"


def _facts_of(folder: Path) -> list[dict[str, Any]]:
    org = validate(load_documents([folder]))
    return facts_of(org)


@pytest.mark.parametrize("seed", range(8))
def test_produced_and_derived_facts_conform(seed: int, tmp_path: Path) -> None:
    write_org(random_org(seed), tmp_path)
    facts = _facts_of(tmp_path)
    _matches, derived = evaluator(load_rulebook(), Config()).run(facts)
    for fact in facts + derived:
        _check(fact)


def test_example_organization_facts_conform() -> None:
    for fact in _facts_of(ROOT / "policies"):
        _check(fact)


def test_rules_use_only_declared_kinds_and_fields() -> None:
    book = load_rulebook()
    for rule in book.rules:
        aliases: dict[str, str] = {}
        for pattern in rule.compile().patterns:
            assert pattern.kind in KINDS, f"{rule.id} matches undeclared kind {pattern.kind!r}"
            fields = KINDS[pattern.kind].fields
            for test in (*pattern.tests, *(t for alt in pattern.any_of for t in alt)):
                assert test.field in fields, f"{rule.id}: {pattern.kind} has no field {test.field!r}"
                if isinstance(test.value, Ref):
                    assert test.value.field in KINDS[aliases[test.value.alias]].fields, (
                        f"{rule.id}: {test.value.alias}.{test.value.field} is not a declared field")
            if pattern.alias:
                aliases[pattern.alias] = pattern.kind
        if rule.derive:
            assert rule.derive["kind"] in KINDS, f"{rule.id} derives undeclared kind {rule.derive['kind']!r}"
            assert set(rule.derive["fields"]) <= set(KINDS[rule.derive["kind"]].fields)
