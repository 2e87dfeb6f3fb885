"""SARIF 2.1.0: valid against the official OASIS schema, every side of a conflict, stable fingerprints."""
from __future__ import annotations

import json
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from interlock.commands.cli import main
from interlock.outputs.render import render
from interlock.outputs.sarif import FINGERPRINT_KEY, sarif_log
from sample_run import sample_run
from paths import FIXTURES_DIR, TESTS_DIR

SCHEMA = TESTS_DIR / "schemas" / "sarif-schema-2.1.0.json"
FIXTURE = FIXTURES_DIR / "report_org"


@cache
def validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def assert_valid(log: dict[str, Any]) -> None:
    errors = sorted(validator().iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def test_the_vendored_schema_is_the_official_one() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["id"] == "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    assert schema["properties"]["version"]["enum"] == ["2.1.0"]


def test_sample_run_validates() -> None:
    assert_valid(json.loads(render("sarif", sample_run())))


def test_a_real_lint_validates(tmp_path: Path) -> None:
    out = tmp_path / "out.sarif"
    assert main(["check", str(FIXTURE), "-o", str(out), "-q"]) == 1
    log = json.loads(out.read_text(encoding="utf-8"))
    assert_valid(log)
    assert log["runs"][0]["results"]


def test_an_empty_run_validates() -> None:
    assert_valid(sarif_log(replace(sample_run(), findings=())))


def test_invalid_output_would_be_caught() -> None:
    log = sarif_log(sample_run())
    log["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(AssertionError, match="level"):
        assert_valid(log)


def test_every_rule_is_described_with_help_and_a_built_in_rule_with_its_help_uri() -> None:
    run = sample_run()
    driver = sarif_log(run)["runs"][0]["tool"]["driver"]
    rules = {r["id"]: r for r in driver["rules"]}
    assert list(rules) == sorted(rules)
    assert {r.id for r in run.book.checks} | {f.rule for f in run.findings} == set(rules)
    v03 = rules["V03"]
    assert v03["name"] == "paid-against-lead-objective"
    assert "Kerr" in v03["help"]["text"] and "How to fix it:" in v03["help"]["text"]
    assert v03["defaultConfiguration"] == {"level": "error"}
    assert v03["properties"]["tags"] == ["vertical"]
    assert v03["helpUri"].endswith("/docs/rules.md#v03-paid-against-lead-objective")
    assert "helpUri" not in rules["T90"]  # a rule the catalog does not document
    assert rules["T90"]["shortDescription"]["text"].startswith("People are hired")  # not in the book: from the finding


def test_results_carry_every_location_fingerprint_and_level() -> None:
    run = sample_run()
    log = sarif_log(run)
    results = log["runs"][0]["results"]
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert len(results) == len(run.findings)
    for finding, result in zip(run.findings, results):
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"] == finding.rule
        assert result["partialFingerprints"] == {FINGERPRINT_KEY: finding.fingerprint}
        assert result["level"] == {"error": "error", "warning": "warning", "info": "note"}[finding.severity]
        places = [r["physicalLocation"] for r in result["locations"] + result.get("relatedLocations", [])]
        assert [(p["artifactLocation"]["uri"], p["region"]["startLine"], p["region"]["startColumn"])
                for p in places] == [(l.file, l.line, l.column) for l in finding.locations]
    v03 = next(r for r in results if r["ruleId"] == "V03")
    assert v03["locations"][0]["message"]["text"] == "measure dpo of plan ap-team"
    assert v03["relatedLocations"] == [{
        "id": 1,
        "physicalLocation": {"artifactLocation": {"uri": "policies/objectives.yml"},
                             "region": {"startLine": 3, "startColumn": 5}},
        "message": {"text": "objective project-profitability"},
    }]
    assert v03["properties"]["trace"][0] == "dpo"


def test_waived_findings_are_accepted_suppressions() -> None:
    results = sarif_log(sample_run())["runs"][0]["results"]
    waived = [r for r in results if "suppressions" in r]
    assert [r["ruleId"] for r in waived] == ["H90"]
    assert waived[0]["suppressions"] == [{
        "kind": "external", "status": "accepted", "justification": "Transition year: the new AP plan starts in Q3",
        "properties": {"owner": "cfo@acme.example", "expires": "2025-09-30"}}]


def test_paths_are_percent_encoded_uri_references() -> None:
    run = sample_run()
    from interlock.findings.findings import Location

    odd = replace(run.findings[0], locations=(Location("my plans/ü#1.yml", 2, 3),))
    log = sarif_log(replace(run, findings=(odd,)))
    assert log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "my%20plans/%C3%BC%231.yml"
    assert_valid(log)
