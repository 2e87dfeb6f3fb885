"""`interlock metrics [TEXT]`: find a metric id without grep; an unknown metric gets a did-you-mean."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from interlock.commands.cli import cli, main
from interlock.model import knowledge_base


def _run(*args: str) -> str:
    result = CliRunner().invoke(cli, ["metrics", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_lists_every_metric_one_line_each() -> None:
    kb = knowledge_base.builtin()
    out = _run()
    assert len(out.splitlines()) == len(kb.metrics) + 1
    assert out.splitlines()[-1].startswith(f"{len(kb.metrics)} metrics, {len(kb.influences)} influence edges.")
    assert any(line.startswith("dso ") and "Days sales outstanding" in line for line in out.splitlines())


def test_abbreviation_finds_the_metric_with_its_edges() -> None:
    out = _run("AHT")
    assert out.startswith("aht: Average handle time\n")
    assert "  aliases: average_handle_time, handle_time\n" in out
    assert "  drives: " in out and "fcr (raises, confidence 70%)" in out
    assert out.endswith("1 metric matches 'AHT'.\n")


def test_search_by_word_in_name_or_function() -> None:
    out = _run("payable")
    assert "dpo: Days payable outstanding" in out


def test_json_has_id_name_function_aliases_unit_direction_and_edges() -> None:
    data = json.loads(_run("dso", "--format", "json"))
    first = data["metrics"][0]
    assert first["id"] == "dso"
    assert {"id", "name", "function", "aliases", "unit", "direction", "drives", "driven_by"} <= set(first)
    assert first["direction"] == "down"
    assert {"metric": "op_cash_flow", "sign": "-"}.items() <= first["drives"][[d["metric"] for d in first["drives"]].index("op_cash_flow")].items()


def test_no_match_says_so() -> None:
    assert _run("qqqzz") == "No metric matches 'qqqzz'. Declare a metric of your own under `metrics:` in a policy file.\n"


def test_unknown_metric_in_a_policy_suggests_by_name_alias_and_abbreviation(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "org.yml").write_text(
        "departments:\n  - {id: support, name: Support}\n"
        "plans:\n  - id: sup\n    department: support\n    measures:\n"
        "      - {metric: average_handle, weight: 50%}\n"
        "      - {metric: days_sales_outstandin, weight: 25%}\n"
        "      - {metric: xyzzy_thing, weight: 25%}\n", encoding="utf-8")
    assert main(["check", str(tmp_path)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert any(l.endswith(":7:18: plans[0].measures[0].metric: unknown metric 'average_handle' (did you mean 'aht'?)") for l in lines), lines
    assert any(l.endswith("unknown metric 'days_sales_outstandin' (did you mean 'dso'?)") for l in lines), lines
    assert any(l.endswith("unknown metric 'xyzzy_thing' (search the knowledge base with `interlock metrics TEXT`,"
                          " or declare it under `metrics:`)") for l in lines), lines


def test_suggest_handles_case_and_abbreviations() -> None:
    kb = knowledge_base.builtin()
    assert kb.suggest("AHT") == "aht"
    assert kb.suggest("DSO") == "dso"
    assert kb.suggest("Days Payable Outstanding") == "dpo"
    assert kb.suggest("zzzz") is None


def test_a_metric_in_capitals_is_one_line_with_the_did_you_mean(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`metric: AHT` breaks the id form and names no metric: one value wrong once, so one line, the one
    that says what to write (the schema's 'not a valid id' is superseded by the did-you-mean)."""
    (tmp_path / "org.yml").write_text(
        "organization: {name: Acme}\ndepartments:\n  - {id: support, name: Support}\n"
        "plans:\n  - id: sup\n    department: support\n    measures:\n"
        "      - metric: AHT\n        weight: 100%\n", encoding="utf-8")
    assert main(["check", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        f"{tmp_path / 'org.yml'}:8:17: plans[0].measures[0].metric: unknown metric 'AHT' (did you mean 'aht'?)"]
